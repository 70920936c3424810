// Adding a setting is adding one entry: a fixture entry, and nothing else, reaches the flags, the config
// file and its unknown-key hints, the library's options, the docs' tables and the chart's schema.
import { Command } from 'commander';
import { describe, expect, it, vi } from 'vitest';
import { InvalidOptionError } from '../../src/errors/crilog-error.js';

vi.mock('../../src/settings/table.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/settings/table.js')>();
  const { duration } = await import('../../src/settings/kinds.js');
  const { setting } = await import('../../src/settings/setting.js');
  // The one entry this test adds.
  const SETTINGS = {
    ...original.SETTINGS,
    fixtureGrace: setting({
      kind: duration({ example: '30s' }),
      flag: '--fixture-grace',
      default: '45s',
      library: true,
      nodeWide: true,
      help: 'a setting that exists only in this test',
    }),
  };
  return { ...original, SETTINGS, SETTING_KEYS: Object.keys(SETTINGS) };
});

const { addConfigOptions, configFromOptions } = await import('../../src/cli/config-options.js');
const { normalizeOptions } = await import('../../src/manager/options.js');
const { resolveLibrarySettings, resolveSettings } = await import('../../src/settings/index.js');
const { chartConfigSchema, libraryTable, optionsTable } = await import('./generate.js');
const { FakeRuntime } = await import('../helpers/fake-runtime.js');

/** The fixture's value in resolved settings, whose static type does not know it. */
const grace = (settings: object): unknown => (settings as Record<string, unknown>).fixtureGrace;

const problem = (fn: () => unknown): InvalidOptionError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof InvalidOptionError) return err;
    throw err;
  }
  throw new Error('expected an InvalidOptionError');
};

describe('a setting added as one table entry', () => {
  it('is a flag of every command that takes settings, parsed and validated with the file', async () => {
    const cmd = addConfigOptions(new Command('x')).exitOverride();
    expect(cmd.helpInformation()).toContain('--fixture-grace <duration>');
    expect(cmd.helpInformation()).toContain('(default: 45s)');
    cmd.parse(['--fixture-grace', '2m'], { from: 'user' });
    expect(grace(await configFromOptions(cmd.opts(), '/'))).toBe(120_000);
  });

  it('is a config-file key with its default, its unit rule and typo hints', () => {
    expect(grace(resolveSettings({ cwd: '/' }))).toBe(45_000);
    expect(grace(resolveSettings({ file: { fixtureGrace: '1h' }, cwd: '/' }))).toBe(3_600_000);
    const unitless = problem(() => resolveSettings({ file: { fixtureGrace: '7' }, cwd: '/' }));
    expect(unitless.problems[0]).toMatchObject({ key: 'fixtureGrace', value: '7' });
    expect(unitless.message).toContain('a duration needs a unit');
    const typo = problem(() => resolveSettings({ file: { fixtureGrase: '1s' }, cwd: '/' }));
    expect(typo.problems[0]?.hint).toContain('did you mean "fixtureGrace"?');
  });

  it('is a library option, numbers in milliseconds', () => {
    expect(grace(resolveLibrarySettings({}))).toBe(45_000);
    expect(grace(resolveLibrarySettings({ fixtureGrace: 250 }))).toBe(250);
    const runtime = new FakeRuntime();
    expect(() => normalizeOptions({ runtime, fixtureGrace: '5s' } as never)).not.toThrow();
    expect(problem(() => normalizeOptions({ runtime, fixtureGrace: '5' } as never))).toMatchObject({
      key: 'fixtureGrace',
    });
  });

  it("is in docs/configuration.md's tables and the chart's values.schema.json", () => {
    expect(optionsTable()).toContain('`--fixture-grace <duration>`');
    expect(optionsTable()).toContain('A setting that exists only in this test.');
    expect(libraryTable()).toContain('`fixtureGrace`');
    expect(chartConfigSchema().properties).toHaveProperty('fixtureGrace.pattern');
  });
});
