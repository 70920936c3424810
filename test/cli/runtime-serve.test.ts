import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CriRuntimeService } from '../../src/runtime/cri/index.js';
import { tempDir } from '../helpers/tmpdir.js';
import { useBuiltCli } from './build-cli.js';

const cli = useBuiltCli();

describe('crilog runtime serve', () => {
  it('serves the config containers over CRI on a unix socket and stops them on SIGTERM', async () => {
    const dir = await tempDir('crilog-serve-');
    const config = path.join(dir, 'local.yaml');
    await fsp.writeFile(
      config,
      [
        'containers:',
        '  - name: hello',
        `    command: ${process.execPath}`,
        `    args: ['-e', 'setInterval(() => console.log("hello"), 50)']`,
        '',
      ].join('\n'),
    );
    const socket = path.join(dir, 'cri.sock');
    const child = spawn(
      process.execPath,
      [
        cli.main,
        'runtime',
        'serve',
        '--socket',
        socket,
        '--config',
        config,
        '--log-root',
        path.join(dir, 'logs'),
        '--lock-file',
        path.join(dir, 'lock'),
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    const exited = once(child, 'exit');
    const cri = new CriRuntimeService({ endpoint: `unix://${socket}` });
    try {
      const deadline = Date.now() + 30_000;
      let version;
      while (!version) {
        version = await cri.connect().catch((e: Error) => {
          if (Date.now() > deadline || child.exitCode !== null)
            throw new Error(`no CRI server: ${e.message}; stderr: ${err}`);
          return new Promise<undefined>((r) => setTimeout(() => r(undefined), 100));
        });
      }
      expect(version.runtimeName).toMatch(/crilog/);
      const [c] = await cri.listContainers();
      expect(c).toMatchObject({ state: 'running' });
      // A config container is its own one-container pod, also over CRI (names for metric labels).
      expect(c!.metadata).toMatchObject({ name: 'hello', podName: 'hello', podNamespace: 'default' });
      const status = await cri.containerStatus(c!.id);
      expect(status.logPath).toBe(path.join(dir, 'logs', 'hello', '0.log'));
      // The process logs through the runtime's CRI writer.
      while (!/ stdout F hello\n/.test(await fsp.readFile(status.logPath, 'utf8').catch(() => ''))) {
        if (Date.now() > deadline) throw new Error(`no output in ${status.logPath}; stderr: ${err}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code, err).toBe(0);
    } finally {
      cri.close();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
