/*
 * Send and receive on the sockets of sock.c, and the uv_poll watcher that drains a socket on
 * each readable event and hands the packets to one JS callback.
 *
 * Send path (documented choice): no IP_HDRINCL. The kernel builds the IPv4/IPv6 header; TS sets
 * TTL/hop limit 255 and TOS 0xc0 with setIntOpt, and the source address/ifindex travel per packet
 * in an IP_PKTINFO / IPV6_PKTINFO control message. IPV6_CHECKSUM is never set: the TS codec
 * writes the VRRPv3 checksum itself and the kernel must not touch it.
 */
#include "sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static void on_readable(uv_poll_t *h, int status, int events);

/* Single-threaded (the JS thread): one receive buffer is enough. */
static uint8_t rxbuf[65536];

/* IPv6 destinations that need a scope (link-local unicast, link-scope multicast). */
static bool needs_scope(const struct in6_addr *a) {
  return IN6_IS_ADDR_LINKLOCAL(a) || IN6_IS_ADDR_MC_LINKLOCAL(a);
}

/* Destination, and the IP(V6)_PKTINFO control message, of one datagram. */
typedef struct {
  union {
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
  } to;
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
  } ctl;
} tsk_dest;

/*
 * Fill m (msg_iov already set) to send from src ('' = kernel's choice) on ifindex to dst:port.
 * Returns 0, EAFNOSUPPORT for a socket of another family, or EINVAL for an address that does
 * not parse in the socket's family.
 */
static int fill_msg(const tsk_sock *s, struct msghdr *m, tsk_dest *d, const char *dst, const char *src, int32_t ifindex,
                    int32_t port) {
  memset(d, 0, sizeof *d);
  struct cmsghdr *c = (struct cmsghdr *)d->ctl.buf;
  m->msg_name = &d->to;
  m->msg_control = d->ctl.buf;
  m->msg_flags = 0;
  if (s->family == AF_INET) {
    struct in_pktinfo pi = {.ipi_ifindex = ifindex};
    d->to.v4.sin_family = AF_INET;
    d->to.v4.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, dst, &d->to.v4.sin_addr) != 1) return EINVAL;
    if (src[0] && inet_pton(AF_INET, src, &pi.ipi_spec_dst) != 1) return EINVAL;
    m->msg_namelen = sizeof d->to.v4;
    /* ipi_spec_dst is the source address the kernel puts in the header it builds. */
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
    m->msg_controllen = CMSG_SPACE(sizeof pi);
    return 0;
  }
  if (s->family == AF_INET6) {
    struct in6_pktinfo pi = {.ipi6_ifindex = (unsigned)ifindex};
    d->to.v6.sin6_family = AF_INET6;
    d->to.v6.sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, dst, &d->to.v6.sin6_addr) != 1) return EINVAL;
    if (src[0] && inet_pton(AF_INET6, src, &pi.ipi6_addr) != 1) return EINVAL;
    if (needs_scope(&d->to.v6.sin6_addr)) d->to.v6.sin6_scope_id = (uint32_t)ifindex;
    m->msg_namelen = sizeof d->to.v6;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
    m->msg_controllen = CMSG_SPACE(sizeof pi);
    return 0;
  }
  return EAFNOSUPPORT;
}

static void throw_fill(napi_env env, int e) {
  if (e == EINVAL) tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "dst/src is not an address of the socket's family");
  else tsk_throw_errno(env, e, "sendmsg");
}

/*
 * send(sock, payload, dst, src: string ('' = kernel's choice), ifindex (0 = any), port = 0)
 * → bytes sent. port is the destination port of a UDP socket (raw sockets ignore it).
 */
