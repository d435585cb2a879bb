/*
 * Cheap process spawn for check scripts. Node's child_process forks the whole (large) process
 * and runs a lot of JS per child; with hundreds of scripts a second on a busy host that CPU
 * delays VRRP adverts. vfork() shares the parent's memory (no page-table copy) and suspends
 * only the calling thread until the child has exec'd, so a spawn costs a few tens of µs.
 *
 * Exit is observed through a pidfd (pidfd_open, Linux >= 5.3) polled by libuv and reaped with
 * waitid(P_PIDFD): libuv's SIGCHLD handler only waits for the pids of its own process handles,
 * so it never reaps ours and we never reap its.
 *
 * vfork child rules (it runs on the parent's memory and stack): only raw syscalls, no malloc,
 * no glibc set*id() (glibc would broadcast the change to the PARENT's threads), and all signals
 * are blocked around vfork so no parent handler can run on the shared memory.
 */
#include "common.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif

#define MAX_ARGS 256
#define MAX_ENV 64
#define ARGBUF 65536

extern char **environ;

/* What the vfork child reports back through the shared memory when it fails before exec. */
typedef struct {
  int err;
  const char *syscall;
} child_fail;

static void child_fail_exit(volatile child_fail *f, int err, const char *syscall) {
  f->err = err;
  f->syscall = syscall;
  _exit(127);
}

/* What the child gets: argv, the file to execute (NULL = execvp of argv[0]), its environment
 * (NULL = ours), credentials (-1 = keep), fds for stdout/stderr (-1 = /dev/null) and a network
 * namespace fd to enter (-1 = the spawning thread's; pool threads may predate the daemon's setns). */
typedef struct {
  char **argv;
  const char *file;
  char **envp;
  int uid, gid;
  int out_fd, err_fd;
  int netns_fd;
} child_spec;

/* Runs in the vfork child; never returns. */
static void child_main(const child_spec *c, volatile child_fail *fail) {
  /* Signal dispositions: a handler address of the parent would run on shared memory, and an
   * ignored SIGPIPE would be inherited by exec — reset all, as libuv does for its children. */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; s++) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    sigaction(s, &dfl, NULL); /* EINVAL for glibc-reserved signals: harmless */
  }
  if (syscall(SYS_setsid) < 0) child_fail_exit(fail, errno, "setsid");
  /* Before credentials are dropped: setns needs CAP_SYS_ADMIN. */
  if (c->netns_fd >= 0 && setns(c->netns_fd, CLONE_NEWNET) < 0) child_fail_exit(fail, errno, "setns");
  /* Credentials: the group list is always replaced by the one gid (even when it equals ours),
   * so a script never keeps the daemon's supplementary groups; gid before uid. */
  if (c->gid >= 0) {
    gid_t g = (gid_t)c->gid;
    if (syscall(SYS_setgroups, 1, &g) < 0) child_fail_exit(fail, errno, "setgroups");
    if (syscall(SYS_setresgid, g, g, g) < 0) child_fail_exit(fail, errno, "setgid");
  }
  if (c->uid >= 0) {
    uid_t u = (uid_t)c->uid;
    if (syscall(SYS_setresuid, u, u, u) < 0) child_fail_exit(fail, errno, "setuid");
  }
  int nul = open("/dev/null", O_RDWR);
  if (nul < 0) child_fail_exit(fail, errno, "open");
  int want[3] = {nul, c->out_fd >= 0 ? c->out_fd : nul, c->err_fd >= 0 ? c->err_fd : nul};
  for (int fd = 0; fd < 3; fd++)
    if (want[fd] != fd && dup2(want[fd], fd) < 0) child_fail_exit(fail, errno, "dup2");
  /* Nothing but stdio reaches the script: fds inherited without close-on-exec (from whoever
   * started the daemon) are closed here, whatever their number. */
  if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0) {
    for (int fd = 3; fd < 65536; fd++) close(fd); /* kernels before 5.9 */
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  char **envp = c->envp ? c->envp : environ;
  if (c->file) {
    execve(c->file, c->argv, envp);
    child_fail_exit(fail, errno, "execve");
  }
  execvpe(c->argv[0], c->argv, envp);
  child_fail_exit(fail, errno, "execvp");
}

