#!/usr/bin/env bash
# The main job, shown end to end: a two-router namespace lab (plus a client host) running two
# tskeepalived daemons on keepalived.conf files. It shows who holds the VIP, kills the master
# with SIGKILL, measures the takeover, shows the client's ARP entry moving to the new master,
# restarts the old master (it preempts back), stops both with SIGTERM and removes everything.
# Needs root (network namespaces). Installs and builds what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
[ "$(id -u)" = 0 ] || { echo "demo: run as root (it creates network namespaces)" >&2; exit 1; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
ms_now() { date +%s%3N; }

say "Preparing (system packages, npm ci, build) — only what is missing"
bash scripts/install-deps.sh
[ -d node_modules ] && [ -f native/build/Release/tskeepalived_native.node ] || npm ci --no-audit --no-fund
# an addon older than its sources (a checkout updated since the last build) is rebuilt
if [ -n "$(find native/src native/binding.gyp -newer native/build/Release/tskeepalived_native.node | head -1)" ]; then npm run install >/dev/null; fi
if [ ! -f dist/src/cli/main.js ] || [ -n "$(find src -newer dist/src/cli/main.js -name '*.ts' | head -1)" ]; then npm run build >/dev/null; fi

P="tkdemo$$"
WORK=$(mktemp -d /tmp/tskeepalived-demo.XXXXXX)
PIDS=()
cleanup() {
  [ -n "${KEEP:-}" ] && { echo "logs kept in $WORK"; return; }
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  bash scripts/lab.sh down "$P" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

VIP=192.0.2.100
conf() { # name priority
  cat > "$WORK/$1.conf" <<CONF
global_defs {
  router_id $1
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority $2
  advert_int 1
  notify "$WORK/notify.sh"
  virtual_ipaddress {
    $VIP/24
  }
}
CONF
}
cat > "$WORK/notify.sh" <<'SH'
#!/bin/sh
echo "$(date +%T.%3N) notify: $*" >> "$(dirname "$0")/notify.log"
SH
chmod 755 "$WORK/notify.sh"
conf lb1 100
conf lb2 90

start() { # host name
  ip netns exec "${P}$1" "$ROOT/dist/src/cli/main.js" -n -l -G -f "$WORK/$2.conf" \
    -p "$WORK/$2.pid" -r "$WORK/$2.vrrp.pid" >> "$WORK/$2.log" 2>&1 &
  PIDS+=($!)
  eval "PID_$2=$!"
}
# Not `ip ... | grep -q`: under pipefail, grep quitting at the first match can SIGPIPE ip and
# turn a match into a failure (seen: a holder missing from the list now and then).
has_vip() { local a; a=$(ip -n "${P}$1" -o addr show dev eth0) && [[ $a == *" $VIP/"* ]]; }
holder() { # hosts that currently carry the VIP
  local h out=""
  for h in h1 h2; do has_vip "$h" && out="$out $h"; done
  echo "${out:- none}"
}
wait_holder() { # host timeout_ms: wait until exactly that host holds the VIP
  local deadline=$(( $(ms_now) + $2 ))
  while [ "$(holder)" != " $1" ]; do
    [ "$(ms_now)" -lt "$deadline" ] || return 1
    sleep 0.01
  done
}
mac() { ip -n "${P}$1" -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
client_sees() { ip netns exec "${P}h3" ping -c1 -W1 "$VIP" >/dev/null 2>&1 || true; ip -n "${P}h3" neigh show "$VIP" | awk '{print $3}'; }

say "Lab: bridge + h1 (lb1, priority 100) + h2 (lb2, priority 90) + h3 (client), addresses 192.0.2.1-3"
bash scripts/lab.sh up 3 "$P" >/dev/null
start h1 lb1
start h2 lb2
wait_holder h1 20000 || { echo "lb1 never became master"; cat "$WORK"/*.log; exit 1; }
echo "VIP $VIP is on: $(holder)   (h1 MAC $(mac h1), h2 MAC $(mac h2))"
echo "client h3 resolves $VIP to $(client_sees)"
sleep 1

say "kill -9 the master (lb1 on h1)"
t0=$(ms_now)
kill -KILL "$PID_lb1"; wait "$PID_lb1" 2>/dev/null || true
deadline=$(( t0 + 10000 ))
until has_vip h2; do [ "$(ms_now)" -lt "$deadline" ] || { echo "no takeover"; cat "$WORK"/*.log; exit 1; }; sleep 0.01; done
t1=$(ms_now)
echo "VIP $VIP is on h2 after $((t1 - t0)) ms  (RFC Master_Down_Interval for priority 90, advert 1 s: 3 + 166/256 = 3.648 s)"
echo "holders now:$(holder)  (a crashed daemon cannot clean up: h1 still carries a stale copy)"
sleep 0.3
echo "client h3 now resolves $VIP to $(ip -n "${P}h3" neigh show "$VIP" | awk '{print $5}') (gratuitous ARP from h2: $(mac h2))"

say "restart lb1: it removes its stale VIP at start-up, then preempts back (higher priority)"
t0=$(ms_now)
start h1 lb1
wait_holder h1 15000 || { echo "no preemption"; cat "$WORK"/*.log; exit 1; }
echo "VIP $VIP is back on:$(holder) after $(( $(ms_now) - t0 )) ms (start-up + Master_Down_Interval, as keepalived)"

say "SIGTERM both: priority-0 advert, VIPs released, exit 0"
kill -TERM "$PID_lb1"; wait "$PID_lb1" && echo "lb1 exited 0"
sleep 1.2
echo "after lb1 stopped, VIP is on: $(holder)"
kill -TERM "$PID_lb2"; wait "$PID_lb2" && echo "lb2 exited 0"
echo "after both stopped, VIP is on: $(holder)"

say "What the daemons logged (state lines)"
for n in lb1 lb2; do echo "--- $n"; grep -E "Entering|higher priority|priority 0|sent 0|stale|Stopp" "$WORK/$n.log" | sed 's/^/  /'; done
say "notify hook calls"
sed 's/^/  /' "$WORK/notify.log"
say "Done; lab removed"
