#!/usr/bin/env bash
# A private containerd (with its CRI plugin) for crilog's end-to-end tests.
#
#   scripts/containerd.sh up [--env]    install missing packages (root), build images offline, start
#                                       containerd, import images; prints the CRI socket path on stdout,
#                                       or with --env `export CRILOG_...=...` lines for `eval`
#   scripts/containerd.sh down [--all]  stop it and everything it started, unmount, remove its folder
#   scripts/containerd.sh status        what is running, mounted and left over
#   scripts/containerd.sh env           the harness variables (KEY=value lines) for `source`/tests
#   scripts/containerd.sh stop-daemon   stop only containerd (containers keep running): a runtime outage
#   scripts/containerd.sh start-daemon  start containerd again on the same state
#
# Everything (config, root, state, sockets, runc state) lives in one folder: $CRILOG_CONTAINERD_DIR,
# or by default a fresh mktemp folder recorded in <repo>/.containerd-run/current. Every harness folder
# is also listed in <repo>/.containerd-run/harnesses/ so `down --all` finds ones a crashed run left.
# Processes are only ever killed by PID, after checking they belong to this harness.
#
# Exit codes: 0 ok, 1 failure, 3 cannot run here (not root, packages missing and not installable).
#
# Settings this needs on a VM/container without systemd (each found the hard way):
#  * cgroupfs driver (SystemdCgroup = false): PID 1 is not systemd.
#  * restrict_oom_score_adj = true: root may lack CAP_SYS_RESOURCE, so runc cannot lower the
#    sandbox's oom_score_adj to -998 and every RunPodSandbox would fail.
#  * runc Root and the "opt" plugin path moved into the folder (defaults are /run/containerd/runc
#    and /opt/containerd), so nothing outside it is shared with another containerd.
#  * Sandboxes use host network and no hostname (tests set this, see CriTestClient), so no CNI
#    plugins are needed.
#  * containerd 1.6 hardcodes shim sockets to /run/containerd/s/<hash> whatever the config says;
#    `down` removes those directories again if this harness created them and they are empty.
#  * Stream server on 127.0.0.1 port 0, so several harnesses never fight over a port.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REG=$REPO/.containerd-run
CURRENT=$REG/current
HARNESSES=$REG/harnesses
IMAGE_CACHE=$REG/images
NS=k8s.io
MARKER=.crilog-containerd
PAUSE_IMAGE=${CRILOG_PAUSE_IMAGE:-localhost/crilog-pause:e2e}
BUSYBOX_IMAGE=${CRILOG_BUSYBOX_IMAGE:-localhost/crilog-busybox:e2e}
READY_TIMEOUT_S=${CRILOG_CONTAINERD_READY_TIMEOUT:-30}
PACKAGES=(containerd runc busybox-static)

say() { echo "[containerd.sh $(date +%T.%3N)] $*" >&2; }
die() { say "error: $*"; exit 1; }
cannot() { say "cannot run here: $*"; exit 3; }
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- locating a harness

# The harness folder: $CRILOG_CONTAINERD_DIR, else the recorded default (may print nothing).
harness_dir() {
  if [ -n "${CRILOG_CONTAINERD_DIR:-}" ]; then
    realpath -m "$CRILOG_CONTAINERD_DIR"
  elif [ -f "$CURRENT" ]; then
    cat "$CURRENT"
  fi
}

set_paths() {
  DIR=$1
  RUN=$DIR/run
  SOCK=$RUN/containerd.sock
  CFG=$DIR/config.toml
  PIDFILE=$DIR/containerd.pid
  LOG=$DIR/containerd.log
  ENVFILE=$DIR/harness.env
  # one cgroup parent per harness, so teardown removes exactly its own cgroups
  CGROUP_NAME=crilog-e2e-$(printf %s "$DIR" | sha256sum | cut -c1-10)
  REGFILE=$HARNESSES/$(printf %s "$DIR" | sha256sum | cut -c1-16)
}

