#!/usr/bin/env bash
# System packages the daemon, the demo and the test labs need (Debian 12). Idempotent.
set -euo pipefail
pkgs=(iproute2 iputils-ping procps tcpdump keepalived frr nginx-light dnsmasq-base nftables ipvsadm python3 make g++ prometheus util-linux man-db groff-base systemd libclang-rt-14-dev)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "need root to apt-get install: ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# keepalived's package enables a service; our tests start it by hand in namespaces only.
systemctl disable --now keepalived >/dev/null 2>&1 || true
# prometheus (promtool, and a server the metrics test starts by hand) enables a service too.
systemctl disable --now prometheus prometheus-node-exporter >/dev/null 2>&1 || true
