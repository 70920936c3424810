import path from 'node:path';
import { InvalidOptionError } from '../errors/crilog-error.js';
import { compressionPolicy, type CompressionPolicy } from './compression.js';
import type { Origin } from './kinds.js';
import type { Setting } from './setting.js';
import { suggest } from './suggest.js';
import { SETTINGS, SETTING_KEYS, type SettingKey, type Settings } from './table.js';

/** Keys a config file may hold. */
export const FILE_KEYS: readonly SettingKey[] = SETTING_KEYS.filter(
  (k) => (SETTINGS[k] as Setting<unknown>).file !== false,
);

/** One place values come from, e.g. the flags or the config file. */
export interface Layer {
  origin: Origin;
  /** Directory relative paths are resolved against. */
  base: string;
  values: Readonly<Partial<Record<string, unknown>>>;
  /** How a message names the input: a flag, a key, an option; `source` says where (a file). */
  name(key: SettingKey): { key: string; source?: string };
}

const spec = (key: SettingKey) => SETTINGS[key] as Setting<unknown>;

/** Parses one raw value of `key` from `layer`; problems are collected, named as the layer names them. */
function parseIn(layer: Layer, key: SettingKey, raw: unknown, problems: InvalidOptionError[]): unknown {
  try {
    return spec(key).kind.parse(raw, { origin: layer.origin, base: layer.base });
  } catch (err) {
    if (!(err instanceof InvalidOptionError)) throw err;
    const { key: name, source } = layer.name(key);
    problems.push(err.as(name, source !== undefined ? { source } : {}));
    return undefined;
  }
}

/**
 * Resolves `keys` from `layers` (first wins) over each setting's default, checking every value given
 * in any layer. Problems are collected, never thrown here, so all of them are reported at once.
 */
export function resolveLayers(
  keys: readonly SettingKey[],
  layers: readonly Layer[],
  defaults: 'daemon' | 'library',
  problems: InvalidOptionError[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    let value: unknown;
    let found = false;
    for (const layer of layers) {
      const raw = layer.values[key];
      if (raw === undefined) continue;
      const parsed = parseIn(layer, key, raw, problems);
      if (!found) [value, found] = [parsed, true];
    }
    if (!found) {
      const s = spec(key);
      const def = defaults === 'library' && 'libraryDefault' in s ? s.libraryDefault : s.default;
      value = def === undefined ? null : s.kind.parse(def, { origin: 'file', base: '/' });
    }
    out[key] = value;
  }
  const level = out.compressionLevel;
  if (typeof level === 'number' && out.compression) {
    const { codec } = out.compression as CompressionPolicy;
    try {
      out.compression = compressionPolicy(codec, level, level);
    } catch (err) {
      const layer = layers.find((l) => l.values.compressionLevel !== undefined) as Layer;
      problems.push((err as InvalidOptionError).as(layer.name('compressionLevel').key));
    }
  }
  return out;
}

/** Where the daemon's settings come from. */
export interface SettingSources {
  /** Raw flag values by setting key (text; booleans; lists for repeatable flags). */
  flags?: Readonly<Partial<Record<SettingKey, unknown>>>;
  /** The parsed config file, if any. */
  file?: unknown;
  /** Its path, for messages and relative paths. */
  configFile?: string;
  cwd?: string;
}

/** The daemon's settings: every entry of the table, plus the config file they came from. */
export type DaemonConfig = Settings & { configFile?: string };

/** A key of a config file that is not crilog's: the kubelet's own name, or a typo. */
function unknownKey(key: string, source: string): InvalidOptionError {
  const kubelet = FILE_KEYS.find((k) => spec(k).kubeletKey === key);
  if (kubelet)
    return new InvalidOptionError({
      key,
      source,
      rule: "unknown key: that is the kubelet's KubeletConfiguration name",
      hint: `crilog's key is "${kubelet}"`,
    });
  const flagOnly = SETTING_KEYS.find((k) => k === key && spec(k).file === false);
  if (flagOnly)
    return new InvalidOptionError({
      key,
      source,
      rule: `unknown key: ${spec(flagOnly).flag} has no file key`,
      hint: 'write compression: { codec: gzip, level: 6 } (did you mean "compression.level"?)',
    });
  const close = suggest(key, FILE_KEYS);
  return new InvalidOptionError({
    key,
    source,
    rule: 'unknown key',
    hint: `${close ? `did you mean "${close}"? ` : ''}known keys: ${FILE_KEYS.join(', ')}`,
  });
}

/**
 * Merges flags over the config file over the defaults, and validates all of it. Every problem of both
 * sources is reported at once (one per line) as an `InvalidOptionError`, which the CLI maps to exit code 2.
 * Relative paths in the file are taken relative to the file, on the command line relative to `cwd`.
 */
export function resolveSettings(sources: SettingSources): DaemonConfig {
  const cwd = sources.cwd ?? process.cwd();
  const fileName = sources.configFile ?? '(inline)';
  const source = `config file "${fileName}"`;
  const problems: InvalidOptionError[] = [];
  const file = sources.file ?? {};
  let fileValues: Record<string, unknown> = {};
  if (typeof file !== 'object' || file === null || Array.isArray(file)) {
    problems.push(
      new InvalidOptionError({ key: '--config', value: fileName, rule: 'must hold a mapping of keys' }),
    );
  } else {
    fileValues = { ...(file as Record<string, unknown>) };
    for (const key of Object.keys(fileValues)) {
      if ((FILE_KEYS as readonly string[]).includes(key)) continue;
      problems.push(unknownKey(key, source));
      delete fileValues[key];
    }
  }
  const flagLayer: Layer = {
    origin: 'flag',
    base: cwd,
    values: sources.flags ?? {},
    name: (key) => ({ key: spec(key).flag ?? key }),
  };
  const fileLayer: Layer = {
    origin: 'file',
    base: sources.configFile ? path.dirname(path.resolve(cwd, sources.configFile)) : cwd,
    values: fileValues,
    name: (key) => ({ key, source }),
  };
  const values = resolveLayers(SETTING_KEYS, [flagLayer, fileLayer], 'daemon', problems) as Settings;
  if (values.runtime === 'cri' && fileValues.containers !== undefined && values.containers.length > 0) {
    problems.push(
      new InvalidOptionError({
        key: 'containers',
        source,
        rule: 'only the local runtime runs processes',
        hint: 'add "runtime: local" (or --runtime local) or remove the containers list',
      }),
    );
  }
  if (problems.length > 0) throw InvalidOptionError.all(problems);
  return { ...values, ...(sources.configFile ? { configFile: path.resolve(cwd, sources.configFile) } : {}) };
}
