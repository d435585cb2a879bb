#!/usr/bin/env bash
# House rule 1: the protocol core and the config language never touch I/O or the wall clock, and
# import nothing from net/, runtime/ or notify/ (src/config: the config language stands alone).
# Fails (exit 1) listing each offending line.
set -u
cd "$(dirname "$0")/.."
dirs=(src/vrrp src/config src/track src/bfd)
pure_files=(src/lvs/inet-addr.ts src/check/policy.ts src/lvs/model-to-ipvs.ts src/lvs/reconcile.ts src/lvs/ipvs-codec.ts src/runtime/reload.ts src/notify/notify.ts src/observe/dump.ts)
targets=()
for d in "${dirs[@]}"; do [ -d "$d" ] && while IFS= read -r f; do targets+=("$f"); done < <(find "$d" -name '*.ts'); done
for f in "${pure_files[@]}"; do [ -f "$f" ] && targets+=("$f"); done
bad=0
for f in "${targets[@]}"; do
  if out=$(grep -nE "from ['\"](node:|fs|net|dgram|child_process|os|netlink)['\"/]|require\(['\"](node:|fs|net|child_process|netlink)|from ['\"]\.\./(net|runtime|notify)/|Date\.now\(|setTimeout\(|setInterval\(|performance\.now\(" "$f"); then
    echo "$f: impure:"; echo "$out"; bad=1
  fi
done
[ $bad = 0 ] && echo "pure-import check: ${#targets[@]} files clean"
exit $bad