napi_value tsk_send(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  void *data;
  size_t len;
  char dst[INET6_ADDRSTRLEN + 1], src[INET6_ADDRSTRLEN + 1];
  int32_t ifindex, port = 0;
  size_t argc = 6;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 5) {
    tsk_throw_arg(env, "ERR_MISSING_ARGS", "missing arguments");
    return NULL;
  }
  tsk_sock *s = tsk_get_sock(env, argv[0], false);
  if (!s || !tsk_get_buf(env, argv[1], &data, &len, "payload") || !tsk_get_str(env, argv[2], dst, sizeof dst, "dst") ||
      !tsk_get_str(env, argv[3], src, sizeof src, "src") || !tsk_get_i32(env, argv[4], &ifindex, "ifindex"))
    return NULL;
  if (argc >= 6 && !tsk_get_i32(env, argv[5], &port, "port")) return NULL;
  if (port < 0 || port > 65535) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "port must be 0..65535");
    return NULL;
  }
  struct iovec iov = {.iov_base = data, .iov_len = len};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
  tsk_dest d;
  int e = fill_msg(s, &m, &d, dst, src, ifindex, port);
  if (e) {
    throw_fill(env, e);
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
}

/* Datagrams per sendmmsg (the kernel takes up to UIO_MAXIOV = 1024; this bounds the stack). */
#define BATCH 64

/*
 * sendBatch(sock, payloads: Buffer[], dsts: string[], srcs: string[], ifindex, start, count)
 * → how many of entries [start, start + count) left, in order, through sendmmsg: one syscall
 * (and one N-API crossing) for every advert due at one wake-up instead of one each. Throws
 * the errno of entry `start` when it is the first that fails; when a later one fails, returns
 * how many went before it, so the caller retries from there and hears that entry's error.
 */
napi_value tsk_send_batch(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  int32_t ifindex, start, count;
  if (!tsk_args(env, info, 7, argv)) return NULL;
  tsk_sock *s = tsk_get_sock(env, argv[0], false);
  if (!s || !tsk_get_i32(env, argv[4], &ifindex, "ifindex") || !tsk_get_i32(env, argv[5], &start, "start") ||
      !tsk_get_i32(env, argv[6], &count, "count"))
    return NULL;
  if (start < 0 || count < 0) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "start and count must be >= 0");
    return NULL;
  }
  struct mmsghdr mm[BATCH];
  struct iovec iov[BATCH];
  tsk_dest d[BATCH];
  char dst[INET6_ADDRSTRLEN + 1], src[INET6_ADDRSTRLEN + 1];
  int32_t sent = 0;
  while (sent < count) {
    int k = 0;
    for (; k < BATCH && sent + k < count; k++) {
      napi_value p, ds, sr;
      uint32_t i = (uint32_t)(start + sent + k);
      void *data;
      size_t len;
      if (napi_get_element(env, argv[1], i, &p) != napi_ok || napi_get_element(env, argv[2], i, &ds) != napi_ok ||
          napi_get_element(env, argv[3], i, &sr) != napi_ok || !tsk_get_buf(env, p, &data, &len, "payload") ||
          !tsk_get_str(env, ds, dst, sizeof dst, "dst") || !tsk_get_str(env, sr, src, sizeof src, "src"))
        return NULL;
      iov[k] = (struct iovec){.iov_base = data, .iov_len = len};
      memset(&mm[k], 0, sizeof mm[k]);
      mm[k].msg_hdr.msg_iov = &iov[k];
      mm[k].msg_hdr.msg_iovlen = 1;
      int e = fill_msg(s, &mm[k].msg_hdr, &d[k], dst, src, ifindex, 0);
      if (e) {
        throw_fill(env, e);
        return NULL;
      }
    }
    int n;
    do n = sendmmsg(s->fd, mm, (unsigned)k, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
      if (sent > 0) break; /* the caller retries from the failing entry and gets its error */
      tsk_throw_errno(env, errno, "sendmsg");
      return NULL;
    }
    sent += n;
    if (n < k) break;
  }
  napi_value r;
  napi_create_int32(env, sent, &r);
  return r;
}

