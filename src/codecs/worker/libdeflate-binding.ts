import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { CrilogError } from '../../errors/crilog-error.js';

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
 * The engine a pool uses for gzip: libdeflate when its binding loads, unless `requested` (or the
 * environment variable `CRILOG_GZIP_ENGINE=zlib`, an escape hatch that needs no reinstall) asks for zlib.
 */
export function resolveGzipEngine(
  requested: GzipEngine | 'auto' = 'auto',
  env: NodeJS.ProcessEnv = process.env,
): { engine: GzipEngine; path: string | null } {
  const fromEnv = env.CRILOG_GZIP_ENGINE || 'auto';
  if (!['auto', 'libdeflate', 'zlib'].includes(fromEnv))
    throw new CrilogError(
      'ERR_INVALID_OPTION',
      `invalid CRILOG_GZIP_ENGINE "${fromEnv}": use "libdeflate", "zlib" or "auto" (or leave it unset)`,
    );
  const want = requested !== 'auto' ? requested : (fromEnv as GzipEngine | 'auto');
  if (want === 'zlib') return { engine: 'zlib', path: null };
  const binding = libdeflateBinding();
  if (!binding) {
    if (want === 'libdeflate')
      throw new CrilogError(
        'ERR_INVALID_OPTION',
        'gzip engine "libdeflate" was requested but crilog\'s libdeflate binding is not built; install libdeflate-dev (Debian) or libdeflate-devel, then run `npm rebuild crilog` (or `npm ci`)',
      );
    return { engine: 'zlib', path: null };
  }
  return { engine: 'libdeflate', path: binding.path };
}