# PID of this harness's containerd, verified by executable and config path; fails if none.
daemon_pid() {
  [ -f "$PIDFILE" ] || return 1
  local p cmd
  p=$(cat "$PIDFILE")
  [ -n "$p" ] && [ -d "/proc/$p" ] || return 1
  [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$(readlink -f "$(command -v containerd)")" ] || return 1
  cmd=$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null) || return 1
  case "$cmd" in *" --config $CFG "*) echo "$p" ;; *) return 1 ;; esac
}

# PIDs of shims serving this harness: named containerd-shim*, with our socket on their command
# line. Only shims' command lines are read.
shim_pids() {
  local d comm a
  for d in /proc/[0-9]*; do
    { read -r comm < "$d/comm"; } 2>/dev/null || continue
    case "$comm" in containerd-shim*) ;; *) continue ;; esac
    a=$( { tr '\0' ' ' < "$d/cmdline"; } 2>/dev/null ) || continue
    case "$a" in *"-address $SOCK "*) echo "${d#/proc/}" ;; esac
  done
}

# Mount points at or below the harness folder, deepest first.
harness_mounts() {
  awk -v d="$DIR" '{ mp=$5; gsub(/\\040/, " ", mp); if (mp == d || index(mp, d "/") == 1) print mp }' /proc/self/mountinfo |
    awk '{ print gsub("/", "/"), $0 }' | sort -rn | cut -d' ' -f2-
}

cri_plugin_status() {
  ctr --address "$SOCK" plugins ls 2>/dev/null | awk '$1 == "io.containerd.grpc.v1" && $2 == "cri" { print $NF }'
}

# ---------------------------------------------------------------- prerequisites

missing_packages() {
  local missing=()
  { command -v containerd && command -v ctr && command -v containerd-shim-runc-v2; } >/dev/null 2>&1 || missing+=(containerd)
  command -v runc >/dev/null 2>&1 || [ -x /usr/sbin/runc ] || missing+=(runc)
  if [ -z "${BUSYBOX:-}" ]; then
    if command -v dpkg-query >/dev/null 2>&1; then
      [ "$(dpkg-query -W -f='${db:Status-Status}' busybox-static 2>/dev/null)" = installed ] || missing+=(busybox-static)
    else
      [ -x /bin/busybox ] || missing+=(busybox-static)
    fi
  fi
  echo "${missing[*]}"
}

ensure_prerequisites() {
  [ "$(id -u)" = 0 ] || cannot "containerd needs root; run: sudo bash scripts/containerd.sh up"
  export PATH=$PATH:/usr/sbin:/sbin
  local missing
  missing=$(missing_packages)
  if [ -n "$missing" ]; then
    command -v apt-get >/dev/null 2>&1 || cannot "missing packages ($missing) and no apt-get to install them"
    say "installing Debian packages: $missing"
    local t0; t0=$(now_ms)
    # shellcheck disable=SC2086 # word splitting of the package list is intended
    if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; } >&2; then
      cannot "apt-get could not install: $missing"
    fi
    say "installed in $(($(now_ms) - t0)) ms"
    missing=$(missing_packages)
    [ -z "$missing" ] || cannot "still missing after install: $missing"
  fi
  command -v flock >/dev/null 2>&1 || cannot "flock (util-linux) is missing"
}

# ---------------------------------------------------------------- images

# Builds the OCI tarballs once per busybox binary and build script; echoes their folder.
build_images() {
  local key cache
  key=$(cat "${BUSYBOX:-/bin/busybox}" "$REPO/scripts/images/build-images.sh" | sha256sum | cut -c1-16)
  cache=$IMAGE_CACHE/$key-$(printf %s "$PAUSE_IMAGE $BUSYBOX_IMAGE" | sha256sum | cut -c1-8)
  mkdir -p "$IMAGE_CACHE"
  (
    # parallel `up`s (one per test file) build once
    flock 9
    if [ ! -f "$cache/pause.oci.tar" ] || [ ! -f "$cache/busybox.oci.tar" ]; then
      say "building images into $cache"
      CRILOG_PAUSE_IMAGE=$PAUSE_IMAGE CRILOG_BUSYBOX_IMAGE=$BUSYBOX_IMAGE \
        bash "$REPO/scripts/images/build-images.sh" "$cache"
    fi
  ) 9> "$IMAGE_CACHE/.lock"
  echo "$cache"
}

