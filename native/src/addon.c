/* Module registration, constants and error helpers for the tskeepalived addon. */
#include "common.h"

#include <errno.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <uv.h>
#include <linux/netlink.h>

/* errno → 'ENODEV': glibc's strerrorname_np knows every name; libuv is the fallback. */
static const char *errno_name(int err) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  const char *n = strerrorname_np(err);
  if (n) return n;
#endif
  return uv_err_name(-err);
}

napi_value tsk_errno_error(napi_env env, int err, const char *syscall) {
  char msg[256];
  const char *code = errno_name(err);
  snprintf(msg, sizeof msg, "%s %s: %s", syscall, code, strerror(err));
  napi_value code_v, msg_v, e, n, sc;
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_v);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &msg_v);
  napi_create_error(env, code_v, msg_v, &e);
  napi_create_int32(env, -err, &n);
  napi_set_named_property(env, e, "errno", n);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, e, "syscall", sc);
  return e;
}

void tsk_throw_errno(napi_env env, int err, const char *syscall) {
  napi_throw(env, tsk_errno_error(env, err, syscall));
}

void tsk_throw_arg(napi_env env, const char *code, const char *msg) {
  napi_throw_type_error(env, code, msg);
}

void tsk_call_back(napi_env env, napi_async_context actx, napi_ref cb_ref, size_t argc, const napi_value *argv) {
  napi_value cb, recv, ret;
  napi_get_reference_value(env, cb_ref, &cb);
  napi_get_global(env, &recv); /* napi_make_callback needs an object receiver */
  napi_status st = actx ? napi_make_callback(env, actx, recv, cb, argc, argv, &ret)
                        : napi_call_function(env, recv, cb, argc, argv, &ret);
  if (st == napi_ok) return;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) return;
  napi_value exc;
  napi_get_and_clear_last_exception(env, &exc);
  napi_fatal_exception(env, exc); /* an uncaught exception, as for Node's own handles */
}

bool tsk_sockaddr(int af, const char *addr, int port, int scope_ifindex, struct sockaddr_storage *sa, socklen_t *len) {
  memset(sa, 0, sizeof *sa);
  if (af == AF_INET) {
    struct sockaddr_in *v4 = (struct sockaddr_in *)sa;
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    if (addr[0] && inet_pton(AF_INET, addr, &v4->sin_addr) != 1) return false;
    *len = sizeof *v4;
    return true;
  }
  if (af != AF_INET6) return false;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)sa;
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons((uint16_t)port);
  if (addr[0] && inet_pton(AF_INET6, addr, &v6->sin6_addr) != 1) return false;
  if (IN6_IS_ADDR_LINKLOCAL(&v6->sin6_addr)) v6->sin6_scope_id = (uint32_t)scope_ifindex;
  *len = sizeof *v6;
  return true;
}

napi_value tsk_undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

bool tsk_args(napi_env env, napi_callback_info info, size_t need, napi_value *argv) {
  size_t argc = need;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return false;
  if (argc < need) {
    tsk_throw_arg(env, "ERR_MISSING_ARGS", "missing arguments");
    return false;
  }
  return true;
}

bool tsk_get_i32(napi_env env, napi_value v, int32_t *out, const char *what) {
  if (napi_get_value_int32(env, v, out) == napi_ok) return true;
  char msg[128];
  snprintf(msg, sizeof msg, "%s must be a number", what);
  tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", msg);
  return false;
}

bool tsk_get_str(napi_env env, napi_value v, char *buf, size_t len, const char *what) {
  size_t n = 0;
  char msg[128];
  if (napi_get_value_string_utf8(env, v, buf, len, &n) != napi_ok) {
    snprintf(msg, sizeof msg, "%s must be a string", what);
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", msg);
    return false;
  }
  if (n + 1 >= len) { /* silently truncated: refuse rather than act on a different name */
    snprintf(msg, sizeof msg, "%s is too long", what);
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", msg);
    return false;
  }
  return true;
}

bool tsk_get_buf(napi_env env, napi_value v, void **data, size_t *len, const char *what) {
  bool is = false;
  napi_is_buffer(env, v, &is);
  if (is && napi_get_buffer_info(env, v, data, len) == napi_ok) return true;
  char msg[128];
  snprintf(msg, sizeof msg, "%s must be a Buffer", what);
  tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", msg);
  return false;
}

bool tsk_set_i32(napi_env env, napi_value obj, const char *key, int32_t v) {
  napi_value n;
  return napi_create_int32(env, v, &n) == napi_ok && napi_set_named_property(env, obj, key, n) == napi_ok;
}

bool tsk_set_str(napi_env env, napi_value obj, const char *key, const char *s) {
  napi_value n;
  return napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &n) == napi_ok &&
         napi_set_named_property(env, obj, key, n) == napi_ok;
}

