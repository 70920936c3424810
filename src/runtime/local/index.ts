/** crilog's embedded runtime: ordinary processes as containers, logging CRI files like containerd. */
export {
  LocalRuntime,
  type AddContainerOptions,
  type LocalRuntimeEvents,
  type LocalRuntimeOptions,
} from './local-runtime.js';
export type { LocalContainerSnapshot, LocalExitEvent, LocalStartEvent } from './local-container-types.js';
export { validateProcessSpec, type ProcessSpec, type RestartPolicy } from '../../settings/process-spec.js';
export { CriLogWriter, type CriLogWriterOptions, type CriLogWriterStats } from './cri-log-writer.js';
export {
  CriLineSplitter,
  DEFAULT_MAX_LINE_SIZE,
  validateMaxLineSize,
  type CriStream,
} from './cri-line-splitter.js';
export { LOG_FILE_MODE, openAppendLogFile, type LogFile, type LogFileOpener } from './log-file.js';
export { createSystemNanoClock, formatRfc3339Nano, systemNanoClock, type NanoClock } from './nano-clock.js';
export { serveCri, toGrpcStatus, type CriServerHandle } from './cri-server.js';
export { LOCAL_RUNTIME_NAME } from './cri-handlers.js';
export { runRuntimeServer, type RuntimeServerHandle, type RuntimeServerOptions } from './runtime-server.js';