# ---------------------------------------------------------------- daemon

write_config() {
  local snapshotter=${CRILOG_CONTAINERD_SNAPSHOTTER:-}
  if [ -z "$snapshotter" ]; then
    if grep -qw overlay /proc/filesystems; then snapshotter=overlayfs; else snapshotter=native; fi
  fi
  SNAPSHOTTER=$snapshotter
  cat > "$CFG" <<EOF
# Written by crilog scripts/containerd.sh: a private containerd for end-to-end tests.
version = 2
root = "$DIR/root"
state = "$DIR/state"
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
]

[grpc]
  address = "$SOCK"

[ttrpc]
  address = "$SOCK.ttrpc"

[debug]
  level = "info"

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$DIR/opt"

  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$PAUSE_IMAGE"
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    disable_apparmor = true
    enable_selinux = false
    restrict_oom_score_adj = true

    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "$DIR/cni/bin"
      conf_dir = "$DIR/cni/net.d"

    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "$snapshotter"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          BinaryName = "$(command -v runc || echo /usr/sbin/runc)"
          Root = "$RUN/runc"
          SystemdCgroup = false
EOF
}

# Starts containerd detached (own session, so a Ctrl-C in the test runner does not kill it
# behind teardown's back) and waits until its CRI plugin is up; sets READY_MS.
start_daemon() {
  local t0 pid st=""
  [ -f "$CFG" ] || die "no config at $CFG; run 'up' first"
  if pid=$(daemon_pid); then say "containerd already running (pid $pid)"; READY_MS=0; return 0; fi
  rm -f "$SOCK" "$SOCK.ttrpc"
  t0=$(now_ms)
  setsid containerd --config "$CFG" >> "$LOG" 2>&1 < /dev/null &
  echo $! > "$PIDFILE"
  for _ in $(seq 1 $((READY_TIMEOUT_S * 50))); do
    if ! pid=$(daemon_pid); then
      # setsid execs in place, so this is only a moment before exec (or a crash)
      kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { tail -20 "$LOG" >&2; die "containerd exited during start (log: $LOG)"; }
    elif [ -S "$SOCK" ]; then
      st=$(cri_plugin_status || true)
      [ "$st" = ok ] && break
    fi
    sleep 0.02
  done
  [ "$st" = ok ] || { tail -20 "$LOG" >&2; die "CRI plugin not ready after ${READY_TIMEOUT_S}s (status '$st', log: $LOG)"; }
  READY_MS=$(($(now_ms) - t0))
  say "containerd pid $(daemon_pid) ready in ${READY_MS} ms (socket $SOCK)"
}

stop_daemon() {
  local pid
  pid=$(daemon_pid) || { say "containerd not running"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 200); do [ -d "/proc/$pid" ] || break; sleep 0.05; done
  if [ -d "/proc/$pid" ]; then say "containerd $pid ignored TERM for 10s; KILL"; kill -KILL "$pid" 2>/dev/null || true; fi
  for _ in $(seq 1 100); do [ -d "/proc/$pid" ] || break; sleep 0.05; done
  rm -f "$PIDFILE"
  say "containerd $pid stopped"
}

# ---------------------------------------------------------------- commands

# Prints the harness result: the socket path, or with --env shell `export` lines.
print_result() {
  if [ "$1" = --env ]; then
    local k v
    while IFS='=' read -r k v; do printf "export %s=%q\n" "$k" "$v"; done < "$ENVFILE"
  else
    echo "$SOCK"
  fi
}

