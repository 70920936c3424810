import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  ContainerNotFoundError,
  ContainerNotRunningError,
  RuntimeError,
  RuntimeUnavailableError,
} from '../../errors/crilog-error.js';

/** What was being done when a call failed, for the error message. */
export interface CallContext {
  /** CRI method name, e.g. `ReopenContainerLog`. */
  method: string;
  /** Container the call was about, if any. */
  containerId?: string;
  /** Endpoint as the user gave it. */
  endpoint: string;
}

/** The parts of a grpc-js `ServiceError` the mapping reads. */
interface GrpcLikeError {
  code: number;
  details?: string;
  message: string;
}

function isGrpcError(err: unknown): err is GrpcLikeError {
  return err instanceof Error && typeof (err as Partial<GrpcLikeError>).code === 'number';
}

/** The name of a gRPC status code, e.g. `NOT_FOUND`. */
export function grpcStatusName(code: number): string {
  return (GrpcStatus as unknown as Record<number, string>)[code] ?? `code ${code}`;
}

/**
 * containerd and CRI-O answer ReopenContainerLog on a stopped container with UNKNOWN (some versions
 * FAILED_PRECONDITION) and a message containing "not running"; there is no dedicated status code.
 */
const NOT_RUNNING = /not running/i;

/**
 * Turns a failed CRI call into crilog's typed errors, keeping the gRPC error as `cause`:
 * NOT_FOUND on a container call is `ContainerNotFoundError` (it was removed: skip quietly);
 * UNKNOWN/FAILED_PRECONDITION saying "not running" is `ContainerNotRunningError`;
 * UNAVAILABLE/DEADLINE_EXCEEDED is `RuntimeUnavailableError`; anything else is `RuntimeError`.
 */
export function mapGrpcError(err: unknown, ctx: CallContext): Error {
  const about = ctx.containerId === undefined ? '' : ` for container "${ctx.containerId}"`;
  if (!isGrpcError(err)) {
    return new RuntimeError(
      `CRI ${ctx.method}${about} at "${ctx.endpoint}" failed: ${String(err)}`,
      ctx.method,
      {
        cause: err,
      },
    );
  }
  const detail = err.details || err.message;
  const codeName = grpcStatusName(err.code);
  switch (err.code) {
    case GrpcStatus.NOT_FOUND:
      if (ctx.containerId !== undefined) return new ContainerNotFoundError(ctx.containerId, { cause: err });
      break;
    case GrpcStatus.UNKNOWN:
    case GrpcStatus.FAILED_PRECONDITION:
      if (ctx.containerId !== undefined && NOT_RUNNING.test(detail)) {
        return new ContainerNotRunningError(ctx.containerId, { cause: err });
      }
      break;
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new RuntimeUnavailableError(
        `CRI runtime at "${ctx.endpoint}" did not answer ${ctx.method}${about} (${codeName}: ${detail}); ` +
          'is it running? crilog keeps retrying on the next pass',
        { cause: err },
      );
  }
  return new RuntimeError(
    `CRI ${ctx.method}${about} at "${ctx.endpoint}" failed with ${codeName}: ${detail}`,
    ctx.method,
    {
      cause: err,
    },
  );
}
