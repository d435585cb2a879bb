/*
 * Raw proto-112 sockets (IPv4/IPv6) and AF_PACKET send sockets, with a uv_poll watcher that
 * drains the socket on each readable event and hands the packets to one JS callback.
 *
 * Send path (documented choice): no IP_HDRINCL. The kernel builds the IPv4/IPv6 header; TS sets
 * TTL/hop limit 255 and TOS 0xc0 with setIntOpt, and the source address/ifindex travel per packet
 * in an IP_PKTINFO / IPV6_PKTINFO control message. IPV6_CHECKSUM is never set: the TS codec
 * writes the VRRPv3 checksum itself and the kernel must not touch it.
 */
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

/* Packets handed to JS per readable event; the poll is level-triggered, so more arrive next tick. */
#define MAX_DRAIN 64

typedef struct {
  int fd;
  int family; /* AF_INET, AF_INET6 or AF_PACKET */
  napi_env env;
  uv_poll_t poll;
  bool polling;       /* uv_poll_init done, uv_close not yet requested */
  bool handle_closed; /* no uv handle, or its close callback has run */
  bool finalized;     /* the JS external has been collected */
  napi_ref cb;        /* reader callback while polling */
  napi_ref self;      /* keeps the external alive while polling, like a Node handle */
  napi_async_context actx;
} tsk_sock;

/* Distinguishes our externals from any other external a caller could pass in. */
static const napi_type_tag SOCK_TAG = {0x74736b6565706176ULL, 0x6c69766564736f63ULL};

static uint8_t rxbuf[65536];

static void maybe_free(tsk_sock *s) {
  if (s->finalized && s->handle_closed) free(s);
}

static void on_handle_closed(uv_handle_t *h) {
  tsk_sock *s = h->data;
  s->handle_closed = true;
  maybe_free(s);
}

/* Stop polling, release JS references, close the fd. Safe to call twice. */
static void sock_shutdown(tsk_sock *s, bool from_finalizer) {
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
  sock_shutdown(s, true);
  s->finalized = true;
  maybe_free(s);
}

static napi_value wrap_sock(napi_env env, int fd, int family) {
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

/* Unwrap a socket argument; throws EBADF when it was already closed (unless allow_closed). */
static tsk_sock *get_sock(napi_env env, napi_value v, bool allow_closed) {
  bool ok = false;
  void *p = NULL;
  if (napi_check_object_type_tag(env, v, &SOCK_TAG, &ok) != napi_ok || !ok ||
      napi_get_value_external(env, v, &p) != napi_ok) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "expected a socket from rawSocket() or packetSocket()");
    return NULL;
  }
  tsk_sock *s = p;
  if (s->fd < 0 && !allow_closed) {
    tsk_throw_errno(env, EBADF, "socket closed");
    return NULL;
  }
  return s;
}

/* rawSocket(family: 4|6, protocol: number) */
napi_value tsk_raw_socket(napi_env env, napi_callback_info info) {
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
  int fd = socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
  if (fd < 0) {
    tsk_throw_errno(env, errno, "socket");
    return NULL;
  }
  return wrap_sock(env, fd, af);
}

/* packetSocket(): AF_PACKET SOCK_RAW with protocol 0, so it never receives (send-only). */
napi_value tsk_packet_socket(napi_env env, napi_callback_info info) {
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    tsk_throw_errno(env, errno, "socket");
    return NULL;
  }
  return wrap_sock(env, fd, AF_PACKET);
}

