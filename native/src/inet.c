/*
 * TCP and UDP sockets for the health checkers. Node cannot set SO_MARK (checker `fwmark`) or
 * SO_BINDTODEVICE (checker `bind_if`) before it connects, so sockets are made and prepared here:
 * - inetSocket hands the fd to Node's net.Socket / dgram, which connect, read and write it with
 *   their usual machinery (timeouts, TLS, streams);
 * - tcpConnect is the whole of a TCP_CHECK (connect, then close) on the event loop without any
 *   JS stream object: thousands of checks per second cost little CPU this way.
 * Only syscalls: the policy stays in TS.
 */
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

static bool get_bool(napi_env env, napi_value v, bool *out, const char *what) {
  if (napi_get_value_bool(env, v, out) == napi_ok) return true;
  tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", what);
  return false;
}

static bool get_double(napi_env env, napi_value v, double *out, const char *what) {
  if (napi_get_value_double(env, v, out) == napi_ok) return true;
  tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", what);
  return false;
}

/* dst/bind address + port → sockaddr; a link-local IPv6 address is scoped to `dev`. */
static bool fill_addr(int af, const char *addr, int port, const char *dev, struct sockaddr_storage *sa, socklen_t *len) {
  return tsk_sockaddr(af, addr, port, dev[0] ? (int)if_nametoindex(dev) : 0, sa, len);
}

/*
 * socket + SO_MARK (mark < 0: none) + SO_BINDTODEVICE (dev "": none) + bind (addr "" and port 0:
 * none). Returns the fd, or -errno with *call naming the failed step (NULL: addr does not parse).
 */
static int prepare(int af, int type, double mark, const char *dev, const char *addr, int port, const char **call) {
  *call = "socket";
  int fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (mark >= 0) {
    uint32_t m = (uint32_t)mark;
    *call = "setsockopt SO_MARK";
    if (setsockopt(fd, SOL_SOCKET, SO_MARK, &m, sizeof m) < 0) goto fail;
  }
  if (dev[0]) {
    *call = "setsockopt SO_BINDTODEVICE";
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)(strlen(dev) + 1)) < 0) goto fail;
  }
  if (addr[0] || port) {
    struct sockaddr_storage sa;
    socklen_t len;
    int one = 1;
    /* A fixed source port is reused every delay_loop: do not trip over our own TIME_WAIT. */
    if (port) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (!fill_addr(af, addr, port, dev, &sa, &len)) {
      close(fd);
      *call = NULL;
      return -EINVAL;
    }
    *call = "bind";
    if (bind(fd, (struct sockaddr *)&sa, len) < 0) goto fail;
  }
  return fd;
fail: {
  int e = errno;
  close(fd);
  return -e;
}
}

/* Common argument block of inetSocket and tcpConnect: family, mark, device, bindAddr, bindPort. */
typedef struct {
  int af;
  double mark;
  char dev[IFNAMSIZ + 1];
  char addr[INET6_ADDRSTRLEN + 1];
  int32_t port;
} prep_args;

static bool get_prep(napi_env env, napi_value *argv, prep_args *a) {
  int32_t fam;
  if (!tsk_get_i32(env, argv[0], &fam, "family") || !get_double(env, argv[1], &a->mark, "mark") ||
      !tsk_get_str(env, argv[2], a->dev, sizeof a->dev, "device") ||
      !tsk_get_str(env, argv[3], a->addr, sizeof a->addr, "bindAddr") || !tsk_get_i32(env, argv[4], &a->port, "bindPort"))
    return false;
  /* SO_MARK is a u32: -1 means "no mark", so the full 0..4294967295 range stays usable. */
  if ((fam != 4 && fam != 6) || a->port < 0 || a->port > 65535 || a->mark > 4294967295.0) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "family must be 4 or 6, mark -1 or 0-4294967295, bindPort 0-65535");
    return false;
  }
  a->af = fam == 4 ? AF_INET : AF_INET6;
  return true;
}

