/**
 * The three ways of doing one steady-state rotation pass over a workload copy, each run as a child
 * process under `measure()`: crilog (the library, one pass), logrotate (Debian's, one file at a time) and
 * plain single-core gzip over the same raw rotated files (the floor any gzip-based tool pays).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { measure } from '../lib/measure.mjs';

const PASS_SCRIPT = fileURLToPath(new URL('./crilog-pass.mjs', import.meta.url));

/**
 * logrotate configured as close to crilog as it goes: rotate past 10 MiB, keep 4 rotations (maxFiles 5
 * counts the live log), name rotations like crilog does, and compress the previous rotation at the same
 * gzip level. `create` stands in for the runtime's reopen.
 * @param {string} root workload copy
 * @param {number} level gzip level
 */
export function logrotateConfig(root, level) {
  return `${path.join(root, 'pods', '*', '*', '0.log')} {
    size 10M
    rotate 4
    missingok
    notifempty
    nomail
    create
    compress
    delaycompress
    compresscmd /bin/gzip
    compressoptions -${level}
    compressext .gz
    dateext
    dateformat .%Y%m%d-%H%M%S
}
`;
}

/**
 * @typedef {object} ContenderRun
 * @property {import('../lib/measure.mjs').Measurement} m
 * @property {object} [detail] what the contender reported about itself
 */

/**
 * @typedef {object} Contender
 * @property {string} name
 * @property {string} label for tables and the chart
 * @property {(root: string, manifest: import('../workload/generate.mjs').Manifest, scratch: string) => Promise<ContenderRun>} run
 */

/**
 * @param {{ workers: number, level: number, env?: NodeJS.ProcessEnv, name?: string, label?: string }} options
 *   `env.CRILOG_BENCH_DIST` measures another build of crilog (see crilog-pass.mjs).
 * @returns {Contender}
 */
export function crilog({ workers, level, env, name, label }) {
  return {
    name: name ?? (workers === 1 ? 'crilog-1worker' : 'crilog'),
    label: label ?? `crilog (${workers} worker${workers === 1 ? '' : 's'})`,
    async run(root) {
      const m = await measure(process.execPath, [PASS_SCRIPT, root, String(workers), String(level)], {
        env: { ...process.env, ...env },
      });
      const detail = JSON.parse(m.stdout.trim().split('\n').pop() ?? '{}');
      if (detail.errors?.length)
        throw new Error(`crilog reported errors: ${detail.errors.slice(0, 3).join('; ')}`);
      return { m, detail };
    },
  };
}

/**
 * @param {{ level: number }} options
 * @returns {Contender}
 */
export function logrotate({ level }) {
  return {
    name: 'logrotate',
    label: 'logrotate',
    async run(root, _manifest, scratch) {
      const conf = path.join(scratch, 'logrotate.conf');
      // logrotate (as root) refuses a config that others can write.
      await writeFile(conf, logrotateConfig(root, level), { mode: 0o644 });
      return { m: await measure('logrotate', ['-s', path.join(scratch, 'logrotate.state'), conf]) };
    },
  };
}

/**
 * @param {{ level: number }} options
 * @returns {Contender}
 */
export function gzip({ level }) {
  return {
    name: 'gzip',
    label: `gzip -${level} (1 core)`,
    async run(root, manifest) {
      return {
        m: await measure('gzip', [
          `-${level}`,
          ...manifest.containers.map((c) => path.join(root, c.rotatedPath)),
        ]),
      };
    },
  };
}
