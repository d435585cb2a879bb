/* The socket object shared by sock.c (lifecycle, options) and io.c (send, receive, poll). */
#ifndef TSK_SOCK_H
#define TSK_SOCK_H

#include "common.h"

#include <uv.h>

/* Packets handed to JS per readable event; the poll is level-triggered, so more arrive next tick. */
#define MAX_DRAIN 64

typedef struct {
  int fd;
  int family; /* AF_INET, AF_INET6, AF_PACKET or AF_NETLINK */
  napi_env env;
  uv_poll_t poll;
  bool polling;       /* uv_poll_init done, uv_close not yet requested */
  bool handle_closed; /* no uv handle, or its close callback has run */
  bool finalized;     /* the JS external has been collected */
  napi_ref cb;        /* reader callback while polling */
  napi_ref self;      /* keeps the external alive while polling, like a Node handle */
  napi_async_context actx;
} tsk_sock;

/* Wrap an open fd as a JS external (closes fd and returns NULL with an exception on failure). */
napi_value tsk_wrap_sock(napi_env env, int fd, int family);
/* Unwrap a socket argument; throws EBADF when it was already closed (unless allow_closed). */
tsk_sock *tsk_get_sock(napi_env env, napi_value v, bool allow_closed);
/* Stop polling, release JS references, close the fd. Safe to call twice. */
void tsk_sock_shutdown(tsk_sock *s, bool from_finalizer);

#endif
