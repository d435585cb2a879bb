/*
 * Shared helpers for the tskeepalived addon. The addon only performs syscalls (DESIGN.md rule 12):
 * packet layouts, checksums and policy (which options, which values) live in TypeScript.
 */
#ifndef TSK_COMMON_H
#define TSK_COMMON_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Throw a JS Error with .code ('ENODEV'), .errno (negative, as Node's own errors), .syscall. */
void tsk_throw_errno(napi_env env, int err, const char *syscall);
/* Build (without throwing) the same Error object, for async delivery to a callback. */
napi_value tsk_errno_error(napi_env env, int err, const char *syscall);
/* Throw a TypeError for bad arguments (code ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE). */
void tsk_throw_arg(napi_env env, const char *code, const char *msg);

bool tsk_get_i32(napi_env env, napi_value v, int32_t *out, const char *what);
bool tsk_get_str(napi_env env, napi_value v, char *buf, size_t len, const char *what);
bool tsk_get_buf(napi_env env, napi_value v, void **data, size_t *len, const char *what);
/* Read argc args into argv; throws and returns false when fewer than `need` were passed. */
bool tsk_args(napi_env env, napi_callback_info info, size_t need, napi_value *argv);

napi_value tsk_undefined(napi_env env);
/*
 * Text address ('' = any) + port → sockaddr of family af; a link-local IPv6 address gets
 * scope_ifindex. False when the text is not an address of that family.
 */
bool tsk_sockaddr(int af, const char *addr, int port, int scope_ifindex, struct sockaddr_storage *sa, socklen_t *len);
/*
 * Call the JS callback behind cb_ref from a libuv callback (caller holds a handle scope), through
 * napi_make_callback when actx is given (async hooks, microtasks) else napi_call_function. An
 * exception it throws is reported as uncaught, as Node does for its own handles.
 */
void tsk_call_back(napi_env env, napi_async_context actx, napi_ref cb_ref, size_t argc, const napi_value *argv);
bool tsk_set_i32(napi_env env, napi_value obj, const char *key, int32_t v);
bool tsk_set_str(napi_env env, napi_value obj, const char *key, const char *s);

/* Entry points, registered by addon.c. */
napi_value tsk_raw_socket(napi_env env, napi_callback_info info);
napi_value tsk_packet_socket(napi_env env, napi_callback_info info);
napi_value tsk_bind_to_device(napi_env env, napi_callback_info info);
napi_value tsk_set_int_opt(napi_env env, napi_callback_info info);
napi_value tsk_set_multicast_if(napi_env env, napi_callback_info info);
napi_value tsk_membership(napi_env env, napi_callback_info info);
napi_value tsk_send(napi_env env, napi_callback_info info);
napi_value tsk_send_batch(napi_env env, napi_callback_info info);
napi_value tsk_send_frame(napi_env env, napi_callback_info info);
napi_value tsk_start_reading(napi_env env, napi_callback_info info);
napi_value tsk_close(napi_env env, napi_callback_info info);
napi_value tsk_fileno(napi_env env, napi_callback_info info);
napi_value tsk_if_info(napi_env env, napi_callback_info info);
napi_value tsk_openlog(napi_env env, napi_callback_info info);
napi_value tsk_syslog(napi_env env, napi_callback_info info);
napi_value tsk_closelog(napi_env env, napi_callback_info info);
napi_value tsk_set_netns(napi_env env, napi_callback_info info);
napi_value tsk_unix_dgram_send(napi_env env, napi_callback_info info);
napi_value tsk_rt_enable(napi_env env, napi_callback_info info);
napi_value tsk_rt_disable(napi_env env, napi_callback_info info);
napi_value tsk_yield_cpu(napi_env env, napi_callback_info info);
napi_value tsk_netlink_socket(napi_env env, napi_callback_info info);
napi_value tsk_netlink_send(napi_env env, napi_callback_info info);
napi_value tsk_get_int_opt(napi_env env, napi_callback_info info);
napi_value tsk_set_ref(napi_env env, napi_callback_info info);
napi_value tsk_readable(napi_env env, napi_callback_info info);
napi_value tsk_dgram_socket(napi_env env, napi_callback_info info);
napi_value tsk_inet_socket(napi_env env, napi_callback_info info);
napi_value tsk_bind_address(napi_env env, napi_callback_info info);
napi_value tsk_tcp_connect(napi_env env, napi_callback_info info);
napi_value tsk_cancel_connect(napi_env env, napi_callback_info info);
napi_value tsk_timer_create(napi_env env, napi_callback_info info);
napi_value tsk_timer_arm(napi_env env, napi_callback_info info);
napi_value tsk_timer_disarm(napi_env env, napi_callback_info info);
napi_value tsk_timer_close(napi_env env, napi_callback_info info);
napi_value tsk_watch_signal(napi_env env, napi_callback_info info);
napi_value tsk_unwatch_signal(napi_env env, napi_callback_info info);

#endif
