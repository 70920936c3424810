#!/usr/bin/env bash
# Builds crilog's container image offline: no Docker engine, no registry, no base image.
#
#   scripts/image.sh [build]   build (or reuse) the image; prints the OCI archive's path on stdout
#   scripts/image.sh info      the built image's facts as JSON (ref, digest, sizes, build time)
#   scripts/image.sh compare   the image's size next to an estimate of a node:20-slim based one
#
# The steps are deploy/Dockerfile's (test/deploy/image-dockerfile.test.ts keeps the two in step):
# compile the TypeScript, `npm pack`, install the packed file with production dependencies only under
# /opt/crilog (which builds the zstd-napi addon from source, and crilog's libdeflate binding), then a runtime filesystem with Node.js
# and that tree, without npm, npx, corepack or yarn. Where the Dockerfile starts from node:20-slim, the
# runtime filesystem here is assembled from this machine's Debian files: the node binary, the shared
# libraries it and the addon load (found with ldd), /usr/bin/env for the `crilog` command's shebang,
# and /etc/passwd and /etc/group. umoci (Debian) turns it into one gzip layer and writes the image
# config (entrypoint, cmd, user, env, labels) from the Dockerfile's values.
#
# Output: $CRILOG_IMAGE_DIR (default <repo>/.image)/crilog-<version>.oci.tar, an OCI image layout in
# a tar (what `ctr images import` and `podman load` read), named docker.io/library/crilog:<version>,
# the name the manifests' `image: crilog:<version>` resolves to, so a node that imported it runs the
# DaemonSet without pulling. A build is reused while its inputs (sources, lock file, this script, the
# Dockerfile, the node binary) are unchanged; CRILOG_IMAGE_REBUILD=1 forces one.
#
# Needs root only to install missing Debian packages (umoci, and python3, make, g++ and libdeflate-dev
# for the addons).
# Exit codes: 0 ok, 1 failure, 3 cannot run here (a needed tool is missing and cannot be installed).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${CRILOG_IMAGE_DIR:-$REPO/.image}
VERSION=$(node -p 'require(process.argv[1]).version' "$REPO/package.json")
NAME=crilog
REF=${CRILOG_IMAGE_REF:-docker.io/library/$NAME:$VERSION}
ARCHIVE=$OUT/$NAME-$VERSION.oci.tar
INFO=$ARCHIVE.json
PREFIX=/opt/crilog
# The image's creation time: the last commit's, so that a rebuild of the same tree is the same image.
CREATED=$(TZ=UTC git -C "$REPO" log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || true)
CREATED=${CREATED:-1970-01-01T00:00:00Z}

say() { echo "[image.sh $(date +%T)] $*" >&2; }
die() { say "error: $*"; exit 1; }
cannot() { say "cannot run here: $*"; exit 3; }
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- prerequisites

