import { librarySettingsOf, type DaemonConfig } from '../settings/index.js';
import type { ContainerLogManagerOptions } from '../manager/types.js';

/** The manager settings of a daemon config, shared by `crilog daemon` and the one-shot commands. */
export function managerOptions(config: DaemonConfig): Omit<ContainerLogManagerOptions, 'runtime'> {
  return librarySettingsOf(config);
}
