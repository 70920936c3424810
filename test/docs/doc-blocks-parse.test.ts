import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmpdir.js';
import { parseBlocks } from './doc-blocks.js';
import { runBlock } from './workspace.js';

describe('doc block markers', () => {
  it('reads run options, skip reasons, indented fences, and reports bad markers', () => {
    const md = [
      '<!-- doctest: run demo interrupt timeout=90 -->',
      '',
      '```sh',
      'crilog logs -f x',
      '```',
      '1. item',
      '   <!-- doctest: skip needs a cluster -->',
      '   ```bash',
      '   kubectl get pods',
      '   ```',
      '<!-- doctest: skip -->',
      '```sh',
      'true',
      '```',
      '<!-- doctest: run fast -->',
      '```sh',
      'true',
      '```',
      '```sh',
      'echo unmarked',
      '```',
      '```',
      'output',
      '```',
    ].join('\n');
    const blocks = parseBlocks('x.md', md);
    expect(blocks.map((b) => [b.line, b.lang, b.marker])).toEqual([
      [3, 'sh', { kind: 'run', mode: { demo: true, interrupt: true, timeoutS: 90 } }],
      [8, 'bash', { kind: 'skip', reason: 'needs a cluster' }],
      [12, 'sh', { kind: 'invalid', problem: expect.stringContaining('a skip needs a reason') }],
      [16, 'sh', { kind: 'invalid', problem: expect.stringContaining('unknown doctest option "fast"') }],
      [19, 'sh', null],
      [22, '', null],
    ]);
    expect(blocks[1]!.code).toBe('kubectl get pods\n');
  });

  it('fails a block whose command fails, and interrupts a command that runs until stopped', async () => {
    const ws = { dir: await tempDir('crilog-doc-'), env: process.env };
    expect(await runBlock(ws, 'true\nfalse\necho never\n', { interrupt: false, timeoutS: 30 })).toMatchObject(
      {
        code: 1,
        stdout: '',
      },
    );
    // Like `crilog logs -f`: runs until SIGINT, then exits 0.
    await fsp.writeFile(
      path.join(ws.dir, 'loop.sh'),
      "trap 'echo stopped; exit 0' INT\necho started\nwhile :; do sleep 0.1; done\n",
    );
    const r = await runBlock(ws, 'bash loop.sh\necho next\n', {
      interrupt: true,
      timeoutS: 30,
    });
    expect(r).toMatchObject({ code: 0, stdout: 'started\nstopped\nnext\n' });
    expect(r.interrupts).toBeGreaterThan(0);
  });
});
