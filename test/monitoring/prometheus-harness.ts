import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, promises as fsp } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The install script CI runs (`.ci/run`) and the tests fall back to as root. */
export const PROMETHEUS_SCRIPT = path.join(REPO, 'scripts/prometheus.sh');

/** Debian's `prometheus` package: the server and `promtool`. */
export interface PrometheusTools {
  prometheus: string;
  promtool: string;
}

function which(name: string, env: string | undefined): string | undefined {
  if (env && existsSync(env)) return env;
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/sbin', '/usr/local/bin'])) {
    const p = path.join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

function find(): PrometheusTools | undefined {
  const prometheus = which('prometheus', process.env.CRILOG_PROMETHEUS);
  const promtool = which('promtool', process.env.CRILOG_PROMTOOL);
  return prometheus && promtool ? { prometheus, promtool } : undefined;
}

let cached: PrometheusTools | string | undefined;

/**
 * The Prometheus binaries, installed through `scripts/prometheus.sh` when missing and this is root
 * (synchronous: it decides `describe.skipIf` at collection time). Returns the reason to skip when they
 * cannot be had here; with `CI` set that is an error instead, because CI installs them first.
 */
export function prometheusTools(): PrometheusTools | string {
  if (cached !== undefined) return cached;
  let tools = find();
  let why = 'prometheus/promtool not found';
  if (!tools && process.getuid?.() === 0) {
    const res = spawnSync('bash', [PROMETHEUS_SCRIPT, 'install'], { encoding: 'utf8', timeout: 600_000 });
    tools = find();
    if (!tools)
      why = `scripts/prometheus.sh install failed: ${res.stderr.trim().split('\n').slice(-3).join(' / ')}`;
  }
  if (tools) return (cached = tools);
  const reason = `${why}; run \`sudo bash scripts/prometheus.sh install\` (Debian's prometheus package) to run these tests`;
  if (process.env.CI) throw new Error(`Prometheus tests must run in CI: ${reason}`);
  console.warn(`skipping the Prometheus tests: ${reason}`);
  return (cached = reason);
}

/** Runs a tool with `input` on stdin; resolves with its exit code and output. */
export async function run(
  cmd: string,
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  child.stdin.end(input ?? '');
  const [code] = (await once(child, 'close')) as [number | null];
  return { code: code ?? 1, stdout, stderr };
}

/** A port that was free a moment ago (Prometheus cannot report the port it got for `:0`). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** One answer of Prometheus's HTTP API. */
export interface ApiAnswer<T = unknown> {
  status: 'success' | 'error';
  data: T;
  error?: string;
  errorType?: string;
}

/** A Prometheus server on loopback with temporary storage. */
export class PrometheusServer {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly output: () => string,
  ) {}

  /**
   * Starts `prometheus` with `config` (YAML text) in `dir`, on a loopback port; resolves once it is
   * ready. A port taken between choosing and binding it is retried with another.
   */
  static async start(tools: PrometheusTools, dir: string, config: string): Promise<PrometheusServer> {
    const file = path.join(dir, 'prometheus.yml');
    await fsp.writeFile(file, config);
    let last = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const storage = await fsp.mkdtemp(path.join(dir, 'tsdb-'));
      const child = spawn(
        tools.prometheus,
        [
          `--config.file=${file}`,
          `--storage.tsdb.path=${storage}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--storage.tsdb.retention.time=1h',
          '--log.level=warn',
        ],
        { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout!.setEncoding('utf8').on('data', (s: string) => (output += s));
      child.stderr!.setEncoding('utf8').on('data', (s: string) => (output += s));
      const server = new PrometheusServer(`http://127.0.0.1:${port}`, child, () => output);
      const deadline = Date.now() + 60_000;
      while (child.exitCode === null && Date.now() < deadline) {
        const ok = await fetch(`${server.url}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return server;
        await new Promise((r) => setTimeout(r, 200));
      }
      await server.stop();
      last = output;
      if (!/address already in use/.test(output)) break;
    }
    throw new Error(`prometheus did not become ready; its output:\n${last.slice(-3000)}`);
  }

  /** GET /api/v1/<what> with query parameters. */
  async api<T>(what: string, params: Record<string, string> = {}): Promise<ApiAnswer<T>> {
    const res = await fetch(`${this.url}/api/v1/${what}?${new URLSearchParams(params)}`);
    return (await res.json()) as ApiAnswer<T>;
  }

  /** An instant query; throws with Prometheus's error when it does not parse or evaluate. */
  async query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const answer = await this.api<{ resultType: string; result: unknown }>('query', { query: expr });
    if (answer.status !== 'success')
      throw new Error(`query failed (${answer.errorType}): ${answer.error}\n  ${expr}`);
    const { resultType, result } = answer.data;
    if (resultType === 'scalar') return [{ metric: {}, value: result as [number, string] }];
    return result as { metric: Record<string, string>; value: [number, string] }[];
  }

  /** Polls `check` until it returns a value other than undefined; throws with `what` at the deadline. */
  async waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** What the server printed (for failure messages). */
  get log(): string {
    return this.output();
  }

  /** SIGTERM, then SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