cmd_up() {
  local mode=${1:-}
  case "$mode" in '' | --env) ;; *) die "unknown option for up: $mode (use --env or nothing)" ;; esac
  ensure_prerequisites
  local dir
  dir=$(harness_dir)
  if [ -n "$dir" ] && [ -f "$dir/$MARKER" ]; then
    set_paths "$dir"
    if daemon_pid >/dev/null; then
      say "already running in $DIR"
      print_result "$mode"
      return 0
    fi
    say "stale harness in $DIR; tearing it down first"
    teardown
  fi
  if [ -n "${CRILOG_CONTAINERD_DIR:-}" ]; then
    dir=$(realpath -m "$CRILOG_CONTAINERD_DIR")
    mkdir -p "$dir"
    [ -z "$(ls -A "$dir")" ] || die "CRILOG_CONTAINERD_DIR=$dir is not empty; give an empty or new folder"
  else
    mkdir -p "$REG"
    dir=$(mktemp -d "${TMPDIR:-/tmp}/crilog-ctrd.XXXXXX")
    echo "$dir" > "$CURRENT"
  fi
  set_paths "$dir"
  local t_start; t_start=$(now_ms)
  touch "$DIR/$MARKER"
  mkdir -p "$HARNESSES" && echo "$DIR" > "$REGFILE"
  # remove what exists so far if anything below fails
  UP_OK=0
  trap '[ "$UP_OK" = 1 ] || { say "up failed; cleaning up $DIR"; teardown || true; }' EXIT
  [ -e /run/containerd ] || touch "$DIR/.created-run-containerd"
  mkdir -p "$RUN" "$DIR/root" "$DIR/state" "$DIR/opt" "$DIR/cni/bin" "$DIR/cni/net.d"
  local images; images=$(build_images)
  write_config
  start_daemon
  local t_import; t_import=$(now_ms)
  ctr --address "$SOCK" -n "$NS" images import --snapshotter "$SNAPSHOTTER" "$images/pause.oci.tar" >&2
  ctr --address "$SOCK" -n "$NS" images import --snapshotter "$SNAPSHOTTER" "$images/busybox.oci.tar" >&2
  local import_ms=$(($(now_ms) - t_import))
  cat > "$ENVFILE" <<EOF
CRILOG_CONTAINERD_DIR=$DIR
CRILOG_CONTAINERD_SOCKET=$SOCK
CRILOG_CONTAINERD_CGROUP_PARENT=/$CGROUP_NAME
CRILOG_PAUSE_IMAGE=$PAUSE_IMAGE
CRILOG_BUSYBOX_IMAGE=$BUSYBOX_IMAGE
EOF
  printf '{"readyMs":%s,"importMs":%s,"upMs":%s,"snapshotter":"%s"}\n' \
    "$READY_MS" "$import_ms" "$(($(now_ms) - t_start))" "$SNAPSHOTTER" > "$DIR/timings.json"
  UP_OK=1
  say "up in $(($(now_ms) - t_start)) ms: ready ${READY_MS} ms, image import ${import_ms} ms; env in $ENVFILE"
  print_result "$mode"
}

