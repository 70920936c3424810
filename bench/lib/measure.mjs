/**
 * Runs a command the same way for every contender and reports wall time, CPU time (user + sys of the
 * process and every descendant it waited for, e.g. logrotate's gzip children) and peak RSS (of the
 * largest process of the tree), as GNU time measures them via wait4().
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';

const GNU_TIME = '/usr/bin/time';

/**
 * @typedef {object} Measurement
 * @property {number} wallMs measured here, around the child's whole life (startup included)
 * @property {number} userMs
 * @property {number} sysMs
 * @property {number} cpuMs user + sys
 * @property {number | null} maxRssKiB peak resident set of the largest process; null without GNU time
 * @property {string} stdout
 * @property {string} stderr
 */

/** True when GNU time is there; without it CPU comes from /proc and peak RSS is unknown. */
export const hasGnuTime = existsSync(GNU_TIME);

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string }} [options]
 * @returns {Promise<Measurement>}
 */
export async function measure(cmd, args, options = {}) {
  if (!hasGnuTime) return measureWithProc(cmd, args, options);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crilog-bench-time-'));
  try {
    const out = path.join(dir, 'time');
    const res = await run(GNU_TIME, ['-f', '%U %S %M', '-o', out, cmd, ...args], options);
    const [user, sys, rss] = (await readFile(out, 'utf8')).trim().split('\n').pop().split(' ').map(Number);
    return { ...res, userMs: user * 1000, sysMs: sys * 1000, cpuMs: (user + sys) * 1000, maxRssKiB: rss };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function measureWithProc(cmd, args, options) {
  const before = await childTicks();
  const res = await run(cmd, args, options);
  const after = await childTicks();
  // USER_HZ is 100 on every mainstream Linux build.
  const userMs = (after.user - before.user) * 10;
  const sysMs = (after.sys - before.sys) * 10;
  return { ...res, userMs, sysMs, cpuMs: userMs + sysMs, maxRssKiB: null };
}

/** cutime and cstime of this process: CPU of the children it has reaped. */
async function childTicks() {
  const stat = await readFile('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[13]), sys: Number(fields[14]) };
}

function run(cmd, args, options) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', (err) => reject(new Error(`failed to start ${cmd}`, { cause: err })));
    child.once('close', (code, signal) => {
      const wallMs = performance.now() - started;
      if (code === 0) resolve({ wallMs, stdout, stderr });
      else
        reject(
          new Error(
            `${path.basename(cmd)} ${args.slice(0, 6).join(' ')} exited with ${code ?? signal}: ${stderr.trim().slice(-2000)}`,
          ),
        );
    });
    child.stdin.end();
  });
}
