// The validators and checks must fail on broken manifests, or their passing says nothing.
import { describe, expect, it } from 'vitest';
import { configProblems } from './crilog-config.js';
import { loadManifests } from './deploy-files.js';
import { deploymentProblems, locate } from './deployment-checks.js';
import {
  parseManifests,
  unknownFieldErrors,
  validateObjects,
  type K8sObject,
  TYPECHECK_TIMEOUT_MS,
} from './k8s-schema.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- mutating parsed YAML */

const pristine = loadManifests();

/** A copy of the manifests with one change applied to the DaemonSet's parts. */
function broken(change: (parts: ReturnType<typeof locate>, objects: K8sObject[]) => void): K8sObject[] {
  const objects = structuredClone(pristine);
  change(locate(objects), objects);
  return objects;
}

/** Rewrites the ConfigMap's config.yaml. */
function withConfig(edit: (config: any) => void): K8sObject[] {
  return broken(({ configMap, config }) => {
    edit(config);
    configMap.data['config.yaml'] = JSON.stringify(config);
  });
}

describe('schema validation', () => {
  it('reports wrong types and missing required fields', async () => {
    const objects = broken(({ container, podSpec }) => {
      container.ports[0].containerPort = 'ninety';
      delete podSpec.volumes[0].name;
    });
    const errors = await validateObjects(objects);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^DaemonSet\/crilog: .*containerPort must be integer/);
    expect(errors[0]).toMatch(/volumes\/0 must have required property '?name'?/);
  });

  it(
    'reports fields the API does not define, at any depth, naming the object',
    () => {
      const objects = broken(({ container, daemonSet }, all) => {
        container.livenessprobe = container.livenessProbe;
        daemonSet.spec.template.spec.tolerations[0].operater = 'Exists';
        (all.find((o) => o.kind === 'ConfigMap') as any).date = {};
      });
      const errors = unknownFieldErrors(objects);
      expect(errors.join('\n')).toMatch(
        /DaemonSet\/crilog: .*'"livenessprobe"' does not exist in type 'IContainer'/,
      );
      expect(errors.join('\n')).toMatch(
        /DaemonSet\/crilog: .*'"operater"' does not exist in type 'IToleration'/,
      );
      expect(errors.join('\n')).toMatch(/ConfigMap\/crilog-config: .*'"date"' does not exist/);
    },
    TYPECHECK_TIMEOUT_MS,
  );

  it('refuses kinds it has no schema for, and YAML with duplicate keys', async () => {
    await expect(validateObjects([{ apiVersion: 'v1', kind: 'Binding' }])).rejects.toThrow(
      /no schema for .*"Binding"/,
    );
    expect(() => parseManifests('kind: A\napiVersion: v1\nkind: B\n', 'dup.yaml')).toThrow(
      /invalid YAML in dup.yaml/,
    );
  });
});

describe('crilog deployment checks', () => {
  const cases: Array<[string, () => K8sObject[], RegExp]> = [
    [
      'liveness on /',
      () => broken(({ container }) => void (container.livenessProbe.httpGet.path = '/')),
      /livenessProbe must GET \/healthz/,
    ],
    [
      'no readiness',
      () => broken(({ container }) => void delete container.readinessProbe),
      /readinessProbe must GET \/readyz/,
    ],
    [
      'writable root',
      () => broken(({ container }) => void (container.securityContext.readOnlyRootFilesystem = false)),
      /readOnlyRootFilesystem/,
    ],
    [
      'SYS_ADMIN',
      () => broken(({ container }) => void container.securityContext.capabilities.add.push('SYS_ADMIN')),
      /capability SYS_ADMIN/,
    ],
    [
      'no memory limit',
      () => broken(({ container }) => void delete container.resources.limits.memory),
      /limits\.memory is not set/,
    ],
    [
      'no log root mount',
      () => broken(({ container }) => void container.volumeMounts.shift()),
      /log root \/var\/log\/pods is not mounted/,
    ],
    [
      'log root read-only',
      () => broken(({ container }) => void (container.volumeMounts[0].readOnly = true)),
      /mounted read-write/,
    ],
    [
      'socket dir unmounted',
      () => withConfig((c) => void (c.runtimeEndpoint = 'unix:///var/run/crio/crio.sock')),
      /runtimeEndpoint/,
    ],
    [
      'metrics on loopback',
      () => withConfig((c) => void (c.metricsAddress = '127.0.0.1:9753')),
      /must be 0\.0\.0\.0:<metrics port 9753>/,
    ],
    ['unknown config key', () => withConfig((c) => void (c.maxsize = '10Mi')), /unknown key "maxsize"/],
    [
      'bad codec',
      () => withConfig((c) => void (c.compression.codec = 'lz4')),
      /bad value for "compression\.codec"/,
    ],
    [
      'no annotations',
      () => broken(({ daemonSet }) => void delete daemonSet.spec.template.metadata.annotations),
      /prometheus\.io\/scrape/,
    ],
    [
      'some taints only',
      () => broken(({ podSpec }) => void (podSpec.tolerations = [{ key: 'a', operator: 'Exists' }])),
      /tolerations/,
    ],
    [
      'surge',
      () => broken(({ daemonSet }) => void (daemonSet.spec.updateStrategy.rollingUpdate.maxSurge = 1)),
      /maxSurge must be 0/,
    ],
    [
      'token mounted',
      () => broken(({ podSpec }) => void delete podSpec.automountServiceAccountToken),
      /automountServiceAccountToken/,
    ],
    ['no --config', () => broken(({ container }) => void (container.args = ['daemon'])), /--config/],
    [
      'other priority',
      () => broken(({ podSpec }) => void delete podSpec.priorityClassName),
      /system-node-critical/,
    ],
    [
      'tmp not writable',
      () => broken(({ container }) => void container.volumeMounts.pop()),
      /\/tmp must be a writable emptyDir/,
    ],
    [
      'unknown account',
      () => broken(({ podSpec }) => void (podSpec.serviceAccountName = 'x')),
      /serviceAccountName "x"/,
    ],
  ];

  it.each(cases)('catch: %s', (_name, make, expected) => {
    const problems = deploymentProblems(make());
    expect(problems.length, JSON.stringify(problems)).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(expected);
  });

  it('name the field to fix', () => {
    const problems = deploymentProblems(
      broken(({ container }) => void (container.securityContext.readOnlyRootFilesystem = false)),
    );
    expect(problems).toEqual([
      'DaemonSet/crilog container crilog: securityContext.readOnlyRootFilesystem must be true',
    ]);
  });
});

describe('config key check', () => {
  it('accepts every documented key and rejects others by name', () => {
    const all = {
      runtimeEndpoint: 'unix:///run/containerd/containerd.sock',
      maxSize: '10Mi',
      maxFiles: 5,
      workers: 2,
      monitorInterval: '10s',
      metricsAddress: '127.0.0.1:9753',
      logLevel: 'info',
      logRoots: ['/var/log/pods'],
      runtime: 'cri',
      lockFile: '/run/crilog/crilog.lock',
      compression: { codec: 'gzip', level: 6 },
    };
    expect(configProblems(all, 'x')).toEqual([]);
    expect(configProblems({ ...all, compression: { codec: 'gzip', lvl: 6 } }, 'x')).toEqual([
      'x: unknown key "compression.lvl"; known: codec, level',
    ]);
    expect(configProblems({ maxFiles: 1 }, 'x')).toEqual(['x: bad value for "maxFiles": 1']);
  });
});
