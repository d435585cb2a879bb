/*
 * A one-shot timer with nanosecond resolution (timerfd on CLOCK_MONOTONIC, the clock behind
 * performance.now()). libuv timers count whole milliseconds from a cached loop time, so a
 * setTimeout fires up to ~0.6 ms early or late; a VRRP timer that fires early is re-armed and
 * then runs a millisecond late. keepalived's own timers are exact to the microsecond; these are too.
 * The handle keeps the event loop alive only while armed, like a setTimeout.
 */
#include "common.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <uv.h>

typedef struct {
  uv_poll_t poll;
  int fd;
  napi_env env;
  napi_ref cb;
  napi_async_context actx;
  bool open;          /* poll running, fd open */
  bool handle_closed; /* uv_close's callback has run (or there never was a handle) */
  bool finalized;
} tsk_timer;

#define TSK_TIMER_MAX_MS (100.0 * 365 * 24 * 3600 * 1000)

static const napi_type_tag TIMER_TAG = {0x74736b74696d6572ULL, 0x6e73000000000001ULL};

static void maybe_free(tsk_timer *t) {
  if (t->finalized && t->handle_closed) free(t);
}

static void on_closed(uv_handle_t *h) {
  tsk_timer *t = h->data;
  t->handle_closed = true;
  maybe_free(t);
}

static void shut(tsk_timer *t, bool from_finalizer) {
  if (t->open) {
    t->open = false;
    uv_poll_stop(&t->poll);
    uv_close((uv_handle_t *)&t->poll, on_closed);
    close(t->fd);
    t->fd = -1;
  }
  if (t->cb) {
    napi_delete_reference(t->env, t->cb);
    t->cb = NULL;
  }
  if (t->actx && !from_finalizer) {
    napi_async_destroy(t->env, t->actx);
    t->actx = NULL;
  }
}

static void finalize(napi_env env, void *data, void *hint) {
  tsk_timer *t = data;
  shut(t, true);
  t->finalized = true;
  maybe_free(t);
}

static void on_expired(uv_poll_t *h, int status, int events) {
  tsk_timer *t = h->data;
  uint64_t n;
  if (!t->open) return;
  /* Consume the expiry count; EAGAIN means it was disarmed or re-armed meanwhile: nothing due. */
  if (read(t->fd, &n, sizeof n) != (ssize_t)sizeof n) return;
  uv_unref((uv_handle_t *)&t->poll);
  napi_env env = t->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  tsk_call_back(env, t->actx, t->cb, 0, NULL);
  napi_close_handle_scope(env, scope);
}

static tsk_timer *get_timer(napi_env env, napi_value v) {
  bool ok = false;
  void *p = NULL;
  if (napi_check_object_type_tag(env, v, &TIMER_TAG, &ok) != napi_ok || !ok || napi_get_value_external(env, v, &p) != napi_ok) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "expected a timer from timerCreate()");
    return NULL;
  }
  tsk_timer *t = p;
  if (!t->open) {
    tsk_throw_errno(env, EBADF, "timer closed");
    return NULL;
  }
  return t;
}

/* timerCreate(cb: () => void) → timer (disarmed). */
napi_value tsk_timer_create(napi_env env, napi_callback_info info) {
  napi_value argv[1], ext, name;
  napi_valuetype vt;
  uv_loop_t *loop;
  if (!tsk_args(env, info, 1, argv)) return NULL;
  napi_typeof(env, argv[0], &vt);
  if (vt != napi_function) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "callback must be a function");
    return NULL;
  }
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) {
    tsk_throw_errno(env, errno, "timerfd_create");
    return NULL;
  }
  tsk_timer *t = calloc(1, sizeof *t);
  if (!t) {
    close(fd);
    tsk_throw_errno(env, ENOMEM, "calloc");
    return NULL;
  }
  t->fd = fd;
  t->env = env;
  t->handle_closed = true;
  int rc = uv_poll_init(loop, &t->poll, fd);
  if (rc < 0) {
    close(fd);
    free(t);
    tsk_throw_errno(env, -rc, "uv_poll_init");
    return NULL;
  }
  t->poll.data = t;
  t->open = true;
  t->handle_closed = false;
  uv_poll_start(&t->poll, UV_READABLE, on_expired);
  uv_unref((uv_handle_t *)&t->poll);
  napi_create_string_utf8(env, "tskeepalived:timer", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &t->actx);
  napi_create_reference(env, argv[0], 1, &t->cb);
  if (napi_create_external(env, t, finalize, NULL, &ext) != napi_ok) {
    shut(t, false);
    t->finalized = true;
    return NULL;
  }
  napi_type_tag_object(env, ext, &TIMER_TAG);
  return ext;
}

/* timerArm(timer, delayMs: number): fire once after delayMs (fractional; <= 0 = as soon as possible). */
napi_value tsk_timer_arm(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  double ms;
  if (!tsk_args(env, info, 2, argv)) return NULL;
  tsk_timer *t = get_timer(env, argv[0]);
  if (!t) return NULL;
  if (napi_get_value_double(env, argv[1], &ms) != napi_ok) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "delayMs must be a number");
    return NULL;
  }
  /* An all-zero it_value disarms a timerfd: the shortest real delay is 1 ns. */
  /* Clamp before converting: (int64_t)(1e300 * 1e6) is undefined and came out negative, so a
   * delay of 1e300 ms fired at once. Anything past ~100 years (and +Infinity) waits 100 years. */
  if (ms > TSK_TIMER_MAX_MS) ms = TSK_TIMER_MAX_MS;
  int64_t ns = ms > 0 ? (int64_t)(ms * 1e6) : 0;
  if (ns < 1) ns = 1;
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  its.it_value.tv_sec = ns / 1000000000;
  its.it_value.tv_nsec = ns % 1000000000;
  if (timerfd_settime(t->fd, 0, &its, NULL) < 0) {
    tsk_throw_errno(env, errno, "timerfd_settime");
    return NULL;
  }
  uv_ref((uv_handle_t *)&t->poll);
  return tsk_undefined(env);
}

/* timerDisarm(timer): cancel a pending expiry; the loop no longer waits for it. */
napi_value tsk_timer_disarm(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!tsk_args(env, info, 1, argv)) return NULL;
  tsk_timer *t = get_timer(env, argv[0]);
  if (!t) return NULL;
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  timerfd_settime(t->fd, 0, &its, NULL);
  uv_unref((uv_handle_t *)&t->poll);
  return tsk_undefined(env);
}

/* timerClose(timer): idempotent. */
napi_value tsk_timer_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bool ok = false;
  void *p = NULL;
  if (!tsk_args(env, info, 1, argv)) return NULL;
  if (napi_check_object_type_tag(env, argv[0], &TIMER_TAG, &ok) != napi_ok || !ok || napi_get_value_external(env, argv[0], &p) != napi_ok) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "expected a timer from timerCreate()");
    return NULL;
  }
  shut(p, false);
  return tsk_undefined(env);
}
