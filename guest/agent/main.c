/*
 * benchtop-agent: serves Benchtop's guest agent protocol (PROTOCOL.md) in a
 * microVM guest, or over stdin/stdout for tests. One thread, one poll()
 * loop over the host connection, a SIGCHLD self-pipe and every session's
 * descriptors. A malformed frame from the host is answered with ERROR on
 * session 0 and the connection is dropped (with --stdio: exit 1); when the
 * host goes away every session is killed, and the port is opened again.
 */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "frames.h"
#include "kv.h"
#include "protocol.h"
#include "session.h"
#include "spawn.h"
#include "transport.h"

enum transport { STDIO, PORT, VSOCK };

static enum transport transport = STDIO;
static const char *port_name;
static unsigned vsock_port;
static int as_init;

static int child_pipe[2] = {-1, -1}; /* SIGCHLD → one byte here */
static int conn_in = -1, conn_out = -1, vsock_listener = -1;
static int hello_seen;

static void on_sigchld(int sig) {
  (void)sig;
  int saved = errno;
  ssize_t w = write(child_pipe[1], "", 1); /* full pipe: a wake-up is pending anyway */
  (void)w;
  errno = saved;
}

static void sleep_ms(long ms) {
  struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0 && errno == EINTR) session_reap();
}

static void usage(void) {
  diag("usage: benchtop-agent (--stdio | --port NAME | --vsock PORT) [--init]");
  exit(2);
}

static void parse_args(int argc, char **argv) {
  int transports = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--stdio") == 0) {
      transport = STDIO;
      transports++;
    } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
      transport = PORT;
      port_name = argv[++i];
      transports++;
    } else if (strcmp(argv[i], "--vsock") == 0 && i + 1 < argc) {
      unsigned long p;
      if (parse_uint(argv[++i], 0xffffffffUL, &p) != 0) {
        diag("--vsock %s: not a port number", argv[i]);
        exit(2);
      }
      transport = VSOCK;
      vsock_port = (unsigned)p;
      transports++;
    } else if (strcmp(argv[i], "--init") == 0) {
      as_init = 1;
    } else {
      diag("unknown argument: %s", argv[i]);
      usage();
    }
  }
  if (transports != 1) usage();
}

/* Makes sure fds 0-2 exist (pid 1 may start without them), so no pipe or
 * PTY the agent opens lands on them and is clobbered by a child's dup2. */
static void fill_std_fds(void) {
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) < 0) {
      int n = open("/dev/null", O_RDWR);
      if (n >= 0 && n != fd) {
        dup2(n, fd);
        close(n);
      }
    }
}