/* prepare() for JS: throws and returns -1 on failure. */
static int prepare_js(napi_env env, const prep_args *a, int type) {
  const char *call;
  int fd = prepare(a->af, type, a->mark, a->dev, a->addr, a->port, &call);
  if (fd >= 0) return fd;
  if (call) tsk_throw_errno(env, -fd, call);
  else tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "bindAddr is not an address of the family");
  return -1;
}

/*
 * inetSocket(family: 4|6, stream: boolean, mark: number (-1 = none, else 0-4294967295),
 *            device: string ('' = none), bindAddr: string ('' = none), bindPort: number (0 = none)) → fd.
 * The fd is non-blocking and close-on-exec; the caller owns it. A link-local bindAddr takes its
 * scope from `device` (keepalived's bind_if exists for exactly that case).
 */
napi_value tsk_inet_socket(napi_env env, napi_callback_info info) {
  napi_value argv[6], r;
  bool stream;
  prep_args a;
  if (!tsk_args(env, info, 6, argv) || !get_bool(env, argv[1], &stream, "stream")) return NULL;
  napi_value pargs[5] = {argv[0], argv[2], argv[3], argv[4], argv[5]};
  if (!get_prep(env, pargs, &a)) return NULL;
  int fd = prepare_js(env, &a, stream ? SOCK_STREAM : SOCK_DGRAM);
  if (fd < 0) return NULL;
  napi_create_int32(env, fd, &r);
  return r;
}

/* One pending tcpConnect: freed once both uv handles are closed and the JS external is gone. */
typedef struct {
  uv_poll_t poll;
  uv_timer_t timer;
  int fd;
  int open_handles;
  bool done;
  bool finalized;
  napi_env env;
  napi_ref cb;
  napi_async_context actx;
} tsk_conn;

static const napi_type_tag CONN_TAG = {0x74736b636f6e6e65ULL, 0x6374707262650001ULL};

static void conn_maybe_free(tsk_conn *c) {
  if (c->finalized && c->open_handles == 0) free(c);
}

static void conn_handle_closed(uv_handle_t *h) {
  tsk_conn *c = h->data;
  c->open_handles--;
  conn_maybe_free(c);
}

static void conn_finalize(napi_env env, void *data, void *hint) {
  tsk_conn *c = data;
  c->finalized = true;
  conn_maybe_free(c);
}

/* Close everything; with err_or_null != NULL the JS callback gets it (cancel passes NULL). */
static void conn_finish(tsk_conn *c, napi_value *result) {
  if (c->done) return;
  c->done = true;
  uv_poll_stop(&c->poll);
  uv_close((uv_handle_t *)&c->poll, conn_handle_closed); /* leaves epoll now: the fd may go */
  uv_timer_stop(&c->timer);
  uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
  close(c->fd);
  c->fd = -1;
  napi_env env = c->env;
  if (result) tsk_call_back(env, c->actx, c->cb, 1, result);
  napi_delete_reference(env, c->cb);
  c->cb = NULL;
  napi_async_destroy(env, c->actx);
  c->actx = NULL;
}

static void conn_report(tsk_conn *c, int err) {
  napi_handle_scope scope;
  if (napi_open_handle_scope(c->env, &scope) != napi_ok) return;
  napi_value v;
  if (err) v = tsk_errno_error(c->env, err, "connect");
  else napi_get_null(c->env, &v);
  conn_finish(c, &v);
  napi_close_handle_scope(c->env, scope);
}

/* The connect's outcome once the socket is writable: 0 = connected, else its errno. */
static int conn_outcome(tsk_conn *c) {
  int soerr = 0;
  socklen_t l = sizeof soerr;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &l) < 0) soerr = errno;
  return soerr;
}

static void conn_on_writable(uv_poll_t *h, int status, int events) {
  tsk_conn *c = h->data;
  int soerr = conn_outcome(c);
  if (!soerr && status < 0) soerr = -status;
  conn_report(c, soerr);
}

/*
 * libuv runs due timers before it polls, so after a busy stretch of the loop the timeout can
 * come first although the connect finished in time: ask the socket before calling it a timeout.
 */