ensure_tools() {
  local missing=()
  command -v umoci >/dev/null 2>&1 || missing+=(umoci)
  command -v make >/dev/null 2>&1 || missing+=(make)
  command -v g++ >/dev/null 2>&1 || missing+=(g++)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  # The optional libdeflate binding (gzip at about 1.6x less CPU) is built into the image.
  [ -f /usr/include/libdeflate.h ] || missing+=(libdeflate-dev)
  [ ${#missing[@]} = 0 ] && return 0
  [ "$(id -u)" = 0 ] || cannot "missing ${missing[*]}; install them (apt-get install ${missing[*]}) or run as root"
  command -v apt-get >/dev/null 2>&1 || cannot "missing ${missing[*]} and no apt-get to install them"
  say "installing Debian packages: ${missing[*]}"
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >&2 ||
    cannot "apt-get could not install: ${missing[*]}"
}

# The node binary the image ships: the one running this script (Node 20, as in node:20-slim).
node_binary() { readlink -f "$(command -v node)"; }

# Everything the image is made of; a change to any of it makes a new image.
input_key() {
  {
    echo "$REF"
    node --version
    sha256sum "$(node_binary)" | cut -d' ' -f1
    cd "$REPO"
    find src proto -type f ! -name '*.test.ts' -print0 | sort -z | xargs -0 sha256sum
    sha256sum native/libdeflate/binding.gyp native/libdeflate/deflate.c native/libdeflate/build.mjs
    sha256sum /usr/include/libdeflate.h 2>/dev/null || true
    sha256sum package.json package-lock.json tsconfig.json tsconfig.build.json README.md \
      deploy/Dockerfile scripts/image.sh .prebuild-installrc
  } | sha256sum | cut -c1-16
}

# ---------------------------------------------------------------- steps

# The Dockerfile's build stage: compile, pack, install with production dependencies under the prefix.
# The project's own node_modules provide the compiler, instead of a second `npm ci`.
build_tree() {
  local work=$1 root=$2 pkg=$work/pkg
  mkdir -p "$pkg"
  (cd "$REPO" && cp -r package.json package-lock.json tsconfig.json tsconfig.build.json README.md \
    .prebuild-installrc src proto "$pkg/")
  # The binding's sources only: a build/ of the working tree is the host's, not the image's.
  mkdir -p "$pkg/native/libdeflate"
  cp "$REPO"/native/libdeflate/{binding.gyp,deflate.c,build.mjs} "$pkg/native/libdeflate/"
  [ -f "$REPO/.npmrc" ] && cp "$REPO/.npmrc" "$pkg/"
  [ -d "$REPO/node_modules" ] || die "no node_modules in $REPO: run npm ci first"
  ln -s "$REPO/node_modules" "$pkg/node_modules"
  say "compiling and packing"
  (cd "$pkg" && npm run build --silent >&2 && npm pack --silent --pack-destination "$work" >&2)
  local tgz
  tgz=$(ls "$work"/crilog-*.tgz)
  say "installing $(basename "$tgz") with production dependencies under $PREFIX"
  # From the package folder, as the Dockerfile does, so that its .prebuild-installrc (build native
  # addons from source, no prebuilt download) applies; node-gyp finds the headers of the running node.
  local nodedir=()
  [ -f /usr/include/node/node.h ] && nodedir=(--nodedir=/usr)
  # JOBS: node-gyp compiles the addon on every core.
  # CRILOG_REQUIRE_LIBDEFLATE: an image without the binding is a failed build, not a slower image.
  (cd "$pkg" && JOBS=max CRILOG_REQUIRE_LIBDEFLATE=1 npm install --global --prefix "$root$PREFIX" --omit=dev --no-audit --no-fund \
    "${nodedir[@]}" "$tgz" >&2)
  test -f "$root$PREFIX/lib/node_modules/crilog/dist/cli/main.js" || die "the install left no crilog under $PREFIX"
  # npm's global install links bin/crilog into the prefix; nothing else belongs there.
}

# Copies FILE and the shared libraries it loads into ROOT, at the same paths.
copy_with_libs() {
  local root=$1 file=$2 lib
  for lib in $(ldd "$file" | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }'); do
    [ -e "$root$lib" ] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

# The runtime stage: Node.js (no package managers), the installed tree, and the files they need.
assemble_rootfs() {
  local root=$1 node f
  node=$(node_binary)
  mkdir -p "$root"/{usr/local/bin,usr/bin,etc,tmp,run/crilog,etc/crilog,var/log/pods}
  chmod 1777 "$root/tmp"
  cp "$node" "$root/usr/local/bin/node"
  copy_with_libs "$root" "$node"
  cp /usr/bin/env "$root/usr/bin/env"
  copy_with_libs "$root" /usr/bin/env
  while IFS= read -r -d '' f; do copy_with_libs "$root" "$f"; done < <(find "$root$PREFIX" -name '*.node' -print0)
  # node:20-slim's users: root, and node (1000), the image's default user.
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnode:x:1000:1000::/home/node:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' > "$root/etc/group"
  printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
  # What the image holds from Debian, for scanners and licences.
  mkdir -p "$root/usr/share/doc/crilog-image"
  (cd "$root" && find . -type f ! -path "./opt/*" ! -path ./usr/share/doc/crilog-image/\* -printf '/%P\n') |
    while read -r f; do
      local host=$f
      [ "$f" = /usr/local/bin/node ] && host=$node
      # merged /usr: dpkg may know a library under /lib or under /usr/lib
      { dpkg-query -S "$host" 2>/dev/null || dpkg-query -S "$(readlink -f "$host")" 2>/dev/null; } |
        cut -d: -f1 | head -1 || true
    done | sort -u | while read -r p; do
      [ -n "$p" ] && dpkg-query -W -f '${Package} ${Version}\n' "$p" 2>/dev/null
    done > "$root/usr/share/doc/crilog-image/debian-packages.txt" || true
  [ -f /usr/share/doc/nodejs/copyright ] && cp /usr/share/doc/nodejs/copyright "$root/usr/share/doc/crilog-image/nodejs.copyright"
  # Fixed times, so that an unchanged tree gives the same layer.
  find "$root" -exec touch -h -d @0 {} +
}

# The Dockerfile's runtime-stage settings, one per line: KEY<TAB>value.
dockerfile_settings() {
  node "$REPO/scripts/images/dockerfile-settings.mjs" "$REPO/deploy/Dockerfile"
}

make_image() {
  local work=$1 root=$2 lay=$work/layout bundle=$work/bundle key val
  umoci init --layout "$lay"
  umoci new --image "$lay:$NAME"
  umoci unpack --image "$lay:$NAME" "$bundle" >&2
  cp -a "$root/." "$bundle/rootfs/"
  umoci repack --image "$lay:$NAME" --history.created "$CREATED" \
    --history.created_by "scripts/image.sh: deploy/Dockerfile's steps" "$bundle"
  local args=(--no-history --image "$lay:$NAME" --os linux --created "$CREATED"
    --clear=config.env --clear=config.entrypoint --clear=config.cmd --clear=config.labels)
  case "$(uname -m)" in x86_64) args+=(--architecture amd64) ;; aarch64) args+=(--architecture arm64) ;; esac
  while IFS=$'\t' read -r key val; do
    case "$key" in
      USER) args+=(--config.user "$val") ;;
      ENV) args+=(--config.env "$val") ;;
      ENTRYPOINT) args+=(--config.entrypoint "$val") ;;
      CMD) args+=(--config.cmd "$val") ;;
      LABEL) args+=(--config.label "$val") ;;
      WORKDIR) args+=(--config.workingdir "$val") ;;
      *) die "unexpected Dockerfile setting $key" ;;
    esac
  done < <(dockerfile_settings)
  umoci config "${args[@]}"
  umoci gc --layout "$lay"
  # One image in the index, named for ctr (io.containerd.image.name) and podman (ref.name).
  node -e '
    const fs = require("fs"); const [file, ref] = process.argv.slice(1);
    const index = JSON.parse(fs.readFileSync(file, "utf8"));
    if (index.manifests.length !== 1) throw new Error(`expected one manifest in ${file}`);
    index.manifests[0].annotations = { "io.containerd.image.name": ref, "org.opencontainers.image.ref.name": ref };
    fs.writeFileSync(file, JSON.stringify(index));
  ' "$lay/index.json" "$REF"
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$lay" -cf "$work/image.oci.tar" oci-layout index.json blobs
}