static bool get_opt_i32(napi_env env, napi_value obj, const char *key, int *out) {
  bool has = false;
  *out = -1;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return true;
  napi_value v;
  napi_valuetype t;
  napi_get_named_property(env, obj, key, &v);
  napi_typeof(env, v, &t);
  if (t == napi_undefined) return true;
  int32_t n;
  if (!tsk_get_i32(env, v, &n, key)) return false;
  if (n < 0) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "uid/gid/stdout/stderr/netns must be >= 0");
    return false;
  }
  *out = n;
  return true;
}

/* One spawn: the argv copied out of JS (the child must not allocate), then the result. */
typedef struct {
  char *buf;
  char **argv;
  char **envp; /* NULL = the daemon's environment */
  char *file;  /* NULL = PATH search of argv[0] */
  int uid, gid;
  int out_fd, err_fd;
  int netns_fd;
  int pid, pidfd;
  int err;
  const char *syscall;
  napi_async_work work;
  napi_ref cb;
} spawn_req;

static void req_free(spawn_req *r) {
  free(r->buf);
  free(r->argv);
  free(r->envp);
  free(r);
}

/* Copy one JS string into r->buf at *used; NULL (after throwing) on bad input. */
static char *copy_str(napi_env env, spawn_req *r, napi_value v, size_t *used, const char *what) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", what);
    return NULL;
  }
  if (*used + len + 1 > ARGBUF) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "argv/env is too long");
    return NULL;
  }
  char *dst = r->buf + *used;
  napi_get_value_string_utf8(env, v, dst, len + 1, &len);
  if (strlen(dst) != len) { /* embedded NUL: exec would see a different string */
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "argv/env entries must not contain NUL");
    return NULL;
  }
  *used += len + 1;
  return dst;
}

static bool get_opt(napi_env env, napi_value obj, const char *key, napi_value *out) {
  bool has = false;
  if (napi_has_named_property(env, obj, key, &has) != napi_ok || !has) return false;
  napi_valuetype t;
  napi_get_named_property(env, obj, key, out);
  napi_typeof(env, *out, &t);
  return t != napi_undefined;
}

/* spawnProcess*(argv, opts) arguments → a request; throws and returns NULL on bad input. */
static spawn_req *parse_req(napi_env env, napi_value jsargv, napi_value jsopts) {
  bool is_arr = false;
  napi_is_array(env, jsargv, &is_arr);
  uint32_t n = 0;
  if (is_arr) napi_get_array_length(env, jsargv, &n);
  if (!is_arr || n == 0 || n >= MAX_ARGS) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "argv must be a non-empty array of at most 255 strings");
    return NULL;
  }
  int uid, gid, out_fd, err_fd, netns_fd;
  if (!get_opt_i32(env, jsopts, "uid", &uid) || !get_opt_i32(env, jsopts, "gid", &gid) ||
      !get_opt_i32(env, jsopts, "stdout", &out_fd) || !get_opt_i32(env, jsopts, "stderr", &err_fd) ||
      !get_opt_i32(env, jsopts, "netns", &netns_fd))
    return NULL;
  napi_value jsenv = NULL, jsfile = NULL;
  uint32_t nenv = 0;
  bool has_env = get_opt(env, jsopts, "env", &jsenv);
  if (has_env) {
    bool env_arr = false;
    napi_is_array(env, jsenv, &env_arr);
    if (env_arr) napi_get_array_length(env, jsenv, &nenv);
    if (!env_arr || nenv >= MAX_ENV) {
      tsk_throw_arg(env, "ERR_INVALID_ARG_VALUE", "env must be an array of at most 63 strings");
      return NULL;
    }
  }
  bool has_file = get_opt(env, jsopts, "file", &jsfile);
  spawn_req *r = calloc(1, sizeof *r);
  if (r) {
    r->buf = malloc(ARGBUF);
    r->argv = malloc(sizeof(char *) * (n + 1));
    if (has_env) r->envp = malloc(sizeof(char *) * (nenv + 1));
  }
  if (!r || !r->buf || !r->argv || (has_env && !r->envp)) {
    if (r) req_free(r);
    tsk_throw_errno(env, ENOMEM, "malloc");
    return NULL;
  }
  r->uid = uid;
  r->gid = gid;
  r->out_fd = out_fd;
  r->netns_fd = netns_fd;
  r->err_fd = err_fd;
  r->pidfd = -1;
  size_t used = 0;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    napi_get_element(env, jsargv, i, &el);
    if (!(r->argv[i] = copy_str(env, r, el, &used, "argv entries must be strings"))) {
      req_free(r);
      return NULL;
    }
  }
  r->argv[n] = NULL;
  for (uint32_t i = 0; i < nenv; i++) {
    napi_value el;
    napi_get_element(env, jsenv, i, &el);
    if (!(r->envp[i] = copy_str(env, r, el, &used, "env entries must be strings"))) {
      req_free(r);
      return NULL;
    }
  }
  if (has_env) r->envp[nenv] = NULL;
  if (has_file && !(r->file = copy_str(env, r, jsfile, &used, "file must be a string"))) {
    req_free(r);
    return NULL;
  }
  return r;
}

