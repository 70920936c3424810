import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadManifests, MANIFEST_DIR, manifestFiles, packageVersion } from './deploy-files.js';
import { deploymentProblems, locate } from './deployment-checks.js';
import {
  objectName,
  unknownFieldErrors,
  validateObjects,
  type K8sObject,
  TYPECHECK_TIMEOUT_MS,
} from './k8s-schema.js';

describe('deploy/kubernetes manifests', () => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = loadManifests();
  });

  it('parse into the expected objects', () => {
    expect(objects.map(objectName).sort()).toEqual([
      'ConfigMap/crilog-config',
      'DaemonSet/crilog',
      'Namespace/crilog',
      'ResourceQuota/crilog-critical-pods',
      'ServiceAccount/crilog',
    ]);
  });

  it('validate against the Kubernetes schemas', async () => {
    expect(await validateObjects(objects)).toEqual([]);
  });

  it(
    'use no field the Kubernetes API does not define',
    () => {
      expect(unknownFieldErrors(objects)).toEqual([]);
    },
    TYPECHECK_TIMEOUT_MS,
  );

  it('pass the crilog deployment checks', () => {
    expect(deploymentProblems(objects)).toEqual([]);
  });

  it('are all listed in kustomization.yaml, and nothing else is', () => {
    const kustomization = parse(readFileSync(path.join(MANIFEST_DIR, 'kustomization.yaml'), 'utf8')) as {
      resources: string[];
      images: Array<{ name: string; newTag: string }>;
    };
    expect([...kustomization.resources].sort()).toEqual(manifestFiles());
    const image = String(locate(objects).container.image);
    expect(kustomization.images).toEqual([{ name: image.split(':')[0], newTag: packageVersion() }]);
  });

  it('tag the image and the version label with the package version', () => {
    const { daemonSet, container } = locate(objects);
    expect(container.image).toBe(`crilog:${packageVersion()}`);
    expect(daemonSet.metadata.labels['app.kubernetes.io/version']).toBe(packageVersion());
  });

  it('label the namespace for privileged Pod Security Admission (hostPath volumes)', () => {
    const ns = objects.find((o) => o.kind === 'Namespace')!;
    expect(ns.metadata?.labels?.['pod-security.kubernetes.io/enforce']).toBe('privileged');
  });

  it('scope the critical-pod quota to the DaemonSet priority class', () => {
    const quota = objects.find((o) => o.kind === 'ResourceQuota') as K8sObject & {
      spec: { scopeSelector: { matchExpressions: Array<{ values: string[] }> } };
    };
    expect(quota.spec.scopeSelector.matchExpressions[0]!.values).toEqual([
      locate(objects).podSpec.priorityClassName,
    ]);
  });
});
