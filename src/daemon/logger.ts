import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from '../settings/index.js';

/**
 * crilog's structured logger: one JSON object per line, ISO timestamps, the level as a word, errors
 * under `err` with their cause chain. The daemon writes to stdout; one-shot commands to stderr so that
 * their output stays parseable.
 */
export function createLogger(level: LogLevel, destination: DestinationStream | number = 1): PinoLogger {
  const stream =
    typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination;
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.errWithCause },
    },
    stream,
  );
}
