// docs/configuration.md's tables and the Helm chart's values.schema.json come from the settings table.
// This test fails when they are stale; `npm run gen:settings` (CRILOG_WRITE_GENERATED=1) rewrites them.
import { promises as fsp } from 'node:fs';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { annotationsTable, libraryTable, optionsTable, replaceGenerated, valuesSchema } from './generate.js';

const repo = new URL('../../', import.meta.url);
const write = process.env.CRILOG_WRITE_GENERATED === '1';

async function check(file: string, make: (current: string | undefined) => string | Promise<string>) {
  const url = new URL(file, repo);
  const current = await fsp.readFile(url, 'utf8').catch(() => undefined);
  const config = (await prettier.resolveConfig(url.pathname)) ?? {};
  const wanted = await prettier.format(await make(current), { ...config, filepath: url.pathname });
  if (write && wanted !== current) await fsp.writeFile(url, wanted);
  else expect(current, `${file} is stale: run npm run gen:settings`).toBe(wanted);
}

describe('generated from the settings table', () => {
  it('docs/configuration.md', async () => {
    await check('docs/configuration.md', (doc) => {
      let out = replaceGenerated(doc ?? '', 'options', optionsTable());
      out = replaceGenerated(out, 'annotations', annotationsTable());
      return replaceGenerated(out, 'library', libraryTable());
    });
  });

  it('deploy/helm/crilog/values.schema.json', async () => {
    await check('deploy/helm/crilog/values.schema.json', (current) => valuesSchema(current));
  });
});
