/** Loads what deploy/ ships: the plain manifests and the Helm chart, rendered. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { mergeValues, renderChart, type ChartTemplates } from './helm-template.js';
import { parseManifests, type K8sObject } from './k8s-schema.js';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DEPLOY_DIR = path.join(REPO_ROOT, 'deploy');
export const MANIFEST_DIR = path.join(DEPLOY_DIR, 'kubernetes');
export const CHART_DIR = path.join(DEPLOY_DIR, 'helm', 'crilog');

/** Reads a file under the repository root. */
export function readRepoFile(relative: string): string {
  return readFileSync(path.join(REPO_ROOT, relative), 'utf8');
}

/** The package version, which the image tags and the chart's appVersion follow. */
export function packageVersion(): string {
  return (JSON.parse(readRepoFile('package.json')) as { version: string }).version;
}

/** Names of the manifest files in deploy/kubernetes, kustomization.yaml excluded. */
export function manifestFiles(): string[] {
  return readdirSync(MANIFEST_DIR)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort();
}

/** Every object of deploy/kubernetes, in file order. */
export function loadManifests(): K8sObject[] {
  return manifestFiles().flatMap((f) =>
    parseManifests(readFileSync(path.join(MANIFEST_DIR, f), 'utf8'), `deploy/kubernetes/${f}`),
  );
}

function readTemplates(): ChartTemplates {
  const dir = path.join(CHART_DIR, 'templates');
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
}

/** The chart's files/ folder, as `.Files.Get` sees it. */
function readChartFiles(): Record<string, string> {
  const dir = path.join(CHART_DIR, 'files');
  return Object.fromEntries(
    readdirSync(dir).map((f) => [`files/${f}`, readFileSync(path.join(dir, f), 'utf8')]),
  );
}

/** The chart's values.yaml. */
export function chartValues(): Record<string, unknown> {
  return parse(readFileSync(path.join(CHART_DIR, 'values.yaml'), 'utf8'), { uniqueKeys: true }) as Record<
    string,
    unknown
  >;
}

/** Chart.yaml. */
export function chartMetadata(): Record<string, unknown> {
  return parse(readFileSync(path.join(CHART_DIR, 'Chart.yaml'), 'utf8')) as Record<string, unknown>;
}

/** The rendered chart, like `helm template crilog deploy/helm/crilog -n crilog -f <overrides>`. */
export interface RenderedChart {
  /** Rendered text per template file. */
  files: Record<string, string>;
  /** Parsed objects of every .yaml template. */
  objects: K8sObject[];
}

/** Renders the chart with values.yaml merged with `overrides`. */
export function renderCrilogChart(
  overrides: Record<string, unknown> = {},
  release = 'crilog',
): RenderedChart {
  const meta = chartMetadata();
  const files = renderChart(readTemplates(), {
    Values: mergeValues(chartValues(), overrides),
    Release: { Name: release, Namespace: 'crilog', Service: 'Helm', IsInstall: true, IsUpgrade: false },
    // Helm exposes Chart.yaml fields capitalized.
    Chart: { Name: meta['name'], Version: meta['version'], AppVersion: meta['appVersion'] },
    Files: readChartFiles(),
  });
  const objects = Object.entries(files)
    .filter(([name]) => name.endsWith('.yaml'))
    .flatMap(([name, text]) => parseManifests(text, `templates/${name}`));
  return { files, objects };
}
