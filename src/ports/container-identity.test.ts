import { describe, expect, it } from 'vitest';
import { containerIdentity } from './container-identity.js';

describe('containerIdentity', () => {
  it('prefers CRI metadata over kubelet labels', () => {
    const id = containerIdentity({
      labels: { 'io.kubernetes.pod.name': 'old', 'io.kubernetes.container.name': 'old-c' },
      metadata: { name: 'web', attempt: 2, podName: 'shop-1', podNamespace: 'prod', podUid: 'u1' },
    });
    expect(id).toEqual({ namespace: 'prod', pod: 'shop-1', podUid: 'u1', container: 'web', attempt: 2 });
  });

  it('falls back to the kubelet labels, then to empty names', () => {
    expect(
      containerIdentity({
        labels: {
          'io.kubernetes.pod.name': 'shop-1',
          'io.kubernetes.pod.namespace': 'prod',
          'io.kubernetes.pod.uid': 'u1',
          'io.kubernetes.container.name': 'web',
        },
      }),
    ).toEqual({ namespace: 'prod', pod: 'shop-1', podUid: 'u1', container: 'web', attempt: 0 });
    expect(containerIdentity({ labels: {} })).toEqual({
      namespace: '',
      pod: '',
      podUid: '',
      container: '',
      attempt: 0,
    });
  });
});
