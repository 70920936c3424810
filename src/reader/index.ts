export { readLogs, type ReadControls } from './read-logs.js';
export { readContainerLogs, type ReadContainerLogsOptions } from './container-logs.js';
export { registerDecoder, type DecoderFactory } from './decoders.js';
export type { LogOutput, LineCallback, ReadLogsOptions, ReadSummary, StreamSelector } from './types.js';
