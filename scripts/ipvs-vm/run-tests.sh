#!/bin/bash
# npm run test:ipvs — the IPVS suite in one VM boot (the host kernel has no IPVS).
# Builds if dist/ is missing, prepares the VM (idempotent), runs every dist/test/ipvs/*.test.js
# inside it and prints "N passed, N failed". Bounded: TSK_VM_TIMEOUT (default 840 s) for the VM.
set -u
cd "$(dirname "$(readlink -f "$0")")/../.." || exit 1
[ -d dist/test/ipvs ] || npx tsc -p . >/dev/null || true
[ -d dist/test/ipvs ] || { echo "test:ipvs: build produced no dist/test/ipvs"; echo "0 passed, 1 failed"; exit 1; }
bash scripts/ipvs-vm/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
export TSK_VM_TIMEOUT=${TSK_VM_TIMEOUT:-840}
export TSK_VM_MODULES=${TSK_VM_MODULES:-ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh ip_vs_mh ip_vs_lc ipvlan}
export TSK_VM_PASSENV="TSK_IPVS_TESTS TSK_IPVS_FILE_TIMEOUT"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
bash scripts/ipvs-vm/run-in-vm.sh 'bash scripts/ipvs-vm/guest-suite.sh' 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
summary=$(grep -E '^ipvs-suite: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
echo "# VM run took $(( $(date +%s) - start )) s (exit $rc)"
if [ -n "$summary" ]; then
  echo "${summary#ipvs-suite: }"
else
  echo "0 passed, 1 failed"; rc=${rc/#0/1}
fi
exit "$rc"
