import { afterAll, afterEach } from 'vitest';
import { CriRuntimeService } from '../../../src/runtime/cri/index.js';
import { CriTestClient } from '../../helpers/cri-test-client.js';
import type { ContainerdHarness } from '../../helpers/containerd.js';
import { startWorkload, type Workload } from './workload.js';

/**
 * One CRI test client and one runtime service per test file, created once the harness exists and
 * closed after the file; workloads started through `workload()` are disposed after each test.
 */
export function useCriClients(): {
  setup(h: ContainerdHarness): { client: CriTestClient; runtime: CriRuntimeService };
  workload(h: ContainerdHarness, name: string, script: string): Promise<Workload>;
} {
  let client: CriTestClient | undefined;
  let runtime: CriRuntimeService | undefined;
  const workloads: Workload[] = [];
  afterEach(async () => {
    await Promise.all(workloads.splice(0).map((w) => w.dispose()));
  });
  afterAll(() => {
    client?.close();
    runtime?.close();
  });
  const setup = (h: ContainerdHarness) => {
    client ??= new CriTestClient({ endpoint: h.endpoint });
    runtime ??= new CriRuntimeService({ endpoint: h.endpoint });
    return { client, runtime };
  };
  return {
    setup,
    async workload(h, name, script) {
      const w = await startWorkload(setup(h).client, h, { name, script });
      workloads.push(w);
      return w;
    },
  };
}
