#!/bin/bash
# Stage 2 inside the IPVS test VM (host's bash, PID 1): load IPVS, run the command with its output
# going to files the host is tailing, record the exit status, power off. A guest-side timeout ends
# the command a few seconds before the host's deadline so the status still comes back.
X=/run/tsk-vm
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TSK_IPVS_VM=1
. "$X/env"
for m in $TSK_VM_MODULES; do modprobe "$m" 2>>"$X/err" || echo "tsk-vm: modprobe $m failed" >>"$X/err"; done
cd "$TSK_VM_CWD" 2>/dev/null || cd /
read -r up _ < /proc/uptime
budget=$(( TSK_VM_DEADLINE - ${up%.*} - 4 ))
[ "$budget" -gt 1 ] || budget=1
timeout -k 2 "$budget" /bin/bash "$X/cmd" </dev/null >>"$X/out" 2>>"$X/err"
echo $? > "$X/status.tmp" && mv "$X/status.tmp" "$X/status"
sync
/run/tsk-vm/busybox poweroff -f 2>/dev/null || echo o > /proc/sysrq-trigger
sleep 30
