import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RuntimeUnavailableError } from '../../src/errors/crilog-error.js';
import type { ContainerMetadata } from '../../src/ports/runtime-service.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';
import { tempDir } from '../helpers/tmpdir.js';
import { cli, fakeFactory } from './cli-harness.js';

const line = (s: string) => `2026-12-06T00:00:00.000000000Z stdout F ${s}\n`;

/** A kubelet-style log root: pods in namespaces, containers with restart attempts, and a runtime that knows them. */
async function node() {
  const dir = await tempDir('crilog-select-');
  const root = path.join(dir, 'pods');
  const runtime = new FakeRuntime();
  const add = async (
    ns: string,
    pod: string,
    container: string,
    attempt: number,
    state: 'running' | 'exited',
    id: string,
  ) => {
    const logPath = path.join(root, `${ns}_${pod}_uid-${pod}`, container, `${attempt}.log`);
    await fsp.mkdir(path.dirname(logPath), { recursive: true });
    await fsp.writeFile(logPath, line(`${pod}/${container} attempt ${attempt}`));
    const metadata: ContainerMetadata = {
      name: container,
      attempt,
      podName: pod,
      podNamespace: ns,
      podUid: `uid-${pod}`,
    };
    runtime.add(id, logPath, state, { metadata });
    return logPath;
  };
  await add('default', 'web', 'nginx', 0, 'running', 'aaaa1111');
  await add('shop', 'api', 'app', 0, 'exited', 'bbbb1111');
  await add('shop', 'api', 'app', 1, 'running', 'bbbb2222');
  const sidecar = await add('shop', 'api', 'sidecar', 1, 'running', 'cccc1111');
  // A restart the runtime no longer lists: only its file is left.
  await fsp.writeFile(path.join(path.dirname(sidecar), '0.log'), line('api/sidecar attempt 0'));
  const ctx = { runtimeFactories: { cri: fakeFactory(runtime) }, cwd: dir, defaultConfigFile: null };
  const down = {
    ...ctx,
    runtimeFactories: {
      cri: fakeFactory(runtime, async () => {
        throw new RuntimeUnavailableError('CRI runtime at "unix:///x.sock" is down');
      }),
    },
  };
  const flags = ['--log-root', root, '--runtime-endpoint', 'unix:///x.sock'];
  return { dir, root, runtime, ctx, down, flags };
}

