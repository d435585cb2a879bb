/*
 * TCP and UDP sockets created here and handed to Node's own net.Socket / dgram.Socket by fd.
 * Node cannot set SO_MARK (checker `fwmark`) or SO_BINDTODEVICE (checker `bind_if`) before it
 * connects, so the socket is made and prepared here; Node then connects, reads and writes it
 * with its usual machinery (timeouts, TLS, streams). Only syscalls: the policy stays in TS.
 */
#include "common.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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

/*
 * inetSocket(family: 4|6, stream: boolean, mark: number (-1 = none, else 0-4294967295), device: string ('' = none),
 *            bindAddr: string ('' = none), bindPort: number (0 = none)) → fd.
 * The fd is non-blocking and close-on-exec; the caller owns it. A link-local bindAddr takes its
 * scope from `device` (keepalived's bind_if exists for exactly that case).
 */
napi_value tsk_inet_socket(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  int32_t fam, port;
  double mark;
  bool stream;
  char dev[IFNAMSIZ + 1], addr[INET6_ADDRSTRLEN + 1];
  if (!tsk_args(env, info, 6, argv) || !tsk_get_i32(env, argv[0], &fam, "family") ||
      !get_bool(env, argv[1], &stream, "stream") || !get_double(env, argv[2], &mark, "mark") ||
      !tsk_get_str(env, argv[3], dev, sizeof dev, "device") || !tsk_get_str(env, argv[4], addr, sizeof addr, "bindAddr") ||
      !tsk_get_i32(env, argv[5], &port, "bindPort"))
    return NULL;
  /* SO_MARK is a u32: -1 means "no mark", so the full 0..4294967295 range stays usable. */
  bool mark_given = mark >= 0;
  if ((fam != 4 && fam != 6) || port < 0 || port > 65535 || mark > 4294967295.0) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "family must be 4 or 6, mark -1 or 0-4294967295, bindPort 0-65535");
    return NULL;
  }
  int af = fam == 4 ? AF_INET : AF_INET6;
  int fd = socket(af, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    tsk_throw_errno(env, errno, "socket");
    return NULL;
  }
  const char *call = "setsockopt SO_MARK";
  if (mark_given) {
    uint32_t m = (uint32_t)mark;
    if (setsockopt(fd, SOL_SOCKET, SO_MARK, &m, sizeof m) < 0) goto fail;
  }
  if (dev[0]) {
    call = "setsockopt SO_BINDTODEVICE";
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)(strlen(dev) + 1)) < 0) goto fail;
  }
  if (addr[0] || port) {
    union {
      struct sockaddr_in v4;
      struct sockaddr_in6 v6;
    } sa;
    socklen_t len;
    memset(&sa, 0, sizeof sa);
    int one = 1;
    /* A fixed source port is reused every delay_loop: do not trip over our own TIME_WAIT. */
    if (port) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (af == AF_INET) {
      sa.v4.sin_family = AF_INET;
      sa.v4.sin_port = htons((uint16_t)port);
      if (addr[0] && inet_pton(AF_INET, addr, &sa.v4.sin_addr) != 1) goto bad_addr;
      len = sizeof sa.v4;
    } else {
      sa.v6.sin6_family = AF_INET6;
      sa.v6.sin6_port = htons((uint16_t)port);
      if (addr[0] && inet_pton(AF_INET6, addr, &sa.v6.sin6_addr) != 1) goto bad_addr;
      if (IN6_IS_ADDR_LINKLOCAL(&sa.v6.sin6_addr) && dev[0]) sa.v6.sin6_scope_id = if_nametoindex(dev);
      len = sizeof sa.v6;
    }
    call = "bind";
    if (bind(fd, (struct sockaddr *)&sa, len) < 0) goto fail;
  }
  napi_value r;
  napi_create_int32(env, fd, &r);
  return r;
fail: {
  int e = errno;
  close(fd);
  tsk_throw_errno(env, e, call);
  return NULL;
}
bad_addr:
  close(fd);
  tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "bindAddr is not an address of the family");
  return NULL;
}
