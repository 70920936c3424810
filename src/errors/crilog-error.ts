/**
 * Stable error codes. Callers branch on `code`, never on message text, so messages can improve freely.
 */
export type CrilogErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_CONTAINER_NOT_FOUND'
  | 'ERR_CONTAINER_NOT_RUNNING'
  | 'ERR_RUNTIME_UNAVAILABLE'
  | 'ERR_RUNTIME'
  | 'ERR_ROTATION'
  | 'ERR_COMPRESSION'
  | 'ERR_UNSAFE_PATH'
  | 'ERR_LOCKED'
  | 'ERR_READ';

/** Base class of every error crilog throws on purpose; `code` is stable across releases. */
export class CrilogError extends Error {
  /** Stable, machine-readable identifier of the failure class. */
  readonly code: CrilogErrorCode;

  constructor(code: CrilogErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** What was wrong with one input, as data: messages are composed from it, never parsed. */
export interface BadInput {
  /** The input as the user named it: a flag (`--max-size`), a config key, an option or an annotation. */
  key: string;
  /** The value as given; left out when the input is missing altogether. */
  value?: unknown;
  /** The rule it broke, e.g. `must be an integer from 1 to 256`. */
  rule: string;
  /** How to fix it, e.g. `write 10s`. */
  hint?: string;
  /** Where the value came from when that is not obvious from the key, e.g. `config file "/etc/crilog.yaml"`. */
  source?: string;
}

/** A value shown in a message: strings quoted, everything else as JSON. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (
    typeof value === 'number' ||
    typeof value === 'bigint' ||
    typeof value === 'function' ||
    typeof value === 'symbol'
  )
    return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function compose(input: BadInput): string {
  const at = input.source ? `${input.source}: ${input.key}:` : input.key;
  const hint = input.hint ? `; ${input.hint}` : '';
  if (!('value' in input)) return `${at}${input.source ? '' : ':'} ${input.rule}${hint}`;
  return `${at} ${showValue(input.value)} is invalid: ${input.rule}${hint}`;
}

/**
 * Bad input of any kind: a flag, a config key, a library option, an annotation, a unit string. The one
 * error type for it: the exit code follows from the type (usage error), and the parts are fields.
 * A plain message is accepted for inputs that have no single key (e.g. "neither id nor --path").
 */
export class InvalidOptionError extends CrilogError {
  /** The input, as the user named it (empty for a plain-message error). */
  readonly key: string;
  readonly value: unknown;
  readonly rule: string;
  readonly hint: string | undefined;
  readonly source: string | undefined;
  /** Every problem found when several inputs were checked together (this one alone otherwise). */
  readonly problems: readonly InvalidOptionError[];
  readonly #fields: BadInput;

  constructor(
    input: BadInput | string,
    options?: ErrorOptions & { problems?: readonly InvalidOptionError[] },
  ) {
    super('ERR_INVALID_OPTION', typeof input === 'string' ? input : compose(input), options);
    const fields: BadInput = typeof input === 'string' ? { key: '', rule: input } : input;
    this.#fields = fields;
    this.key = fields.key;
    this.value = fields.value;
    this.rule = fields.rule;
    this.hint = fields.hint;
    this.source = fields.source;
    this.problems = options?.problems ?? [this];
  }

  /** One error for several problems: the first one's fields, every message on its own line. */
  static all(problems: readonly InvalidOptionError[]): InvalidOptionError {
    if (problems.length === 1) return problems[0] as InvalidOptionError;
    const first = problems[0] as InvalidOptionError;
    const fields: BadInput = {
      key: first.key,
      rule: first.rule,
      ...(first.hint !== undefined ? { hint: first.hint } : {}),
      ...(first.source !== undefined ? { source: first.source } : {}),
    };
    const err = new InvalidOptionError(fields, { problems });
    err.message = problems.map((p) => p.message).join('\n');
    return err;
  }

  /** The same problem, named as the caller knows the input (e.g. `--max-size` for a quantity). */
  as(key: string, extra: { source?: string; value?: unknown } = {}): InvalidOptionError {
    const options = this.cause === undefined ? {} : { cause: this.cause };
    // A plain message names its own input (e.g. `containers[0].command ...`): keep it, add where.
    if (this.key === '')
      return new InvalidOptionError(
        extra.source ? `${extra.source}: ${this.message}` : this.message,
        options,
      );
    const { source: _, value, ...rest } = this.#fields;
    // A part of the input (`containers[0].command`) keeps its path when the whole is renamed (`containers`).
    if (this.key.startsWith(`${key}[`) || this.key.startsWith(`${key}.`)) key = this.key;
    const shown = 'value' in extra ? { value: extra.value } : 'value' in this.#fields ? { value } : {};
    return new InvalidOptionError(
      { ...rest, key, ...shown, ...(extra.source !== undefined ? { source: extra.source } : {}) },
      options,
    );
  }
}

/** The runtime does not know the container (it was removed): callers skip it quietly. */
export class ContainerNotFoundError extends CrilogError {
  constructor(
    readonly containerId: string,
    options?: ErrorOptions,
  ) {
    super('ERR_CONTAINER_NOT_FOUND', `container "${containerId}" not found`, options);
  }
}

/** The container exists but is not running, so the runtime cannot reopen its log. */
export class ContainerNotRunningError extends CrilogError {
  constructor(
    readonly containerId: string,
    options?: ErrorOptions,
  ) {
    super('ERR_CONTAINER_NOT_RUNNING', `container "${containerId}" is not running`, options);
  }
}

/** The runtime could not be reached at all (socket missing, connection refused, deadline). */
export class RuntimeUnavailableError extends CrilogError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_RUNTIME_UNAVAILABLE', message, options);
  }
}

/** Any other runtime failure; retried on the next pass. */
export class RuntimeError extends CrilogError {
  constructor(
    message: string,
    readonly method?: string,
    options?: ErrorOptions,
  ) {
    super('ERR_RUNTIME', message, options);
  }
}

/** True when `err` is a crilog error with the given code, including wrapped causes. */
export function hasErrorCode(err: unknown, code: CrilogErrorCode): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ((e as Partial<CrilogError>).code === code) return true;
  }
  return false;
}
