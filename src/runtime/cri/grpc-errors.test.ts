import { Metadata, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  ContainerNotFoundError,
  ContainerNotRunningError,
  RuntimeError,
  RuntimeUnavailableError,
} from '../../errors/crilog-error.js';
import { mapGrpcError } from './grpc-errors.js';

function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

const endpoint = 'unix:///run/test.sock';

describe('mapGrpcError', () => {
  it.each([
    // [code, details, containerId, expected class, expected code]
    [status.NOT_FOUND, 'an error occurred when try to find container "c1"', 'c1', ContainerNotFoundError],
    [status.UNKNOWN, 'failed to reopen: container is not running', 'c1', ContainerNotRunningError],
    [status.FAILED_PRECONDITION, 'container c1 is Not Running', 'c1', ContainerNotRunningError],
    [status.UNKNOWN, 'something else broke', 'c1', RuntimeError],
    [status.FAILED_PRECONDITION, 'disk full', 'c1', RuntimeError],
    [status.UNAVAILABLE, 'No connection established', 'c1', RuntimeUnavailableError],
    [status.DEADLINE_EXCEEDED, 'Deadline exceeded', undefined, RuntimeUnavailableError],
    [status.INTERNAL, 'boom', 'c1', RuntimeError],
    [status.PERMISSION_DENIED, 'nope', undefined, RuntimeError],
    // NOT_FOUND without a container in the call is not about a container.
    [status.NOT_FOUND, 'unknown service runtime.v1.RuntimeService', undefined, RuntimeError],
    // "not running" outside a container call is not a container state.
    [status.UNKNOWN, 'sandbox not running', undefined, RuntimeError],
  ] as const)('code %i %j (container %j) -> %o', (code, details, containerId, cls) => {
    const cause = grpcError(code, details);
    const mapped = mapGrpcError(cause, {
      method: 'ReopenContainerLog',
      endpoint,
      ...(containerId === undefined ? {} : { containerId }),
    });
    expect(mapped).toBeInstanceOf(cls);
    expect(mapped.cause).toBe(cause);
    if (mapped instanceof ContainerNotFoundError || mapped instanceof ContainerNotRunningError) {
      expect(mapped.containerId).toBe('c1');
    }
    if (mapped instanceof RuntimeError) {
      expect(mapped.method).toBe('ReopenContainerLog');
      expect(mapped.message).toContain('ReopenContainerLog');
      expect(mapped.message).toContain(status[code]);
      expect(mapped.message).toContain(details);
    }
    if (mapped instanceof RuntimeUnavailableError) {
      expect(mapped.message).toContain(endpoint);
      expect(mapped.message).toContain(status[code]);
    }
  });

  it('wraps non-gRPC failures as RuntimeError with the method', () => {
    const mapped = mapGrpcError(new TypeError('bad'), { method: 'ListContainers', endpoint });
    expect(mapped).toBeInstanceOf(RuntimeError);
    expect((mapped as RuntimeError).method).toBe('ListContainers');
    expect(mapped.message).toContain('TypeError: bad');
  });
});
