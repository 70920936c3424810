import { InvalidOptionError } from '../errors/crilog-error.js';

/** When a process that ended is started again. */
export type RestartPolicy = 'never' | 'on-failure' | 'always';

/** A process the local runtime runs as a "container"; the `containers:` entries of the config. */
export interface ProcessSpec {
  /** Unique; names the log directory `<logRoot>/<name>/`. Letters, digits, `.`, `_`, `-`. */
  name: string;
  /** The program, run without a shell (use `sh` with `-c` for shell syntax). */
  command: string;
  args?: string[];
  /** Added to (and overriding) the runtime's own environment. */
  env?: Record<string, string>;
  /** Working directory; the runtime's by default. */
  cwd?: string;
  /** Default `never`. `on-failure` restarts after a non-zero exit or a signal, `always` after any exit. */
  restart?: RestartPolicy;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const RESTART_POLICIES: readonly RestartPolicy[] = ['never', 'on-failure', 'always'];
const KEYS = ['name', 'command', 'args', 'env', 'cwd', 'restart', 'labels', 'annotations'];
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

function stringMap(where: string, value: unknown, example: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((v) => typeof v === 'string');
  if (!ok)
    throw new InvalidOptionError({
      key: where,
      value,
      rule: 'must map names to strings',
      hint: `write e.g. ${example}`,
    });
  return { ...(value as Record<string, string>) };
}

/**
 * Checks one process declaration and returns a normalized copy. Every error names the field (as
 * `where.field`), the value found and how to fix it.
 */
export function validateProcessSpec(input: unknown, where = 'container'): ProcessSpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidOptionError({
      key: where,
      value: input,
      rule: 'must be an object with at least "name" and "command"',
    });
  }
  const raw = input as Record<string, unknown>;
  const unknown = Object.keys(raw).filter((k) => !KEYS.includes(k));
  if (unknown.length > 0) {
    throw new InvalidOptionError({
      key: `${where}.${unknown[0]!}`,
      rule: `unknown field${unknown.length > 1 ? `s ${unknown.map((k) => `"${k}"`).join(', ')}` : ''}`,
      hint: `allowed: ${KEYS.join(', ')}`,
    });
  }
  const { name, command, args, cwd, restart } = raw;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new InvalidOptionError({
      key: `${where}.name`,
      ...(name !== undefined ? { value: name } : {}),
      rule: 'must be 1-63 letters, digits, ".", "_" or "-" starting with a letter or digit (it names the log directory)',
      hint: 'e.g. "web"',
    });
  }
  if (typeof command !== 'string' || command.trim() === '') {
    throw new InvalidOptionError({
      key: `${where}.command`,
      ...(command !== undefined ? { value: command } : {}),
      rule: 'must be a non-empty program name or path',
      hint: 'e.g. command: sh, args: ["-c", "echo hi"]',
    });
  }
  if (args !== undefined && !(Array.isArray(args) && args.every((a) => typeof a === 'string'))) {
    throw new InvalidOptionError({
      key: `${where}.args`,
      value: args,
      rule: 'must be a list of strings',
      hint: 'quote numbers, e.g. args: ["-n", "5"]',
    });
  }
  if (cwd !== undefined && (typeof cwd !== 'string' || cwd === '')) {
    throw new InvalidOptionError({
      key: `${where}.cwd`,
      value: cwd,
      rule: 'must be a directory path',
      hint: 'omit it to use the current directory',
    });
  }
  if (restart !== undefined && !RESTART_POLICIES.includes(restart as RestartPolicy)) {
    throw new InvalidOptionError({
      key: `${where}.restart`,
      value: restart,
      rule: `must be one of ${RESTART_POLICIES.join(', ')}`,
    });
  }
  return {
    name,
    command,
    args: args ? [...(args as string[])] : [],
    env: stringMap(`${where}.env`, raw.env, '{ LEVEL: "debug" }') ?? {},
    ...(cwd !== undefined ? { cwd: cwd as string } : {}),
    restart: (restart as RestartPolicy | undefined) ?? 'never',
    labels: stringMap(`${where}.labels`, raw.labels, '{ app: "web" }') ?? {},
    annotations: stringMap(`${where}.annotations`, raw.annotations, '{ owner: "me" }') ?? {},
  };
}
