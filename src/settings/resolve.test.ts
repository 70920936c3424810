import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { parseListenAddress } from '../units/listen-address.js';
import { loadSettings, readConfigFile, resolveSettings, type SettingKey } from './index.js';

type DaemonFlags = Partial<Record<SettingKey, unknown>>;

const resolve = (flags: DaemonFlags = {}, file?: unknown) =>
  resolveSettings({ flags, file, configFile: '/etc/crilog/config.yaml', cwd: '/work' });

function problem(flags: DaemonFlags, file?: unknown): string {
  try {
    resolve(flags, file);
  } catch (err) {
    expect((err as { code?: string }).code).toBe('ERR_INVALID_OPTION');
    return (err as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('resolveSettings', () => {
  it('applies the documented defaults', () => {
    const c = resolveSettings({ cwd: '/work' });
    expect(c).toMatchObject({
      runtime: 'cri',
      logRoots: ['/var/log/pods'],
      lockFile: '/run/crilog/crilog.lock',
      maxSize: 10 * 1024 * 1024,
      maxFiles: 5,
      workers: 2,
      compressionNice: 10,
      monitorInterval: 10_000,
      metricsAddress: { host: '127.0.0.1', port: 9753 },
      logLevel: 'info',
      compression: { codec: 'gzip', level: 6 },
      containers: [],
    });
    expect(c.runtimeEndpoint).toBeNull();
  });

  it.each([
    ['maxSize', { maxSize: '1Mi' }, { maxSize: '2Mi' }, 2 * 1024 * 1024, 1024 * 1024],
    ['maxFiles', { maxFiles: 3 }, { maxFiles: '7' }, 7, 3],
    ['workers', { workers: 4 }, { workers: '8' }, 8, 4],
    ['compressionNice', { compressionNice: 0 }, { compressionNice: '19' }, 19, 0],
    ['monitorInterval', { monitorInterval: '30s' }, { monitorInterval: '1m' }, 60_000, 30_000],
    ['logLevel', { logLevel: 'debug' }, { logLevel: 'error' }, 'error', 'debug'],
    [
      'runtimeEndpoint',
      { runtimeEndpoint: 'unix:///a.sock' },
      { runtimeEndpoint: '/b.sock' },
      '/b.sock',
      'unix:///a.sock',
    ],
    ['lockFile', { lockFile: '/x/file.lock' }, { lockFile: '/y/flag.lock' }, '/y/flag.lock', '/x/file.lock'],
    ['logRoots', { logRoots: ['/a', '/b'] }, { logRoots: ['/c'] }, ['/c'], ['/a', '/b']],
  ] as const)(
    '%s: flags override the file, the file overrides the default',
    (key, file, flags, fromFlags, fromFile) => {
      expect(resolve(flags as DaemonFlags, file)[key]).toEqual(fromFlags);
      expect(resolve({}, file)[key]).toEqual(fromFile);
    },
  );

  it('reads compression and metricsAddress from file and flags', () => {
    expect(resolve({}, { compression: { codec: 'gzip', level: 9 } }).compression.level).toBe(9);
    expect(
      resolve({ compressionLevel: '1' }, { compression: { codec: 'gzip', level: 9 } }).compression.level,
    ).toBe(1);
    expect(resolve({}, { compression: 'none' }).compression).toEqual({ codec: 'none', level: 0 });
    expect(resolve({ compression: 'gzip:2' }, { compression: 'none' }).compression).toEqual({
      codec: 'gzip',
      level: 2,
    });
    expect(
      resolve({ metricsAddress: '0.0.0.0:0' }, { metricsAddress: '[::1]:9000' }).metricsAddress,
    ).toMatchObject({ host: '0.0.0.0', port: 0 });
    expect(resolve({}, { metricsAddress: '[::1]:9000' }).metricsAddress).toMatchObject({
      host: '::1',
      port: 9000,
    });
  });

  it('resolves relative paths against the config file directory, and flags against the working directory', () => {
    const c = resolve({}, { logRoots: ['logs'], lockFile: 'run/crilog.lock' });
    expect(c.logRoots).toEqual(['/etc/crilog/logs']);
    expect(c.lockFile).toBe('/etc/crilog/run/crilog.lock');
    expect(resolve({ logRoots: ['logs', '/abs', 'logs'], lockFile: 'l.lock' }).logRoots).toEqual([
      '/work/logs',
      '/abs',
    ]);
    expect(resolve({ lockFile: 'l.lock' }).lockFile).toBe('/work/l.lock');
  });

  it('accepts local runtime containers and validates them', () => {
    const c = resolve(
      {},
      { runtime: 'local', containers: [{ name: 'web', command: 'sh', args: ['-c', 'echo hi'] }] },
    );
    expect(c.runtime).toBe('local');
    expect(c.containers[0]).toMatchObject({
      name: 'web',
      command: 'sh',
      args: ['-c', 'echo hi'],
      restart: 'never',
    });
    expect(problem({}, { runtime: 'local', containers: [{ name: 'web' }] })).toMatch(
      /containers\[0\].*command/,
    );
    expect(problem({}, { containers: [{ name: 'web', command: 'sh' }] })).toMatch(
      /only the local runtime runs processes/,
    );
    // A flag can switch the file's containers on.
    expect(
      resolve({ runtime: 'local' }, { containers: [{ name: 'a', command: 'true' }] }).containers,
    ).toHaveLength(1);
  });

  it('reads retention, budget and policy switches', () => {
    expect(resolve({}, {})).toMatchObject({
      maxAge: null,
      maxTotalSize: null,
      delayCompress: true,
      policyAnnotations: true,
    });
    const file = { maxAge: '168h', maxTotalSize: '100Mi', delayCompress: false, policyAnnotations: false };
    expect(resolve({}, file)).toMatchObject({
      maxAge: 168 * 3600_000,
      maxTotalSize: 100 * 1024 * 1024,
      delayCompress: false,
      policyAnnotations: false,
    });
    expect(
      resolve({ maxAge: '1d', maxTotalSize: '1Gi', delayCompress: true, policyAnnotations: true }, file),
    ).toMatchObject({
      maxAge: 86_400_000,
      maxTotalSize: 1024 ** 3,
      delayCompress: true,
      policyAnnotations: true,
    });
  });

  it('accepts the sample config shipped in deploy/', async () => {
    const { parse } = await import('yaml');
    const text = await fsp.readFile(new URL('../../deploy/config.example.yaml', import.meta.url), 'utf8');
    expect(resolve({}, parse(text))).toMatchObject({
      logRoots: ['/var/log/pods'],
      compression: { codec: 'gzip', level: 6 },
    });
  });

  it('keeps the kubelet meaning of a negative maxSize: rotation off', () => {
    expect(resolve({ maxSize: '-1' }).maxSize).toBe(-1);
  });

  // Each bad value is rejected with the key (or flag), the value and the rule.
  it.each([
    [{}, { maxFiles: 1 }, /maxFiles: 1 is invalid: must be an integer from 2 to 1,000,000/],
    [{}, { maxFiles: 'five' }, /maxFiles: "five" is invalid: must be an integer from 2 to 1,000,000/],
    [{}, { maxFiles: 2.5 }, /maxFiles: 2.5 is invalid/],
    [{}, { workers: 0 }, /workers: 0 is invalid: must be an integer from 1 to 256/],
    [{}, { compressionNice: -5 }, /compressionNice: -5 is invalid: must be an integer nice value from 0/],
    [{}, { maxSize: '10MB' }, /maxSize: "10MB" is invalid: .*suffix/],
    [{}, { maxSize: 1.5 }, /maxSize: 1.5 is invalid: a number must be a whole count of bytes/],
    [{}, { monitorInterval: 10 }, /monitorInterval: 10 is invalid: must be a duration such as 10s/],
    [{}, { monitorInterval: 'soon' }, /monitorInterval: "soon" is invalid/],
    [{}, { metricsAddress: '9753' }, /metricsAddress: "9753" is invalid: must be host:port/],
    [{}, { metricsAddress: 'localhost:99999' }, /metricsAddress: "localhost:99999" is invalid/],
    [{}, { logLevel: 'verbose' }, /logLevel: "verbose" is invalid: must be one of trace, debug, info/],
    [{}, { runtime: 'docker' }, /runtime: "docker" is invalid: must be "cri" .* or "local"/],
    [
      {},
      { runtimeEndpoint: 'tcp://1.2.3.4:1' },
      /runtimeEndpoint: "tcp:\/\/1.2.3.4:1" is invalid: .*unix sockets/,
    ],
    [{}, { logRoots: [] }, /logRoots: \[\] is invalid: must name at least one directory/],
    [
      {},
      { logRoots: '/var/log/pods' },
      /logRoots: "\/var\/log\/pods" is invalid: must be a list of directories/,
    ],
    [
      {},
      { compression: { codec: 'gzip', level: 10 } },
      /compression: \{"codec":"gzip","level":10\} is invalid: gzip levels run from 1 to 9/,
    ],
    [
      {},
      { compression: 'brotli' },
      /compression: "brotli" is invalid: use gzip, gzip:<1-9>, zstd, zstd:<1-19> or none/,
    ],
    [
      {},
      { compression: { codec: 'brotli' } },
      /compression: \{"codec":"brotli"\} is invalid: must be gzip, gzip:<1-9>/,
    ],
    [
      {},
      { compressionLevel: 3 },
      /compressionLevel: unknown key: --compression-level has no file key; .*did you mean "compression.level"\?/,
    ],
    // The kubelet's own names are refused with crilog's.
    [
      {},
      { containerLogMaxSize: '10Mi' },
      /containerLogMaxSize: unknown key: that is the kubelet's .*; crilog's key is "maxSize"/,
    ],
    [{}, { containerLogMaxFiles: 5 }, /crilog's key is "maxFiles"/],
    [{}, { containerLogMaxWorkers: 1 }, /crilog's key is "workers"/],
    [{}, { containerLogMonitorInterval: '10s' }, /crilog's key is "monitorInterval"/],
    // Units are required; a timer cannot wait longer than about 24.8 days.
    [
      {},
      { monitorInterval: '10' },
      /monitorInterval: "10" is invalid: a duration needs a unit; write 10ms for milliseconds or 10s/,
    ],
    [{ maxAge: '7' }, {}, /--max-age "7" is invalid: a duration needs a unit/],
    [
      { monitorInterval: '30d' },
      {},
      /--monitor-interval "30d" is invalid: must be at most 24d20h31m23.647s, the longest wait a Node.js timer can hold/,
    ],
    [{}, { maxAge: '0s' }, /maxAge: "0s" is invalid: must be a positive duration/],
    [{}, { maxAge: 7 }, /maxAge: 7 is invalid: must be a duration such as 7d/],
    [{}, { maxTotalSize: '-1' }, /maxTotalSize: "-1" is invalid: must be a positive size such as 5Gi/],
    [{}, { delayCompress: 'yes' }, /delayCompress: "yes" is invalid: must be true or false/],
    [{}, { policyAnnotations: 1 }, /policyAnnotations: 1 is invalid: must be true or false/],
    [{ compression: 'zip' }, {}, /--compression "zip" is invalid: use gzip/],
    [{ maxAge: 'forever' }, {}, /--max-age "forever" is invalid/],
    [{ maxTotalSize: '5GB' }, {}, /--max-total-size "5GB" is invalid/],
    [{ maxFiles: 'x' }, {}, /--max-files "x" is invalid: must be an integer from 2 to 1,000,000/],
    [{ workers: '1000' }, {}, /--workers 1000 is invalid: must be an integer from 1 to 256/],
    [
      { compressionNice: '20' },
      {},
      /--compression-nice 20 is invalid: must be an integer nice value from 0 \(normal priority\) to 19/,
    ],
    [{ maxSize: 'lots' }, {}, /--max-size "lots" is invalid/],
    [{ monitorInterval: '-5s' }, {}, /--monitor-interval "-5s" is invalid/],
    [{ compressionLevel: '0' }, {}, /--compression-level 0 is invalid: gzip levels run from 1 to 9/],
    [{ compressionLevel: 'high' }, {}, /--compression-level "high" is invalid: must be an integer level/],
    [{ logLevel: 'loud' }, {}, /--log-level "loud" is invalid/],
    [{ runtime: 'podman' }, {}, /--runtime "podman" is invalid/],
    [{ metricsAddress: ':9753' }, {}, /--metrics-address ":9753" is invalid/],
  ] as [DaemonFlags, unknown, RegExp][])('rejects %j %j', (flags, file, message) => {
    expect(problem(flags, file)).toMatch(message);
  });

  it('names the config file in its messages', () => {
    expect(problem({}, { maxFiles: 1 })).toContain(
      'config file "/etc/crilog/config.yaml": maxFiles: 1 is invalid',
    );
  });

  it('rejects unknown keys with a suggestion and the list of known keys', () => {
    expect(problem({}, { maxfiles: 3 })).toMatch(
      /maxfiles: unknown key; did you mean "maxFiles"\? known keys: runtime, runtimeEndpoint/,
    );
    expect(problem({}, { logRoot: ['/a'] })).toMatch(/logRoot: unknown key; did you mean "logRoots"\?/);
    expect(problem({}, { 'max-size': '1Mi' })).toMatch(/did you mean "maxSize"/);
    expect(problem({}, { compression: { codec: 'gzip', lvl: 3 } })).toMatch(
      /compression: .* is invalid: unknown key "lvl"; a mapping has codec and level only/,
    );
    expect(problem({}, { bogus: true })).not.toMatch(/did you mean/);
  });

  it('reports every problem at once, one per line', () => {
    const lines = problem({ workers: '0' }, { maxFiles: 0, nope: 1 }).split('\n');
    expect(lines).toHaveLength(3);
  });
});

describe('parseListenAddress', () => {
  it.each([
    ['127.0.0.1:9753', '127.0.0.1', 9753],
    ['0.0.0.0:0', '0.0.0.0', 0],
    ['localhost:80', 'localhost', 80],
    ['[::]:9753', '::', 9753],
  ])('parses %s', (text, host, port) => {
    expect(parseListenAddress(text)).toEqual({ host, port, text });
  });

  it.each(['', '9753', ':9753', 'host:', 'host:65536', 'a b:1', '[::1]', 'http://x:1'])(
    'rejects %j',
    (text) => {
      expect(() => parseListenAddress(text)).toThrow(/must be host:port/);
    },
  );
});

describe('readConfigFile / loadSettings', () => {
  it('loads YAML and merges flags over it', async () => {
    const dir = await tempDir('crilog-config-');
    const file = path.join(dir, 'config.yaml');
    await fsp.writeFile(file, 'maxSize: 1Mi\nmaxFiles: 3\nlogRoots: [logs]\n');
    const c = await loadSettings({ config: file, maxFiles: '4' });
    expect(c).toMatchObject({
      maxSize: 1024 * 1024,
      maxFiles: 4,
      logRoots: [path.join(dir, 'logs')],
      configFile: file,
    });
  });

  it('treats an empty file as no settings', async () => {
    const dir = await tempDir('crilog-config-');
    const file = path.join(dir, 'empty.yaml');
    await fsp.writeFile(file, '# nothing\n');
    expect(await readConfigFile(file)).toEqual({});
  });

  it.each([
    ['missing', null, /cannot read the config file: it does not exist/],
    ['bad.yaml', 'maxSize: [1\n', /is invalid: not valid YAML/],
    [
      'dup.yaml',
      'maxSize: 1Mi\nmaxSize: 2Mi\n',
      /is invalid: not valid YAML.*(Map keys must be unique|duplicate)/is,
    ],
    ['list.yaml', '- a\n- b\n', /must hold a mapping/],
    ['scalar.yaml', '42\n', /must hold a mapping/],
  ])('rejects %s', async (name, content, message) => {
    const dir = await tempDir('crilog-config-');
    const file = path.join(dir, name);
    if (content !== null) await fsp.writeFile(file, content);
    await expect(readConfigFile(file)).rejects.toThrow(message);
    await expect(readConfigFile(file)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});
