import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  chartMetadata,
  chartValues,
  loadManifests,
  packageVersion,
  readRepoFile,
  renderCrilogChart,
} from './deploy-files.js';
import { deploymentProblems, locate } from './deployment-checks.js';
import {
  objectName,
  unknownFieldErrors,
  validateObjects,
  type K8sObject,
  TYPECHECK_TIMEOUT_MS,
} from './k8s-schema.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- inspecting parsed YAML */

const byKind = (objects: K8sObject[], kind: string): any => objects.find((o) => o.kind === kind);

describe('Helm chart deploy/helm/crilog', () => {
  const defaults = renderCrilogChart();
  const monitored = renderCrilogChart({ serviceMonitor: { enabled: true, labels: { release: 'prom' } } });
  const crio = renderCrilogChart({ runtime: { socketDir: '/var/run/crio', socketName: 'crio.sock' } });
  const observed = renderCrilogChart({
    podMonitor: { enabled: true, labels: { release: 'prom' } },
    prometheusRule: { enabled: true, labels: { release: 'prom' } },
    grafanaDashboard: { enabled: true, annotations: { grafana_folder: 'Logs' } },
    networkPolicy: { enabled: true },
    extraArgs: ['--log-level', 'debug'],
    extraEnv: [{ name: 'TZ', value: 'UTC' }],
    extraVolumes: [{ name: 'scratch', emptyDir: {} }],
    extraVolumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
  });

  it('has Chart.yaml v2 metadata whose appVersion is the package version', () => {
    const meta = chartMetadata();
    expect(meta).toMatchObject({
      apiVersion: 'v2',
      name: 'crilog',
      type: 'application',
      appVersion: packageVersion(),
    });
    expect(String(meta['version'])).toMatch(/^\d+\.\d+\.\d+/);
    expect(meta['kubeVersion']).toMatch(/^>=1\.\d+/);
    // No repository or image is published, so there is no URL to point at (an invented one would send
    // operators to someone else's project).
    expect(meta).not.toHaveProperty('home');
    expect(meta).not.toHaveProperty('sources');
    expect(meta['maintainers']).toEqual([{ name: expect.any(String) }]);
  });

  it('renders the default objects', () => {
    expect(defaults.objects.map(objectName).sort()).toEqual([
      'ConfigMap/crilog',
      'DaemonSet/crilog',
      'Pod/crilog-test-healthz',
      'ResourceQuota/crilog-critical-pods',
      'Service/crilog-metrics',
      'ServiceAccount/crilog',
    ]);
  });

  it(
    'renders objects that validate against the Kubernetes and prometheus-operator schemas',
    async () => {
      const all = [...defaults.objects, ...monitored.objects, ...crio.objects, ...observed.objects];
      expect(await validateObjects(all)).toEqual([]);
      expect(unknownFieldErrors(all)).toEqual([]);
    },
    TYPECHECK_TIMEOUT_MS,
  );

  it.each([
    ['defaults', defaults],
    ['serviceMonitor', monitored],
    ['CRI-O', crio],
    ['podMonitor, rules, dashboard, networkPolicy and extras', observed],
  ])('passes the crilog deployment checks with %s', (_name, rendered) => {
    expect(deploymentProblems(rendered.objects)).toEqual([]);
  });

  it('matches the plain manifests with default values, Helm labels and names aside', () => {
    const chart = locate(defaults.objects);
    const plain = locate(loadManifests());
    expect(chart.config).toEqual(plain.config);
    for (const key of [
      'securityContext',
      'resources',
      'livenessProbe',
      'readinessProbe',
      'ports',
      'args',
      'env',
    ]) {
      expect(chart.container[key], key).toEqual(plain.container[key]);
    }
    expect(chart.container.image).toBe(plain.container.image);
    const { configMap: _a, serviceAccountName: _b, ...chartSpec } = chart.podSpec;
    const { configMap: _c, serviceAccountName: _d, ...plainSpec } = plain.podSpec;
    const stripVolumes = (spec: any): any => ({
      ...spec,
      containers: undefined,
      volumes: spec.volumes.map((v: any) => (v.configMap ? { name: v.name } : v)),
    });
    expect(stripVolumes(chartSpec)).toEqual(stripVolumes(plainSpec));
    expect(chart.daemonSet.spec.updateStrategy).toEqual(plain.daemonSet.spec.updateStrategy);
  });

  it('adds a headless Service and a ServiceMonitor selecting the pods when serviceMonitor.enabled', () => {
    expect(monitored.objects.map(objectName).sort()).toContain('ServiceMonitor/crilog');
    const service = byKind(monitored.objects, 'Service');
    const monitor = byKind(monitored.objects, 'ServiceMonitor');
    const pods = locate(monitored.objects).daemonSet.spec.template.metadata.labels;
    expect(service.spec.clusterIP).toBe('None');
    expect(pods).toMatchObject(service.spec.selector);
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.metadata.labels.release).toBe('prom');
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
    expect(service.spec.ports[0]).toMatchObject({ name: 'metrics', port: 9753, targetPort: 'metrics' });
  });

  it('points runtimeEndpoint and the socket mount at the configured runtime', () => {
    const { config, podSpec, container } = locate(crio.objects);
    expect(config.runtimeEndpoint).toBe('unix:///var/run/crio/crio.sock');
    expect(podSpec.volumes).toContainEqual({
      name: 'runtime-socket',
      hostPath: { path: '/var/run/crio', type: 'Directory' },
    });
    expect(container.volumeMounts).toContainEqual({
      name: 'runtime-socket',
      mountPath: '/var/run/crio',
      readOnly: true,
    });
  });

  it('passes extra config keys through and rolls the pods when the config changes', () => {
    const custom = renderCrilogChart({ config: { workers: 4, maxSize: '50Mi' } });
    const { config } = locate(custom.objects);
    expect(config).toMatchObject({ workers: 4, maxSize: '50Mi', maxFiles: 5 });
    const checksum = (r: typeof defaults): string =>
      locate(r.objects).daemonSet.spec.template.metadata.annotations['checksum/config'];
    expect(checksum(custom)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksum(custom)).not.toBe(checksum(defaults));
    expect(checksum(renderCrilogChart())).toBe(checksum(defaults));
  });

  it('fails to render a config key that the chart derives from other values', () => {
    expect(() => renderCrilogChart({ config: { metricsAddress: '127.0.0.1:1' } })).toThrow(
      /config\.metricsAddress are derived from .*metrics\.port/,
    );
  });

  it('honours serviceAccount.create=false, fullnameOverride and criticalPodQuota.create=false', () => {
    const r = renderCrilogChart({
      serviceAccount: { create: false },
      fullnameOverride: 'logs',
      criticalPodQuota: { create: false },
    });
    expect(r.objects.map(objectName).sort()).toEqual([
      'ConfigMap/logs',
      'DaemonSet/logs',
      'Pod/logs-test-healthz',
      'Service/logs-metrics',
    ]);
    expect(locate(r.objects).podSpec.serviceAccountName).toBe('default');
  });

  it('takes the image tag from values or else from appVersion', () => {
    expect(locate(defaults.objects).container.image).toBe(`crilog:${packageVersion()}`);
    const r = renderCrilogChart({ image: { repository: 'registry.example/crilog', tag: 'dev' } });
    expect(locate(r.objects).container.image).toBe('registry.example/crilog:dev');
  });

  it('keeps values.yaml free of keys the daemon derives, and renders NOTES.txt', () => {
    const config = chartValues()['config'] as Record<string, unknown>;
    for (const key of ['runtimeEndpoint', 'logRoots', 'metricsAddress'])
      expect(config).not.toHaveProperty(key);
    expect(monitored.files['NOTES.txt']).toContain('containerLogMaxSize: "-1"');
    expect(monitored.files['NOTES.txt']).toContain('ServiceMonitor named crilog');
    // The config starts right at its first key: no stray blank line from the helpers.
    expect(parse(defaults.files['configmap.yaml']!).data['config.yaml']).toMatch(
      /^runtimeEndpoint: .*\nlogRoots:\n {2}- "\/var\/log\/pods"\nmetricsAddress: "0\.0\.0\.0:9753"\n/,
    );
  });

  it('labels the pods with the standard app.kubernetes.io labels', () => {
    const pods = locate(defaults.objects).daemonSet.spec.template.metadata.labels;
    expect(pods).toMatchObject({
      'app.kubernetes.io/name': 'crilog',
      'app.kubernetes.io/instance': 'crilog',
      'app.kubernetes.io/version': packageVersion(),
      'app.kubernetes.io/managed-by': 'Helm',
    });
  });

  it('scrapes each pod once: prometheus.io annotations only without a ServiceMonitor or PodMonitor', () => {
    const annotations = (r: typeof defaults) =>
      locate(r.objects).daemonSet.spec.template.metadata.annotations;
    expect(annotations(defaults)['prometheus.io/scrape']).toBe('true');
    expect(annotations(monitored)).not.toHaveProperty('prometheus.io/scrape');
    expect(annotations(observed)).not.toHaveProperty('prometheus.io/scrape');
    expect(() =>
      renderCrilogChart({ serviceMonitor: { enabled: true }, podMonitor: { enabled: true } }),
    ).toThrow(/scrape every pod twice/);
  });

  it("adds a PodMonitor that keeps crilog's container labels and labels series with the node", () => {
    const monitor = byKind(observed.objects, 'PodMonitor');
    const pods = locate(observed.objects).daemonSet.spec.template.metadata.labels;
    expect(pods).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.metadata.labels.release).toBe('prom');
    expect(monitor.spec.podMetricsEndpoints).toEqual([
      expect.objectContaining({ port: 'metrics', path: '/metrics', honorLabels: true }),
    ]);
    expect(byKind(monitored.objects, 'ServiceMonitor').spec.endpoints[0].honorLabels).toBe(true);
  });

  it('ships the alert rules as a PrometheusRule and the dashboard as a grafana_dashboard ConfigMap', () => {
    const rule = byKind(observed.objects, 'PrometheusRule');
    expect(rule.metadata.labels.release).toBe('prom');
    expect(rule.spec).toEqual(parse(readRepoFile('deploy/monitoring/crilog.rules.yaml')));
    const dashboard = observed.objects.find((o) => o.metadata?.name === 'crilog-dashboard') as any;
    expect(dashboard.metadata.labels.grafana_dashboard).toBe('1');
    expect(dashboard.metadata.annotations).toEqual({ grafana_folder: 'Logs' });
    expect(JSON.parse(dashboard.data['crilog.json'])).toEqual(
      JSON.parse(readRepoFile('deploy/monitoring/crilog-dashboard.json')),
    );
    expect(defaults.objects.map(objectName)).not.toContain('PrometheusRule/crilog');
  });

  it('admits only the configured peers and the test pod to the metrics port with networkPolicy', () => {
    const policy = byKind(observed.objects, 'NetworkPolicy');
    const test = byKind(observed.objects, 'Pod');
    const pods = locate(observed.objects).daemonSet.spec.template.metadata.labels;
    expect(pods).toMatchObject(policy.spec.podSelector.matchLabels);
    expect(policy.spec.ingress).toEqual([
      {
        ports: [{ port: 'metrics', protocol: 'TCP' }],
        from: [
          { podSelector: { matchLabels: test.metadata.labels } },
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
        ],
      },
    ]);
  });

  it('appends extraArgs, extraEnv, extraVolumes and extraVolumeMounts', () => {
    const { container, podSpec } = locate(observed.objects);
    expect(container.args).toEqual(['daemon', '--config', '/etc/crilog/config.yaml', '--log-level', 'debug']);
    expect(container.env).toContainEqual({ name: 'TZ', value: 'UTC' });
    expect(container.env[0].name).toBe('NODE_NAME');
    expect(podSpec.volumes).toContainEqual({ name: 'scratch', emptyDir: {} });
    expect(container.volumeMounts).toContainEqual({ name: 'scratch', mountPath: '/scratch' });
  });

  it('has a helm test hook that asks /healthz through the headless metrics Service', () => {
    const test = byKind(defaults.objects, 'Pod');
    const service = byKind(defaults.objects, 'Service');
    expect(test.metadata.annotations['helm.sh/hook']).toBe('test');
    const [container] = test.spec.containers;
    expect(container.image).toBe(`crilog:${packageVersion()}`);
    expect(container.command.at(-1)).toBe(`http://${service.metadata.name}.crilog.svc:9753/healthz`);
    expect(test.spec.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    const off = renderCrilogChart({ tests: { enabled: false } });
    expect(off.objects.map(objectName)).not.toContain('Pod/crilog-test-healthz');
    expect(off.objects.map(objectName)).not.toContain('Service/crilog-metrics');
  });
});
