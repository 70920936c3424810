import { execFile, spawnSync } from 'node:child_process';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without type declarations
import { parseDockerfile, runtimeSettings } from '../../scripts/images/dockerfile-settings.mjs';
import { e2eSkipReason } from '../helpers/containerd.js';
import { buildImage, type BuiltImage } from '../helpers/image.js';
import { REPO_ROOT, readRepoFile } from './deploy-files.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- image JSON */

const run = promisify(execFile);
const PREFIX = '/opt/crilog';
const PACKAGE_MANAGERS = ['npm', 'npx', 'corepack', 'yarn', 'yarnpkg', 'pnpm'];

interface Settings {
  user: string;
  env: [string, string][];
  entrypoint: string[];
  cmd: string[];
  labels: [string, string][];
  workdir: string | null;
}
const stages = parseDockerfile(readRepoFile('deploy/Dockerfile')) as {
  instructions: { keyword: string; args: string }[];
}[];
const settings = runtimeSettings(stages) as Settings;

/** The flags of every `npm <verb>` in the Dockerfile's RUN lines, and in image.sh. */
function npmCalls(text: string, verb: string): string[][] {
  const calls: string[][] = [];
  text = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n');
  const re = new RegExp(`\\bnpm ${verb}\\b([^&\\n]*)`, 'g');
  for (const m of text.matchAll(re)) calls.push(m[1]!.split(/\s+/).filter((w) => w.startsWith('--')));
  return calls;
}

describe('deploy/Dockerfile and scripts/image.sh build the same image', () => {
  const dockerRuns = stages
    .flatMap((s) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args))
    .join('\n');
  const script = readRepoFile('scripts/image.sh');

  it('reads the runtime stage the way image.sh writes the image config', () => {
    expect(settings.entrypoint).toEqual(['node', `${PREFIX}/lib/node_modules/crilog/dist/cli/main.js`]);
    expect(settings.cmd).toEqual(['daemon', '--config', '/etc/crilog/config.yaml']);
    expect(settings.user).toBe('1000:1000');
    expect(Object.fromEntries(settings.env)).toMatchObject({ NODE_ENV: 'production' });
    expect(Object.fromEntries(settings.env).PATH).toMatch(new RegExp(`^${PREFIX}/bin:`));
  });

  it('tunes Node and malloc the same way as the host install (systemd unit): a small young generation, two arenas', () => {
    const env = Object.fromEntries(settings.env);
    expect(env.NODE_OPTIONS).toBe('--max-semi-space-size=1');
    expect(env.MALLOC_ARENA_MAX).toBe('2');
    const unit = readRepoFile('deploy/systemd/crilog.service');
    for (const name of ['NODE_OPTIONS', 'MALLOC_ARENA_MAX']) {
      const set = [...unit.matchAll(new RegExp(`^Environment=${name}=(.*)$`, 'gm'))].map((m) => m[1]);
      expect(set).toEqual([env[name]]);
    }
  });

  it('runs npm pack and the production install with the same flags', () => {
    expect(npmCalls(dockerRuns, 'pack')).toHaveLength(1);
    expect(npmCalls(script, 'pack')).toHaveLength(1);
    const dockerInstall = npmCalls(dockerRuns, 'install');
    const scriptInstall = npmCalls(script, 'install');
    expect(dockerInstall).toHaveLength(1);
    expect(scriptInstall).toHaveLength(1);
    // image.sh adds only where node-gyp finds the headers (the node image ships them under /usr/local).
    expect(scriptInstall[0]!.filter((f) => f !== '--nodedir=/usr').sort()).toEqual(dockerInstall[0]!.sort());
    expect(dockerRuns).toContain(`--prefix ${PREFIX}`);
    expect(script).toMatch(/^PREFIX=\/opt\/crilog$/m);
    for (const pm of PACKAGE_MANAGERS.slice(0, 4)) expect(dockerRuns).toContain(`/usr/local/bin/${pm}`);
  });
});

/**
 * The built image itself (needs root or CI: image.sh installs umoci). Its config must be the
 * Dockerfile's; under the prefix it must hold exactly the packed package and its production
 * dependencies, with the native addon built; no package manager anywhere.
 */
