/* Interface lookup (ioctl), libc syslog and setns for the tskeepalived addon. */
#include "common.h"

#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

/* ifInfo(name) → {ifindex, mac: Buffer(6 or hw addr len), hwtype, flags, mtu}; ENODEV if absent. */
napi_value tsk_if_info(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char name[IFNAMSIZ + 1];
  size_t n = 0;
  if (!tsk_args(env, info, 1, argv)) return NULL;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &n) != napi_ok) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "ifname must be a string");
    return NULL;
  }
  if (n == 0 || n >= IFNAMSIZ) { /* no interface can have this name */
    tsk_throw_errno(env, ENODEV, "ioctl SIOCGIFINDEX");
    return NULL;
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    tsk_throw_errno(env, errno, "socket");
    return NULL;
  }
  struct ifreq r;
  int ifindex, flags, mtu;
  const char *call = "ioctl SIOCGIFINDEX";
  memset(&r, 0, sizeof r);
  memcpy(r.ifr_name, name, n);
  if (ioctl(fd, SIOCGIFINDEX, &r) < 0) goto fail;
  ifindex = r.ifr_ifindex;
  call = "ioctl SIOCGIFFLAGS";
  if (ioctl(fd, SIOCGIFFLAGS, &r) < 0) goto fail;
  flags = r.ifr_flags;
  call = "ioctl SIOCGIFMTU";
  if (ioctl(fd, SIOCGIFMTU, &r) < 0) goto fail;
  mtu = r.ifr_mtu;
  call = "ioctl SIOCGIFHWADDR";
  if (ioctl(fd, SIOCGIFHWADDR, &r) < 0) goto fail;
  close(fd);

  napi_value o, mac;
  /* Only Ethernet-like links have a 6-byte address; others (loopback too) still report 6 zeros. */
  napi_create_buffer_copy(env, 6, r.ifr_hwaddr.sa_data, NULL, &mac);
  napi_create_object(env, &o);
  tsk_set_i32(env, o, "ifindex", ifindex);
  napi_set_named_property(env, o, "mac", mac);
  tsk_set_i32(env, o, "hwtype", r.ifr_hwaddr.sa_family);
  tsk_set_i32(env, o, "flags", flags);
  tsk_set_i32(env, o, "mtu", mtu);
  return o;
fail: {
  int e = errno;
  close(fd);
  tsk_throw_errno(env, e, call);
  return NULL;
}
}

/* openlog keeps the ident pointer, so it must outlive the call. */
static char *syslog_ident;

/* openlog(ident, option, facility) */
napi_value tsk_openlog(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  char ident[128];
  int32_t option, facility;
  if (!tsk_args(env, info, 3, argv) || !tsk_get_str(env, argv[0], ident, sizeof ident, "ident") ||
      !tsk_get_i32(env, argv[1], &option, "option") || !tsk_get_i32(env, argv[2], &facility, "facility"))
    return NULL;
  char *copy = strdup(ident);
  if (!copy) {
    tsk_throw_errno(env, ENOMEM, "strdup");
    return NULL;
  }
  closelog();
  free(syslog_ident);
  syslog_ident = copy;
  openlog(syslog_ident, option, facility);
  return tsk_undefined(env);
}

/* syslog(priority, message): the message is passed as "%s" data, never as a format. */
napi_value tsk_syslog(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t pri;
  size_t len = 0;
  if (!tsk_args(env, info, 2, argv) || !tsk_get_i32(env, argv[0], &pri, "priority")) return NULL;
  if (napi_get_value_string_utf8(env, argv[1], NULL, 0, &len) != napi_ok) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "message must be a string");
    return NULL;
  }
  char stackbuf[1024];
  char *buf = len < sizeof stackbuf ? stackbuf : malloc(len + 1);
  if (!buf) {
    tsk_throw_errno(env, ENOMEM, "malloc");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[1], buf, len + 1, &len);
  syslog(pri, "%s", buf);
  if (buf != stackbuf) free(buf);
  return tsk_undefined(env);
}

napi_value tsk_closelog(napi_env env, napi_callback_info info) {
  closelog();
  return tsk_undefined(env);
}

/*
 * unixDgramSend(address, data): one datagram to a unix socket by name, from a fresh unbound
 * socket (sd_notify's transport). address is a path, or '@name' for the abstract namespace
 * (sun_path[0] = 0, the name's exact length, no trailing NUL). Returns the bytes sent.
 */
napi_value tsk_unix_dgram_send(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char addr[sizeof(((struct sockaddr_un *)0)->sun_path) + 1];
  size_t n = 0;
  void *data;
  size_t len;
  if (!tsk_args(env, info, 2, argv)) return NULL;
  if (napi_get_value_string_utf8(env, argv[0], NULL, 0, &n) != napi_ok) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "address must be a string");
    return NULL;
  }
  if (n >= sizeof addr) { /* longer than any sun_path: never truncate to another name */
    tsk_throw_errno(env, ENAMETOOLONG, "sendto");
    return NULL;
  }
  napi_get_value_string_utf8(env, argv[0], addr, sizeof addr, &n);
  if (!tsk_get_buf(env, argv[1], &data, &len, "data")) return NULL;
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (n < 2 && !(n == 1 && addr[0] != '@')) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "address must be a path or @name");
    return NULL;
  }
  if (n > sizeof sa.sun_path || (addr[0] != '@' && n == sizeof sa.sun_path)) {
    tsk_throw_errno(env, ENAMETOOLONG, "sendto");
    return NULL;
  }
  memcpy(sa.sun_path, addr, n);
  socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
  if (addr[0] == '@') sa.sun_path[0] = 0;
  else salen += 1; /* the path's NUL */
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    tsk_throw_errno(env, errno, "socket");
    return NULL;
  }
  ssize_t sent = sendto(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT, (struct sockaddr *)&sa, salen);
  int e = errno;
  close(fd);
  if (sent < 0) {
    tsk_throw_errno(env, e, "sendto");
    return NULL;
  }
  napi_value r;
  napi_create_int64(env, (int64_t)sent, &r);
  return r;
}

/*
 * setNetns(fd): setns(fd, CLONE_NEWNET) for the calling thread only (the JS thread); fd is a
 * network namespace file (/run/netns/NAME) the caller opened and closes. Threads that already
 * exist keep their namespace; threads and children created later by this thread inherit it.
 */
napi_value tsk_set_netns(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int32_t fd;
  if (!tsk_args(env, info, 1, argv) || !tsk_get_i32(env, argv[0], &fd, "fd")) return NULL;
  if (setns(fd, CLONE_NEWNET) < 0) {
    tsk_throw_errno(env, errno, "setns");
    return NULL;
  }
  return tsk_undefined(env);
}
