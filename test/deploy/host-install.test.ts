// The pieces for running crilog outside the manifests: image, systemd unit, sample config.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configProblems, DAEMON_DEFAULTS } from './crilog-config.js';
import { loadManifests, readRepoFile, REPO_ROOT } from './deploy-files.js';
import { locate } from './deployment-checks.js';

const run = promisify(execFile);

/** Dockerfile instructions with line continuations joined: [INSTRUCTION, rest]. */
function dockerInstructions(text: string): Array<[string, string]> {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op = '', ...rest] = l.split(/\s+/);
      return [op.toUpperCase(), rest.join(' ')];
    });
}

describe('deploy/Dockerfile', () => {
  const steps = dockerInstructions(readRepoFile('deploy/Dockerfile'));
  const ops = (op: string): string[] => steps.filter(([o]) => o === op).map(([, rest]) => rest);
  const pkg = JSON.parse(readRepoFile('package.json')) as {
    bin: Record<string, string>;
    engines: { node: string };
  };

  it('builds on node:20-slim in a build stage and copies only the installed package into the runtime stage', () => {
    expect(ops('ARG')).toContain('NODE_IMAGE=node:20-slim');
    expect(ops('FROM')).toEqual(['${NODE_IMAGE} AS build', '${NODE_IMAGE} AS runtime']);
    expect(Number(/(\d+)/.exec(pkg.engines.node)?.[1])).toBeLessThanOrEqual(20);
    expect(ops('COPY').filter((c) => c.startsWith('--from='))).toEqual([
      '--from=build /opt/crilog /opt/crilog',
    ]);
    for (const source of ['package.json', 'package-lock.json'])
      expect(existsSync(path.join(REPO_ROOT, source))).toBe(true);
  });

  it('runs the package bin as a non-root user by default, without HEALTHCHECK', () => {
    const users = ops('USER');
    expect(users.at(-1)).toMatch(/^[1-9]\d*(:\d+)?$/);
    expect(ops('HEALTHCHECK')).toEqual([]);
    const entrypoint = JSON.parse(ops('ENTRYPOINT').at(-1)!) as string[];
    const bin = pkg.bin['crilog']!.replace(/^\.\//, '');
    expect(entrypoint).toEqual(['node', `/opt/crilog/lib/node_modules/crilog/${bin}`]);
  });

  it('starts the daemon with the config path the DaemonSet mounts', () => {
    const cmd = JSON.parse(ops('CMD').at(-1)!) as string[];
    expect(cmd).toEqual(locate(loadManifests()).container.args);
  });

  it('has a .dockerignore that keeps dependencies, build output and git data out of the context', () => {
    const ignored = readRepoFile('deploy/Dockerfile.dockerignore')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['.git', 'node_modules', 'dist']));
  });
});

/** systemd unit as key -> values (a key may repeat). */
function unitSettings(text: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m) settings.set(m[1]!, [...(settings.get(m[1]!) ?? []), m[2]!]);
  }
  return settings;
}

describe('deploy/systemd/crilog.service', () => {
  const unitText = readRepoFile('deploy/systemd/crilog.service');
  const unit = unitSettings(unitText);
  const one = (key: string): string | undefined => unit.get(key)?.at(-1);
  const hasAnalyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].some((p) => existsSync(p));
  let dir: string;
  let unitPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'crilog-unit-'));
    unitPath = path.join(dir, 'crilog.service');
    // verify checks that ExecStart exists; crilog is not installed on the test machine.
    await writeFile(unitPath, unitText.replace(/^ExecStart=\S+/m, 'ExecStart=/bin/true'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs the daemon with its config file and a lock file in its runtime directory', () => {
    const exec = one('ExecStart')!.split(/\s+/);
    expect(exec.slice(0, 2)).toEqual(['/usr/local/bin/crilog', 'daemon']);
    expect(exec.slice(2)).toEqual([
      '--config',
      '/etc/crilog/config.yaml',
      '--lock-file',
      '/run/crilog/crilog.lock',
    ]);
    expect(one('RuntimeDirectory')).toBe('crilog');
    expect(one('RestartPreventExitStatus')).toBe('2');
  });

  it('is hardened: read-only system but the log roots, bounded capabilities, no new privileges', () => {
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('PrivateTmp')).toBe('yes');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('CapabilityBoundingSet')!.split(/\s+/).sort()).toEqual([
      'CAP_CHOWN',
      'CAP_DAC_OVERRIDE',
      'CAP_FOWNER',
    ]);
    const example = parse(readRepoFile('deploy/config.example.yaml')) as { logRoots: string[] };
    expect(one('ReadWritePaths')!.split(/\s+/)).toEqual(example.logRoots);
    // V8 needs writable+executable pages for its JIT.
    expect(unit.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it.skipIf(!hasAnalyze)('passes systemd-analyze verify without warnings', async () => {
    const { stdout, stderr } = await run('systemd-analyze', ['verify', unitPath]);
    expect(stdout + stderr).toBe('');
  });

  it.skipIf(!hasAnalyze)('has an exposure score of at most 3 in systemd-analyze security', async () => {
    const { stdout } = await run('systemd-analyze', ['security', '--offline=yes', '--no-pager', unitPath]);
    const score = Number(/Overall exposure level for crilog\.service: ([\d.]+)/.exec(stdout)?.[1]);
    expect(score).toBeLessThanOrEqual(3);
  });
});

describe('deploy/config.example.yaml', () => {
  const text = readRepoFile('deploy/config.example.yaml');
  const config = parse(text, { uniqueKeys: true }) as Record<string, unknown>;

  it('has only known keys with valid values', () => {
    expect(configProblems(config, 'config.example.yaml')).toEqual([]);
  });

  it('shows the daemon defaults it claims to show', () => {
    expect(config).toMatchObject(DAEMON_DEFAULTS);
  });
});
