/*
 * Real-time scheduling for the thread that runs the event loop (vrrp_rt_priority and friends).
 * Policy (which priority, which limit, when to come back) is decided in TypeScript
 * (src/runtime/realtime.ts); this file makes the syscalls:
 *
 *   rtEnable(priority, rttimeSoftUs, rttimeHardUs, onDemoted) → sched_setscheduler(SCHED_RR |
 *     SCHED_RESET_ON_FORK) of the calling thread, setrlimit(RLIMIT_RTTIME), and a SIGXCPU handler.
 *   rtDisable() → SCHED_OTHER again, the handler removed.
 *
 * RLIMIT_RTTIME bounds the CPU an RT thread may use without blocking: past the soft limit the
 * kernel sends SIGXCPU, past the hard limit SIGKILL. JavaScript cannot promise to block within
 * (hard - soft) µs (a garbage collection, a large status dump), so the SIGXCPU handler itself
 * returns the loop thread to SCHED_OTHER at once (sched_setscheduler is async-signal-safe; a
 * SCHED_OTHER thread is not counted against RLIMIT_RTTIME, so the SIGKILL cannot come) and wakes
 * the loop through uv_async_send (async-signal-safe) to call onDemoted, which logs and decides
 * when to go back to real time. SCHED_RESET_ON_FORK: every child (scripts) and every thread
 * created afterwards (libuv's pool, the config worker) runs SCHED_OTHER.
 */
#include "common.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

static pid_t loop_tid;
static volatile sig_atomic_t demoted_pending;
static uv_async_t demoted_async;
static bool async_ready;
static napi_env cb_env;
static napi_ref cb_ref;
static struct sigaction old_xcpu;
static bool handler_installed;

static void on_xcpu(int sig) {
  int saved = errno;
  struct sched_param p = {.sched_priority = 0};
  sched_setscheduler(loop_tid, SCHED_OTHER | SCHED_RESET_ON_FORK, &p);
  demoted_pending = 1;
  if (async_ready) uv_async_send(&demoted_async);
  errno = saved;
}

static void on_demoted(uv_async_t *h) {
  if (!demoted_pending || !cb_ref) return;
  demoted_pending = 0;
  napi_handle_scope scope;
  if (napi_open_handle_scope(cb_env, &scope) != napi_ok) return;
  tsk_call_back(cb_env, NULL, cb_ref, 0, NULL);
  napi_close_handle_scope(cb_env, scope);
}

/* rtEnable(priority, rttimeSoftUs, rttimeHardUs, onDemoted): throws with errno on failure. */
napi_value tsk_rt_enable(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t prio, soft, hard;
  if (!tsk_args(env, info, 4, argv) || !tsk_get_i32(env, argv[0], &prio, "priority") ||
      !tsk_get_i32(env, argv[1], &soft, "rttimeSoftUs") || !tsk_get_i32(env, argv[2], &hard, "rttimeHardUs"))
    return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[3], &t);
  if (t != napi_function) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "onDemoted must be a function");
    return NULL;
  }
  if (!async_ready) {
    uv_loop_t *loop;
    if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
    int rc = uv_async_init(loop, &demoted_async, on_demoted);
    if (rc < 0) {
      tsk_throw_errno(env, -rc, "uv_async_init");
      return NULL;
    }
    uv_unref((uv_handle_t *)&demoted_async);
    async_ready = true;
  }
  if (cb_ref) napi_delete_reference(env, cb_ref);
  cb_env = env;
  napi_create_reference(env, argv[3], 1, &cb_ref);
  loop_tid = (pid_t)syscall(SYS_gettid);
  struct rlimit rl = {.rlim_cur = (rlim_t)soft, .rlim_max = (rlim_t)hard};
  if (setrlimit(RLIMIT_RTTIME, &rl) < 0) {
    tsk_throw_errno(env, errno, "setrlimit");
    return NULL;
  }
  if (!handler_installed) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_xcpu;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGXCPU, &sa, &old_xcpu) < 0) {
      tsk_throw_errno(env, errno, "sigaction");
      return NULL;
    }
    handler_installed = true;
  }
  struct sched_param p = {.sched_priority = prio};
  if (sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &p) < 0) {
    tsk_throw_errno(env, errno, "sched_setscheduler");
    return NULL;
  }
  return tsk_undefined(env);
}

/*
 * yieldCpu(): sched_yield(). Work the kernel queues on this CPU while we run (IPv6 addrconf
 * after an address add) otherwise waits until the loop sleeps or its slice ends.
 */
napi_value tsk_yield_cpu(napi_env env, napi_callback_info info) {
  (void)info;
  sched_yield();
  return tsk_undefined(env);
}

/* rtDisable(): SCHED_OTHER for the loop thread, SIGXCPU back to its previous disposition. */
napi_value tsk_rt_disable(napi_env env, napi_callback_info info) {
  struct sched_param p = {.sched_priority = 0};
  if (sched_setscheduler(0, SCHED_OTHER, &p) < 0) {
    tsk_throw_errno(env, errno, "sched_setscheduler");
    return NULL;
  }
  if (handler_installed) {
    sigaction(SIGXCPU, &old_xcpu, NULL);
    handler_installed = false;
  }
  if (cb_ref) {
    napi_delete_reference(env, cb_ref);
    cb_ref = NULL;
  }
  return tsk_undefined(env);
}
