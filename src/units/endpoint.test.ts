import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../errors/crilog-error.js';
import { parseRuntimeEndpoint, resolveRuntimeEndpoint } from './endpoint.js';

describe('parseRuntimeEndpoint', () => {
  it.each([
    ['unix:///run/containerd/containerd.sock', '/run/containerd/containerd.sock'],
    ['/run/containerd/containerd.sock', '/run/containerd/containerd.sock'],
    ['unix:///var/run/crio/crio.sock', '/var/run/crio/crio.sock'],
    ['UNIX:///run/x.sock', '/run/x.sock'],
    ['unix:///run//a/../x.sock', '/run/x.sock'],
    ['/tmp/dir with space/cri.sock', '/tmp/dir with space/cri.sock'],
  ])('accepts %j as socket %j', (raw, socketPath) => {
    const ep = parseRuntimeEndpoint(raw);
    expect(ep.socketPath).toBe(socketPath);
    expect(ep.target).toBe(`unix://${socketPath}`);
    expect(ep.raw).toBe(raw);
  });

  it.each([
    ['', /is empty/],
    ['   ', /is empty/],
    ['tcp://127.0.0.1:1234', /only supports unix sockets, not "tcp:\/\/"/],
    ['npipe:////./pipe/containerd-containerd', /only supports unix sockets, not "npipe:\/\/"/],
    ['http://localhost/x', /only supports unix sockets/],
    ['ftp://x', /unknown scheme "ftp:"/],
    ['unix:/run/x.sock', /"unix:\/\/" followed by an absolute path/],
    ['unix://', /socket path is missing/],
    ['unix://run/x.sock', /must be absolute \(three slashes/],
    ['run/containerd.sock', /plain socket path must be absolute/],
    ['./cri.sock', /plain socket path must be absolute/],
    ['/run/containerd/', /names a directory/],
    [`/tmp/${'x'.repeat(120)}.sock`, /at most 107/],
    ['/tmp/a\0b', /NUL byte/],
  ])('rejects %j with a message naming value and fix', (raw, why) => {
    let err: unknown;
    try {
      parseRuntimeEndpoint(raw, 'flag');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidOptionError);
    const msg = (err as Error).message;
    expect(msg).toMatch(why);
    expect(msg).toContain(`--runtime-endpoint ${JSON.stringify(raw)} is invalid`);
    expect(err).toMatchObject({ key: '--runtime-endpoint', value: raw });
    expect(msg).toContain('unix:///run/containerd/containerd.sock');
  });
});

describe('resolveRuntimeEndpoint', () => {
  it('prefers the flag over the environment', () => {
    const ep = resolveRuntimeEndpoint({ flag: '/a.sock', env: { CONTAINER_RUNTIME_ENDPOINT: '/b.sock' } });
    expect(ep).toMatchObject({ socketPath: '/a.sock', source: 'flag' });
  });

  it('falls back to CONTAINER_RUNTIME_ENDPOINT and names it in errors', () => {
    expect(resolveRuntimeEndpoint({ env: { CONTAINER_RUNTIME_ENDPOINT: 'unix:///b.sock' } })).toMatchObject({
      socketPath: '/b.sock',
      source: 'env',
    });
    expect(() => resolveRuntimeEndpoint({ env: { CONTAINER_RUNTIME_ENDPOINT: 'tcp://x:1' } })).toThrow(
      /CONTAINER_RUNTIME_ENDPOINT "tcp:\/\/x:1"/,
    );
  });

  it('fails with both ways to fix it when nothing is set', () => {
    expect(() => resolveRuntimeEndpoint({ flag: '', env: {} })).toThrow(
      /--runtime-endpoint unix:\/\/\/run\/containerd\/containerd.sock or set CONTAINER_RUNTIME_ENDPOINT=/,
    );
  });
});