static void setup_signals(void) {
  if (pipe2(child_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
    diag("pipe: %s", strerror(errno));
    exit(1);
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sa.sa_flags = SA_NOCLDSTOP; /* no SA_RESTART: a blocking write wakes to reap */
  sigaction(SIGCHLD, &sa, NULL);
  /* A host that went away is seen as a failed write, not a signal. */
  signal(SIGPIPE, SIG_IGN);
}

static int send_hello(void) {
  char payload[512], pid[24];
  size_t len = 0;
  struct utsname u;
  if (uname(&u) != 0) strcpy(u.release, "unknown");
  snprintf(pid, sizeof pid, "%d", (int)getpid());
  kv_put(payload, sizeof payload, &len, "version", PROTOCOL_VERSION);
  kv_put(payload, sizeof payload, &len, "agent", AGENT_NAME);
  kv_put(payload, sizeof payload, &len, "kernel", u.release);
  kv_put(payload, sizeof payload, &len, "pid", pid);
  if (frames_send_sync() != 0) return -1;
  return frames_send(0, T_G_HELLO, payload, len);
}

/* Opens the next connection and greets the host; for a port the greeting
 * blocks until a host is there. */
static void connect_host(void) {
  for (;;) {
    if (transport == STDIO) {
      conn_in = 0;
      conn_out = 1;
    } else if (transport == PORT) {
      static int said;
      conn_in = conn_out = port_open(port_name);
      if (conn_in < 0) {
        if (!said++) diag("no virtio port named %s yet; waiting for it", port_name);
        sleep_ms(1000);
        continue;
      }
    } else {
      if (vsock_listener < 0) {
        vsock_listener = vsock_listen(vsock_port);
        if (vsock_listener < 0) {
          sleep_ms(1000);
          continue;
        }
      }
      conn_in = conn_out = vsock_accept(vsock_listener);
      if (conn_in < 0) {
        if (errno == EINTR) session_reap();
        else sleep_ms(50);
        continue;
      }
    }
    frames_reset();
    frames_set_output(conn_out);
    hello_seen = 0;
    session_forget_ended();
    if (send_hello() == 0) return;
    if (transport == STDIO) exit(0); /* nobody reads us */
    close(conn_in);
    sleep_ms(50);
  }
}

/* A host greeting us on a connection we thought was still the old one's:
 * its sessions are gone with it; greet back. */
static void restart_connection(void) {
  session_end_all();
  hello_seen = 0;
  session_forget_ended();
  send_hello();
}

/* The host went away (EOF, a failed write) or broke the protocol (error). */
static void disconnect(int protocol_error) {
  session_end_all();
  if (transport == STDIO) exit(protocol_error ? 1 : 0);
  close(conn_in);
  conn_in = conn_out = -1;
  /* A virtio port reads EOF at once while no host is connected: do not spin. */
  sleep_ms(50);
  connect_host();
}

static void shutdown_guest(void) {
  if (!as_init) {
    session_end_all();
    exit(0);
  }
  /* As pid 1: ask everyone to stop, give them a moment, then insist. */
  kill(-1, SIGTERM);
  for (int i = 0; i < 50; i++) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    if (kill(-1, 0) != 0 && errno == ESRCH) break;
    sleep_ms(20);
  }
  session_end_all();
  kill(-1, SIGKILL);
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  sync();
  reboot(RB_POWER_OFF);
  diag("power off failed: %s", strerror(errno));
  exit(1);
}

#define PROTOCOL_ERROR(...) (snprintf(err, err_len, __VA_ARGS__), -1)

static int expect_len(const struct frame *f, uint32_t want, const char *name, char *err, size_t err_len) {
  if (f->len != want) return PROTOCOL_ERROR("%s payload of %u bytes (expected %u)", name, f->len, want);
  return 0;
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* EXEC with `connect=PORT`: a TCP connection to 127.0.0.1:PORT in the guest instead of a process. */
static int connect_session(const struct frame *f, const char *port_text, char *err, size_t err_len) {
  unsigned long port;
  if (parse_uint(port_text, 65535, &port) != 0 || port == 0) return PROTOCOL_ERROR("EXEC connect must be a port 1..65535");
  if (kv_get(f->payload, f->len, "arg")) return PROTOCOL_ERROR("EXEC has both arg and connect");
  struct session *s = session_count() < MAX_SESSIONS ? session_alloc(f->session) : NULL;
  if (!s) {
    char why[64];
    int n = snprintf(why, sizeof why, "too many sessions (%d at once)", MAX_SESSIONS);
    frames_send(f->session, T_ERROR, why, (size_t)n);
    return 0;
  }
  session_connect(s, (unsigned)port);
  return 0;
}

static int exec_session(const struct frame *f, char *err, size_t err_len) {
  if (session_find(f->session)) return PROTOCOL_ERROR("EXEC for session %u, which is running", f->session);
  const char *port = kv_check(f->payload, f->len) == 0 ? kv_get(f->payload, f->len, "connect") : NULL;
  if (port) return connect_session(f, port, err, err_len);
  if (spawn_check(f->payload, f->len, err, err_len) != 0) return -1;
  char why[1024];
  struct session *s = session_count() < MAX_SESSIONS ? session_alloc(f->session) : NULL;
  if (!s) {
    snprintf(why, sizeof why, "too many sessions (%d at once)", MAX_SESSIONS);
  } else {
    struct spawned p;
    if (spawn_session(f->payload, f->len, &p, why, sizeof why) == 0) {
      s->pid = p.pid;
      s->tty = p.tty;
      s->in_fd = p.in_fd;
      s->out_fd = p.out_fd;
      s->err_fd = p.err_fd;
      s->out_open = 1;
      s->err_open = p.err_fd >= 0;
      char payload[32];
      size_t len = 0;
      char pid[16];
      snprintf(pid, sizeof pid, "%d", (int)p.pid);
      kv_put(payload, sizeof payload, &len, "pid", pid);
      frames_send(f->session, T_STARTED, payload, len);
      /* A child that ended already is picked up by the SIGCHLD wake-up. */
      return 0;
    }
    session_end(s); /* never ran: nothing to kill; remembers the id as ended */
    s = NULL;
  }
  why[strcspn(why, "\n")] = '\0';
  frames_send(f->session, T_ERROR, why, strlen(why));
  return 0;
}

/* One frame from the host: 0, or -1 with the protocol error in err. */
static int handle_frame(const struct frame *f, char *err, size_t err_len) {
  int on_zero = f->type == T_HELLO || f->type == T_PING || f->type == T_SHUTDOWN;
  if (on_zero && f->session != 0) return PROTOCOL_ERROR("frame type 0x%02x on session %u (only on 0)", f->type, f->session);
  if (!on_zero && f->session == 0) return PROTOCOL_ERROR("frame type 0x%02x on session 0", f->type);
  if (f->type == T_HELLO) {
    if (kv_check(f->payload, f->len) != 0) return PROTOCOL_ERROR("HELLO payload is not a key=value list");
    const char *v = kv_get(f->payload, f->len, "version");
    if (!v || strcmp(v, PROTOCOL_VERSION) != 0)
      return PROTOCOL_ERROR("protocol version %s is not supported (this agent speaks %s)", v ? v : "(none)", PROTOCOL_VERSION);
    hello_seen = 1;
    return 0;
  }
  if (!hello_seen) return PROTOCOL_ERROR("frame type 0x%02x before HELLO", f->type);
  switch (f->type) {
  case T_PING:
    frames_send(0, T_PONG, f->payload, f->len);
    return 0;
  case T_SHUTDOWN:
    if (expect_len(f, 0, "SHUTDOWN", err, err_len)) return -1;
    shutdown_guest();
    return 0;
  case T_EXEC:
    return exec_session(f, err, err_len);
  }

  struct session *s = session_find(f->session);
  if (!s) {
    /* Sent before the host saw this session's EXIT or ERROR: harmless. */
    if (session_recently_ended(f->session)) return 0;
    return PROTOCOL_ERROR("frame type 0x%02x for unknown session %u", f->type, f->session);
  }
  switch (f->type) {
  case T_STDIN:
    if (session_stdin(s, f->payload, f->len) != 0)
      return PROTOCOL_ERROR("session %u: stdin sent beyond its credit (%d bytes ahead at most)", f->session, INITIAL_CREDIT);
    return 0;
  case T_STDIN_EOF:
    if (expect_len(f, 0, "STDIN_EOF", err, err_len)) return -1;
    session_stdin_eof(s);
    return 0;
  case T_RESIZE:
    if (expect_len(f, 4, "RESIZE", err, err_len)) return -1;
    session_resize(s, (unsigned short)(f->payload[0] << 8 | f->payload[1]), (unsigned short)(f->payload[2] << 8 | f->payload[3]));
    return 0;
  case T_SIGNAL:
    if (expect_len(f, 1, "SIGNAL", err, err_len)) return -1;
    if (f->payload[0] == 0 || f->payload[0] >= NSIG) return PROTOCOL_ERROR("signal %u does not exist", f->payload[0]);
    session_signal(s, f->payload[0]);
    return 0;
  case T_CREDIT:
    if (expect_len(f, 4, "CREDIT", err, err_len)) return -1;
    session_add_credit(s, be32(f->payload));
    return 0;
  case T_CLOSE:
    if (expect_len(f, 0, "CLOSE", err, err_len)) return -1;
    session_end(s);
    return 0;
  }
  return PROTOCOL_ERROR("unknown frame type 0x%02x", f->type); /* frames_next already refuses these */
}

static void read_host(void) {
  ssize_t n = frames_fill(conn_in);
  if (n <= 0) {
    if (n < 0) diag("reading from the host: %s", strerror(errno));
    disconnect(0);
    return;
  }
  struct frame f;
  char err[256];
  int r;
  while ((r = frames_next(&f, err, sizeof err)) > 0) {
    if (r == 2) {
      diag("the host started over (SYNC between frames): ending every session");
      restart_connection();
      continue;
    }
    if (handle_frame(&f, err, sizeof err) != 0) {
      r = -1;
      break;
    }
    if (frames_output_lost()) break;
  }
  if (r < 0) {
    diag("protocol error: %s", err);
    frames_send(0, T_ERROR, err, strlen(err));
    disconnect(1);
  }
}

int main(int argc, char **argv) {
  parse_args(argc, argv);
  fill_std_fds();
  setup_signals();
  frames_set_interrupt_hook(session_reap);
  if (as_init && getpid() != 1) diag("--init but not pid 1: orphans will not be mine to reap");
  connect_host();

  static struct pollfd fds[2 + 3 * MAX_SESSIONS];
  static int owner[2 + 3 * MAX_SESSIONS];
  for (;;) {
    fds[0] = (struct pollfd){.fd = conn_in, .events = POLLIN};
    fds[1] = (struct pollfd){.fd = child_pipe[0], .events = POLLIN};
    size_t n = session_poll_fds(fds, owner, 2);
    if (poll(fds, n, -1) < 0) {
      if (errno != EINTR) diag("poll: %s", strerror(errno));
      continue;
    }
    if (fds[1].revents) {
      char drain[64];
      while (read(child_pipe[0], drain, sizeof drain) > 0) {
      }
      session_reap();
    }
    for (size_t i = 2; i < n; i++) session_on_poll(owner[i], &fds[i]);
    if (!frames_output_lost() && fds[0].revents) read_host();
    if (!frames_output_lost()) session_finish_exited();
    if (frames_output_lost()) disconnect(0);
  }
}
