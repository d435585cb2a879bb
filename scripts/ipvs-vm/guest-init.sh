#!/bin/busybox sh
# PID 1 of the IPVS test VM, from the initramfs (busybox only: cheap under emulation).
# Builds the guest's root: the host's / (9p "hostfs", read-only) under a tmpfs overlay so it is
# writable but throw-away; mounts the per-run exchange directory (9p "xchg") at /run/tsk-vm;
# binds the unpacked kernel's modules on /lib/modules/$(uname -r); then switch_root's into the
# host's bash running guest-run.sh (copied into the exchange directory by run-in-vm.sh).
/bin/busybox mkdir -p /proc /sys /dev /lower /rw /root2
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
say() { echo "tsk-vm[init]: $*" > /dev/console; }
halt_now() { say "FATAL: $*"; poweroff -f; echo o > /proc/sysrq-trigger; sleep 60; }

for m in $(cat /mods.list); do insmod "/mods/$m" 2>/dev/null; done
o9p="trans=virtio,version=9p2000.L,msize=512000"
mount -t 9p -o "$o9p,ro,cache=loose" hostfs /lower || halt_now "9p hostfs"
mount -t tmpfs -o mode=0755 tmpfs /rw || halt_now "tmpfs"
mkdir -p /rw/u /rw/w
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/u,workdir=/rw/w /root2 || halt_now "overlay"
N=/root2
mount -t tmpfs -o mode=0755 tmpfs $N/run
mkdir -p $N/run/tsk-vm $N/run/netns $N/run/lock
mount -t 9p -o "$o9p,cache=none" xchg $N/run/tsk-vm || halt_now "9p xchg"
for d in dev proc sys; do mount --move /$d $N/$d; done
mkdir -p $N/dev/pts $N/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts $N/dev/pts
ln -sf pts/ptmx $N/dev/ptmx
mount -t tmpfs -o mode=1777 tmpfs $N/dev/shm
ln -sf /proc/self/fd $N/dev/fd
mount -t cgroup2 cgroup2 $N/sys/fs/cgroup 2>/dev/null
read -r kdir < $N/run/tsk-vm/kmoddir
kver=$(uname -r)
mkdir -p "$N/lib/modules/$kver"
mount --bind "$N$kdir" "$N/lib/modules/$kver" || say "cannot bind modules"
hostname tsk-ipvs-vm
ip link set lo up
exec switch_root $N /bin/bash /run/tsk-vm/guest-run.sh
halt_now "switch_root"
