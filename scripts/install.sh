#!/usr/bin/env bash
# Build and install tskeepalived from a checkout (Debian 12 + Node >= 20), as root:
#
#   bash scripts/install.sh [--prefix /usr/local] [--destdir DIR] [--unitdir /etc/systemd/system]
#                           [--confdir /etc/keepalived] [--no-build]
#
# Installs, and lists in PREFIX/lib/tskeepalived/install-manifest (read by scripts/uninstall.sh):
#   PREFIX/lib/tskeepalived/           the program: dist/src, dist/man, the native addon, package.json,
#                                      production node_modules only
#   PREFIX/sbin/keepalived             a wrapper running it with this node (never /usr/sbin/keepalived,
#                                      Debian's; /usr/local/sbin comes first in root's PATH)
#   UNITDIR/tskeepalived.service       scripts/keepalived.service with ExecStart at PREFIX/sbin/keepalived
#                                      and Conflicts=keepalived.service (Debian's unit is left alone)
#   PREFIX/share/man/man8/keepalived.8, man5/keepalived.conf.5
#   CONFDIR/keepalived.conf            keepalived.conf.example, only if no config exists
# Building: npm ci (only when node_modules does not match package-lock.json) with scripts off,
# then the addon (node-gyp, explicitly: npm's script policy cannot skip it) and dist/ (tsc).
# DESTDIR stages everything under DIR (packaging, tests); nothing outside it is touched then.
set -euo pipefail

