import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { FakeRuntime } from '../../test/helpers/fake-runtime.js';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { InvalidOptionError } from '../errors/crilog-error.js';
import { ContainerLogManager } from '../manager/container-log-manager.js';
import type { Logger } from '../ports/logger.js';
import { logManagerEvents } from './log-manager-events.js';

/** A logger that keeps `level message` lines and their fields. */
function recordingLogger() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (fields: object, msg = '') =>
      lines.push({ level, msg, fields: fields as Record<string, unknown> });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines, warnings: () => lines.filter((l) => l.level === 'warn' || l.level === 'error') };
}

async function setup(annotations: Record<string, string> = {}) {
  const dir = await tempDir();
  const log = path.join(dir, 'app', '0.log');
  await fsp.mkdir(path.dirname(log));
  await fsp.writeFile(log, 'x'.repeat(200));
  const runtime = new FakeRuntime();
  runtime.add('app', log, 'running', { annotations });
  const manager = new ContainerLogManager({
    runtime,
    clock: new FakeClock(Date.parse('2026-11-27T10:00:00Z')),
    maxSize: 100,
    maxFiles: 3,
    minRotationInterval: 0,
  });
  const recorded = recordingLogger();
  logManagerEvents(manager, recorded.logger);
  return { runtime, manager, log, ...recorded };
}

describe('the manager logs nothing itself; its events are logged once', () => {
  it('a bad annotation: one warning, however many passes and checks see it', async () => {
    const { manager, warnings } = await setup({ 'crilog.io/max-size': 'lots' });
    for (let i = 0; i < 3; i++) await manager.rotateOnce();
    await manager.checkContainer('app');
    await manager.stop();
    expect(warnings().map((l) => l.msg)).toEqual([
      'invalid crilog.io policy annotations; node defaults apply for those keys',
    ]);
    expect(String(warnings()[0]!.fields.problems)).toContain('crilog.io/max-size "lots" is invalid');
  });

  it('a failed rotation: one warning per failed check, naming what became of the renamed file', async () => {
    const { runtime, manager, log, lines, warnings } = await setup();
    runtime.fail('reopenContainerLog', new Error('runtime says no'));
    const events: string[] = [];
    manager.on('container-error', (e) => events.push(e.id));
    const report = await manager.rotateOnce();
    await manager.stop();
    expect(report.containers[0]!.action).toBe('failed');
    expect(events).toEqual(['app']);
    expect(warnings()).toHaveLength(1);
    const [warning] = warnings();
    expect(warning!.msg).toBe('container log not managed');
    expect(warning!.fields).toMatchObject({ id: 'app', path: log });
    const err = warning!.fields.err as Error;
    expect((err.cause as Error).message).toContain('the log was moved back to its live name');
    expect(lines.some((l) => l.msg === 'rotated')).toBe(false);
    expect((await fsp.stat(log)).size).toBe(200);
  });

  it('a lasting failure: warned once, and again only after the container recovered', async () => {
    const { runtime, manager, warnings, lines } = await setup();
    runtime.fail('containerStatus', new Error('runtime says no'), 'app');
    for (let i = 0; i < 3; i++) await manager.rotateOnce();
    expect(warnings().map((l) => l.msg)).toEqual(['container log not managed']);
    expect(lines.filter((l) => l.msg === 'container log still not managed')).toHaveLength(2);
    runtime.clearFailures();
    await manager.rotateOnce();
    runtime.fail('containerStatus', new Error('runtime says no'), 'app');
    await manager.rotateOnce();
    await manager.stop();
    expect(warnings().map((l) => l.msg)).toEqual(['container log not managed', 'container log not managed']);
  });

  it('a rotation: one info line', async () => {
    const { manager, lines } = await setup();
    await manager.rotateOnce();
    await manager.stop();
    expect(lines.filter((l) => l.level !== 'debug').map((l) => `${l.level} ${l.msg}`)).toEqual([
      'info rotated',
    ]);
  });

  it('refuses a logger option, saying where log lines come from now', async () => {
    const runtime = new FakeRuntime();
    const { logger } = recordingLogger();
    let error: unknown;
    try {
      new ContainerLogManager({ runtime, logger } as never);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toMatchObject({
      key: 'logger',
      hint: expect.stringContaining("manager.on('container-error'"),
    });
  });
});
