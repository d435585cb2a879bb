#!/bin/bash
# Builds tools/libfuzzer/build/driver.node: the libFuzzer driver for the JavaScript fuzz targets
# (scripts/fuzz-libfuzzer.ts). Needs gcc, g++ and Debian's libclang-rt-14-dev (libFuzzer).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
find_lib() { ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | sort -V | tail -1 || true; }
lib=$(find_lib)
if [ -z "$lib" ] && [ "$(id -u)" = 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libclang-rt-14-dev >/dev/null || true
  lib=$(find_lib)
fi
if [ -z "$lib" ]; then
  echo "libFuzzer not found: apt-get install libclang-rt-14-dev" >&2
  exit 2
fi
inc="$(node -p "require('path').resolve(process.execPath, '../../include/node')")"
mkdir -p "$here/build"
gcc -std=gnu11 -O1 -fPIC -Wall -Wextra -Wno-unused-parameter -DNODE_GYP_MODULE_NAME=libfuzzer_driver \
  -I"$inc" -c "$here/driver.c" -o "$here/build/driver.o"
g++ -shared -o "$here/build/driver.node" "$here/build/driver.o" \
  -Wl,--whole-archive "$lib" -Wl,--no-whole-archive -lpthread
echo "built $here/build/driver.node with $lib"
