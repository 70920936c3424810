import { readFile } from 'node:fs/promises';
import { InvalidOptionError } from '../errors/crilog-error.js';

/** Reads and parses a YAML config file; unreadable or malformed files are usage errors. */
export async function readConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'it does not exist'
        : code === 'EACCES'
          ? 'permission denied'
          : (cause as Error).message;
    throw new InvalidOptionError(
      {
        key: '--config',
        value: file,
        rule: `cannot read the config file: ${why}`,
        hint: 'check the --config path',
      },
      { cause },
    );
  }
  let doc: unknown;
  // Loaded here: the YAML parser is a large part of the CLI's start-up time, and most runs have no file.
  const { parse } = await import('yaml');
  try {
    doc = parse(text, { prettyErrors: true });
  } catch (cause) {
    throw new InvalidOptionError(
      { key: '--config', value: file, rule: `not valid YAML: ${(cause as Error).message}` },
      { cause },
    );
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new InvalidOptionError({
      key: '--config',
      value: file,
      rule: `must hold a mapping of keys such as "maxSize: 10Mi", got ${Array.isArray(doc) ? 'a list' : JSON.stringify(doc)}`,
    });
  }
  return doc;
}
