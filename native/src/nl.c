/*
 * Netlink sockets for the tskeepalived addon, replacing the npm `netlink` package's C++ binding
 * on our hot paths: that binding aborts the process (std::terminate) when uv_poll reports
 * EPOLLERR, which is exactly what a netlink socket does after a receive-buffer overrun
 * (sk_err = ENOBUFS). Ours hands the error to JS (io.c on_readable) and keeps reading.
 *
 * Only syscalls here (DESIGN.md rule 12): message framing, sequence numbers and request
 * matching live in src/net/nl-socket.ts. Receiving goes through startReading (io.c).
 */
#include "sock.h"

#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* netlinkSocket(protocol): socket(AF_NETLINK, SOCK_RAW) bound to a kernel-chosen port id. */
napi_value tsk_netlink_socket(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t proto;
  if (!tsk_args(env, info, 1, argv) || !tsk_get_i32(env, argv[0], &proto, "protocol")) return NULL;
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) {
    tsk_throw_errno(env, errno, "socket");
    return NULL;
  }
  /* nl_pid 0: the kernel assigns a unique port id, so two sockets in one process never clash. */
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int e = errno;
    close(fd);
    tsk_throw_errno(env, e, "bind");
    return NULL;
  }
  return tsk_wrap_sock(env, fd, AF_NETLINK);
}

/* netlinkSend(sock, message): sendto the kernel (port 0); returns bytes sent. */
napi_value tsk_netlink_send(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  void *data;
  size_t len;
  if (!tsk_args(env, info, 2, argv)) return NULL;
  tsk_sock *s = tsk_get_sock(env, argv[0], false);
  if (!s || !tsk_get_buf(env, argv[1], &data, &len, "message")) return NULL;
  if (s->family != AF_NETLINK) {
    tsk_throw_errno(env, EAFNOSUPPORT, "sendto");
    return NULL;
  }
  struct sockaddr_nl to = {.nl_family = AF_NETLINK};
  ssize_t n;
  do {
    n = sendto(s->fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    tsk_throw_errno(env, errno, "sendto");
    return NULL;
  }
  napi_value r;
  napi_create_int32(env, (int32_t)n, &r);
  return r;
}

/* getIntOpt(sock, level, optname) → int (e.g. the effective SO_RCVBUF). */
napi_value tsk_get_int_opt(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t level, opt;
  if (!tsk_args(env, info, 3, argv)) return NULL;
  tsk_sock *s = tsk_get_sock(env, argv[0], false);
  if (!s || !tsk_get_i32(env, argv[1], &level, "level") || !tsk_get_i32(env, argv[2], &opt, "optname")) return NULL;
  int v = 0;
  socklen_t l = sizeof v;
  if (getsockopt(s->fd, level, opt, &v, &l) < 0) {
    tsk_throw_errno(env, errno, "getsockopt");
    return NULL;
  }
  napi_value r;
  napi_create_int32(env, v, &r);
  return r;
}

/* setRef(sock, ref): whether the poll watcher keeps the event loop alive (as handle.ref/unref). */
napi_value tsk_set_ref(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  bool ref;
  if (!tsk_args(env, info, 2, argv)) return NULL;
  tsk_sock *s = tsk_get_sock(env, argv[0], false);
  if (!s || napi_get_value_bool(env, argv[1], &ref) != napi_ok) return NULL;
  if (!s->polling) {
    tsk_throw_errno(env, EINVAL, "setRef (not reading)");
    return NULL;
  }
  if (ref)
    uv_ref((uv_handle_t *)&s->poll);
  else
    uv_unref((uv_handle_t *)&s->poll);
  return tsk_undefined(env);
}

/* readable(sock): poll(2) with timeout 0 — is anything queued that has not been read yet? */
napi_value tsk_readable(napi_env env, napi_callback_info info) {
  napi_value argv[1], r;
  if (!tsk_args(env, info, 1, argv)) return NULL;
  tsk_sock *s = tsk_get_sock(env, argv[0], false);
  if (!s) return NULL;
  struct pollfd p = {.fd = s->fd, .events = POLLIN};
  int n;
  do {
    n = poll(&p, 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    tsk_throw_errno(env, errno, "poll");
    return NULL;
  }
  napi_get_boolean(env, n > 0 && (p.revents & POLLIN) != 0, &r);
  return r;
}
