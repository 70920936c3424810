/**
 * Stable error codes. Callers branch on `code`, never on message text, so messages can improve freely.
 */
export type CrilogErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_INVALID_QUANTITY'
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

/** A configuration value was rejected; the message names the option, the value and the fix. */
export class InvalidOptionError extends CrilogError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_INVALID_OPTION', message, options);
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
