#!/bin/bash
# Runs inside the IPVS VM: every compiled test/ipvs test file, one after the other, each bounded.
# Prints their TAP and a final "ipvs-suite: N passed, N failed" (top-level subtests).
cd "$(dirname "$0")/../.." || exit 1
per_file=${TSK_IPVS_FILE_TIMEOUT:-240}
pass=0; fail=0
for f in ${TSK_IPVS_TESTS:-dist/test/ipvs/*.test.js}; do
  echo "# ---- $f"
  out=$(TAP_TIMEOUT=$per_file timeout -k 5 "$per_file" node "$f" 2>&1); rc=$?
  printf '%s\n' "$out"
  p=$(printf '%s\n' "$out" | grep -cE '^ok [0-9]+')
  n=$(printf '%s\n' "$out" | grep -cE '^not ok [0-9]+')
  if [ "$rc" != 0 ] && [ "$n" = 0 ]; then n=1; echo "# $f exited with $rc"; fi
  pass=$((pass + p)); fail=$((fail + n))
done
echo "ipvs-suite: $pass passed, $fail failed"
[ "$fail" = 0 ]
