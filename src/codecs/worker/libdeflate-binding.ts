import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from '../../errors/crilog-error.js';
import { GZIP_ENGINE_ENV, GZIP_ENGINES, type GzipEngineChoice } from '../codec-names.js';

/** Which deflate engine gzip compression uses. */
export type GzipEngine = 'libdeflate' | 'zlib';

/** Where `npm ci` builds the optional binding (native/libdeflate); same depth from src/ and dist/. */
const BINDING = fileURLToPath(
  new URL('../../../native/libdeflate/build/Release/crilog_deflate.node', import.meta.url),
);

let probed: { path: string; version: string } | null | undefined;

/**
 * The libdeflate binding when it was built (libdeflate-dev present at install) and loads here (the
 * shared library still installed); `null` otherwise, and gzip falls back to Node's zlib. Loaded once
 * on this thread so that a broken build is found before any worker depends on it.
 */
export function libdeflateBinding(): { path: string; version: string } | null {
  if (probed === undefined) {
    probed = null;
    if (existsSync(BINDING)) {
      try {
        const mod = createRequire(import.meta.url)(BINDING) as { libdeflateVersion?: unknown };
        probed = { path: BINDING, version: String(mod.libdeflateVersion) };
      } catch {
        // Built against a libdeflate that is gone, or for another Node ABI: zlib it is.
      }
    }
  }
  return probed;
}

/**
 * The engine a pool uses for gzip: libdeflate when its binding loads, zlib otherwise or when asked for.
 * `requested` is the `gzipEngine` setting; when it is unset (`null`/`undefined`) the environment variable
 * `CRILOG_GZIP_ENGINE` decides (an escape hatch that needs no reinstall), else `auto`.
 */
export function resolveGzipEngine(
  requested: GzipEngineChoice | null = null,
  env: NodeJS.ProcessEnv = process.env,
): { engine: GzipEngine; path: string | null } {
  const fromEnv = env[GZIP_ENGINE_ENV] || 'auto';
  if (requested === null && !(GZIP_ENGINES as readonly string[]).includes(fromEnv))
    throw new InvalidOptionError({
      key: GZIP_ENGINE_ENV,
      value: fromEnv,
      rule: 'must be "auto", "libdeflate" or "zlib"',
      hint: 'leave it unset for auto, or use --gzip-engine / gzipEngine',
    });
  const want = requested ?? (fromEnv as GzipEngineChoice);
  if (want === 'zlib') return { engine: 'zlib', path: null };
  const binding = libdeflateBinding();
  if (!binding) {
    if (want === 'libdeflate')
      throw new InvalidOptionError({
        key: requested === null ? GZIP_ENGINE_ENV : 'gzipEngine',
        value: want,
        rule: "needs crilog's libdeflate binding, which is not built",
        hint: 'install libdeflate-dev (Debian) or libdeflate-devel, then run `npm rebuild crilog`; or use auto or zlib',
      });
    return { engine: 'zlib', path: null };
  }
  return { engine: 'libdeflate', path: binding.path };
}
