/**
 * Offline validation of Kubernetes objects, in two layers:
 *
 * 1. `validateObjects`: the JSON schemas of the Kubernetes OpenAPI spec as shipped,
 *    precompiled, by `kubernetes-models` (and `@kubernetes-models/prometheus-operator`
 *    for the ServiceMonitor CRD): types, formats, enums and required fields.
 * 2. `unknownFieldErrors`: those schemas accept unknown fields (the API server drops
 *    or warns about them), so a misspelt `livenessprobe` would pass layer 1. The same
 *    package's TypeScript declarations list every field, so the objects are
 *    type-checked as object literals against them, where TypeScript's excess-property
 *    check rejects any field the API does not define, at any depth.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as parsed from YAML. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

interface ModelRef {
  module: string;
  /** Exported class (its name is the kind) and interface (`I` + kind). */
  kind: string;
}

const MODELS: Record<string, ModelRef> = {
  'v1/Namespace': { module: 'kubernetes-models/v1/Namespace', kind: 'Namespace' },
  'v1/ServiceAccount': { module: 'kubernetes-models/v1/ServiceAccount', kind: 'ServiceAccount' },
  'v1/ConfigMap': { module: 'kubernetes-models/v1/ConfigMap', kind: 'ConfigMap' },
  'v1/ResourceQuota': { module: 'kubernetes-models/v1/ResourceQuota', kind: 'ResourceQuota' },
  'v1/Service': { module: 'kubernetes-models/v1/Service', kind: 'Service' },
  'apps/v1/DaemonSet': { module: 'kubernetes-models/apps/v1/DaemonSet', kind: 'DaemonSet' },
  'v1/Pod': { module: 'kubernetes-models/v1/Pod', kind: 'Pod' },
  'networking.k8s.io/v1/NetworkPolicy': {
    module: 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
    kind: 'NetworkPolicy',
  },
  'monitoring.coreos.com/v1/PodMonitor': {
    module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor',
    kind: 'PodMonitor',
  },
  'monitoring.coreos.com/v1/PrometheusRule': {
    module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule',
    kind: 'PrometheusRule',
  },
  'monitoring.coreos.com/v1/ServiceMonitor': {
    module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
    kind: 'ServiceMonitor',
  },
};

function modelFor(obj: K8sObject): ModelRef {
  const ref = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!ref) {
    throw new Error(
      `no schema for apiVersion "${obj.apiVersion}" kind "${obj.kind}"; add it to MODELS in test/deploy/k8s-schema.ts`,
    );
  }
  return ref;
}

/** Names an object in messages: `DaemonSet/crilog`. */
export function objectName(obj: K8sObject): string {
  return `${obj.kind}/${obj.metadata?.name ?? '<no name>'}`;
}

/** Parses a multi-document YAML stream, failing on any YAML error or warning; empty documents are dropped. */
export function parseManifests(text: string, source: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true })) {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) {
      throw new Error(`invalid YAML in ${source}: ${problems.map((p) => p.message).join('; ')}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new Error(`${source}: a document is not a mapping but ${JSON.stringify(value).slice(0, 80)}`);
    }
    const obj = value as K8sObject;
    if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') {
      throw new Error(
        `${source}: a document lacks apiVersion or kind: ${JSON.stringify(value).slice(0, 80)}`,
      );
    }
    objects.push(obj);
  }
  return objects;
}

/** Layer 1: schema validation; returns one message per invalid object. */
export async function validateObjects(objects: readonly K8sObject[]): Promise<string[]> {
  const errors: string[] = [];
  for (const obj of objects) {
    const ref = modelFor(obj);
    const mod = (await import(ref.module)) as Record<string, new (data: unknown) => { validate(): void }>;
    const Model = mod[ref.kind];
    if (!Model) throw new Error(`${ref.module} does not export ${ref.kind}`);
    try {
      new Model(obj).validate();
    } catch (error) {
      errors.push(`${objectName(obj)}: ${(error as Error).message}`);
    }
  }
  return errors;
}

/** Building a TypeScript program takes seconds, more on a loaded machine running tests in parallel. */
export const TYPECHECK_TIMEOUT_MS = 120_000;

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Layer 2: fields the Kubernetes API does not define; returns one message per finding. */
export function unknownFieldErrors(objects: readonly K8sObject[]): string[] {
  if (objects.length === 0) return [];
  // Never written: served to the compiler from memory, placed in the repo so that
  // node_modules resolves as it does for the tests themselves.
  const fileName = path.join(REPO_ROOT, 'test', 'deploy', '__k8s_field_check__.ts');
  const imports = new Set<string>();
  const decls: string[] = [];
  const starts: number[] = [];
  let line = 0;
  for (const [i, obj] of objects.entries()) {
    const ref = modelFor(obj);
    imports.add(`import type { I${ref.kind} } from '${ref.module}';`);
    const decl = `export const o${i}: I${ref.kind} = ${JSON.stringify(obj, null, 2)};`;
    starts.push(line);
    line += decl.split('\n').length;
    decls.push(decl);
  }
  const header = [...imports];
  const source = [...header, ...decls].join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) =>
    name === fileName
      ? ts.createSourceFile(name, source, languageVersion)
      : getSourceFile(name, languageVersion, ...rest);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (!d.file || d.file.fileName !== fileName || d.start === undefined) return message;
    const at = d.file.getLineAndCharacterOfPosition(d.start).line - header.length;
    let index = 0;
    while (index + 1 < starts.length && starts[index + 1]! <= at) index++;
    const obj = objects[index]!;
    const lineText = source.split('\n')[at + header.length]?.trim() ?? '';
    return `${objectName(obj)}: ${message} (at ${lineText})`;
  });
}
