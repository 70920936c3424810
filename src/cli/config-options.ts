import { Option, type Command } from 'commander';
import {
  defaultText,
  loadSettings,
  SETTINGS,
  SETTING_KEYS,
  type DaemonConfig,
  type Setting,
  type SettingKey,
} from '../settings/index.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** The commander options of one setting (booleans get `--x` and `--no-x`). */
export function settingOptions(key: SettingKey): Option[] {
  const s = SETTINGS[key] as Setting<unknown>;
  if (s.flag === undefined) return [];
  const help = `${s.help} (default: ${defaultText(s)})`;
  if (s.kind.boolean) {
    return [
      new Option(s.flag, s.default === true ? `${s.help} (default)` : s.help),
      new Option(
        `--no-${s.flag.slice(2)}`,
        s.default === true ? `turn off: ${s.help}` : `(default) turn off: ${s.help}`,
      ),
    ];
  }
  const option = new Option(`${s.flag} <${s.kind.placeholder}>`, help);
  return [s.kind.repeatable ? option.argParser(collect) : option];
}

/**
 * Adds every setting that has a flag, so that `rotate --once`, `status` and `clean` see exactly what the
 * daemon sees. No commander defaults: an absent flag must not override the config file. Values are
 * validated later, together with the file, by `loadSettings`.
 */
export function addConfigOptions(cmd: Command): Command {
  cmd.option(
    '--config <file>',
    'YAML config file; keys mirror the flags in camelCase (flags win over the file)',
  );
  for (const key of SETTING_KEYS) for (const option of settingOptions(key)) cmd.addOption(option);
  return cmd;
}

/** Commander's parsed options of `addConfigOptions`, by commander's attribute names. */
export type ConfigOptionValues = Record<string, unknown> & { config?: string; logLevel?: string };

/** Loads the config file named by `--config` and merges the flags over it. */
export function configFromOptions(opts: ConfigOptionValues, cwd: string): Promise<DaemonConfig> {
  const flags: Partial<Record<SettingKey, unknown>> & { config?: string } = {};
  if (opts.config !== undefined) flags.config = opts.config;
  for (const key of SETTING_KEYS) {
    const flag = (SETTINGS[key] as Setting<unknown>).flag;
    if (flag === undefined) continue;
    const value = opts[new Option(flag).attributeName()];
    if (value !== undefined) flags[key] = value;
  }
  return loadSettings(flags, cwd);
}
