import { describe, expect, it } from 'vitest';
import { loadManifests, renderCrilogChart } from './deploy-files.js';
import { locate } from './deployment-checks.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- walking parsed YAML */

/**
 * Every field where `a` and `b` differ, as `path: chart … manifest …`. Lists whose items all have a
 * `name` (containers, volumes, mounts, env, ports) are compared item by item by name, and their
 * order separately, so a difference names the item.
 */
function fieldDiff(a: any, b: any, at = '', out: string[] = []): string[] {
  const named = (v: any) =>
    Array.isArray(v) && v.length > 0 && v.every((x) => x && typeof x.name === 'string');
  if (named(a) && named(b)) {
    const names = (v: any[]) => v.map((x) => x.name);
    if (names(a).join() !== names(b).join())
      out.push(
        `${at}: names ${JSON.stringify(names(a))} in the chart, ${JSON.stringify(names(b))} in the manifest`,
      );
    for (const n of new Set([...names(a), ...names(b)]))
      fieldDiff(
        a.find((x: any) => x.name === n),
        b.find((x: any) => x.name === n),
        `${at}[${n}]`,
        out,
      );
  } else if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) fieldDiff(a[i], b[i], `${at}[${i}]`, out);
  } else if (
    a &&
    b &&
    typeof a === 'object' &&
    typeof b === 'object' &&
    !Array.isArray(a) &&
    !Array.isArray(b)
  ) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) fieldDiff(a[k], b[k], `${at}.${k}`, out);
  } else if (JSON.stringify(a) !== JSON.stringify(b)) {
    out.push(`${at}: ${JSON.stringify(a)} in the chart, ${JSON.stringify(b)} in the manifest`);
  }
  return out;
}

// Names and labels: Helm derives them from the release; the config checksum exists only in the chart.
const ASIDE = [
  /^\.metadata\.labels\./,
  /^\.metadata\.annotations\.checksum\/config$/,
  /^\.spec\.serviceAccountName$/,
  /^\.spec\.volumes\[config\]\.configMap\.name$/,
];

describe('the Helm chart with default values renders the DaemonSet pod of deploy/kubernetes', () => {
  const chart = locate(renderCrilogChart().objects).daemonSet;
  const plain = locate(loadManifests()).daemonSet;

  it('has the same pod template, field by field (names and labels aside)', () => {
    const diffs = fieldDiff(chart.spec.template, plain.spec.template);
    const asideOnly = diffs.filter((d) => ASIDE.some((re) => re.test(d.split(':')[0]!)));
    expect(diffs.filter((d) => !asideOnly.includes(d))).toEqual([]);
    // What was set aside is only what the chart names after the release.
    expect(chart.spec.template.spec.serviceAccountName).toBe('crilog');
  });

  it('has the same update strategy and selects its pods by labels only', () => {
    expect(fieldDiff(chart.spec.updateStrategy, plain.spec.updateStrategy)).toEqual([]);
    expect(chart.spec.template.metadata.labels).toMatchObject(chart.spec.selector.matchLabels);
    expect(plain.spec.template.metadata.labels).toMatchObject(plain.spec.selector.matchLabels);
  });

  it('reports a changed field by its path', () => {
    const changed = structuredClone(plain.spec.template);
    changed.spec.containers[0].securityContext.capabilities.add.push('SYS_ADMIN');
    changed.spec.volumes.find((v: any) => v.name === 'tmp').emptyDir.sizeLimit = '1Gi';
    expect(fieldDiff(changed, plain.spec.template)).toEqual([
      '.spec.containers[crilog].securityContext.capabilities.add[3]: "SYS_ADMIN" in the chart, undefined in the manifest',
      '.spec.volumes[tmp].emptyDir.sizeLimit: "1Gi" in the chart, "64Mi" in the manifest',
    ]);
  });
});
