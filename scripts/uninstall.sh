#!/usr/bin/env bash
# Remove what scripts/install.sh installed, exactly: the entries of its manifest
# (PREFIX/lib/tskeepalived/install-manifest), then the directories it created if they are empty.
# The example /etc/keepalived/keepalived.conf goes only if it is unchanged since the install.
#
#   bash scripts/uninstall.sh [--prefix /usr/local] [--destdir DIR]
#   (installed copy: bash /usr/local/lib/tskeepalived/uninstall.sh)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prefix=
destdir=${DESTDIR:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --destdir) destdir=$2; shift 2 ;;
    --destdir=*) destdir=${1#*=}; shift ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -z "$prefix" ]; then
  # The installed copy lives in PREFIX/lib/tskeepalived.
  if [ -z "$destdir" ] && [ "$(basename "$here")" = tskeepalived ] && [ -f "$here/install-manifest" ]; then prefix=$(dirname "$(dirname "$here")")
  else prefix=/usr/local; fi
fi
prefix=${prefix%/}
D() { printf '%s%s' "$destdir" "$1"; }
manifest=$prefix/lib/tskeepalived/install-manifest
if [ ! -f "$(D "$manifest")" ]; then echo "uninstall.sh: no installation found ($(D "$manifest") missing)" >&2; exit 1; fi

if [ -z "$destdir" ] && [ -d /run/systemd/system ] && grep -q '^f .*/tskeepalived.service$' "$(D "$manifest")"; then
  systemctl disable --now tskeepalived.service >/dev/null 2>&1 || true
fi

mapfile -t entries <"$(D "$manifest")"
dirs=()
for e in "${entries[@]}"; do
  kind=${e%% *}
  rest=${e#* }
  case "$kind" in
    f) rm -f "$(D "$rest")" ;;
    t) ;; # the program tree: last (it holds the manifest)
    c) p=${rest% *}; sum=${rest##* }
       if [ -f "$(D "$p")" ] && [ "$(sha256sum "$(D "$p")" | cut -d' ' -f1)" = "$sum" ]; then rm -f "$(D "$p")"
       elif [ -e "$(D "$p")" ]; then echo "uninstall.sh: keeping $(D "$p") (changed since the install)"; fi ;;
    d) dirs=("$rest" "${dirs[@]}") ;;
    *) echo "uninstall.sh: ignoring manifest line: $e" >&2 ;;
  esac
done
for e in "${entries[@]}"; do
  if [ "${e%% *}" = t ]; then rm -rf "$(D "${e#* }")"; fi
done
# Created directories, deepest first, only when empty.
for d in "${dirs[@]}"; do rmdir "$(D "$d")" 2>/dev/null || true; done
if [ -z "$destdir" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
echo "uninstalled tskeepalived from $(D "$prefix")"
