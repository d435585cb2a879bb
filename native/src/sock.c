/*
 * Socket lifecycle and options: raw proto-112 sockets (IPv4/IPv6) and send-only AF_PACKET
 * sockets as N-API externals, setsockopt wrappers, close. Sending and receiving are in io.c.
 */
#include "sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

/* Distinguishes our externals from any other external a caller could pass in. */
static const napi_type_tag SOCK_TAG = {0x74736b6565706176ULL, 0x6c69766564736f63ULL};

static void maybe_free(tsk_sock *s) {
  if (s->finalized && s->handle_closed) free(s);
}

static void on_handle_closed(uv_handle_t *h) {
  tsk_sock *s = h->data;
  s->handle_closed = true;
  maybe_free(s);
}

void tsk_sock_shutdown(tsk_sock *s, bool from_finalizer) {
  if (s->polling) {
    s->polling = false;
    uv_poll_stop(&s->poll);
    /* uv_close removes the fd from epoll synchronously, so closing the fd afterwards is safe. */
    uv_close((uv_handle_t *)&s->poll, on_handle_closed);
  }
  if (s->cb) {
    napi_delete_reference(s->env, s->cb);
    s->cb = NULL;
  }
  if (s->self) {
    napi_delete_reference(s->env, s->self);
    s->self = NULL;
  }
  if (s->actx && !from_finalizer) {
    napi_async_destroy(s->env, s->actx);
    s->actx = NULL;
  }
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
}

static void sock_finalize(napi_env env, void *data, void *hint) {
  tsk_sock *s = data;
  tsk_sock_shutdown(s, true);
  s->finalized = true;
  maybe_free(s);
}

napi_value tsk_wrap_sock(napi_env env, int fd, int family) {
  tsk_sock *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    tsk_throw_errno(env, ENOMEM, "calloc");
    return NULL;
  }
  s->fd = fd;
  s->family = family;
  s->env = env;
  s->handle_closed = true;
  napi_value ext;
  if (napi_create_external(env, s, sock_finalize, NULL, &ext) != napi_ok) {
    close(fd);
    free(s);
    return NULL;
  }
  napi_type_tag_object(env, ext, &SOCK_TAG);
  return ext;
}

tsk_sock *tsk_get_sock(napi_env env, napi_value v, bool allow_closed) {
  bool ok = false;
  void *p = NULL;
  if (napi_check_object_type_tag(env, v, &SOCK_TAG, &ok) != napi_ok || !ok ||
      napi_get_value_external(env, v, &p) != napi_ok) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "expected a socket from rawSocket(), packetSocket() or netlinkSocket()");
    return NULL;
  }
  tsk_sock *s = p;
  if (s->fd < 0 && !allow_closed) {
    tsk_throw_errno(env, EBADF, "socket closed");
    return NULL;
  }
  return s;
}

/* (family: 4|6, protocol) arguments → socket(AF_INET|AF_INET6, type|NONBLOCK|CLOEXEC, protocol). */
static napi_value open_inet(napi_env env, napi_callback_info info, int type) {
  napi_value argv[2];
  int32_t fam, proto;
  if (!tsk_args(env, info, 2, argv) || !tsk_get_i32(env, argv[0], &fam, "family") ||
      !tsk_get_i32(env, argv[1], &proto, "protocol"))
    return NULL;
  if (fam != 4 && fam != 6) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "family must be 4 or 6");
    return NULL;
  }
  int af = fam == 4 ? AF_INET : AF_INET6;
  int fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) {
    tsk_throw_errno(env, errno, "socket");
    return NULL;
  }
  return tsk_wrap_sock(env, fd, af);
}

/* rawSocket(family: 4|6, protocol: number) */
napi_value tsk_raw_socket(napi_env env, napi_callback_info info) {
  return open_inet(env, info, SOCK_RAW);
}