/* bindToDevice(sock, ifname): SO_BINDTODEVICE ('' unbinds). */
napi_value tsk_bind_to_device(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char name[IFNAMSIZ + 1];
  if (!tsk_args(env, info, 2, argv)) return NULL;
  tsk_sock *s = get_sock(env, argv[0], false);
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

/* setIntOpt(sock, level, optname, value): any int-valued setsockopt; TS owns the policy. */
napi_value tsk_set_int_opt(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  int32_t level, opt, val;
  if (!tsk_args(env, info, 4, argv)) return NULL;
  tsk_sock *s = get_sock(env, argv[0], false);
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
  tsk_sock *s = get_sock(env, argv[0], false);
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
  tsk_sock *s = get_sock(env, argv[0], false);
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

/* IPv6 destinations that need a scope (link-local unicast, link-scope multicast). */
static bool needs_scope(const struct in6_addr *a) {
  return IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_MC_LINKLOCAL(a);
}

/* send(sock, payload, dst, src: string ('' = kernel's choice), ifindex (0 = any)) → bytes sent. */
napi_value tsk_send(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  void *data;
  size_t len;
  char dst[INET6_ADDRSTRLEN + 1], src[INET6_ADDRSTRLEN + 1];
  int32_t ifindex;
  if (!tsk_args(env, info, 5, argv)) return NULL;
  tsk_sock *s = get_sock(env, argv[0], false);
  if (!s || !tsk_get_buf(env, argv[1], &data, &len, "payload") || !tsk_get_str(env, argv[2], dst, sizeof dst, "dst") ||
      !tsk_get_str(env, argv[3], src, sizeof src, "src") || !tsk_get_i32(env, argv[4], &ifindex, "ifindex"))
    return NULL;

  struct iovec iov = {.iov_base = data, .iov_len = len};
  union {
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
  } to;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
  } ctl;
  memset(&to, 0, sizeof to);
  memset(&ctl, 0, sizeof ctl);
  struct msghdr m = {.msg_name = &to, .msg_iov = &iov, .msg_iovlen = 1};
  struct cmsghdr *c = (struct cmsghdr *)ctl.buf;

  if (s->family == AF_INET) {
    struct in_pktinfo pi = {.ipi_ifindex = ifindex};
    to.v4.sin_family = AF_INET;
    if (inet_pton(AF_INET, dst, &to.v4.sin_addr) != 1) goto bad_addr;
    if (src[0] && inet_pton(AF_INET, src, &pi.ipi_spec_dst) != 1) goto bad_addr;
    m.msg_namelen = sizeof to.v4;
    /* ipi_spec_dst is the source address the kernel puts in the header it builds. */
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
    m.msg_control = ctl.buf;
    m.msg_controllen = CMSG_SPACE(sizeof pi);
  } else if (s->family == AF_INET6) {
    struct in6_pktinfo pi = {.ipi6_ifindex = (unsigned)ifindex};
    to.v6.sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, dst, &to.v6.sin6_addr) != 1) goto bad_addr;
    if (src[0] && inet_pton(AF_INET6, src, &pi.ipi6_addr) != 1) goto bad_addr;
    if (needs_scope(&to.v6.sin6_addr)) to.v6.sin6_scope_id = (uint32_t)ifindex;
    m.msg_namelen = sizeof to.v6;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
    m.msg_control = ctl.buf;
    m.msg_controllen = CMSG_SPACE(sizeof pi);
  } else {
    tsk_throw_errno(env, EAFNOSUPPORT, "sendmsg");
    return NULL;
  }
  ssize_t n = sendmsg(s->fd, &m, MSG_DONTWAIT);
  if (n < 0) {
    tsk_throw_errno(env, errno, "sendmsg");
    return NULL;
  }
  napi_value r;
  napi_create_int32(env, (int32_t)n, &r);
  return r;
bad_addr:
  tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "dst/src is not an address of the socket's family");
  return NULL;
}

/* sendFrame(sock, ifindex, frame): a complete Ethernet frame (dst, src, ethertype, payload). */
napi_value tsk_send_frame(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t ifindex;
  void *data;
  size_t len;
  if (!tsk_args(env, info, 3, argv)) return NULL;
  tsk_sock *s = get_sock(env, argv[0], false);
  if (!s || !tsk_get_i32(env, argv[1], &ifindex, "ifindex") || !tsk_get_buf(env, argv[2], &data, &len, "frame"))
    return NULL;
  if (s->family != AF_PACKET) {
    tsk_throw_errno(env, EAFNOSUPPORT, "sendto");
    return NULL;
  }
  if (len < ETH_HLEN) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "frame is shorter than an Ethernet header");
    return NULL;
  }
  const uint8_t *f = data;
  struct sockaddr_ll ll = {
      .sll_family = AF_PACKET,
      .sll_protocol = (uint16_t)(f[12] | (f[13] << 8)), /* already network order in the frame */
      .sll_ifindex = ifindex,
      .sll_halen = ETH_ALEN,
  };
  memcpy(ll.sll_addr, f, ETH_ALEN);
  ssize_t n = sendto(s->fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&ll, sizeof ll);
  if (n < 0) {
    tsk_throw_errno(env, errno, "sendto");
    return NULL;
  }
  napi_value r;
  napi_create_int32(env, (int32_t)n, &r);
  return r;
}

