import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Fence languages that are shell commands and so must carry a doctest marker. */
export const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);

/** How a marked block is run (see docs/doc-tests.md). */
export interface RunMode {
  /** The demo (examples/demo.yaml on the embedded runtime) runs in the workspace and has rotated. */
  demo: boolean;
  /** The block runs until interrupted: its commands get SIGINT once it printed, and must exit 0. */
  interrupt: boolean;
  timeoutS: number;
}

/** One fenced code block of a Markdown file. */
export interface DocBlock {
  /** Path relative to the repository, e.g. `docs/kubernetes.md`. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  /** The doctest marker before the block, if any. */
  marker:
    | { kind: 'run'; mode: RunMode }
    | { kind: 'skip'; reason: string }
    | { kind: 'invalid'; problem: string }
    | null;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;
const MARKER = /^\s*<!--\s*doctest:(.*?)-->\s*$/;

function parseMarker(text: string): NonNullable<DocBlock['marker']> {
  const [kind = '', ...rest] = text.trim().split(/\s+/);
  if (kind === 'skip') {
    const reason = rest.join(' ');
    return reason.length >= 3
      ? { kind: 'skip', reason }
      : {
          kind: 'invalid',
          problem: 'a skip needs a reason: <!-- doctest: skip needs a Kubernetes cluster -->',
        };
  }
  if (kind !== 'run') {
    return { kind: 'invalid', problem: `unknown doctest marker "${kind}": use "run ..." or "skip <reason>"` };
  }
  const mode: RunMode = { demo: false, interrupt: false, timeoutS: 60 };
  for (const word of rest) {
    const timeout = /^timeout=(\d+)$/.exec(word);
    if (word === 'demo') mode.demo = true;
    else if (word === 'interrupt') mode.interrupt = true;
    else if (timeout) mode.timeoutS = Number(timeout[1]);
    else
      return {
        kind: 'invalid',
        problem: `unknown doctest option "${word}": use demo, interrupt or timeout=<seconds>`,
      };
  }
  return { kind: 'run', mode };
}

/** The fenced blocks of one Markdown text, with the marker on the last non-blank line before each. */
export function parseBlocks(file: string, text: string): DocBlock[] {
  const lines = text.split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent = '', fence = '', lang = ''] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const l = lines[j]!;
      if (l.trim().startsWith(fence[0]!.repeat(fence.length)) && l.trim().replace(/[`~]/g, '') === '') break;
      body.push(l.startsWith(indent) ? l.slice(indent.length) : l.trimStart());
    }
    let k = i - 1;
    while (k >= 0 && lines[k]!.trim() === '') k--;
    const m = k >= 0 ? MARKER.exec(lines[k]!) : null;
    blocks.push({
      file,
      line: i + 1,
      lang: lang.toLowerCase(),
      code: body.join('\n') + '\n',
      marker: m ? parseMarker(m[1]!) : null,
    });
    i = j;
  }
  return blocks;
}

/** README.md and every docs/*.md of the repository at `repo`, read now (so new blocks are picked up). */
export function documentedBlocks(repo: string): DocBlock[] {
  const files = [
    'README.md',
    ...readdirSync(path.join(repo, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => `docs/${f}`),
  ];
  return files.flatMap((f) => parseBlocks(f, readFileSync(path.join(repo, f), 'utf8')));
}

/** Whether a block is a shell block (which must be marked). */
export const isShell = (b: DocBlock) => SHELL_LANGUAGES.has(b.lang);
