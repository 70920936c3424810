import type { Kind } from './kinds.js';

/** One setting: everything crilog knows about it, written once. */
export interface Setting<T, In = unknown> {
  readonly kind: Kind<T, In>;
  /** The flag, e.g. `--max-size`; booleans also get `--no-…`. Absent: file only. */
  readonly flag?: string;
  /** Config file key and library option name are the table key; false: the setting has no file key. */
  readonly file?: false;
  /** An environment variable read when neither flag nor file sets it. */
  readonly env?: string;
  /** A `crilog.io/*` annotation (or label) that overrides the node's value for one container. */
  readonly annotation?: string;
  /** What the annotation takes, for the docs; and the settings that bound it (operator bounds). */
  readonly annotationDoc?: { value: string; boundedBy: readonly string[] };
  /** The KubeletConfiguration field of the same meaning, refused in a config file with a hint. */
  readonly kubeletKey?: string;
  /** The default as a user would write it; `undefined`: none (the value is `null`). */
  readonly default?: unknown;
  /** The library's default, where embedding differs from the daemon (documented why at the entry). */
  readonly libraryDefault?: unknown;
  /** How the docs and help show the default when it is none or derived from another setting. */
  readonly defaultText?: string;
  /** An option of `new ContainerLogManager()`. */
  readonly library: boolean;
  /** True when no annotation can change it for one container. */
  readonly nodeWide: boolean;
  /** One line: the flag's help and the docs' description. */
  readonly help: string;
  /** More for the docs' table (rules, links); optional. */
  readonly details?: string;
  /** Type marker: `null` is a possible value (no default). */
  readonly optional: boolean;
}

/** A setting with a default: its value is never null. */
export function setting<T, In, const S extends Omit<Setting<T, In>, 'optional'>>(
  spec: S & { kind: Kind<T, In> },
): S & { optional: false } {
  return { ...spec, optional: false };
}

/** A setting without a default: its value is `null` unless set. */
export function optionalSetting<T, In, const S extends Omit<Setting<T, In>, 'optional' | 'default'>>(
  spec: S & { kind: Kind<T, In>; defaultText: string },
): S & { optional: true } {
  return { ...spec, optional: true };
}

/** The value type a setting resolves to. */
export type ValueOf<S> = S extends { kind: Kind<infer T, infer _In>; optional: infer O }
  ? O extends true
    ? T | null
    : T
  : never;

/** What the library accepts for a setting (e.g. `'10Mi' | 10485760` for a size). */
export type InputOf<S> = S extends { kind: Kind<infer _T, infer In> } ? In : never;

/** How help and docs show a setting's default. */
export function defaultText(s: Setting<unknown>): string {
  if (s.defaultText !== undefined) return s.defaultText;
  return Array.isArray(s.default) ? s.default.join(', ') : String(s.default);
}
