#!/usr/bin/env node
// Reads the image settings of a Dockerfile's last stage, so that scripts/image.sh writes the image
// config from deploy/Dockerfile instead of repeating it.
//
//   node dockerfile-settings.mjs Dockerfile          KEY<TAB>value lines (USER, ENV, ENTRYPOINT, CMD,
//                                                    LABEL, WORKDIR), one per value
//   node dockerfile-settings.mjs --json Dockerfile   every stage's instructions as JSON
//
// Only the forms deploy/Dockerfile uses are understood: ENTRYPOINT and CMD in JSON form, ENV and
// LABEL as key=value pairs, ${VAR} references to earlier ENV values or to the base image's PATH.
// Anything else in those instructions is an error, never a guess.
import { readFileSync } from 'node:fs';

/** PATH of the node:20-slim base (Debian's default for root), which `ENV PATH=...:${PATH}` extends. */
export const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Instructions per stage: `{ from, name, instructions: [{ keyword, args }] }`. */
export function parseDockerfile(text) {
  const stages = [];
  let pending = '';
  const flush = (line) => {
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(line);
    if (!m) throw new Error(`cannot read Dockerfile line: ${line}`);
    const keyword = m[1].toUpperCase();
    const args = m[2].trim();
    if (keyword === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!f) throw new Error(`cannot read FROM ${args}`);
      stages.push({ from: f[1], name: f[2] ?? null, instructions: [] });
    } else if (stages.length) {
      stages.at(-1).instructions.push({ keyword, args });
    }
  };
  for (const raw of text.split('\n')) {
    // Comment lines are dropped, also inside a continued instruction.
    if (/^\s*#/.test(raw)) continue;
    if (!pending && raw.trim() === '') continue;
    if (/\\\s*$/.test(raw)) {
      pending += raw.replace(/\\\s*$/, ' ');
      continue;
    }
    flush(pending + raw);
    pending = '';
  }
  if (pending.trim()) flush(pending);
  return stages;
}

/** `a=1 b="two words"` into pairs, with `${VAR}` expanded from `vars`. */
function keyValues(args, vars, what) {
  const pairs = [];
  const re = /\s*([A-Za-z0-9_.\-/]+)=("(?:[^"\\]|\\.)*"|\S*)/gy;
  let m;
  let end = 0;
  while ((m = re.exec(args))) {
    let value = m[2].startsWith('"') ? JSON.parse(m[2]) : m[2];
    value = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name) => {
      if (!(name in vars)) throw new Error(`${what}: \${${name}} is not defined`);
      return vars[name];
    });
    pairs.push([m[1], value]);
    end = re.lastIndex;
  }
  if (args.slice(end).trim()) throw new Error(`${what}: cannot read "${args.slice(end).trim()}"`);
  return pairs;
}

function jsonForm(args, what) {
  let list;
  try {
    list = JSON.parse(args);
  } catch {
    throw new Error(`${what} must use the JSON form, got: ${args}`);
  }
  if (!Array.isArray(list) || !list.every((s) => typeof s === 'string'))
    throw new Error(`${what} must be a JSON list of strings`);
  return list;
}

/** The last stage's image config: `{ user, env: [[k, v]], entrypoint, cmd, labels: [[k, v]], workdir }`. */
export function runtimeSettings(stages) {
  const stage = stages.at(-1);
  if (!stage) throw new Error('the Dockerfile has no stage');
  const vars = { PATH: BASE_PATH };
  const out = { user: null, env: [], entrypoint: null, cmd: null, labels: [], workdir: null };
  for (const { keyword, args } of stage.instructions) {
    if (keyword === 'ENV') {
      for (const [k, v] of keyValues(args, vars, 'ENV')) {
        vars[k] = v;
        out.env = out.env.filter(([key]) => key !== k).concat([[k, v]]);
      }
    } else if (keyword === 'LABEL') out.labels.push(...keyValues(args, vars, 'LABEL'));
    else if (keyword === 'USER') out.user = args;
    else if (keyword === 'WORKDIR') out.workdir = args;
    else if (keyword === 'ENTRYPOINT') out.entrypoint = jsonForm(args, 'ENTRYPOINT');
    else if (keyword === 'CMD') out.cmd = jsonForm(args, 'CMD');
  }
  // PATH is always in an image's environment; the base image sets it when the Dockerfile does not.
  if (!out.env.some(([k]) => k === 'PATH')) out.env.unshift(['PATH', BASE_PATH]);
  return out;
}

function main(argv) {
  const json = argv[0] === '--json';
  const file = json ? argv[1] : argv[0];
  if (!file) throw new Error('usage: dockerfile-settings.mjs [--json] DOCKERFILE');
  const stages = parseDockerfile(readFileSync(file, 'utf8'));
  if (json) {
    process.stdout.write(JSON.stringify({ stages, runtime: runtimeSettings(stages) }, null, 2) + '\n');
    return;
  }
  const s = runtimeSettings(stages);
  const lines = [];
  if (s.user) lines.push(['USER', s.user]);
  if (s.workdir) lines.push(['WORKDIR', s.workdir]);
  for (const [k, v] of s.env) lines.push(['ENV', `${k}=${v}`]);
  for (const a of s.entrypoint ?? []) lines.push(['ENTRYPOINT', a]);
  for (const a of s.cmd ?? []) lines.push(['CMD', a]);
  for (const [k, v] of s.labels) lines.push(['LABEL', `${k}=${v}`]);
  for (const [k, v] of lines) {
    if (/[\t\n]/.test(v)) throw new Error(`${k} value holds a tab or newline: ${JSON.stringify(v)}`);
    process.stdout.write(`${k}\t${v}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    main(process.argv.slice(2));
  } catch (err) {
    console.error(`dockerfile-settings: ${err.message}`);
    process.exit(1);
  }
}
