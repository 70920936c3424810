// Every entry of the settings table reaches every place derived from it, with nothing written twice:
// adding a setting is adding one entry.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addConfigOptions } from '../../src/cli/config-options.js';
import { normalizeOptions } from '../../src/manager/options.js';
import {
  FILE_KEYS,
  LIBRARY_KEYS,
  resolveLibrarySettings,
  resolveSettings,
  SETTINGS,
  SETTING_KEYS,
  type Setting,
} from '../../src/settings/index.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';
import { annotationsTable, chartConfigSchema, optionsTable } from './generate.js';

const spec = (key: (typeof SETTING_KEYS)[number]) => SETTINGS[key] as Setting<unknown>;

describe('each setting of the table', () => {
  const cmd = addConfigOptions(new Command('x'));
  const flags = new Set(cmd.options.map((o) => o.long));
  const defaults = resolveSettings({ cwd: '/' });
  const library = resolveLibrarySettings({});
  const docs = optionsTable();
  const schema = chartConfigSchema().properties as Record<string, unknown>;

  it.each(SETTING_KEYS)('%s is derived everywhere it belongs', (key) => {
    const s = spec(key);
    if (s.flag) expect(flags.has(s.flag), `flag ${s.flag}`).toBe(true);
    if (s.flag && s.kind.boolean) expect(flags.has(`--no-${s.flag.slice(2)}`)).toBe(true);
    expect(FILE_KEYS.includes(key)).toBe(s.file !== false);
    expect((LIBRARY_KEYS as readonly string[]).includes(key)).toBe(s.library);
    expect(key in defaults, 'resolved by the daemon').toBe(true);
    if (s.library) expect(key in library, 'resolved by the library').toBe(true);
    expect(docs).toContain(s.flag ?? `\`${key}\``);
    if (s.file !== false && !['runtimeEndpoint', 'logRoots', 'metricsAddress', 'containers'].includes(key))
      expect(schema[key], 'in the chart schema').toBeDefined();
    if (s.annotation) expect(annotationsTable()).toContain(s.annotation);
  });

  it('the library refuses no key of its own settings, and knows no setting twice', () => {
    const runtime = new FakeRuntime();
    expect(() =>
      normalizeOptions({ runtime, ...Object.fromEntries(LIBRARY_KEYS.map((k) => [k, undefined])) }),
    ).not.toThrow();
    expect(new Set(SETTING_KEYS).size).toBe(SETTING_KEYS.length);
    const flagNames = SETTING_KEYS.map((k) => spec(k).flag).filter(Boolean);
    expect(new Set(flagNames).size).toBe(flagNames.length);
  });

  it('flags and file keys agree: --x-y is the file key xY', () => {
    for (const key of SETTING_KEYS) {
      const flag = spec(key).flag;
      if (!flag || key === 'logRoots') continue;
      expect(
        flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()),
        flag,
      ).toBe(key);
    }
  });
});