describe('crilog logs POD [-c C] [-n NS]', () => {
  it('reads the only container of a pod, a chosen one, and every one with --prefix', async () => {
    const n = await node();
    expect(await cli(['logs', 'web', ...n.flags], n.ctx)).toMatchObject({
      code: 0,
      stdout: 'web/nginx attempt 0\n',
    });
    expect(await cli(['logs', 'api', '-n', 'shop', '-c', 'app', ...n.flags], n.ctx)).toMatchObject({
      code: 0,
      stdout: 'api/app attempt 1\n',
    });
    const all = await cli(['logs', 'api', '-n', 'shop', '--all-containers', '--prefix', ...n.flags], n.ctx);
    expect(all).toMatchObject({
      code: 0,
      stdout: '[pod/api/app] api/app attempt 1\n[pod/api/sidecar] api/sidecar attempt 1\n',
    });
  });

  it('-p reads the previous instance: from the runtime, else from the <attempt>.log beside the current one', async () => {
    const n = await node();
    expect(await cli(['logs', 'api', '-n', 'shop', '-c', 'app', '-p', ...n.flags], n.ctx)).toMatchObject({
      code: 0,
      stdout: 'api/app attempt 0\n',
    });
    expect(await cli(['logs', 'api', '-n', 'shop', '-c', 'sidecar', '-p', ...n.flags], n.ctx)).toMatchObject({
      code: 0,
      stdout: 'api/sidecar attempt 0\n',
    });
    const none = await cli(['logs', 'web', '-p', ...n.flags], n.ctx);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(
      'previous terminated container "nginx" in pod "web" in namespace "default" not found',
    );
  });

  it('takes a container ID or a unique prefix; an ambiguous prefix lists the candidates', async () => {
    const n = await node();
    expect(await cli(['logs', 'aaaa', ...n.flags], n.ctx)).toMatchObject({
      code: 0,
      stdout: 'web/nginx attempt 0\n',
    });
    expect(await cli(['logs', 'bbbb2222', '-p', ...n.flags], n.ctx)).toMatchObject({
      code: 0,
      stdout: 'api/app attempt 0\n',
    });
    const amb = await cli(['logs', 'bbbb', ...n.flags], n.ctx);
    expect(amb.code).toBe(1);
    expect(amb.stderr).toContain('"bbbb" is a prefix of 2 container IDs (bbbb1111, bbbb2222)');
  });

  it('exits 1 naming an unknown pod, container or namespace, and lists the choices', async () => {
    const n = await node();
    const cases: [string[], string][] = [
      [['nope'], 'no pod "nope" in namespace "default" and no container whose ID starts with "nope"'],
      [['api'], 'no pod "api" in namespace "default"; a pod "api" exists in namespace shop: pass -n'],
      [
        ['api', '-n', 'shop'],
        'pod "api" in namespace "shop" has 2 containers, choose one with -c: app, sidecar',
      ],
      [
        ['api', '-n', 'shop', '-c', 'db'],
        'container "db" is not in pod "api" in namespace "shop"; its containers: app, sidecar',
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cli(['logs', ...args, ...n.flags], n.ctx);
      expect({ code: r.code, stdout: r.stdout }, args.join(' ')).toEqual({ code: 1, stdout: '' });
      expect(r.stderr).toContain(message);
    }
  });

  it('refuses a log the runtime places outside the log roots', async () => {
    const n = await node();
    const outside = path.join(n.dir, 'elsewhere.log');
    await fsp.writeFile(outside, line('secret'));
    n.runtime.add('eeee', outside, 'running', {
      metadata: { name: 'x', attempt: 0, podName: 'evil', podNamespace: 'default' },
    });
    const r = await cli(['logs', 'evil', ...n.flags], n.ctx);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toContain(`at "${outside}", outside the log roots`);
  });

  it('falls back to the kubelet directory layout when the runtime is unreachable, and says so', async () => {
    const n = await node();
    const r = await cli(['logs', 'api', '-n', 'shop', '-c', 'sidecar', ...n.flags], n.down);
    expect(r).toMatchObject({ code: 0, stdout: 'api/sidecar attempt 1\n' });
    expect(r.stderr).toMatch(
      /warning: the runtime could not be asked \(.*is down\); found shop\/api in the log directories/,
    );
    const prev = await cli(['logs', 'api', '-n', 'shop', '-c', 'sidecar', '-p', ...n.flags], n.down);
    expect(prev).toMatchObject({ code: 0, stdout: 'api/sidecar attempt 0\n' });
    const id = await cli(['logs', 'aaaa', ...n.flags], n.down);
    expect(id.code).toBe(1);
    expect(id.stderr).toMatch(
      /no pod "aaaa".*the runtime could not be asked.*container IDs cannot be resolved either/,
    );
  });

  it('reads the runtime endpoint and log roots from --config, as the daemon does', async () => {
    const n = await node();
    const config = path.join(n.dir, 'crilog.yaml');
    await fsp.writeFile(config, `runtimeEndpoint: unix:///x.sock\nlogRoots: [${n.root}]\n`);
    expect(await cli(['logs', 'web', '--config', config], n.ctx)).toMatchObject({
      code: 0,
      stdout: 'web/nginx attempt 0\n',
    });
    // The same file as the default one (/etc/crilog/config.yaml in the DaemonSet pod).
    expect(await cli(['logs', 'web'], { ...n.ctx, defaultConfigFile: config } as object)).toMatchObject({
      code: 0,
    });
    const without = await cli(['logs', 'web'], n.ctx);
    expect(without.code).toBe(1); // /var/log/pods is not where this runtime logs
  });

  it('--since-time and -t, and flag combinations that make no sense are usage errors', async () => {
    const n = await node();
    const r = await cli(['logs', 'web', '-t', '--since-time', '2026-12-06T00:00:00Z', ...n.flags], n.ctx);
    expect(r).toMatchObject({ code: 0, stdout: '2026-12-06T00:00:00.000000000Z web/nginx attempt 0\n' });
    const later = await cli(['logs', 'web', '--since-time', '2026-12-07T00:00:00Z', ...n.flags], n.ctx);
    expect(later).toMatchObject({ code: 0, stdout: '' });
    for (const [args, message] of [
      [
        ['web', '--since', '1h', '--since-time', '2026-12-06T00:00:00Z'],
        '--since: cannot go with --since-time; pass one of them',
      ],
      [['web', '-c', 'a', '--all-containers'], '--all-containers: cannot go with -c/--container'],
      [['--path', '/x.log', '-p'], '-p/--previous: selects within a pod and cannot go with --path'],
    ] as const) {
      const u = await cli(['logs', ...args, ...n.flags], n.ctx);
      expect(u.code).toBe(2);
      expect(u.stderr).toContain(message);
    }
  });
});
