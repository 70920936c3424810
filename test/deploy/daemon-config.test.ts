// The daemon's own validator is the final word on which config keys and values exist.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { resolveSettings } from '../../src/settings/index.js';
import { loadManifests, readRepoFile, renderCrilogChart } from './deploy-files.js';
import { locate } from './deployment-checks.js';

describe('shipped configs pass the daemon config validation', () => {
  const cases: Array<[string, () => unknown]> = [
    ['deploy/config.example.yaml', () => parse(readRepoFile('deploy/config.example.yaml'))],
    ['deploy/kubernetes/configmap.yaml', () => locate(loadManifests()).config],
    ['helm chart defaults', () => locate(renderCrilogChart().objects).config],
    [
      'helm chart for CRI-O',
      () =>
        locate(
          renderCrilogChart({ runtime: { socketDir: '/var/run/crio', socketName: 'crio.sock' } }).objects,
        ).config,
    ],
  ];

  it.each(cases)('%s', (source, load) => {
    const config = resolveSettings({ file: load(), configFile: '/etc/crilog/config.yaml', cwd: '/' });
    expect(config.runtime).toBe('cri');
    expect(config.logRoots).toEqual(['/var/log/pods']);
    expect(config.runtimeEndpoint, source).toMatch(/^unix:\/\/\//);
  });

  it('in-cluster configs bind metrics on the pod IP, the host sample on loopback', () => {
    const resolve = (file: unknown) =>
      resolveSettings({ file, configFile: '/etc/crilog/config.yaml', cwd: '/' });
    expect(resolve(locate(loadManifests()).config).metricsAddress).toMatchObject({
      host: '0.0.0.0',
      port: 9753,
    });
    expect(resolve(parse(readRepoFile('deploy/config.example.yaml'))).metricsAddress).toMatchObject({
      host: '127.0.0.1',
      port: 9753,
    });
  });
});
