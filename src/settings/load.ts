import path from 'node:path';
import { readConfigFile } from './config-file.js';
import { resolveSettings, type DaemonConfig } from './resolve.js';
import type { SettingKey } from './table.js';

/** Reads `--config` (if given) and resolves it with the flags: the one entry point of every command. */
export async function loadSettings(
  flags: Partial<Record<SettingKey, unknown>> & { config?: string },
  cwd = process.cwd(),
): Promise<DaemonConfig> {
  const { config, ...rest } = flags;
  const file = config ? await readConfigFile(path.resolve(cwd, config)) : undefined;
  return resolveSettings({ flags: rest, file, ...(config ? { configFile: config } : {}), cwd });
}