/* vfork + exec + pidfd_open; no N-API calls (it also runs on a worker thread). */
static void do_spawn(spawn_req *r) {
  volatile child_fail fail = {0, NULL};
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  child_spec c = {r->argv, r->file, r->envp, r->uid, r->gid, r->out_fd, r->err_fd, r->netns_fd};
  pid_t pid = vfork();
  if (pid == 0) child_main(&c, &fail); /* never returns */
  int vfork_errno = errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (pid < 0) {
    r->err = vfork_errno;
    r->syscall = "vfork";
    return;
  }
  int st;
  if (fail.err != 0) {
    /* The child has already _exit'ed (vfork resumed us): reap it and report why. */
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    r->err = fail.err;
    r->syscall = fail.syscall ? fail.syscall : "spawn";
    return;
  }
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    r->err = errno;
    r->syscall = "pidfd_open";
    kill(-pid, SIGKILL); /* nothing could ever reap it otherwise */
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    return;
  }
  fcntl(pidfd, F_SETFD, FD_CLOEXEC);
  r->pid = pid;
  r->pidfd = pidfd;
}

static napi_value spawned_obj(napi_env env, spawn_req *r) {
  napi_value res;
  napi_create_object(env, &res);
  tsk_set_i32(env, res, "pid", r->pid);
  tsk_set_i32(env, res, "pidfd", r->pidfd);
  return res;
}

/* spawnProcess(argv: string[], opts: {uid?, gid?}) → {pid, pidfd}. Blocks the calling thread
 * until the child has exec'd — on a loaded host that is the child's scheduling delay, so the
 * daemon uses spawnProcessAsync. */
napi_value tsk_spawn_process(napi_env env, napi_callback_info info) {
  napi_value args[2];
  if (!tsk_args(env, info, 2, args)) return NULL;
  spawn_req *r = parse_req(env, args[0], args[1]);
  if (!r) return NULL;
  do_spawn(r);
  napi_value res = NULL;
  if (r->err) tsk_throw_errno(env, r->err, r->syscall);
  else res = spawned_obj(env, r);
  req_free(r);
  return res;
}

static void async_execute(napi_env env, void *data) {
  do_spawn(data);
}

static void async_complete(napi_env env, napi_status status, void *data) {
  spawn_req *r = data;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) == napi_ok) {
    napi_value argv[2];
    if (status != napi_ok && !r->err) {
      r->err = ECANCELED;
      r->syscall = "spawn";
    }
    if (r->err) {
      argv[0] = tsk_errno_error(env, r->err, r->syscall);
      napi_get_undefined(env, &argv[1]);
    } else {
      napi_get_null(env, &argv[0]);
      argv[1] = spawned_obj(env, r);
    }
    tsk_call_back(env, NULL, r->cb, 2, argv);
    napi_close_handle_scope(env, scope);
  }
  napi_delete_reference(env, r->cb);
  napi_delete_async_work(env, r->work);
  req_free(r);
}

/* spawnProcessAsync(argv, opts, cb(err, {pid, pidfd})): the vfork happens on a libuv pool
 * thread, so only that thread waits for the child's exec, never the event loop. */
napi_value tsk_spawn_process_async(napi_env env, napi_callback_info info) {
  napi_value args[3];
  if (!tsk_args(env, info, 3, args)) return NULL;
  napi_valuetype t;
  napi_typeof(env, args[2], &t);
  if (t != napi_function) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "callback must be a function");
    return NULL;
  }
  spawn_req *r = parse_req(env, args[0], args[1]);
  if (!r) return NULL;
  napi_value name;
  napi_create_string_utf8(env, "tskeepalived:spawn", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, async_execute, async_complete, r, &r->work) != napi_ok) {
    req_free(r);
    tsk_throw_errno(env, ENOMEM, "napi_create_async_work");
    return NULL;
  }
  napi_create_reference(env, args[2], 1, &r->cb);
  if (napi_queue_async_work(env, r->work) != napi_ok) {
    napi_delete_reference(env, r->cb);
    napi_delete_async_work(env, r->work);
    req_free(r);
    tsk_throw_errno(env, EAGAIN, "napi_queue_async_work");
    return NULL;
  }
  return tsk_undefined(env);
}

