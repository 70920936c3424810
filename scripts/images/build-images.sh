#!/usr/bin/env bash
# Builds the two images crilog's end-to-end harness needs, offline, as OCI image-layout tarballs
# that `ctr images import` accepts:
#
#   pause.oci.tar    localhost/crilog-pause:e2e    sandbox "pause" process: a shell that sleeps
#                                                  until TERM/INT (no Go toolchain needed)
#   busybox.oci.tar  localhost/crilog-busybox:e2e  /bin/busybox from Debian's busybox-static
#                                                  plus one symlink per applet
#
# Usage: build-images.sh OUT_DIR
# Layers are uncompressed and tarred with fixed owner and mtime, so the same busybox binary
# always gives the same digests. Needs only coreutils, tar and a static /bin/busybox.
set -euo pipefail

OUT=${1:?usage: build-images.sh OUT_DIR}
BUSYBOX=${BUSYBOX:-/bin/busybox}
PAUSE_REF=${CRILOG_PAUSE_IMAGE:-localhost/crilog-pause:e2e}
BUSYBOX_REF=${CRILOG_BUSYBOX_IMAGE:-localhost/crilog-busybox:e2e}

case "$(uname -m)" in
  x86_64) ARCH=amd64 ;;
  aarch64) ARCH=arm64 ;;
  *) ARCH=$(uname -m) ;;
esac

[ -x "$BUSYBOX" ] || { echo "build-images: $BUSYBOX not found; install the Debian package busybox-static" >&2; exit 3; }

mkdir -p "$OUT"
WORK=$(mktemp -d "$OUT/.build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

# put_blob FILE LAYOUT -> prints "sha256:<hex> <size>" after moving FILE into LAYOUT/blobs
put_blob() {
  local d s
  d=$(sha "$1"); s=$(size "$1")
  mv "$1" "$2/blobs/sha256/$d"
  echo "sha256:$d $s"
}

# make_image NAME REF ROOTFS CONFIG_JSON: writes $OUT/NAME.oci.tar (atomically)
make_image() {
  local name=$1 ref=$2 rootfs=$3 cfg=$4
  local lay=$WORK/$name-layout layer config manifest ld ls cd cs md ms
  mkdir -p "$lay/blobs/sha256"
  layer=$WORK/$name-layer.tar
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$layer" .
  read -r ld ls < <(put_blob "$layer" "$lay")

  config=$WORK/$name-config.json
  printf '{"created":"1970-01-01T00:00:00Z","architecture":"%s","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
    "$ARCH" "$cfg" "$ld" > "$config"
  read -r cd cs < <(put_blob "$config" "$lay")

  manifest=$WORK/$name-manifest.json
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
    "$cd" "$cs" "$ld" "$ls" > "$manifest"
  read -r md ms < <(put_blob "$manifest" "$lay")

  # ctr takes the image name from io.containerd.image.name; the OCI ref.name carries the tag.
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "$md" "$ms" "$ARCH" "$ref" "${ref##*:}" > "$lay/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' > "$lay/oci-layout"

  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$lay" \
    -cf "$WORK/$name.oci.tar" oci-layout index.json blobs
  mv -f "$WORK/$name.oci.tar" "$OUT/$name.oci.tar"
  echo "build-images: $OUT/$name.oci.tar ref=$ref manifest=$md" >&2
}

PATH_ENV='"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"'

# pause: PID 1 of every sandbox. A shell ignores TERM as PID 1 unless it traps it, so it traps
# TERM/INT and exits; sleeping in the background keeps it able to react at once.
PR=$WORK/pause-rootfs
mkdir -p "$PR/bin"
cp "$BUSYBOX" "$PR/bin/busybox"
ln -s busybox "$PR/bin/sh"
ln -s busybox "$PR/bin/sleep"
cat > "$PR/pause" <<'EOF'
#!/bin/sh
trap 'exit 0' TERM INT
while :; do
  sleep 86400 &
  wait $!
done
EOF
chmod 0755 "$PR/pause"
make_image pause "$PAUSE_REF" "$PR" \
  "{\"Entrypoint\":[\"/pause\"],\"Env\":[$PATH_ENV],\"WorkingDir\":\"/\",\"User\":\"65535:65535\"}"

# busybox: the workload image.
BR=$WORK/busybox-rootfs
mkdir -p "$BR"/{bin,etc,tmp,proc,sys,dev,root,var/log}
chmod 1777 "$BR/tmp"
cp "$BUSYBOX" "$BR/bin/busybox"
for applet in $("$BR/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$BR/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$BR/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$BR/etc/group"
make_image busybox "$BUSYBOX_REF" "$BR" \
  "{\"Cmd\":[\"sh\"],\"Env\":[$PATH_ENV],\"WorkingDir\":\"/\"}"
