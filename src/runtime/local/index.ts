/** crilog's embedded runtime: ordinary processes as containers, logging CRI files like containerd. */
export {
  LocalRuntime,
  type AddContainerOptions,
  type LocalRuntimeEvents,
  type LocalRuntimeOptions,
} from './local-runtime.js';
export type { LocalContainerSnapshot, LocalExitEvent, LocalStartEvent } from './local-container-types.js';
export type { ProcessSpec, RestartPolicy } from '../../settings/process-spec.js';
export type { Logger } from '../../ports/logger.js';
export { runRuntimeServer, type RuntimeServerHandle, type RuntimeServerOptions } from './runtime-server.js';