static void conn_on_timeout(uv_timer_t *t) {
  tsk_conn *c = t->data;
  struct pollfd p = {.fd = c->fd, .events = POLLOUT};
  conn_report(c, poll(&p, 1, 0) == 1 ? conn_outcome(c) : ETIMEDOUT);
}

/*
 * tcpConnect(family, mark, device, bindAddr, bindPort, dst: string, dstPort, timeoutMs,
 *            cb(err: Error|null)) → handle for cancelConnect.
 * TCP_CHECK: connect from a prepared socket, then close at once. cb runs exactly once on the
 * loop (ETIMEDOUT after timeoutMs) unless cancelled; errors known before any packet is sent
 * (ENETUNREACH, EADDRNOTAVAIL, ENODEV…) are thrown instead.
 */
napi_value tsk_tcp_connect(napi_env env, napi_callback_info info) {
  napi_value argv[9], ext, name;
  prep_args a;
  char dst[INET6_ADDRSTRLEN + 1];
  int32_t dport, timeout;
  napi_valuetype t;
  if (!tsk_args(env, info, 9, argv) || !get_prep(env, argv, &a) || !tsk_get_str(env, argv[5], dst, sizeof dst, "dst") ||
      !tsk_get_i32(env, argv[6], &dport, "dstPort") || !tsk_get_i32(env, argv[7], &timeout, "timeoutMs"))
    return NULL;
  napi_typeof(env, argv[8], &t);
  if (t != napi_function || dport < 0 || dport > 65535 || timeout < 0) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "dstPort 0-65535, timeoutMs >= 0 and a callback are required");
    return NULL;
  }
  struct sockaddr_storage sa;
  socklen_t len;
  if (!fill_addr(a.af, dst, dport, a.dev, &sa, &len)) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "dst is not an address of the family");
    return NULL;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  int fd = prepare_js(env, &a, SOCK_STREAM);
  if (fd < 0) return NULL;
  if (connect(fd, (struct sockaddr *)&sa, len) < 0 && errno != EINPROGRESS) {
    int e = errno;
    close(fd);
    tsk_throw_errno(env, e, "connect");
    return NULL;
  }
  tsk_conn *c = calloc(1, sizeof *c);
  if (!c) {
    close(fd);
    tsk_throw_errno(env, ENOMEM, "calloc");
    return NULL;
  }
  c->fd = fd;
  c->env = env;
  int rc = uv_poll_init(loop, &c->poll, fd);
  if (rc < 0) {
    close(fd);
    free(c);
    tsk_throw_errno(env, -rc, "uv_poll_init");
    return NULL;
  }
  uv_timer_init(loop, &c->timer);
  c->poll.data = c;
  c->timer.data = c;
  c->open_handles = 2;
  napi_create_string_utf8(env, "tskeepalived:tcpconnect", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &c->actx);
  napi_create_reference(env, argv[8], 1, &c->cb);
  if (napi_create_external(env, c, conn_finalize, NULL, &ext) != napi_ok) {
    c->finalized = true; /* nothing in JS will ever see it */
    conn_finish(c, NULL);
    return NULL;
  }
  napi_type_tag_object(env, ext, &CONN_TAG);
  /* A connect that completed at once still reports writable on the first poll. */
  rc = uv_poll_start(&c->poll, UV_WRITABLE, conn_on_writable);
  if (rc < 0) {
    conn_finish(c, NULL);
    tsk_throw_errno(env, -rc, "uv_poll_start");
    return NULL;
  }
  uv_timer_start(&c->timer, conn_on_timeout, (uint64_t)timeout, 0);
  return ext;
}

/* cancelConnect(handle): close without calling back; idempotent. */
napi_value tsk_cancel_connect(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  bool ok = false;
  void *p = NULL;
  if (!tsk_args(env, info, 1, argv)) return NULL;
  if (napi_check_object_type_tag(env, argv[0], &CONN_TAG, &ok) != napi_ok || !ok ||
      napi_get_value_external(env, argv[0], &p) != napi_ok) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "expected a handle from tcpConnect()");
    return NULL;
  }
  conn_finish(p, NULL);
  return tsk_undefined(env);
}
