#!/bin/bash
# Prepare the IPVS test VM (Debian 12, root). Idempotent: a no-op once done.
# - apt: qemu-system-x86 (TCG emulation), busybox-static (initramfs), kmod, xz-utils, binutils, ipvsadm, cpio
# - Debian's current kernel package (the one linux-image-amd64 depends on) is fetched with
#   `apt-get download` and unpacked with `dpkg-deb -x` into $VM_HOME/kernel: nothing is
#   installed into /boot or /lib/modules and no initramfs hooks run on the host.
# Why a VM at all: the host kernel has no IPVS and cannot load modules.
set -euo pipefail
VM_HOME=${TSK_VM_HOME:-/var/cache/tskeepalived-ipvs-vm}
export DEBIAN_FRONTEND=noninteractive
mkdir -p "$VM_HOME"

did_update=0
refresh() { [ "$did_update" = 1 ] || { apt-get update -q >/dev/null; did_update=1; }; }

missing=()
have() { command -v "$1" >/dev/null 2>&1; }
have qemu-system-x86_64 || missing+=(qemu-system-x86)
have ipvsadm || missing+=(ipvsadm)
have modprobe || missing+=(kmod)
have xz || missing+=(xz-utils)
have readelf || missing+=(binutils)
have cpio || missing+=(cpio)
if [ ${#missing[@]} -gt 0 ]; then
  echo "ipvs-vm setup: installing ${missing[*]}"
  refresh
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

KDIR=$VM_HOME/kernel
if ! find "$KDIR/lib/modules" -name 'ip_vs.ko*' -print -quit 2>/dev/null | grep -q .; then
  pkgname() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
  pkg=$(pkgname)
  [ -n "$pkg" ] || { refresh; pkg=$(pkgname); }
  [ -n "$pkg" ] || { echo "ipvs-vm setup: cannot resolve linux-image-amd64" >&2; exit 1; }
  echo "ipvs-vm setup: unpacking $pkg into $KDIR"
  dl=$(mktemp -d)
  trap 'rm -rf "$dl"' EXIT
  (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null 2>&1) ||
    { refresh; (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >/dev/null); }
  rm -rf "$KDIR.new"
  dpkg-deb -x "$dl"/*.deb "$KDIR.new"
  kver=$(basename "$(ls -d "$KDIR.new"/lib/modules/*)")
  depmod -b "$KDIR.new" "$kver"
  rm -rf "$KDIR"
  mv "$KDIR.new" "$KDIR"
fi
# A private static busybox for the initramfs: the system may carry the dynamic `busybox`
# package (it conflicts with busybox-static), so take the static one from its .deb if needed.
if [ ! -x "$VM_HOME/busybox" ]; then
  sysbb=$(command -v busybox || true)
  if [ -n "$sysbb" ] && ldd "$sysbb" 2>&1 | grep 'not a dynamic' >/dev/null; then
    cp "$sysbb" "$VM_HOME/busybox.new"
  else
    bb=$(mktemp -d)
    (cd "$bb" && apt-get download -q -o APT::Sandbox::User=root busybox-static >/dev/null 2>&1) ||
      { refresh; (cd "$bb" && apt-get download -q -o APT::Sandbox::User=root busybox-static >/dev/null); }
    dpkg-deb -x "$bb"/busybox-static_*.deb "$bb/x"
    cp "$bb/x/bin/busybox" "$VM_HOME/busybox.new"
    rm -rf "$bb"
  fi
  chmod 755 "$VM_HOME/busybox.new" && mv "$VM_HOME/busybox.new" "$VM_HOME/busybox"
fi
echo "ipvs-vm setup: ok ($VM_HOME)"