/* glibc's <netinet/in.h> may predate IPV6_MULTICAST_ALL (Linux 4.20, linux/in6.h value 29). */
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif

/* The option numbers TS needs for setIntOpt, so no magic numbers are copied into TypeScript. */
static void export_constants(napi_env env, napi_value exports) {
  napi_value c;
  napi_create_object(env, &c);
#define K(name) tsk_set_i32(env, c, #name, name)
  K(SOL_SOCKET); K(SO_RCVBUF); K(SO_SNDBUF); K(SO_PRIORITY); K(SO_RCVBUFFORCE); K(SO_SNDBUFFORCE); K(SO_MARK); K(SO_TIMESTAMPNS);
  K(SOL_NETLINK); K(NETLINK_ADD_MEMBERSHIP); K(NETLINK_DROP_MEMBERSHIP); K(NETLINK_ROUTE); K(NETLINK_GENERIC);
  K(IPPROTO_IP); K(IPPROTO_IPV6); K(IPPROTO_ICMP); K(IPPROTO_ICMPV6); K(IPPROTO_UDP); K(SO_REUSEADDR);
  K(IP_TTL); K(IP_TOS); K(IP_MULTICAST_TTL); K(IP_MULTICAST_LOOP); K(IP_MULTICAST_ALL);
  K(IP_PKTINFO); K(IP_RECVTTL); K(IP_FREEBIND); K(IP_HDRINCL);
  K(IPV6_UNICAST_HOPS); K(IPV6_MULTICAST_HOPS); K(IPV6_MULTICAST_LOOP); K(IPV6_RECVPKTINFO);
  K(IPV6_RECVHOPLIMIT); K(IPV6_V6ONLY); K(IPV6_MULTICAST_ALL);
  K(LOG_PID); K(LOG_NDELAY); K(LOG_CONS);
  K(LOG_EMERG); K(LOG_ALERT); K(LOG_CRIT); K(LOG_ERR); K(LOG_WARNING); K(LOG_NOTICE); K(LOG_INFO); K(LOG_DEBUG);
  K(LOG_KERN); K(LOG_USER); K(LOG_DAEMON);
  K(LOG_LOCAL0); K(LOG_LOCAL1); K(LOG_LOCAL2); K(LOG_LOCAL3); K(LOG_LOCAL4); K(LOG_LOCAL5); K(LOG_LOCAL6); K(LOG_LOCAL7);
#undef K
  napi_set_named_property(env, exports, "constants", c);
}

/* spawn.c (declared here rather than in common.h: nothing else calls them). */
napi_value tsk_spawn_process(napi_env env, napi_callback_info info);
napi_value tsk_watch_exit(napi_env env, napi_callback_info info);
napi_value tsk_spawn_process_async(napi_env env, napi_callback_info info);
napi_value tsk_make_pipe(napi_env env, napi_callback_info info);

static napi_value init(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback fn;
  } fns[] = {
      {"rawSocket", tsk_raw_socket},       {"packetSocket", tsk_packet_socket},
      {"bindToDevice", tsk_bind_to_device}, {"setIntOpt", tsk_set_int_opt},
      {"setMulticastIf", tsk_set_multicast_if}, {"membership", tsk_membership},
      {"send", tsk_send},                   {"sendFrame", tsk_send_frame},
      {"sendBatch", tsk_send_batch},
      {"startReading", tsk_start_reading},  {"close", tsk_close},
      {"fileno", tsk_fileno},               {"ifInfo", tsk_if_info},
      {"openlog", tsk_openlog},             {"syslog", tsk_syslog},
      {"closelog", tsk_closelog},
      {"netlinkSocket", tsk_netlink_socket}, {"netlinkSend", tsk_netlink_send},
      {"getIntOpt", tsk_get_int_opt},       {"setRef", tsk_set_ref},
      {"readable", tsk_readable},          {"dgramSocket", tsk_dgram_socket},
      {"watchSignal", tsk_watch_signal},    {"unwatchSignal", tsk_unwatch_signal},
      {"spawnProcess", tsk_spawn_process},  {"watchExit", tsk_watch_exit},
      {"spawnProcessAsync", tsk_spawn_process_async}, {"makePipe", tsk_make_pipe},
      {"inetSocket", tsk_inet_socket},      {"bindAddress", tsk_bind_address},
      {"tcpConnect", tsk_tcp_connect},      {"cancelConnect", tsk_cancel_connect},
      {"timerCreate", tsk_timer_create},    {"timerArm", tsk_timer_arm},
      {"timerDisarm", tsk_timer_disarm},    {"timerClose", tsk_timer_close},
      {"unixDgramSend", tsk_unix_dgram_send}, {"setNetns", tsk_set_netns},
      {"rtEnable", tsk_rt_enable},          {"rtDisable", tsk_rt_disable},
      {"yieldCpu", tsk_yield_cpu},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  export_constants(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
