// The public API is curated: every value an entry point exports is listed in docs/library.md, and
// nothing listed there is missing.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const doc = readFileSync(new URL('../../docs/library.md', import.meta.url), 'utf8');

/** Names in the first column of the table under `### \`entry\``. */
function documented(entry: string): string[] {
  const start = doc.indexOf(`### \`${entry}\``);
  const end = doc.indexOf('\n### ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  const names: string[] = [];
  for (const line of section.split('\n')) {
    const first = /^\| (.*?) \|/.exec(line)?.[1];
    if (first) for (const m of first.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)) names.push(m[1]!);
  }
  return names;
}

describe('public API (docs/library.md)', () => {
  it.each([
    ['crilog', () => import('../../src/index.js')],
    ['crilog/cri', () => import('../../src/runtime/cri/index.js')],
    ['crilog/local', () => import('../../src/runtime/local/index.js')],
  ])('%s exports exactly the documented values', async (entry, load) => {
    const exported = Object.keys(await load()).sort();
    const listed = new Set(documented(entry));
    expect(
      exported.filter((name) => !listed.has(name)),
      'exported but not documented',
    ).toEqual([]);
    // Types vanish at runtime: functions, constants and the classes must exist.
    const isValue = (n: string) =>
      /^[a-z]|^[A-Z0-9_]+$/.test(n) ||
      /^(ContainerLogManager|CompressionPool|CriRuntimeService|LocalRuntime|\w+Error)$/.test(n);
    const values = [...listed].filter(isValue);
    expect(
      values.filter((name) => !exported.includes(name)),
      'documented but not exported',
    ).toEqual([]);
  });
});