write_info() {
  local work=$1 root=$2 key=$3 build_ms=$4
  node -e '
    const fs = require("fs"); const path = require("path");
    const [lay, root, archive, ref, key, buildMs, out] = process.argv.slice(1);
    const blob = (d) => path.join(lay, "blobs", d.replace(":", "/"));
    const index = JSON.parse(fs.readFileSync(path.join(lay, "index.json"), "utf8"));
    const manifest = JSON.parse(fs.readFileSync(blob(index.manifests[0].digest), "utf8"));
    const walk = (d) => { let files = 0, bytes = 0;
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name); files++;
        if (e.isDirectory()) { const r = walk(p); files += r.files; bytes += r.bytes; }
        else if (e.isFile()) bytes += fs.statSync(p).size; }
      return { files, bytes }; };
    const { files, bytes } = walk(root);
    const prefix = walk(path.join(root, "opt/crilog"));
    const info = { ref, manifestDigest: index.manifests[0].digest, archive, inputKey: key,
      archiveBytes: fs.statSync(archive).size,
      compressedLayerBytes: manifest.layers.reduce((s, l) => s + l.size, 0),
      uncompressedBytes: bytes, files, prefixBytes: prefix.bytes, prefixFiles: prefix.files, buildMs: Number(buildMs) };
    fs.writeFileSync(out, JSON.stringify(info, null, 2) + "\n");
  ' "$work/layout" "$root" "$ARCHIVE" "$REF" "$key" "$build_ms" "$INFO.tmp"
  mv -f "$INFO.tmp" "$INFO"
}