prefix=/usr/local
destdir=
unitdir=/etc/systemd/system
confdir=/etc/keepalived
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#*=}; shift ;;
    --destdir) destdir=$2; shift 2 ;;
    --destdir=*) destdir=${1#*=}; shift ;;
    --unitdir) unitdir=$2; shift 2 ;;
    --unitdir=*) unitdir=${1#*=}; shift ;;
    --confdir) confdir=$2; shift 2 ;;
    --confdir=*) confdir=${1#*=}; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
destdir=${destdir:-${DESTDIR:-}}
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be absolute" >&2; exit 2 ;; esac
prefix=${prefix%/}

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$src"

node=$(command -v node || true)
if [ -z "$node" ]; then echo "install.sh: node not found (Node.js >= 20 is needed)" >&2; exit 1; fi
node=$(readlink -f "$node")
major=$("$node" -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then echo "install.sh: Node.js >= 20 is needed, found $("$node" --version)" >&2; exit 1; fi

if [ "$build" = 1 ]; then
  # node_modules as package-lock.json says? (every locked top-level package present at its version)
  if ! "$node" -e '
      const fs = require("fs"); const lock = require("./package-lock.json");
      for (const [k, v] of Object.entries(lock.packages)) {
        if (!k.startsWith("node_modules/") || k.includes("/node_modules/", 1)) continue;
        try { if (JSON.parse(fs.readFileSync(k + "/package.json", "utf8")).version !== v.version) process.exit(1); }
        catch { if (!v.optional) process.exit(1); }
      }' 2>/dev/null; then
    echo "install.sh: npm ci"
    npm ci --ignore-scripts --no-audit --no-fund
  fi
  echo "install.sh: building the native addon"
  npm run --silent install >/dev/null
  echo "install.sh: building dist/"
  npm run --silent build >/dev/null
fi
for f in dist/src/cli/main.js native/build/Release/tskeepalived_native.node dist/man/keepalived.8 dist/man/keepalived.conf.5; do
  [ -f "$f" ] || { echo "install.sh: $f missing (build failed, or --no-build without a build)" >&2; exit 1; }
done

lib=$prefix/lib/tskeepalived
manifest=$lib/install-manifest
D() { printf '%s%s' "$destdir" "$1"; }

# Never overwrite another keepalived (Debian's /usr/sbin/keepalived with --prefix /usr).
if [ -e "$(D "$prefix/sbin/keepalived")" ] && ! grep -q '^# tskeepalived (installed by scripts/install.sh' "$(D "$prefix/sbin/keepalived")" 2>/dev/null; then
  echo "install.sh: $(D "$prefix/sbin/keepalived") exists and is not ours (Debian's keepalived?): not overwriting it; use another --prefix" >&2
  exit 1
fi

# A reinstall first removes the previous installation (by its manifest).
if [ -f "$(D "$manifest")" ]; then
  bash "$src/scripts/uninstall.sh" --prefix "$prefix" ${destdir:+--destdir "$destdir"} >/dev/null
fi

entries=()
# mkdir -p, remembering each directory this run creates (uninstall removes them if empty).
mkdirs() {
  local d=$1 missing=()
  while [ ! -d "$(D "$d")" ]; do missing=("$d" "${missing[@]}"); d=$(dirname "$d"); done
  for d in "${missing[@]}"; do mkdir -m 755 "$(D "$d")"; entries+=("d $d"); done
}
put() { # put MODE SRC DEST
  mkdirs "$(dirname "$3")"
  install -m "$1" "$2" "$(D "$3")"
  entries+=("f $3")
}

# The program: one tree, ours alone.
mkdirs "$(dirname "$lib")"
mkdir -m 755 "$(D "$lib")"
entries+=("t $lib")
mkdir -p "$(D "$lib")/dist" "$(D "$lib")/native/build/Release"
cp -R dist/src dist/man "$(D "$lib")/dist/"
install -m 755 native/build/Release/tskeepalived_native.node "$(D "$lib")/native/build/Release/"
install -m 644 package.json package-lock.json LICENSE README.md "$(D "$lib")/"
install -m 755 scripts/uninstall.sh "$(D "$lib")/uninstall.sh"
# Production dependencies only (package-lock.json marks dev-only packages "dev").
"$node" -e '
  const lock = require("./package-lock.json");
  for (const [k, v] of Object.entries(lock.packages))
    if (k.startsWith("node_modules/") && !k.includes("/node_modules/", 1) && !v.dev) console.log(k);' |
  while read -r m; do
    [ -d "$m" ] || continue
    mkdir -p "$(D "$lib")/$(dirname "$m")"
    cp -R "$m" "$(D "$lib")/$m"
  done
chmod -R u+rwX,go+rX,go-w "$(D "$lib")"

# The command, with this node and the V8 flags of main.js's shebang.
flags=$(head -n 1 dist/src/cli/main.js | sed -n 's/^#!.*[ /]node\( \|$\)//p')
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
printf '#!/bin/sh\n# tskeepalived (installed by scripts/install.sh; remove with %s/uninstall.sh)\nexec %s %s %s/dist/src/cli/main.js "$@"\n' \
  "$lib" "$node" "$flags" "$lib" >"$tmp"
put 755 "$tmp" "$prefix/sbin/keepalived"

# The unit, under its own name: Debian's keepalived.service is never replaced.
sed -e "s|^ExecStart=/usr/local/sbin/keepalived|ExecStart=$prefix/sbin/keepalived|" \
    -e 's|^\[Unit\]$|[Unit]\nConflicts=keepalived.service|' scripts/keepalived.service >"$tmp"
put 644 "$tmp" "$unitdir/tskeepalived.service"

put 644 dist/man/keepalived.8 "$prefix/share/man/man8/keepalived.8"
put 644 dist/man/keepalived.conf.5 "$prefix/share/man/man5/keepalived.conf.5"

# An example configuration, only where none exists; uninstall removes it only if unchanged.
conf=${confdir%/}/keepalived.conf
if [ ! -e "$(D "$conf")" ]; then
  mkdirs "${confdir%/}"
  install -m 644 keepalived.conf.example "$(D "$conf")"
  entries+=("c $conf $(sha256sum "$(D "$conf")" | cut -d' ' -f1)")
fi

printf '%s\n' "${entries[@]}" >"$(D "$manifest")"
if [ -z "$destdir" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi

echo "installed tskeepalived $("$node" -p 'require("./package.json").version') under $(D "$lib")"
echo "  command:   $(D "$prefix/sbin/keepalived")   (Debian's /usr/sbin/keepalived is untouched)"
echo "  unit:      $(D "$unitdir/tskeepalived.service")   (systemctl enable --now tskeepalived)"
echo "  uninstall: bash $lib/uninstall.sh${destdir:+ --destdir $destdir}"
