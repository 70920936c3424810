import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeRuntime } from '../../test/helpers/fake-runtime.js';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { isUnderRoots, OutsideRootsError, pathProblem, RootGuardRuntime } from './root-guard.js';

describe('isUnderRoots', () => {
  const roots = ['/var/log/pods', '/data/logs/'];
  it.each([
    ['/var/log/pods/ns_pod_uid/c/0.log', true],
    ['/data/logs/x/0.log', true],
    ['/var/log/pods', false],
    ['/var/log/pods/', false],
    ['/var/log/podsX/a/0.log', false],
    ['/var/log/pods/../secret/0.log', false],
    ['/var/log/pods/a/../../pods/b/0.log', true],
    ['/etc/shadow', false],
    ['relative/0.log', false],
    ['', false],
  ])('%s -> %s', (p, expected) => {
    expect(isUnderRoots(p, roots)).toBe(expected);
  });
});

describe('RootGuardRuntime', () => {
  it('refuses the status (and so every action) of a container logging outside the roots, warning once', async () => {
    const inner = new FakeRuntime();
    inner.add('in', '/var/log/pods/a/0.log');
    inner.add('out', '/tmp/elsewhere/0.log');
    const refused: OutsideRootsError[] = [];
    const guard = new RootGuardRuntime(inner, ['/var/log/pods'], (e) => refused.push(e));
    expect((await guard.containerStatus('in')).logPath).toBe('/var/log/pods/a/0.log');
    for (let i = 0; i < 3; i++)
      await expect(guard.containerStatus('out')).rejects.toMatchObject({ code: 'ERR_UNSAFE_PATH' });
    await expect(guard.reopenContainerLog('out')).rejects.toThrow(
      /outside the allowed log roots \(\/var\/log\/pods\).*--log-root/,
    );
    expect(inner.count('reopenContainerLog', 'out')).toBe(0);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ containerId: 'out', logPath: '/tmp/elsewhere/0.log' });
    await guard.reopenContainerLog('in').catch(() => {});
    expect(inner.count('reopenContainerLog', 'in')).toBe(1);
    expect(await guard.listContainers()).toHaveLength(2);
  });
});

describe('RootGuardRuntime and hostile paths', () => {
  it.each([
    ['relative/0.log', /not absolute/],
    ['/var/log/pods/a/../b/0.log', /not normalized/],
    ['/var/log/pods/./a/0.log', /not normalized/],
    ['/var/log/pods//a/0.log', /not normalized/],
    ['/var/log/pods/a/', /ends with "\/"/],
    ['', /empty/],
  ])('refuses %j with a warning naming the rule', async (logPath, why) => {
    expect(pathProblem(logPath)).toMatch(why);
    const inner = new FakeRuntime();
    inner.add('c', logPath);
    const refused: OutsideRootsError[] = [];
    const guard = new RootGuardRuntime(inner, ['/var/log/pods'], (e) => refused.push(e));
    await expect(guard.containerStatus('c')).rejects.toMatchObject({ code: 'ERR_UNSAFE_PATH' });
    expect(refused).toHaveLength(1);
    expect(refused[0]!.message).toMatch(why);
  });

  it('refuses <root>/<symlink>/../<name>, which the kernel resolves through the symlink', async () => {
    const dir = await tempDir();
    const root = path.join(dir, 'root');
    await fsp.mkdir(path.join(dir, 'outside', 'deep'), { recursive: true });
    await fsp.mkdir(root);
    await fsp.symlink(path.join(dir, 'outside', 'deep'), path.join(root, 'link'));
    await fsp.writeFile(path.join(dir, 'outside', 'victim.log'), "not crilog's\n");
    const sneaky = `${root}/link/../victim.log`;
    // Lexically inside the root; for the kernel it is <dir>/outside/victim.log.
    expect(isUnderRoots(sneaky, [root])).toBe(true);
    expect(await fsp.readFile(sneaky, 'utf8')).toBe("not crilog's\n");
    const inner = new FakeRuntime();
    inner.add('c', sneaky);
    const guard = new RootGuardRuntime(inner, [root]);
    await expect(guard.containerStatus('c')).rejects.toMatchObject({ code: 'ERR_UNSAFE_PATH' });
    await expect(guard.reopenContainerLog('c')).rejects.toMatchObject({ code: 'ERR_UNSAFE_PATH' });
  });

  it('hands the manager the log path with its directory resolved, once per status', async () => {
    const dir = await tempDir();
    const real = path.join(dir, 'real-root');
    await fsp.mkdir(path.join(real, 'pod'), { recursive: true });
    await fsp.symlink(real, path.join(dir, 'root'));
    const inner = new FakeRuntime();
    inner.add('c', path.join(dir, 'root', 'pod', '0.log'));
    const guard = new RootGuardRuntime(inner, [path.join(dir, 'root')]);
    expect((await guard.containerStatus('c')).logPath).toBe(path.join(real, 'pod', '0.log'));
  });

  it('forgets the warnings of containers the runtime no longer lists', async () => {
    const inner = new FakeRuntime();
    inner.add('out', '/tmp/elsewhere/0.log');
    const refused: OutsideRootsError[] = [];
    const guard = new RootGuardRuntime(inner, ['/var/log/pods'], (e) => refused.push(e));
    await guard.containerStatus('out').catch(() => {});
    inner.containers.delete('out');
    await guard.listContainers();
    inner.add('out', '/tmp/elsewhere/0.log');
    await guard.containerStatus('out').catch(() => {});
    expect(refused).toHaveLength(2);
  });
});
