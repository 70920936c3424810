import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, type TestContext } from 'vitest';

/**
 * Access to a real containerd for end-to-end tests, through `scripts/containerd.sh`.
 *
 * - `CRILOG_CONTAINERD_SOCKET` set (CI runs `eval "$(bash scripts/containerd.sh up --env)"`): that
 *   containerd is shared by every test file and never torn down here.
 * - Otherwise each suite starts a private one in a fresh temp folder and tears it down afterwards.
 * - Outside CI, a machine that cannot run containerd (not root, packages missing and not
 *   installable) skips the suites with a warning saying how to run them; with `CI` set, that is a
 *   failure.
 */

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The harness script. */
export const CONTAINERD_SCRIPT = path.join(REPO, 'scripts/containerd.sh');

/** How to run the suite, for skip messages. */
export const HOW_TO_RUN_E2E =
  'run the tests as root on Debian/Ubuntu (the harness installs containerd, runc and busybox-static), ' +
  'or start a harness with `sudo bash scripts/containerd.sh up` and set CRILOG_CONTAINERD_SOCKET to the path it prints';

/** The script's exit code for "cannot run on this machine". */
const EXIT_CANNOT_RUN = 3;

/** A running containerd with the e2e images imported. */
export interface ContainerdHarness {
  /** Absolute path of the CRI socket. */
  socketPath: string;
  /** `unix://` endpoint, as given to crilog. */
  endpoint: string;
  /** The harness folder; unknown for a containerd the script did not start. */
  dir: string | undefined;
  /** True when this process started it (and `down()` stops it). */
  owned: boolean;
  /** cgroupfs parent for sandboxes, unique per harness so teardown finds them. */
  cgroupParent: string;
  pauseImage: string;
  busyboxImage: string;
  /** Start-to-ready time measured by the script, when known. */
  readyMs: number | undefined;
  /** Stops containerd only; containers keep running (a runtime outage). Needs `dir`. */
  stopDaemon(): Promise<void>;
  /** Starts containerd again on the same state; resolves when its CRI plugin is up. Needs `dir`. */
  startDaemon(): Promise<void>;
  /** Tears down an owned harness; does nothing for a shared one. */
  down(): Promise<void>;
}

/** The harness could not be started for a reason that is the machine's, not the code's. */
export class HarnessUnavailableError extends Error {}

interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runScript(args: string[], env: NodeJS.ProcessEnv): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [CONTAINERD_SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

async function scriptOrThrow(what: string, args: string[], env: NodeJS.ProcessEnv): Promise<ScriptResult> {
  const res = await runScript(args, env);
  if (res.code !== 0) {
    const tail = res.stderr.trim().split('\n').slice(-15).join('\n');
    const msg = `scripts/containerd.sh ${args.join(' ')} (${what}) exited with ${res.code}:\n${tail}`;
    throw res.code === EXIT_CANNOT_RUN ? new HarnessUnavailableError(msg) : new Error(msg);
  }
  return res;
}

function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

function harnessFor(socketPath: string, dir: string | undefined, owned: boolean): ContainerdHarness {
  // The script's layout is <dir>/run/containerd.sock; a foreign containerd has no harness.env.
  const guessed = dir ?? path.dirname(path.dirname(socketPath));
  const vars = readEnvFile(path.join(guessed, 'harness.env'));
  const knownDir = dir ?? (vars.CRILOG_CONTAINERD_DIR ? guessed : undefined);
  let readyMs: number | undefined;
  try {
    readyMs = (JSON.parse(readFileSync(path.join(guessed, 'timings.json'), 'utf8')) as { readyMs: number })
      .readyMs;
  } catch {
    readyMs = undefined;
  }
  const env = { ...process.env, CRILOG_CONTAINERD_DIR: knownDir ?? '' };
  const needDir = (op: string): void => {
    if (!knownDir)
      throw new Error(`cannot ${op}: containerd at "${socketPath}" was not started by scripts/containerd.sh`);
  };
  let downed = false;
  return {
    socketPath,
    endpoint: `unix://${socketPath}`,
    dir: knownDir,
    owned,
    cgroupParent:
      vars.CRILOG_CONTAINERD_CGROUP_PARENT ?? process.env.CRILOG_CONTAINERD_CGROUP_PARENT ?? '/crilog-e2e',
    pauseImage: vars.CRILOG_PAUSE_IMAGE ?? process.env.CRILOG_PAUSE_IMAGE ?? 'localhost/crilog-pause:e2e',
    busyboxImage:
      vars.CRILOG_BUSYBOX_IMAGE ?? process.env.CRILOG_BUSYBOX_IMAGE ?? 'localhost/crilog-busybox:e2e',
    readyMs,
    async stopDaemon() {
      needDir('stop containerd');
      await scriptOrThrow('stop containerd', ['stop-daemon'], env);
    },
    async startDaemon() {
      needDir('start containerd');
      await scriptOrThrow('start containerd', ['start-daemon'], env);
    },
    async down() {
      if (!owned || downed) return;
      downed = true;
      await scriptOrThrow('teardown', ['down'], env);
      await fsp.rm(knownDir!, { recursive: true, force: true });
    },
  };
}

/**
 * Why the e2e suites cannot run here, or `undefined` when they can (or must: CI). Cheap and
 * synchronous, for `describe.skipIf` at collection time.
 */
export function e2eSkipReason(): string | undefined {
  if (process.env.CRILOG_CONTAINERD_SOCKET) return undefined;
  if (process.env.CI) return undefined;
  if (process.platform !== 'linux') return `they need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'not running as root, which a private containerd needs';
  const have = (cmd: string) =>
    spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
  if (!(have('containerd') && have('runc')) && !have('apt-get')) {
    return 'containerd/runc are not installed and there is no apt-get to install them';
  }
  return undefined;
}

/**
 * Starts (or, with `shared` and `CRILOG_CONTAINERD_SOCKET` set, attaches to) a containerd.
 * `shared: false` always starts a private one: needed by tests that stop or restart it.
 */
export async function startContainerd(opts: { shared?: boolean } = {}): Promise<ContainerdHarness> {
  const shared = process.env.CRILOG_CONTAINERD_SOCKET;
  if ((opts.shared ?? true) && shared) return harnessFor(shared, undefined, false);
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'crilog-ctrd-'));
  const env = { ...process.env, CRILOG_CONTAINERD_DIR: dir };
  try {
    const res = await scriptOrThrow('start', ['up'], env);
    const socketPath = res.stdout.trim().split('\n').pop()!;
    return harnessFor(socketPath, dir, true);
  } catch (err) {
    await fsp.rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** What a suite gets from `useContainerd`. */
export interface SuiteHarness {
  /** The harness, or `ctx.skip()` with the reason when it could not start here (outside CI). */
  get(ctx: TestContext): ContainerdHarness;
}

/**
 * Registers `beforeAll`/`afterAll` that start and tear down a harness for the current suite. Call it
 * inside a `describe.skipIf(e2eSkipReason())` block.
 */
export function useContainerd(opts: { shared?: boolean } = {}): SuiteHarness {
  let harness: ContainerdHarness | undefined;
  let unavailable: string | undefined;
  beforeAll(async () => {
    try {
      harness = await startContainerd(opts);
    } catch (err) {
      if (err instanceof HarnessUnavailableError && !process.env.CI) {
        unavailable = `${err.message}\nskipping: ${HOW_TO_RUN_E2E}`;
        console.warn(`[e2e] ${unavailable}`);
        return;
      }
      throw err;
    }
  }, 180_000);
  afterAll(async () => {
    await harness?.down();
  }, 60_000);
  return {
    get(ctx) {
      if (harness) return harness;
      ctx.skip(unavailable ?? 'containerd harness did not start');
      throw new Error('unreachable');
    },
  };
}

/** Logs why e2e suites are skipped (once per file) and returns the reason, for `describe.skipIf`. */
export function skipE2eUnlessContainerd(): string | undefined {
  const reason = e2eSkipReason();
  if (reason)
    console.warn(`[e2e] skipping containerd end-to-end tests: ${reason}; to run them: ${HOW_TO_RUN_E2E}`);
  return reason;
}