# Tears down the harness in $DIR: everything it started, by PID, then its mounts, cgroups, folder.
teardown() {
  local pid ids id shims m n=0 created_run=0
  stop_daemon
  # containers outlive containerd (their shims keep them); kill them through our own runc root
  if [ -d "$RUN/runc/$NS" ]; then
    ids=$(runc --root "$RUN/runc/$NS" list -q 2>/dev/null || true)
    for id in $ids; do
      runc --root "$RUN/runc/$NS" kill "$id" KILL 2>/dev/null || true
      runc --root "$RUN/runc/$NS" delete -f "$id" 2>/dev/null || true
    done
    [ -z "$ids" ] || say "killed $(echo "$ids" | wc -w) leftover container(s)"
  fi
  shims=$(shim_pids || true)
  if [ -n "$shims" ]; then
    say "stopping shims: $(echo $shims)"
    # shellcheck disable=SC2086
    kill -TERM $shims 2>/dev/null || true
    for _ in $(seq 1 40); do
      pid=""
      for s in $shims; do [ -d "/proc/$s" ] && pid=$s; done
      [ -n "$pid" ] || break
      sleep 0.05
    done
    for s in $shims; do [ -d "/proc/$s" ] && kill -KILL "$s" 2>/dev/null || true; done
  fi
  while read -r m; do
    [ -n "$m" ] || continue
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || say "could not unmount $m"
    n=$((n + 1))
  done < <(harness_mounts)
  [ "$n" = 0 ] || say "unmounted $n mount(s)"
  local c
  for c in /sys/fs/cgroup/"$CGROUP_NAME" /sys/fs/cgroup/*/"$CGROUP_NAME"; do
    [ -d "$c" ] && find "$c" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  [ -f "$DIR/.created-run-containerd" ] && created_run=1
  if [ -f "$DIR/$MARKER" ]; then
    rm -rf "$DIR"
  fi
  if [ "$created_run" = 1 ]; then
    # only empty directories go; another containerd may have sockets there by now
    rmdir /run/containerd/s 2>/dev/null || true
    rmdir /run/containerd 2>/dev/null || true
  fi
  rm -f "$REGFILE"
  if [ -f "$CURRENT" ] && [ "$(cat "$CURRENT")" = "$DIR" ]; then rm -f "$CURRENT"; fi
  say "down: $DIR removed"
}

cmd_down() {
  if [ "${1:-}" = --all ]; then
    local f
    for f in "$HARNESSES"/*; do
      [ -f "$f" ] || continue
      set_paths "$(cat "$f")"
      teardown
    done
    return 0
  fi
  local dir; dir=$(harness_dir)
  [ -n "$dir" ] || { say "no harness recorded; nothing to do"; return 0; }
  set_paths "$dir"
  [ -f "$DIR/$MARKER" ] || [ ! -e "$DIR" ] || die "$DIR is not a harness folder (no $MARKER); refusing to touch it"
  teardown
}

cmd_status() {
  local dir pid; dir=$(harness_dir)
  [ -n "$dir" ] || { say "no harness recorded"; return 1; }
  set_paths "$dir"
  echo "dir: $DIR"
  echo "socket: $SOCK"
  if pid=$(daemon_pid); then
    echo "containerd: pid $pid, cri $(cri_plugin_status || echo '?')"
    echo "containers: $(ctr --address "$SOCK" -n "$NS" containers ls -q 2>/dev/null | wc -l)"
  else
    echo "containerd: not running"
  fi
  echo "shims: $(shim_pids | xargs echo)"
  echo "mounts: $(harness_mounts | wc -l)"
  echo "cgroups: $(ls -d /sys/fs/cgroup/"$CGROUP_NAME" /sys/fs/cgroup/*/"$CGROUP_NAME" 2>/dev/null | xargs echo)"
  [ -f "$DIR/timings.json" ] && echo "timings: $(cat "$DIR/timings.json")"
  daemon_pid >/dev/null
}

with_existing_harness() {
  local dir; dir=$(harness_dir)
  [ -n "$dir" ] && [ -f "$dir/$MARKER" ] || die "no harness (set CRILOG_CONTAINERD_DIR or run 'up')"
  set_paths "$dir"
}

case "${1:-}" in
  up) cmd_up "${2:-}" ;;
  down) cmd_down "${2:-}" ;;
  status) cmd_status ;;
  env) with_existing_harness && cat "$ENVFILE" ;;
  stop-daemon) with_existing_harness && stop_daemon ;;
  start-daemon) with_existing_harness && start_daemon && echo "$SOCK" ;;
  *)
    echo "usage: $0 up [--env] | down [--all] | status | env | stop-daemon | start-daemon" >&2
    exit 2
    ;;
esac