/* sendFrame(sock, ifindex, frame): a complete Ethernet frame (dst, src, ethertype, payload). */
napi_value tsk_send_frame(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int32_t ifindex;
  void *data;
  size_t len;
  if (!tsk_args(env, info, 3, argv)) return NULL;
  tsk_sock *s = tsk_get_sock(env, argv[0], false);
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
  int ifindex = 0, ttl = -1, src_port = 0;
  double age_ms = -1;
  if (from.ss_family == AF_INET) {
    inet_ntop(AF_INET, &((struct sockaddr_in *)&from)->sin_addr, srcs, sizeof srcs);
    src_port = ntohs(((struct sockaddr_in *)&from)->sin_port);
  } else if (from.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&from)->sin6_addr, srcs, sizeof srcs);
    src_port = ntohs(((struct sockaddr_in6 *)&from)->sin6_port);
  }
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
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      /* The kernel stamps arrival in CLOCK_REALTIME; only the age (now - stamp) leaves here. */
      struct timespec ts, now;
      memcpy(&ts, CMSG_DATA(c), sizeof ts);
      clock_gettime(CLOCK_REALTIME, &now);
      age_ms = (double)(now.tv_sec - ts.tv_sec) * 1e3 + (double)(now.tv_nsec - ts.tv_nsec) / 1e6;
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
  tsk_set_i32(env, o, "srcPort", src_port); /* UDP/raw: the sender's port (0 for raw sockets) */
  napi_value age;
  napi_create_double(env, age_ms, &age);
  napi_set_named_property(env, o, "ageMs", age);
  if (from.ss_family == AF_NETLINK) {
    /* The sender's port id: 0 is the kernel; anything else is a userspace process (the caller drops it). */
    napi_value pid;
    napi_create_uint32(env, ((struct sockaddr_nl *)&from)->nl_pid, &pid);
    napi_set_named_property(env, o, "nlPid", pid);
  }
  napi_get_boolean(env, (m.msg_flags & MSG_TRUNC) != 0, &t);
  napi_set_named_property(env, o, "truncated", t);
  *out = o;
  return 0;
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
  bool drain = true;
  if (status < 0) {
    /*
     * libuv turns EPOLLERR into status UV_EBADF and stops the handle. The real cause is the
     * socket's pending error (a netlink overrun leaves ENOBUFS): fetch and clear it, report
     * it, re-arm and keep reading — the queued packets are still good. Only an EPOLLERR
     * without a pending error (nothing we can clear) stops the watcher, to avoid a busy loop.
     */
    int soerr = 0;
    socklen_t l = sizeof soerr;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &l) == 0 && soerr != 0 &&
        uv_poll_start(&s->poll, UV_READABLE, on_readable) == 0) {
      err = tsk_errno_error(env, soerr, "recvmsg");
    } else {
      err = tsk_errno_error(env, -status, "uv_poll");
      drain = false;
    }
  }
  while (drain && count < MAX_DRAIN) {
    napi_value pkt = NULL;
    int e = recv_one(env, s, &pkt);
    if (e == EAGAIN || e == EWOULDBLOCK) break;
    if (e == EINTR) continue;
    if (e) {
      napi_valuetype prev;
      napi_typeof(env, err, &prev);
      if (prev == napi_null) err = tsk_errno_error(env, e, "recvmsg");
      if (e == ENOBUFS) continue; /* overrun reported; the queue still holds packets */
      break;
    }
    napi_set_element(env, arr, count++, pkt);
  }
  napi_valuetype et;
  napi_typeof(env, err, &et);
  if (count > 0 || et != napi_null) {
    napi_value argv[2] = {err, arr};
    tsk_call_back(env, s->actx, s->cb, 2, argv);
  }
  napi_close_handle_scope(env, scope);
}

/* startReading(sock, cb(err: Error|null, packets: Packet[])): poll for readability on the loop. */
napi_value tsk_start_reading(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  if (!tsk_args(env, info, 2, argv)) return NULL;
  tsk_sock *s = tsk_get_sock(env, argv[0], false);
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
    tsk_sock_shutdown(s, false);
    tsk_throw_errno(env, -rc, "uv_poll_start");
    return NULL;
  }
  return tsk_undefined(env);
}