/*
 * dgramSocket(family: 4|6, protocol): SOCK_DGRAM of IPv4/IPv6, meant for unprivileged ICMP echo
 * ("ping sockets": IPPROTO_ICMP / IPPROTO_ICMPV6). The kernel owns the echo identifier (it
 * rewrites it to the socket's port) and delivers only this socket's replies, without the IP
 * header. Allowed when the process's gid is in net.ipv4.ping_group_range (EACCES otherwise:
 * fall back to rawSocket(4, 1) / rawSocket(6, 58)). Send with send(), read with startReading().
 */
napi_value tsk_dgram_socket(napi_env env, napi_callback_info info) {
  return open_inet(env, info, SOCK_DGRAM);
}

/* packetSocket(): AF_PACKET SOCK_RAW with protocol 0, so it never receives (send-only). */
napi_value tsk_packet_socket(napi_env env, napi_callback_info info) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    tsk_throw_errno(env, errno, "socket");
    return NULL;
  }
  return tsk_wrap_sock(env, fd, AF_PACKET);
}

/* bindToDevice(sock, ifname): SO_BINDTODEVICE ('' unbinds). */
napi_value tsk_bind_to_device(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char name[IFNAMSIZ + 1];
  if (!tsk_args(env, info, 2, argv)) return NULL;
  tsk_sock *s = tsk_get_sock(env, argv[0], false);
  if (!s) return NULL;
  /* A name longer than IFNAMSIZ-1 cannot exist: report it as the kernel would, ENODEV. */
  size_t n = 0;
  if (napi_get_value_string_utf8(env, argv[1], name, sizeof name, &n) != napi_ok) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "ifname must be a string");
    return NULL;
  }
  if (n >= IFNAMSIZ) {
    tsk_throw_errno(env, ENODEV, "setsockopt SO_BINDTODEVICE");
    return NULL;
  }
  if (setsockopt(s->fd, SOL_SOCKET, SO_BINDTODEVICE, name, (socklen_t)(n + 1)) < 0) {
    tsk_throw_errno(env, errno, "setsockopt SO_BINDTODEVICE");
    return NULL;
  }
  return tsk_undefined(env);
}

/*
 * bindAddress(sock, addr, ifindex, port = 0): bind to a local address and port (UDP sockets:
 * BFD's 3784/4784 listeners and its 49152-65535 source ports); ifindex scopes a link-local IPv6.
 */
napi_value tsk_bind_address(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  char addr[INET6_ADDRSTRLEN + 1];
  int32_t ifindex, port = 0;
  size_t argc = 4;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) {
    tsk_throw_arg(env, "ERR_MISSING_ARGS", "missing arguments");
    return NULL;
  }
  tsk_sock *s = tsk_get_sock(env, argv[0], false);
  if (!s || !tsk_get_str(env, argv[1], addr, sizeof addr, "addr") || !tsk_get_i32(env, argv[2], &ifindex, "ifindex"))
    return NULL;
  if (argc >= 4 && !tsk_get_i32(env, argv[3], &port, "port")) return NULL;
  if (port < 0 || port > 65535) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "port must be 0..65535");
    return NULL;
  }
  struct sockaddr_storage sa;
  socklen_t len;
  if (!addr[0] || !tsk_sockaddr(s->family, addr, port, ifindex, &sa, &len)) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "addr is not an address of the socket's family");
    return NULL;
  }
  if (bind(s->fd, (struct sockaddr *)&sa, len) < 0) {
    tsk_throw_errno(env, errno, "bind");
    return NULL;
  }
  return tsk_undefined(env);
}

/* setIntOpt(sock, level, optname, value): any int-valued setsockopt; TS owns the policy. */
napi_value tsk_set_int_opt(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t level, opt, val;
  if (!tsk_args(env, info, 4, argv)) return NULL;
  tsk_sock *s = tsk_get_sock(env, argv[0], false);
  if (!s || !tsk_get_i32(env, argv[1], &level, "level") || !tsk_get_i32(env, argv[2], &opt, "optname") ||
      !tsk_get_i32(env, argv[3], &val, "value"))
    return NULL;
  int v = val;
  if (setsockopt(s->fd, level, opt, &v, sizeof v) < 0) {
    tsk_throw_errno(env, errno, "setsockopt");
    return NULL;
  }
  return tsk_undefined(env);
}