cmd_build() {
  ensure_tools
  mkdir -p "$OUT"
  local key
  key=$(input_key)
  (
    # Parallel test files build once.
    flock 9
    if [ -z "${CRILOG_IMAGE_REBUILD:-}" ] && [ -f "$ARCHIVE" ] && [ -f "$INFO" ] &&
      grep -q "\"inputKey\": \"$key\"" "$INFO"; then
      say "up to date: $ARCHIVE ($key)"
      exit 0
    fi
    local t0 work
    t0=$(now_ms)
    work=$(mktemp -d "$OUT/.build.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    build_tree "$work" "$work/rootfs"
    assemble_rootfs "$work/rootfs"
    say "writing the OCI image $REF"
    make_image "$work" "$work/rootfs"
    mv -f "$work/image.oci.tar" "$ARCHIVE"
    # The packed package, the build stage's output: test/deploy/image-dockerfile.test.ts compares it
    # with what the image holds.
    cp "$work"/crilog-*.tgz "$OUT/$NAME-$VERSION.tgz"
    write_info "$work" "$work/rootfs" "$key" "$(($(now_ms) - t0))"
    say "built $ARCHIVE in $(($(now_ms) - t0)) ms: $(node -p 'const i = require(process.argv[1]); `${(i.compressedLayerBytes / 1e6).toFixed(1)} MB compressed, ${(i.uncompressedBytes / 1e6).toFixed(1)} MB unpacked`' "$INFO")"
  ) 9> "$OUT/.lock"
  echo "$ARCHIVE"
}

# Installed-Size (KiB) of Debian packages, from the package lists (installed or not).
installed_kib() {
  local found
  found=$(apt-cache show --no-all-versions "$@" 2>/dev/null |
    awk '/^Package:/ { n++ } /^Installed-Size:/ { s += $2 } END { print n + 0, s + 0 }')
  [ "${found%% *}" = "$#" ] || die "apt-cache knows only ${found%% *} of the $# packages $* (run apt-get update)"
  echo "${found#* }"
}

# node:20-slim cannot be pulled here, so it is estimated from what it is made of: debian:bookworm-slim
# (Debian's Priority: required packages plus apt, what debootstrap's minbase installs, less the
# documentation and locales the slim variant deletes, about 10 MB), plus the official Node.js 20
# linux-x64 tree under /usr/local (the nodejs package's files: binary, npm, corepack, headers), plus
# yarn 1.22 (about 5 MB), plus the few packages the node image adds (ca-certificates is not among them
# for slim; it adds nothing else of size). Sizes are unpacked: Installed-Size, or the files' sizes.
cmd_compare() {
  [ -f "$INFO" ] || die "no image built yet; run: bash scripts/image.sh"
  local required base node_kib
  required=$(apt-cache dumpavail 2>/dev/null | awk '/^Package:/ { p = $2 } /^Priority: required/ { print p }' | sort -u)
  [ -n "$required" ] || die "apt knows no packages; run apt-get update first"
  # shellcheck disable=SC2086 # the package list is split on purpose
  base=$(installed_kib $required apt)
  # The Node.js tree: the installed nodejs package's files (the official tarball's: binary, headers,
  # npm, corepack) without its Debian documentation, which the tarball does not carry.
  if dpkg-query -W nodejs >/dev/null 2>&1; then
    node_kib=$({ dpkg -L nodejs | grep -v '^/usr/share/doc/' | xargs -d '\n' stat -c '%F %s' 2>/dev/null || true; } |
      awk '$1 == "regular" { s += $NF } END { printf "%d", s / 1024 }')
  else
    node_kib=$(installed_kib nodejs)
  fi
  node -e '
    const [infoFile, baseKib, nodeKib] = process.argv.slice(1);
    const info = require(infoFile);
    const mb = (b) => (b / 1e6).toFixed(1) + " MB";
    const slimDocs = 10e6, yarn = 5e6;
    const slim = Number(baseKib) * 1024 - slimDocs + Number(nodeKib) * 1024 + yarn;
    console.log(JSON.stringify({
      image: { ref: info.ref, unpacked: mb(info.uncompressedBytes), compressed: mb(info.compressedLayerBytes) },
      nodeSlimEstimate: { unpacked: mb(slim), bookwormSlim: mb(Number(baseKib) * 1024 - slimDocs),
        node20: mb(Number(nodeKib) * 1024), yarn: mb(yarn) },
      // deploy/Dockerfile: node:20-slim, a layer deleting the package managers (which cannot shrink
      // the layers below it), and the /opt/crilog tree.
      dockerfileImageAtLeast: mb(slim + info.prefixBytes),
      ratio: (info.uncompressedBytes / slim).toFixed(2),
    }, null, 2));
  ' "$INFO" "$base" "$node_kib"
}

case "${1:-build}" in
  build) cmd_build ;;
  info) [ -f "$INFO" ] || die "no image built yet; run: bash scripts/image.sh"; cat "$INFO" ;;
  compare) cmd_compare ;;
  *)
    echo "usage: $0 [build] | info | compare" >&2
    exit 2
    ;;
esac