describe.skipIf(e2eSkipReason())('the image scripts/image.sh builds', () => {
  let image: BuiltImage;
  let dir: string;
  let config: any;
  let rootfs: string;
  beforeAll(async () => {
    image = await buildImage();
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'crilog-image-test-'));
    const layout = path.join(dir, 'layout');
    rootfs = path.join(dir, 'rootfs');
    await fsp.mkdir(layout);
    await fsp.mkdir(rootfs);
    await run('tar', ['-xf', image.archive, '-C', layout]);
    const blob = (d: string) => path.join(layout, 'blobs', ...d.split(':'));
    const index = JSON.parse(await fsp.readFile(path.join(layout, 'index.json'), 'utf8'));
    expect(index.manifests).toHaveLength(1);
    const manifest = JSON.parse(await fsp.readFile(blob(index.manifests[0].digest), 'utf8'));
    config = JSON.parse(await fsp.readFile(blob(manifest.config.digest), 'utf8'));
    for (const layer of manifest.layers) await run('tar', ['-xzf', blob(layer.digest), '-C', rootfs]);
  }, 900_000);
  afterAll(async () => {
    if (dir) await fsp.rm(dir, { recursive: true, force: true });
  });

  it('has the Dockerfile entrypoint, cmd, user, environment and labels', () => {
    expect(config.config.Entrypoint).toEqual(settings.entrypoint);
    expect(config.config.Cmd).toEqual(settings.cmd);
    expect(config.config.User).toBe(settings.user);
    expect(config.config.Env).toEqual(settings.env.map(([k, v]) => `${k}=${v}`));
    expect(config.config.Labels).toEqual(Object.fromEntries(settings.labels));
    expect(config.os).toBe('linux');
  });

  it('holds under the prefix exactly the packed package and its production dependencies', async () => {
    const pkgDir = path.join(rootfs, PREFIX, 'lib/node_modules/crilog');
    expect((await fsp.readdir(path.join(rootfs, PREFIX))).sort()).toEqual(['bin', 'lib']);
    expect(await fsp.readdir(path.join(rootfs, PREFIX, 'bin'))).toEqual(['crilog']);
    expect(await fsp.readlink(path.join(rootfs, PREFIX, 'bin/crilog'))).toBe(
      '../lib/node_modules/crilog/dist/cli/main.js',
    );

    // The package's own files: what `npm pack` put in the tarball, nothing added or lost.
    const { stdout } = await run('tar', ['-tzf', image.archive.replace(/\.oci\.tar$/, '.tgz')]);
    const packed = stdout
      .split('\n')
      .filter((l) => l && !l.endsWith('/'))
      .map((l) => l.replace(/^package\//, ''))
      .sort();
    // ...plus the libdeflate binding the install hook built, pruned to the addon alone.
    const binding = 'native/libdeflate/build/Release/crilog_deflate.node';
    const installed = (await walk(pkgDir)).filter((f) => !f.startsWith('node_modules/')).sort();
    expect(installed).toEqual([...packed, binding].sort());
    // ...which are the compiled sources (package.json "files": dist, proto, README.md, the binding's sources).
    const sources = (await walk(path.join(REPO_ROOT, 'src'))).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'),
    );
    const expected = [
      'README.md',
      'package.json',
      'native/libdeflate/binding.gyp',
      'native/libdeflate/build.mjs',
      'native/libdeflate/deflate.c',
      ...(await walk(path.join(REPO_ROOT, 'proto'))).map((f) => `proto/${f}`),
      ...sources.flatMap((f) => {
        const base = `dist/${f.replace(/\.ts$/, '')}`;
        return [`${base}.js`, `${base}.js.map`, `${base}.d.ts`];
      }),
    ].sort();
    expect(packed).toEqual(expected);

    // Dependencies: every production one, no development one, and the zstd binding built.
    const pkg = JSON.parse(readRepoFile('package.json'));
    const deps = new Set(await packageNames(path.join(pkgDir, 'node_modules')));
    for (const name of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.optionalDependencies)])
      expect(deps.has(name), name).toBe(true);
    // Development-only packages (per the lock file; @types/node, say, is also a dependency of protobufjs).
    const lock = JSON.parse(readRepoFile('package-lock.json'));
    const prodNames = new Set(
      Object.entries(lock.packages as Record<string, { dev?: boolean }>)
        .filter(([k, v]) => k && !v.dev)
        .map(([k]) => k.split('node_modules/').pop()!),
    );
    const devOnly = Object.keys(pkg.devDependencies).filter((n) => !prodNames.has(n));
    expect(devOnly.length).toBeGreaterThan(5);
    for (const name of devOnly) expect(deps.has(name), name).toBe(false);
    expect(existsSync(path.join(pkgDir, 'node_modules/zstd-napi/build/Release/binding.node'))).toBe(true);
  });

  it('has no package manager, and nothing the image does not need', async () => {
    const all = await walk(rootfs);
    for (const pm of PACKAGE_MANAGERS) {
      expect(all.filter((f) => path.basename(f) === pm && !f.startsWith(PREFIX.slice(1)))).toEqual([]);
      expect(all.some((f) => f.startsWith(`usr/local/lib/node_modules/${pm}/`))).toBe(false);
    }
    const outside = all.filter((f) => !f.startsWith('opt/crilog/'));
    expect(outside.filter((f) => !/^(lib|lib64)\//.test(f)).sort()).toEqual([
      'etc/group',
      'etc/hosts',
      'etc/passwd',
      'usr/bin/env',
      'usr/local/bin/node',
      'usr/share/doc/crilog-image/debian-packages.txt',
      'usr/share/doc/crilog-image/nodejs.copyright',
    ]);
    const packages = readFileSync(
      path.join(rootfs, 'usr/share/doc/crilog-image/debian-packages.txt'),
      'utf8',
    );
    expect(packages).toMatch(/^libc6 /m);
    expect(packages).toMatch(/^nodejs 20\./m);
    // The libdeflate binding's shared library came along (ldd of every addon).
    expect(packages).toMatch(/^libdeflate0 /m);
  });

  it.runIf(process.getuid?.() === 0)(
    "loads the libdeflate binding with the image's own libraries (chroot)",
    async () => {
      const addon = `${PREFIX}/lib/node_modules/crilog/native/libdeflate/build/Release/crilog_deflate.node`;
      const { stdout } = await run('chroot', [
        rootfs,
        '/usr/local/bin/node',
        '-e',
        `process.stdout.write(String(require(${JSON.stringify(addon)}).libdeflateVersion))`,
      ]);
      expect(stdout).toMatch(/^1\./);
    },
    60_000,
  );

  it('is smaller than an image based on node:20-slim (`bash scripts/image.sh compare`)', async () => {
    const { stdout } = await run('bash', [path.join(REPO_ROOT, 'scripts/image.sh'), 'compare']);
    const report = JSON.parse(stdout);
    console.info(`[image] ${stdout}`);
    const mb = (s: string) => Number(s.replace(/ MB$/, ''));
    expect(mb(report.image.unpacked)).toBeCloseTo(image.uncompressedBytes / 1e6, 0);
    // Debian's base plus Node.js alone are more than 150 MB; crilog's image stays well below.
    expect(mb(report.nodeSlimEstimate.unpacked)).toBeGreaterThan(150);
    expect(mb(report.image.unpacked)).toBeLessThan(mb(report.nodeSlimEstimate.unpacked) * 0.8);
    expect(mb(report.dockerfileImageAtLeast)).toBeGreaterThan(mb(report.nodeSlimEstimate.unpacked));
  }, 120_000);

  it.skipIf(!hasPodman())(
    'is accepted by `podman load`, named and configured as built',
    async () => {
      const store = await fsp.mkdtemp(path.join(os.tmpdir(), 'crilog-podman-'));
      // A throwaway store, so the machine's podman images are not touched.
      const podman = (...args: string[]) =>
        run(
          'podman',
          [
            '--root',
            path.join(store, 'root'),
            '--runroot',
            path.join(store, 'run'),
            '--storage-driver',
            'vfs',
            '--events-backend',
            'file',
            ...args,
          ],
          { maxBuffer: 16 * 1024 * 1024 },
        );
      try {
        const { stdout } = await podman('load', '-i', image.archive);
        expect(stdout).toContain(`Loaded image: ${image.ref}`);
        const inspected = JSON.parse((await podman('image', 'inspect', image.ref)).stdout)[0];
        expect(inspected.Config.Entrypoint).toEqual(settings.entrypoint);
        expect(inspected.Config.User).toBe(settings.user);
      } finally {
        await fsp.rm(store, { recursive: true, force: true });
      }
    },
    120_000,
  );
});

/** podman is there (CI installs it); elsewhere the case is skipped with a note. */
function hasPodman(): boolean {
  const found = spawnSync('sh', ['-c', 'command -v podman'], { stdio: 'ignore' }).status === 0;
  if (!found && !e2eSkipReason())
    console.warn(
      '[image] podman is not installed: skipping the `podman load` check (apt-get install podman)',
    );
  return found || Boolean(process.env.CI);
}

/** Files (not directories) below `dir`, as relative paths; symlinks count as files. */
async function walk(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, p)));
    else out.push(p);
  }
  return out;
}

/** Package names installed below a node_modules folder, nested ones included. */
async function packageNames(nodeModules: string): Promise<string[]> {
  const names: string[] = [];
  if (!existsSync(nodeModules)) return names;
  for (const e of await fsp.readdir(nodeModules)) {
    if (e.startsWith('.')) continue;
    const dirs = e.startsWith('@')
      ? (await fsp.readdir(path.join(nodeModules, e))).map((s) => `${e}/${s}`)
      : [e];
    for (const d of dirs) {
      names.push(d);
      names.push(...(await packageNames(path.join(nodeModules, d, 'node_modules'))));
    }
  }
  return names;
}
