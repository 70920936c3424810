// The public API is curated: every name an entry point exports (values and types) is listed in
// docs/library.md, and nothing listed there is missing.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(new URL('../../docs/library.md', import.meta.url), 'utf8');

const ENTRIES = {
  crilog: '../../src/index.ts',
  'crilog/cri': '../../src/runtime/cri/index.ts',
  'crilog/local': '../../src/runtime/local/index.ts',
} as const;

/** Names in the first column of the table under `### \`entry\``. */
function documented(entry: string): string[] {
  const start = doc.indexOf(`### \`${entry}\``);
  const end = doc.indexOf('\n### ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  const names: string[] = [];
  for (const line of section.split('\n')) {
    const first = /^\| (.*?) \|/.exec(line)?.[1];
    if (first) for (const m of first.matchAll(/`([A-Za-z_][A-Za-z0-9_*]*)`/g)) names.push(m[1]!);
  }
  return names;
}

/** Every name (value or type) each entry point exports, as the compiler sees it. */
function exportedNames(): Map<string, string[]> {
  const files = Object.values(ENTRIES).map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const result = new Map<string, string[]>();
  for (const [entry, rel] of Object.entries(ENTRIES)) {
    const source = program.getSourceFile(fileURLToPath(new URL(rel, import.meta.url)))!;
    const symbol = checker.getSymbolAtLocation(source)!;
    result.set(
      entry,
      checker.getExportsOfModule(symbol).map((s) => s.getName()),
    );
  }
  return result;
}

/** `Cri*` in the table stands for every name with that prefix. */
function listedAs(name: string, listed: Set<string>): boolean {
  if (listed.has(name)) return true;
  return [...listed].some((l) => l.endsWith('*') && name.startsWith(l.slice(0, -1)));
}

describe('public API (docs/library.md)', () => {
  const types = exportedNames();

  it.each([
    ['crilog', () => import('../../src/index.js')],
    ['crilog/cri', () => import('../../src/runtime/cri/index.js')],
    ['crilog/local', () => import('../../src/runtime/local/index.js')],
  ])('%s exports exactly the documented names', async (entry, load) => {
    const values = Object.keys(await load());
    const all = [...new Set([...values, ...types.get(entry)!])].sort();
    const listed = new Set(documented(entry));
    expect(
      all.filter((name) => !listedAs(name, listed)),
      'exported but not documented',
    ).toEqual([]);
    expect(
      [...listed].filter((name) => !name.endsWith('*') && !all.includes(name)),
      'documented but not exported',
    ).toEqual([]);
  });
});
