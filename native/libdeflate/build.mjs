/**
 * `npm install` / `npm ci` hook: builds crilog's optional libdeflate binding when the system has
 * libdeflate's headers, and otherwise says so and succeeds (gzip then uses Node's zlib). Never fails
 * an install unless CRILOG_REQUIRE_LIBDEFLATE=1 (CI sets it, to notice a binding that stopped
 * building). CRILOG_SKIP_NATIVE=1 skips the build. CRILOG_LIBDEFLATE_INCLUDE_DIRS (colon-separated)
 * replaces the header search (/usr/include, /usr/local/include, /opt/homebrew/include, pkg-config).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const required = process.env.CRILOG_REQUIRE_LIBDEFLATE === '1';
const say = (msg) => process.stderr.write(`crilog: ${msg}\n`);

function done(msg, ok) {
  say(msg);
  process.exit(ok || !required ? 0 : 1);
}

if (process.env.CRILOG_SKIP_NATIVE === '1')
  done("CRILOG_SKIP_NATIVE=1: libdeflate binding not built; gzip uses Node's zlib", true);

const custom = process.env.CRILOG_LIBDEFLATE_INCLUDE_DIRS;
const headerDirs = custom
  ? custom.split(':')
  : ['/usr/include', '/usr/local/include', '/opt/homebrew/include'];
const pkgConfig = custom ? false : spawnSync('pkg-config', ['--exists', 'libdeflate']).status === 0;
if (!pkgConfig && !headerDirs.some((d) => existsSync(path.join(d, 'libdeflate.h'))))
  done(
    "libdeflate headers not found: gzip compression uses Node's zlib. For about 1.6x less CPU per " +
      'compressed byte install libdeflate-dev (Debian/Ubuntu) or libdeflate-devel, then `npm rebuild crilog`',
    false,
  );

// npm passes its bundled node-gyp to install scripts; outside npm, look next to this node's npm.
const prefix = path.resolve(path.dirname(process.execPath), '..');
const nodeGyp =
  process.env.npm_config_node_gyp ??
  [path.join(prefix, 'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js')].find(existsSync);
if (!nodeGyp)
  done(
    "node-gyp not found (run this through npm): libdeflate binding not built; gzip uses Node's zlib",
    false,
  );

const args = [nodeGyp, 'rebuild'];
// Headers installed with this node (Debian, NodeSource) need no download, which may be impossible offline.
if (!process.env.npm_config_nodedir && existsSync(path.join(prefix, 'include/node/node_api.h')))
  args.push(`--nodedir=${prefix}`);
const res = spawnSync(process.execPath, args, { cwd: here, encoding: 'utf8' });
if (res.status !== 0) {
  rmSync(path.join(here, 'build'), { recursive: true, force: true });
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n');
  done(`building the libdeflate binding failed; gzip uses Node's zlib. node-gyp said:\n${output}`, false);
}
// Only the addon is loaded; node-gyp's makefiles and objects would be dead weight in an install (and
// in the container image, whose test compares the installed package with the packed one).
const build = path.join(here, 'build');
for (const entry of readdirSync(build))
  if (entry !== 'Release') rmSync(path.join(build, entry), { recursive: true, force: true });
for (const entry of readdirSync(path.join(build, 'Release')))
  if (entry !== 'crilog_deflate.node')
    rmSync(path.join(build, 'Release', entry), { recursive: true, force: true });
done('libdeflate binding built: gzip compression uses libdeflate', true);