/* makePipe() → [readFd, writeFd]: both close-on-exec, the read end non-blocking (for a
 * net.Socket); the write end is handed to a child as stdout/stderr and then closed here. */
napi_value tsk_make_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) < 0) {
    tsk_throw_errno(env, errno, "pipe2");
    return NULL;
  }
  fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
  napi_value arr, v;
  napi_create_array_with_length(env, 2, &arr);
  for (uint32_t i = 0; i < 2; i++) {
    napi_create_int32(env, fds[i], &v);
    napi_set_element(env, arr, i, v);
  }
  return arr;
}

typedef struct {
  uv_poll_t h;
  napi_env env;
  napi_ref cb;
  napi_async_context actx;
  int pidfd;
} exit_watch;

static void on_watch_closed(uv_handle_t *h) {
  exit_watch *w = h->data;
  if (w->pidfd >= 0) close(w->pidfd); /* only now: libuv must not see the fd number reused while polling */
  free(w);
}

static void deliver(exit_watch *w, napi_value err, napi_value result) {
  napi_env env = w->env;
  napi_value argv[2] = {err, result};
  tsk_call_back(env, w->actx, w->cb, 2, argv);
}

static void on_pidfd(uv_poll_t *h, int status, int events) {
  exit_watch *w = h->data;
  napi_env env = w->env;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int err = 0;
  const char *sc = "waitid";
  if (status < 0) {
    err = -status;
    sc = "uv_poll";
  } else {
    int rc;
    do rc = waitid(P_PIDFD, (id_t)w->pidfd, &si, WEXITED | WNOHANG);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) err = errno;
    else if (si.si_pid == 0) return; /* spurious wake-up: not exited yet */
  }
  uv_poll_stop(&w->h);
  uv_close((uv_handle_t *)&w->h, on_watch_closed);

  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value e, r;
  if (err) {
    e = tsk_errno_error(env, err, sc);
    napi_get_undefined(env, &r);
  } else {
    napi_get_null(env, &e);
    napi_create_object(env, &r);
    if (si.si_code == CLD_EXITED) tsk_set_i32(env, r, "status", si.si_status);
    else tsk_set_i32(env, r, "signal", si.si_status); /* CLD_KILLED / CLD_DUMPED */
  }
  deliver(w, e, r);
  napi_delete_reference(env, w->cb);
  napi_async_destroy(env, w->actx);
  napi_close_handle_scope(env, scope);
}

/* watchExit(pidfd, cb(err, {status?, signal?})): reap once, close the pidfd, call cb once. */
napi_value tsk_watch_exit(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int32_t pidfd;
  if (!tsk_args(env, info, 2, argv) || !tsk_get_i32(env, argv[0], &pidfd, "pidfd")) return NULL;
  napi_valuetype t;
  napi_typeof(env, argv[1], &t);
  if (t != napi_function) {
    tsk_throw_arg(env, "ERR_INVALID_ARG_TYPE", "callback must be a function");
    return NULL;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  exit_watch *w = calloc(1, sizeof *w);
  if (!w) {
    tsk_throw_errno(env, ENOMEM, "calloc");
    return NULL;
  }
  w->env = env;
  w->pidfd = pidfd;
  int rc = uv_poll_init(loop, &w->h, pidfd);
  if (rc < 0) {
    free(w);
    tsk_throw_errno(env, -rc, "uv_poll_init");
    return NULL;
  }
  w->h.data = w;
  rc = uv_poll_start(&w->h, UV_READABLE, on_pidfd);
  if (rc < 0) {
    /* the handle is initialised: it must be closed; the pidfd stays the caller's */
    w->pidfd = -1;
    uv_close((uv_handle_t *)&w->h, on_watch_closed);
    tsk_throw_errno(env, -rc, "uv_poll_start");
    return NULL;
  }
  napi_value name;
  napi_create_string_utf8(env, "tskeepalived:exit", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &w->actx);
  napi_create_reference(env, argv[1], 1, &w->cb);
  return tsk_undefined(env);
}
