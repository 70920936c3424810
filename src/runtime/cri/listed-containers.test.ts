import { describe, expect, it } from 'vitest';
import { loadRuntimeV1 } from './grpc-client.js';
import { splitListedContainers } from './listed-containers.js';
import type { CriListContainersResponse } from './messages.js';

const { ListContainers } = loadRuntimeV1().RuntimeService.service;
const encode = (res: object): Buffer => ListContainers!.responseSerialize(res);
const decode = (bytes: Buffer) => ListContainers!.responseDeserialize(bytes) as CriListContainersResponse;

const containers = [
  {
    id: 'c-1',
    pod_sandbox_id: 'pod-1',
    metadata: { name: 'app', attempt: 2 },
    state: 'CONTAINER_RUNNING',
    created_at: '-1', // a negative int64 is a 10-byte varint
    labels: { 'io.kubernetes.pod.name': 'p' },
    annotations: { 'crilog.io/max-size': '1Mi' },
  },
  { id: 'c-2', state: 'CONTAINER_EXITED', image: { image: 'busybox' }, image_ref: 'sha256:x' },
  { id: 'ünï-3', pod_sandbox_id: 'pod-3' },
];

describe('splitListedContainers', () => {
  it('finds every container and its id, and each part decodes as a response of that container', () => {
    const bytes = encode({ containers });
    const parts = splitListedContainers(bytes)!;
    expect(parts.map((p) => p.id)).toEqual(['c-1', 'c-2', 'ünï-3']);
    const whole = decode(bytes).containers;
    parts.forEach((p, i) => expect(decode(p.bytes).containers).toEqual([whole[i]]));
    expect(decode(Buffer.concat([parts[2]!.bytes, parts[0]!.bytes])).containers).toEqual([
      whole[2],
      whole[0],
    ]);
  });

  it('keeps fields it does not know as bytes (a newer runtime), and takes the last id as a decoder does', () => {
    const body = Buffer.concat([
      encode({ containers: [{ id: 'first' }] }).subarray(2),
      Buffer.from([(10 << 3) | 2, 3, 0x61, 0x62, 0x63]), // field 10 (image_id in newer CRI), a string
      Buffer.from([(11 << 3) | 5, 1, 2, 3, 4]), // a fixed32
      Buffer.from([(12 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8]), // a fixed64
      encode({ containers: [{ id: 'second' }] }).subarray(2),
    ]);
    const bytes = Buffer.concat([Buffer.from([(1 << 3) | 2, body.length]), body]);
    expect(splitListedContainers(bytes)?.map((p) => p.id)).toEqual(['second']);
    expect(decode(bytes).containers[0]!.id).toBe('second');
  });

  it('an empty listing has no containers', () => {
    expect(splitListedContainers(Buffer.alloc(0))).toEqual([]);
  });

  it('gives up (undefined) on bytes that are not well-formed container entries', () => {
    const bytes = encode({ containers });
    expect(splitListedContainers(bytes.subarray(0, bytes.length - 1))).toBeUndefined();
    expect(splitListedContainers(Buffer.from([(2 << 3) | 2, 0]))).toBeUndefined(); // not field 1
    expect(splitListedContainers(Buffer.from([(1 << 3) | 2, 2, 0, 0]))).toBeUndefined(); // field 0
    expect(splitListedContainers(Buffer.from([(1 << 3) | 2, 2, (3 << 3) | 3, 0]))).toBeUndefined(); // a group
    expect(splitListedContainers(Buffer.from([(1 << 3) | 2, 0x80]))).toBeUndefined(); // cut varint
    expect(splitListedContainers(Buffer.from([(1 << 3) | 2, 3, (1 << 3) | 2, 9, 0x61]))).toBeUndefined();
  });
});
