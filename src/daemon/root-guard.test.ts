import { describe, expect, it } from 'vitest';
import { FakeRuntime } from '../../test/helpers/fake-runtime.js';
import { isUnderRoots, OutsideRootsError, RootGuardRuntime } from './root-guard.js';

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