/* setMulticastIf(sock, ifindex): IP_MULTICAST_IF with ip_mreqn, or IPV6_MULTICAST_IF. */
napi_value tsk_set_multicast_if(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t ifindex;
  if (!tsk_args(env, info, 2, argv)) return NULL;
  tsk_sock *s = tsk_get_sock(env, argv[0], false);
  if (!s || !tsk_get_i32(env, argv[1], &ifindex, "ifindex")) return NULL;
  int rc;
  if (s->family == AF_INET) {
    struct ip_mreqn m = {.imr_ifindex = ifindex};
    rc = setsockopt(s->fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m);
  } else if (s->family == AF_INET6) {
    int v = ifindex;
    rc = setsockopt(s->fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &v, sizeof v);
  } else {
    rc = -1;
    errno = EAFNOSUPPORT;
  }
  if (rc < 0) {
    tsk_throw_errno(env, errno, "setsockopt IP_MULTICAST_IF");
    return NULL;
  }
  return tsk_undefined(env);
}

/* membership(sock, join: boolean, group: string, ifindex): join or leave a group on one link. */
napi_value tsk_membership(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  bool join;
  char group[INET6_ADDRSTRLEN + 1];
  int32_t ifindex;
  if (!tsk_args(env, info, 4, argv)) return NULL;
  tsk_sock *s = tsk_get_sock(env, argv[0], false);
  if (!s || napi_get_value_bool(env, argv[1], &join) != napi_ok ||
      !tsk_get_str(env, argv[2], group, sizeof group, "group") || !tsk_get_i32(env, argv[3], &ifindex, "ifindex"))
    return NULL;
  int rc;
  const char *call;
  if (s->family == AF_INET) {
    struct ip_mreqn m = {.imr_ifindex = ifindex};
    if (inet_pton(AF_INET, group, &m.imr_multiaddr) != 1) goto bad_group;
    call = join ? "setsockopt IP_ADD_MEMBERSHIP" : "setsockopt IP_DROP_MEMBERSHIP";
    rc = setsockopt(s->fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &m, sizeof m);
  } else if (s->family == AF_INET6) {
    struct ipv6_mreq m = {.ipv6mr_interface = (unsigned)ifindex};
    if (inet_pton(AF_INET6, group, &m.ipv6mr_multiaddr) != 1) goto bad_group;
    call = join ? "setsockopt IPV6_JOIN_GROUP" : "setsockopt IPV6_LEAVE_GROUP";
    rc = setsockopt(s->fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP, &m, sizeof m);
  } else {
    tsk_throw_errno(env, EAFNOSUPPORT, "membership");
    return NULL;
  }
  if (rc < 0) {
    tsk_throw_errno(env, errno, call);
    return NULL;
  }
  return tsk_undefined(env);
bad_group:
  tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "group is not an address of the socket's family");
  return NULL;
}

/* close(sock): idempotent; stops the watcher so the process can exit. */
napi_value tsk_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!tsk_args(env, info, 1, argv)) return NULL;
  tsk_sock *s = tsk_get_sock(env, argv[0], true);
  if (!s) return NULL;
  tsk_sock_shutdown(s, false);
  return tsk_undefined(env);
}

/* fileno(sock): the fd, or -1 once closed (diagnostics and tests only). */
napi_value tsk_fileno(napi_env env, napi_callback_info info) {
  napi_value argv[1], r;
  if (!tsk_args(env, info, 1, argv)) return NULL;
  tsk_sock *s = tsk_get_sock(env, argv[0], true);
  if (!s) return NULL;
  napi_create_int32(env, s->fd, &r);
  return r;
}
