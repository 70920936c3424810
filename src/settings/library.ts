import { InvalidOptionError } from '../errors/crilog-error.js';
import { resolveLayers } from './resolve.js';
import type { InputOf } from './setting.js';
import { SETTINGS, SETTING_KEYS, type SettingKey, type Settings } from './table.js';

/** Settings that are options of `new ContainerLogManager()`. */
export type LibraryKey = {
  [K in SettingKey]: (typeof SETTINGS)[K]['library'] extends true ? K : never;
}[SettingKey];

/** The library's setting options as a caller writes them (sizes as `'10Mi'` or bytes, durations as `'10s'` or ms). */
export type LibrarySettingOptions = { [K in LibraryKey]?: InputOf<(typeof SETTINGS)[K]> };

/** The library's settings, resolved. */
export type LibrarySettings = Pick<Settings, LibraryKey>;

/** The option names of the library's settings, in table order. */
export const LIBRARY_KEYS = SETTING_KEYS.filter((k) => SETTINGS[k].library) as LibraryKey[];

/**
 * Resolves the library's setting options over their defaults; the first bad value throws
 * InvalidOptionError naming the option, the value, the rule and the fix.
 */
export function resolveLibrarySettings(options: Readonly<Record<string, unknown>>): LibrarySettings {
  const problems: InvalidOptionError[] = [];
  const values = resolveLayers(
    LIBRARY_KEYS,
    [{ origin: 'option', base: process.cwd(), values: options, name: (key) => ({ key }) }],
    'library',
    problems,
  );
  if (problems.length > 0) throw problems[0];
  return values as LibrarySettings;
}

/** The library options that carry `settings` (e.g. a daemon's) into a manager unchanged. */
export function librarySettingsOf(settings: Readonly<Settings>): LibrarySettingOptions {
  const out: Record<string, unknown> = {};
  for (const key of LIBRARY_KEYS)
    if (settings[key] !== null && key !== 'compressionLevel') out[key] = settings[key];
  return out as LibrarySettingOptions;
}
