import { promises as fsp } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repo = fileURLToPath(new URL('../../', import.meta.url));

async function* sources(dir: string): AsyncGenerator<string> {
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(p);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.d.ts')) yield p;
  }
}

/**
 * A runnable copy of the CLI for tests that need a real process (signals, exit codes), made without
 * touching `dist/`: every source file is transpiled (no type check, `npm run typecheck` does that) into
 * `node_modules/.cache/crilog-cli-*`, laid out like the package (package.json, proto/, dist/) so that
 * paths relative to `import.meta.url` and package resolution work as installed. Returns the path of
 * `dist/cli/main.js` and a function that removes the copy.
 */
export async function buildCli(): Promise<{ main: string; remove: () => Promise<void> }> {
  const cache = path.join(repo, 'node_modules', '.cache');
  await fsp.mkdir(cache, { recursive: true });
  const root = await fsp.mkdtemp(path.join(cache, 'crilog-cli-'));
  const src = path.join(repo, 'src');
  const jobs: Promise<void>[] = [];
  for await (const file of sources(src)) {
    jobs.push(
      (async () => {
        const out = ts.transpileModule(await fsp.readFile(file, 'utf8'), {
          fileName: file,
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        });
        const target = path.join(root, 'dist', path.relative(src, file)).replace(/\.ts$/, '.js');
        await fsp.mkdir(path.dirname(target), { recursive: true });
        await fsp.writeFile(target, out.outputText);
      })(),
    );
  }
  await Promise.all(jobs);
  await fsp.copyFile(path.join(repo, 'package.json'), path.join(root, 'package.json'));
  await fsp.symlink(path.join(repo, 'proto'), path.join(root, 'proto'));
  // The optional libdeflate binding (built by `npm ci` when libdeflate-dev is present).
  await fsp.symlink(path.join(repo, 'native'), path.join(root, 'native'));
  return {
    main: path.join(root, 'dist', 'cli', 'main.js'),
    remove: () => fsp.rm(root, { recursive: true, force: true }),
  };
}

/**
 * `buildCli()` for a test file or `describe` block: builds before its tests, removes the copy after
 * them. `main` is readable once the tests run.
 */
export function useBuiltCli(): { readonly main: string } {
  let built: Awaited<ReturnType<typeof buildCli>> | undefined;
  beforeAll(async () => {
    built = await buildCli();
  });
  afterAll(async () => {
    await built?.remove();
  });
  return {
    get main() {
      if (!built) throw new Error('the CLI is built in beforeAll; read `main` inside a test');
      return built.main;
    },
  };
}
