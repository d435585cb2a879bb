#!/usr/bin/env bash
# Standalone namespace lab for humans, the demo and the benchmarks. Same shape as
# test/support/netns.ts: one bridge namespace PREFIXbr with br0, and N host namespaces
# PREFIXh1..PREFIXhN, each with a veth named eth0 plugged into br0 (peer pI in the bridge ns),
# 192.0.2.I/24 and 2001:db8::I/64 (nodad), DAD disabled. Traffic never leaves these namespaces.
#
#   scripts/lab.sh up N PREFIX     create (fails if PREFIXbr already exists)
#   scripts/lab.sh down PREFIX     remove every namespace named PREFIXbr / PREFIXh<digits>
#   scripts/lab.sh list PREFIX     show the lab's namespaces and host addresses
#
# PREFIX must be short (interface-name and namespace limits) and made of [A-Za-z0-9_-].
set -euo pipefail

usage() {
  echo "usage: $0 up N PREFIX | down PREFIX | list PREFIX" >&2
  exit 2
}

check_prefix() {
  [[ "$1" =~ ^[A-Za-z0-9_-]{1,20}$ ]] || { echo "bad PREFIX '$1' (use 1-20 of [A-Za-z0-9_-])" >&2; exit 2; }
}

add_ns() {
  local ns=$1
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  # No DAD: lab addresses must be usable at once, and no one else is on these links.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 || true
}

lab_namespaces() {
  local prefix=$1
  ip netns list | awk '{print $1}' | grep -E "^${prefix}(br|h[0-9]+)$" || true
}

lab_down() {
  local prefix=$1 ns
  # Hosts first, bridge last (the veth peers go with the host namespaces).
  for ns in $(lab_namespaces "$prefix" | sort -r); do
    # Processes still running inside would keep nothing alive (netns del only unlinks the name),
    # so kill them by pid: lab daemons must not outlive the lab.
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}

lab_up() {
  local n=$1 prefix=$2 i ns
  [[ "$n" =~ ^[0-9]+$ ]] && (( n >= 1 && n <= 250 )) || { echo "N must be 1..250" >&2; exit 2; }
  if ip netns list | awk '{print $1}' | grep -x "${prefix}br" >/dev/null; then
    echo "lab ${prefix} already exists (run: $0 down ${prefix})" >&2
    exit 1
  fi
  trap 'echo "lab.sh: setup failed, removing ${prefix}" >&2; lab_down "${prefix}"' ERR
  add_ns "${prefix}br"
  ip -n "${prefix}br" link add br0 type bridge
  ip -n "${prefix}br" link set br0 up
  for ((i = 1; i <= n; i++)); do
    ns="${prefix}h${i}"
    add_ns "$ns"
    ip -n "$ns" link add eth0 type veth peer name "p${i}" netns "${prefix}br"
    ip -n "${prefix}br" link set "p${i}" master br0 up
    ip -n "$ns" addr add "192.0.2.${i}/24" dev eth0
    ip -n "$ns" addr add "2001:db8::${i}/64" dev eth0 nodad
    ip -n "$ns" link set eth0 up
  done
  trap - ERR
  echo "lab ${prefix}: bridge ${prefix}br, hosts ${prefix}h1..${prefix}h${n} (eth0 192.0.2.I/24, 2001:db8::I/64)"
}

lab_list() {
  local prefix=$1 ns
  for ns in $(lab_namespaces "$prefix"); do
    echo "== $ns"
    ip -n "$ns" -br addr show 2>/dev/null | grep -v '^lo ' || true
  done
}

[[ $(id -u) -eq 0 ]] || { echo "lab.sh needs root" >&2; exit 1; }
cmd=${1:-}
case "$cmd" in
  up) [[ $# -eq 3 ]] || usage; check_prefix "$3"; lab_up "$2" "$3" ;;
  down) [[ $# -eq 2 ]] || usage; check_prefix "$2"; lab_down "$2" ;;
  list) [[ $# -eq 2 ]] || usage; check_prefix "$2"; lab_list "$2" ;;
  *) usage ;;
esac
