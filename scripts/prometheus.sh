#!/usr/bin/env bash
# Debian's Prometheus (it ships promtool) for crilog's monitoring tests.
#
#   scripts/prometheus.sh install   install the `prometheus` package when prometheus or promtool is
#                                   missing (root, apt-get); prints the two binaries' paths
#   scripts/prometheus.sh env       `export CRILOG_PROMETHEUS=... CRILOG_PROMTOOL=...` lines for `eval`
#
# The package's own service is never started: a policy-rc.d forbids it during the install (its
# postinst would otherwise start a Prometheus on the fixed port 9090), and where it started anyway
# under systemd it is stopped and disabled again. Tests run their own Prometheus on a loopback port
# with temporary storage (test/monitoring/prometheus-harness.ts).
#
# Exit codes: 0 ok, 1 failure, 3 cannot run here (not root and not installed, no apt-get).
set -euo pipefail

say() { echo "[prometheus.sh $(date +%T.%3N)] $*" >&2; }
cannot() { say "cannot run here: $*"; exit 3; }

export PATH=$PATH:/usr/sbin:/sbin

have() { command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; }

install() {
  if have; then return 0; fi
  [ "$(id -u)" = 0 ] || cannot "prometheus is not installed and installing it needs root; run: sudo bash scripts/prometheus.sh install"
  command -v apt-get >/dev/null 2>&1 || cannot "prometheus is not installed and there is no apt-get to install it"
  say "installing Debian package: prometheus"
  local policy=/usr/sbin/policy-rc.d created=0 t0
  t0=$(date +%s%3N)
  if [ ! -e "$policy" ]; then
    # 101: "action forbidden"; invoke-rc.d then starts no service during the install.
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 0755 "$policy"
    created=1
  fi
  local ok=1
  { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; } >&2 || ok=0
  [ "$created" = 1 ] && rm -f "$policy"
  [ "$ok" = 1 ] || cannot "apt-get could not install prometheus"
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
  have || cannot "prometheus or promtool still missing after the install"
  say "installed $(prometheus --version 2>&1 | head -1) in $(($(date +%s%3N) - t0)) ms"
}

case "${1:-}" in
  install)
    install
    command -v prometheus
    command -v promtool
    ;;
  env)
    install
    echo "export CRILOG_PROMETHEUS=$(command -v prometheus)"
    echo "export CRILOG_PROMTOOL=$(command -v promtool)"
    ;;
  *)
    echo "usage: $0 install|env" >&2
    exit 1
    ;;
esac
