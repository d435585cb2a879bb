/*
 * Real-time signal watchers. keepalived uses SIGRTMIN+2 (JSON dump) and SIGRTMAX-1 (stats
 * clear); Node's process.on() refuses real-time signals, libuv's uv_signal_t does not.
 * The handle is unref'd: watching a signal must not keep the daemon (or a test) alive.
 */
#include "common.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <uv.h>

typedef struct {
  uv_signal_t h;
  napi_env env;
  napi_ref cb;
  napi_ref self; /* keeps the external alive while watching */
  napi_async_context actx;
  bool active;        /* uv_signal_init done, uv_close not yet requested */
  bool handle_closed; /* no uv handle, or its close callback has run */
  bool finalized;
} tsk_sigwatch;

static const napi_type_tag SIG_TAG = {0x74736b7369677761ULL, 0x7463686572000001ULL};

static void maybe_free(tsk_sigwatch *w) {
  if (w->finalized && w->handle_closed) free(w);
}

static void on_closed(uv_handle_t *h) {
  tsk_sigwatch *w = h->data;
  w->handle_closed = true;
  maybe_free(w);
}

static void stop_watch(tsk_sigwatch *w, bool from_finalizer) {
  if (w->active) {
    w->active = false;
    uv_signal_stop(&w->h);
    uv_close((uv_handle_t *)&w->h, on_closed);
  }
  if (w->cb) {
    napi_delete_reference(w->env, w->cb);
    w->cb = NULL;
  }
  if (w->self) {
    napi_delete_reference(w->env, w->self);
    w->self = NULL;
  }
  if (w->actx && !from_finalizer) {
    napi_async_destroy(w->env, w->actx);
    w->actx = NULL;
  }
}

static void finalize(napi_env env, void *data, void *hint) {
  tsk_sigwatch *w = data;
  stop_watch(w, true);
  w->finalized = true;
  maybe_free(w);
}

static void on_signal(uv_signal_t *h, int signum) {
  tsk_sigwatch *w = h->data;
  napi_env env = w->env;
  napi_handle_scope scope;
  if (!w->active || napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value arg;
  napi_create_int32(env, signum, &arg);
  tsk_call_back(env, w->actx, w->cb, 1, &arg);
  napi_close_handle_scope(env, scope);
}

/* watchSignal(signum, cb(signum)) → handle; the watcher does not keep the loop alive. */
napi_value tsk_watch_signal(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t signum;
  if (!tsk_args(env, info, 2, argv) || !tsk_get_i32(env, argv[0], &signum, "signum")) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "callback must be a function");
    return NULL;
  }
  if (signum <= 0 || signum >= NSIG) {
    tsk_throw_errno(env, EINVAL, "uv_signal_start");
    return NULL;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  tsk_sigwatch *w = calloc(1, sizeof *w);
  if (!w) {
    tsk_throw_errno(env, ENOMEM, "calloc");
    return NULL;
  }
  w->env = env;
  w->handle_closed = true;
  int rc = uv_signal_init(loop, &w->h);
  if (rc < 0) {
    free(w);
    tsk_throw_errno(env, -rc, "uv_signal_init");
    return NULL;
  }
  w->h.data = w;
  w->active = true;
  w->handle_closed = false;
  napi_value ext, name;
  if (napi_create_external(env, w, finalize, NULL, &ext) != napi_ok) {
    /* no external owns w: close the handle and let its callback free it */
    w->finalized = true;
    stop_watch(w, false);
    return NULL;
  }
  napi_type_tag_object(env, ext, &SIG_TAG);
  napi_create_string_utf8(env, "tskeepalived:signal", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->actx);
  napi_create_reference(env, argv[1], 1, &w->cb);
  napi_create_reference(env, ext, 1, &w->self);
  rc = uv_signal_start(&w->h, on_signal, signum);
  if (rc < 0) {
    stop_watch(w, false);
    tsk_throw_errno(env, -rc, "uv_signal_start");
    return NULL;
  }
  uv_unref((uv_handle_t *)&w->h);
  return ext;
}

/* unwatchSignal(handle): idempotent. */
napi_value tsk_unwatch_signal(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!tsk_args(env, info, 1, argv)) return NULL;
  bool ok = false;
  void *p = NULL;
  if (napi_check_object_type_tag(env, argv[0], &SIG_TAG, &ok) != napi_ok || !ok ||
      napi_get_value_external(env, argv[0], &p) != napi_ok) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "expected a handle from watchSignal()");
    return NULL;
  }
  stop_watch(p, false);
  return tsk_undefined(env);
}
