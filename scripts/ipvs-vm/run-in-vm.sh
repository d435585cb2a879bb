#!/bin/bash
# run-in-vm.sh 'COMMAND' — run COMMAND as root in a throw-away VM whose kernel has IPVS
# (Debian's kernel package, unpacked by setup.sh, under qemu-system-x86_64 software emulation).
# The guest sees the host's files (read-only 9p root + tmpfs overlay: writes vanish at power-off),
# so it runs the host's node, ipvsadm and this checkout. COMMAND's stdout/stderr stream to ours;
# we exit with its status, or 124 (VM past TSK_VM_TIMEOUT), 125 (no status: boot failure, see
# console tail), 126 (host setup missing: run setup.sh), 2 (usage).
# Env: TSK_VM_TIMEOUT (s, default 600), TSK_VM_MEM (MiB, 512), TSK_VM_MODULES (modprobed first),
#      TSK_VM_HOME (setup.sh's cache, /var/cache/tskeepalived-ipvs-vm), TSK_VM_PASSENV (names),
#      TSK_VM_CONSOLE=1 (print the guest console at the end).
set -u
export LC_ALL=C
HERE=$(cd "$(dirname "$(readlink -f "$0")")" && pwd)
VM_HOME=${TSK_VM_HOME:-/var/cache/tskeepalived-ipvs-vm}
TIMEOUT=${TSK_VM_TIMEOUT:-600}
MEM=${TSK_VM_MEM:-512}
MODULES=${TSK_VM_MODULES-ip_vs ip_vs_rr ip_vs_wrr}
die_setup() { echo "run-in-vm: $*" >&2; exit 126; }
[ $# -eq 1 ] && [ -n "$1" ] || { echo "usage: $0 'COMMAND'" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die_setup "must run as root"
command -v qemu-system-x86_64 >/dev/null || die_setup "qemu missing: run scripts/ipvs-vm/setup.sh"
BB=$VM_HOME/busybox
[ -x "$BB" ] || die_setup "static busybox missing: run scripts/ipvs-vm/setup.sh"
KROOT=$VM_HOME/kernel
KIMG=$(ls -1 "$KROOT"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)
[ -n "$KIMG" ] || die_setup "no kernel in $KROOT: run scripts/ipvs-vm/setup.sh"
KVER=${KIMG##*/vmlinuz-}
CACHE=$VM_HOME/build
mkdir -p "$CACHE"

# Booting the uncompressed ELF through its PVH entry skips decompression and real-mode setup,
# which are seconds under emulation. The payload is the xz stream inside the bzImage.
ELF=$CACHE/vmlinux-$KVER
if [ ! -s "$ELF" ] && [ ! -e "$ELF.none" ]; then
  for off in $(grep -abo $'\xfd7zXZ\x00' "$KIMG" | head -3 | cut -d: -f1); do
    tail -c +"$((off + 1))" "$KIMG" | xz -dc > "$ELF.tmp" 2>/dev/null
    if [ "$(head -c 4 "$ELF.tmp")" = $'\x7fELF' ] && readelf -n "$ELF.tmp" 2>/dev/null | grep -e PHYS32_ENTRY -e '0x00000012' >/dev/null; then
      mv "$ELF.tmp" "$ELF"; break
    fi
  done
  rm -f "$ELF.tmp"
  [ -s "$ELF" ] || : > "$ELF.none"
fi
BOOT=$KIMG
[ -s "$ELF" ] && BOOT=$ELF

# initramfs: busybox + the modules needed to reach the host's files, with dependencies.
key=$( { echo "$KVER"; cat "$HERE/guest-init.sh"; md5sum "$BB"; } | md5sum | cut -c1-10)
INITRD=$CACHE/initrd-$KVER-$key.cpio
if [ ! -s "$INITRD" ]; then
  st=$(mktemp -d) || die_setup mktemp
  mkdir -p "$st/bin" "$st/mods"
  cp "$BB" "$st/bin/busybox"
  install -m 0755 "$HERE/guest-init.sh" "$st/init"
  for m in virtio_pci 9pnet_virtio 9p overlay; do
    modprobe -d "$KROOT" -S "$KVER" --show-depends "$m"
  done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' | while read -r p; do
    cp "$p" "$st/mods/"; basename "$p" >> "$st/mods.list"
  done
  (cd "$st" && find . | cpio --quiet -o -H newc) > "$INITRD.tmp" && mv "$INITRD.tmp" "$INITRD"
  rm -rf "$st"
  [ -s "$INITRD" ] || die_setup "initramfs build failed"
fi

X=$(mktemp -d /tmp/tsk-vm.XXXXXX) || die_setup mktemp
chmod 755 "$X"
printf '%s\n' "$1" > "$X/cmd"
cp "$HERE/guest-run.sh" "$X/guest-run.sh"
cp "$BB" "$X/busybox"
echo "$KROOT/lib/modules/$KVER" > "$X/kmoddir"
: > "$X/out"; : > "$X/err"
{
  printf 'TSK_VM_MODULES=%q\nTSK_VM_CWD=%q\nTSK_VM_DEADLINE=%q\n' "$MODULES" "$PWD" "$TIMEOUT"
  for v in CI ${TSK_VM_PASSENV:-}; do [ -n "${!v+x}" ] && printf 'export %s=%q\n' "$v" "${!v}"; done
} > "$X/env"

QPID=; TAILS=()
cleanup() {
  if [ -n "$QPID" ]; then
    local q=; [ -s "$X/qemu.pid" ] && read -r q < "$X/qemu.pid"
    kill -TERM "$QPID" $q 2>/dev/null; sleep 0.5; kill -KILL "$QPID" $q 2>/dev/null
  fi
  for t in "${TAILS[@]}"; do kill "$t" 2>/dev/null; done
  rm -rf "$X"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# timeout --foreground keeps qemu in our process group: a group kill by a test runner reaches it.
timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 -name tsk-ipvs-vm -M pc -accel tcg -cpu max -smp 1 -m "$MEM" \
  -nodefaults -no-user-config -display none -monitor none -nic none -no-reboot \
  -chardev "file,id=con,path=$X/console.log" -serial chardev:con \
  -kernel "$BOOT" -initrd "$INITRD" \
  -append "console=ttyS0 quiet loglevel=4 panic=-1 mitigations=off cryptomgr.notests" \
  -fsdev "local,id=hostfs,path=/,security_model=none,readonly=on,multidevs=remap" \
  -device virtio-9p-pci,fsdev=hostfs,mount_tag=hostfs \
  -fsdev "local,id=xchg,path=$X,security_model=none" \
  -device virtio-9p-pci,fsdev=xchg,mount_tag=xchg \
  -pidfile "$X/qemu.pid" </dev/null >"$X/qemu.log" 2>&1 &
QPID=$!
tail -s 0.2 --pid="$QPID" -c +1 -f "$X/out" & TAILS+=($!)
tail -s 0.2 --pid="$QPID" -c +1 -f "$X/err" >&2 & TAILS+=($!)
wait "$QPID"; qrc=$?; QPID=
for t in "${TAILS[@]}"; do for _ in $(seq 30); do kill -0 "$t" 2>/dev/null || break; sleep 0.1; done; done
[ "${TSK_VM_CONSOLE:-0}" = 1 ] && { echo "---- guest console ----" >&2; cat "$X/console.log" >&2; }
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
  echo "run-in-vm: VM killed after ${TIMEOUT}s (TSK_VM_TIMEOUT)" >&2; tail -n 30 "$X/console.log" >&2; exit 124
fi
if [ ! -s "$X/status" ]; then
  echo "run-in-vm: no exit status from the guest (qemu rc $qrc)" >&2
  cat "$X/qemu.log" >&2; tail -n 40 "$X/console.log" >&2; exit 125
fi
rc=$(cat "$X/status")
case "$rc" in ''|*[!0-9]*) exit 125 ;; esac
exit "$rc"
