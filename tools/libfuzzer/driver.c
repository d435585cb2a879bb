/*
 * libFuzzer driver for JavaScript fuzz targets (development tool; not part of the daemon or its
 * addon). libFuzzer (LLVM's compiler-rt, Debian package libclang-rt-14-dev) is the engine: it
 * picks and mutates inputs, keeps the corpus, and writes crash-/timeout- artifacts. Coverage
 * comes from JavaScript: the runner (scripts/fuzz-libfuzzer.ts) reads V8's block coverage after
 * each input and writes hit counts into COUNTERS, which libFuzzer registers as inline 8-bit
 * counters exactly as it would a clang -fsanitize=fuzzer build's.
 *
 *   run(argv: string[], one: (input: Buffer) => number): never   (libFuzzer exits the process)
 *   counters(): ArrayBuffer                                       (the COUNTERS bytes, shared)
 *
 * one() returns 0 (keep going), -1 (do not add this input to the corpus) or 1 (a finding:
 * the runner has printed why; the driver aborts, and libFuzzer's SIGABRT handler saves the
 * input as crash-<sha1> and exits).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNTERS (1 << 16)

static uint8_t counters_[COUNTERS];
static uintptr_t pcs_[COUNTERS * 2];
static napi_env env_;
static napi_ref one_;

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*cb)(const uint8_t *, size_t));
void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *stop);
void __sanitizer_cov_pcs_init(const uintptr_t *beg, const uintptr_t *end);

static int one_input(const uint8_t *data, size_t size) {
  napi_handle_scope scope;
  napi_value buf, fn, global, result;
  void *copy;
  int32_t rc = 1;
  napi_open_handle_scope(env_, &scope);
  napi_create_buffer_copy(env_, size, data, &copy, &buf);
  napi_get_reference_value(env_, one_, &fn);
  napi_get_global(env_, &global);
  if (napi_call_function(env_, global, fn, 1, &buf, &result) != napi_ok) {
    napi_value e;
    napi_get_and_clear_last_exception(env_, &e);
    fputs("libfuzzer driver: the runner threw\n", stderr);
  } else {
    napi_get_value_int32(env_, result, &rc);
  }
  napi_close_handle_scope(env_, scope);
  if (rc == 1) abort();
  return rc == -1 ? -1 : 0;
}

static napi_value run(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  uint32_t n = 0;
  napi_get_cb_info(env, info, &argc, args, NULL, NULL);
  napi_get_array_length(env, args[0], &n);
  char **argv = calloc(n + 1, sizeof(char *));
  for (uint32_t i = 0; i < n; i++) {
    napi_value s;
    size_t len = 0;
    napi_get_element(env, args[0], i, &s);
    napi_get_value_string_utf8(env, s, NULL, 0, &len);
    argv[i] = malloc(len + 1);
    napi_get_value_string_utf8(env, s, argv[i], len + 1, &len);
  }
  env_ = env;
  napi_create_reference(env, args[1], 1, &one_);
  for (uintptr_t i = 0; i < COUNTERS; i++) {
    pcs_[2 * i] = i + 1;
    pcs_[2 * i + 1] = 0;
  }
  __sanitizer_cov_8bit_counters_init(counters_, counters_ + COUNTERS);
  __sanitizer_cov_pcs_init(pcs_, pcs_ + 2 * COUNTERS);
  /* libFuzzer installs its crash, timeout and interrupt handlers only where no handler is set
   * yet. A JavaScript listener for one of these signals (tap's signal-exit does that in every
   * process it preloads through NODE_OPTIONS) would keep libFuzzer's out: no crash-/timeout-
   * artifact, no -timeout. Back to the defaults; the process belongs to libFuzzer from here. */
  static const int sigs[] = { SIGABRT, SIGALRM, SIGBUS, SIGFPE, SIGILL, SIGINT, SIGTERM, SIGUSR1, SIGUSR2, SIGXFSZ };
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) signal(sigs[i], SIG_DFL);
  int c = (int)n;
  exit(LLVMFuzzerRunDriver(&c, &argv, one_input));
}

static napi_value counters(napi_env env, napi_callback_info info) {
  napi_value ab;
  napi_create_external_arraybuffer(env, counters_, COUNTERS, NULL, NULL, &ab);
  return ab;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor p[] = {
    { "run", NULL, run, NULL, NULL, NULL, napi_default, NULL },
    { "counters", NULL, counters, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, 2, p);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
