import { promises as fsp } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBuiltCli } from '../cli/build-cli.js';
import { documentedBlocks, isShell, type DocBlock, type RunMode } from './doc-blocks.js';
import { makeWorkspace, runBlock, startDemo } from './workspace.js';

// Every shell block of README.md and docs/*.md is either run here or skipped with a reason; the
// convention is described in docs/doc-tests.md.
const repo = fileURLToPath(new URL('../../', import.meta.url));
const blocks = documentedBlocks(repo);
const where = (b: DocBlock) => `${b.file}:${b.line}`;
const runnable = blocks.filter(
  (b): b is DocBlock & { marker: { kind: 'run'; mode: RunMode } } => b.marker?.kind === 'run' && isShell(b),
);
const cli = useBuiltCli();
/** Per test: the longest block timeout, plus room for a loaded machine. */
const TEST_TIMEOUT_MS = Math.max(60, ...runnable.map((b) => b.marker.mode.timeoutS)) * 1000 + 30_000;

describe('documentation blocks', () => {
  it('mark every shell block as run or skip (with a reason), and nothing else', () => {
    const problems: string[] = [];
    for (const b of blocks) {
      if (b.marker?.kind === 'invalid') problems.push(`${where(b)}: ${b.marker.problem}`);
      else if (isShell(b) && b.marker === null)
        problems.push(
          `${where(b)}: a \`\`\`${b.lang} block without a marker: put <!-- doctest: run --> (or run demo / run interrupt) or <!-- doctest: skip <reason> --> on the line before it (docs/doc-tests.md)`,
        );
      else if (!isShell(b) && b.marker !== null)
        problems.push(
          `${where(b)}: a doctest marker before a \`\`\`${b.lang || '(no language)'} block; only shell blocks (sh, bash, shell, console) run`,
        );
    }
    expect(problems).toEqual([]);
  });
});

function runsIn(group: 'demo' | 'plain') {
  return runnable.filter((b) => b.marker.mode.demo === (group === 'demo'));
}

async function check(ws: { dir: string; env: NodeJS.ProcessEnv }, b: (typeof runnable)[number]) {
  const r = await runBlock(ws, b.code, b.marker.mode);
  const report = `${where(b)} exited with ${r.code ?? r.signal}\n--- block ---\n${b.code}--- stdout ---\n${r.stdout.slice(-2000)}\n--- stderr ---\n${r.stderr.slice(-2000)}`;
  expect({ code: r.code, signal: r.signal }, report).toEqual({ code: 0, signal: null });
  if (b.marker.mode.interrupt) expect(r.interrupts, `${where(b)} was never interrupted`).toBeGreaterThan(0);
}

describe.runIf(runsIn('plain').length > 0)('documented commands run', () => {
  it.each(runsIn('plain').map((b) => [where(b), b] as const))(
    '%s',
    async (_name, b) => {
      const ws = await makeWorkspace(repo, cli.main);
      try {
        await check(ws, b);
      } finally {
        await fsp.rm(ws.dir, { recursive: true, force: true });
      }
    },
    TEST_TIMEOUT_MS,
  );
});

describe.runIf(runsIn('demo').length > 0)('documented commands run against the demo', () => {
  let ws: { dir: string; env: NodeJS.ProcessEnv };
  let stopDemo: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ws = await makeWorkspace(repo, cli.main);
    stopDemo = await startDemo(ws);
  });
  afterAll(async () => {
    await stopDemo?.();
    if (ws) await fsp.rm(ws.dir, { recursive: true, force: true });
  });
  it.each(runsIn('demo').map((b) => [where(b), b] as const))(
    '%s',
    async (_name, b) => {
      await check(ws, b);
    },
    TEST_TIMEOUT_MS,
  );
});