/* One recvmsg → {data, src, dst, ifindex, ttl, truncated}; returns 0, or an errno. */
static int recv_one(napi_env env, tsk_sock *s, napi_value *out) {
  struct sockaddr_storage from;
  union {
    struct cmsghdr align;
    char buf[512];
  } ctl;
  struct iovec iov = {.iov_base = rxbuf, .iov_len = sizeof rxbuf};
  struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                     .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  ssize_t n = recvmsg(s->fd, &m, MSG_DONTWAIT);
  if (n < 0) return errno;

  char srcs[INET6_ADDRSTRLEN] = "", dsts[INET6_ADDRSTRLEN] = "";
  int ifindex = 0, ttl = -1;
  if (from.ss_family == AF_INET)
    inet_ntop(AF_INET, &((struct sockaddr_in *)&from)->sin_addr, srcs, sizeof srcs);
  else if (from.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&from)->sin6_addr, srcs, sizeof srcs);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      ifindex = pi.ipi_ifindex;
      inet_ntop(AF_INET, &pi.ipi_addr, dsts, sizeof dsts); /* header destination */
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
      memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      ifindex = (int)pi.ipi6_ifindex;
      inet_ntop(AF_INET6, &pi.ipi6_addr, dsts, sizeof dsts);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
      memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
    }
  }
  napi_value o, buf, t;
  napi_create_object(env, &o);
  napi_create_buffer_copy(env, (size_t)n, rxbuf, NULL, &buf);
  napi_set_named_property(env, o, "data", buf);
  tsk_set_str(env, o, "src", srcs);
  tsk_set_str(env, o, "dst", dsts);
  tsk_set_i32(env, o, "ifindex", ifindex);
  tsk_set_i32(env, o, "ttl", ttl);
  napi_get_boolean(env, (m.msg_flags & MSG_TRUNC) != 0, &t);
  napi_set_named_property(env, o, "truncated", t);
  *out = o;
  return 0;
}

/* Report an exception thrown by the JS callback as uncaught, as Node does for its own handles. */
static void rethrow_pending(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) return;
  napi_value exc;
  napi_get_and_clear_last_exception(env, &exc);
  napi_fatal_exception(env, exc);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  tsk_sock *s = h->data;
  napi_env env = s->env;
  napi_handle_scope scope;
  if (!s->polling || napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value err, arr;
  napi_get_null(env, &err);
  napi_create_array(env, &arr);
  uint32_t count = 0;
  if (status < 0) {
    err = tsk_errno_error(env, -status, "uv_poll");
  } else {
    while (count < MAX_DRAIN) {
      napi_value pkt;
      int e = recv_one(env, s, &pkt);
      if (e == EAGAIN || e == EWOULDBLOCK) break;
      if (e == EINTR) continue;
      if (e) {
        err = tsk_errno_error(env, e, "recvmsg");
        break;
      }
      napi_set_element(env, arr, count++, pkt);
    }
  }
  napi_valuetype et;
  napi_typeof(env, err, &et);
  if (count > 0 || et != napi_null) {
    napi_value cb, recv, argv[2] = {err, arr}, result;
    napi_get_reference_value(env, s->cb, &cb);
    napi_get_global(env, &recv); /* napi_make_callback needs an object receiver */
    if (napi_make_callback(env, s->actx, recv, cb, 2, argv, &result) != napi_ok) rethrow_pending(env);
  }
  napi_close_handle_scope(env, scope);
}

/* startReading(sock, cb(err: Error|null, packets: Packet[])): poll for readability on the loop. */
napi_value tsk_start_reading(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!tsk_args(env, info, 2, argv)) return NULL;
  tsk_sock *s = get_sock(env, argv[0], false);
  if (!s) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "callback must be a function");
    return NULL;
  }
  if (s->family == AF_PACKET || s->polling) {
    tsk_throw_errno(env, s->polling ? EALREADY : EOPNOTSUPP, "startReading");
    return NULL;
  }
  uv_loop_t *loop;
  napi_value name;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  napi_create_string_utf8(env, "tskeepalived:rawsocket", NAPI_AUTO_LENGTH, &name);
  if (napi_async_init(env, NULL, name, &s->actx) != napi_ok) return NULL;
  int rc = uv_poll_init(loop, &s->poll, s->fd);
  if (rc < 0) {
    napi_async_destroy(env, s->actx);
    s->actx = NULL;
    tsk_throw_errno(env, -rc, "uv_poll_init");
    return NULL;
  }
  s->poll.data = s;
  s->polling = true;
  s->handle_closed = false;
  napi_create_reference(env, argv[1], 1, &s->cb);
  napi_create_reference(env, argv[0], 1, &s->self);
  rc = uv_poll_start(&s->poll, UV_READABLE, on_readable);
  if (rc < 0) {
    sock_shutdown(s, false);
    tsk_throw_errno(env, -rc, "uv_poll_start");
    return NULL;
  }
  return tsk_undefined(env);
}

/* close(sock): idempotent; stops the watcher so the process can exit. */
napi_value tsk_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!tsk_args(env, info, 1, argv)) return NULL;
  tsk_sock *s = get_sock(env, argv[0], true);
  if (!s) return NULL;
  sock_shutdown(s, false);
  return tsk_undefined(env);
}

/* fileno(sock): the fd, or -1 once closed (diagnostics and tests only). */
napi_value tsk_fileno(napi_env env, napi_callback_info info) {
  napi_value argv[1], r;
  if (!tsk_args(env, info, 1, argv)) return NULL;
  tsk_sock *s = get_sock(env, argv[0], true);
  if (!s) return NULL;
  napi_create_int32(env, s->fd, &r);
  return r;
}
