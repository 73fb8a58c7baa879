/*
 * Sessions (see session.h). All descriptors are non-blocking; the agent's
 * only blocking I/O is writing frames to the host, and a session can have at
 * most its credit in flight, so memory stays bounded: one output chunk
 * (static) plus at most INITIAL_CREDIT stdin bytes per session.
 */
#include "session.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "frames.h"
#include "protocol.h"

static struct session sessions[MAX_SESSIONS];
static unsigned char out_chunk[MAX_OUTPUT_FRAME];

/* Ids ended lately, newest last (a ring). */
#define ENDED_MEMORY 1024
static uint32_t ended[ENDED_MEMORY];
static size_t ended_next, ended_count;

struct session *session_find(uint32_t id) {
  for (int i = 0; i < MAX_SESSIONS; i++)
    if (sessions[i].used && sessions[i].id == id) return &sessions[i];
  return NULL;
}

struct session *session_by_pid(pid_t pid) {
  for (int i = 0; i < MAX_SESSIONS; i++)
    if (sessions[i].used && !sessions[i].reaped && sessions[i].pid == pid) return &sessions[i];
  return NULL;
}

int session_count(void) {
  int n = 0;
  for (int i = 0; i < MAX_SESSIONS; i++) n += sessions[i].used;
  return n;
}

struct session *session_alloc(uint32_t id) {
  for (int i = 0; i < MAX_SESSIONS; i++)
    if (!sessions[i].used) {
      struct session *s = &sessions[i];
      memset(s, 0, sizeof *s);
      s->used = 1;
      s->id = id;
      s->in_fd = s->out_fd = s->err_fd = -1;
      s->credit = INITIAL_CREDIT;
      return s;
    }
  return NULL;
}

static void remember_ended(uint32_t id) {
  ended[ended_next] = id;
  ended_next = (ended_next + 1) % ENDED_MEMORY;
  if (ended_count < ENDED_MEMORY) ended_count++;
}

int session_recently_ended(uint32_t id) {
  for (size_t i = 0; i < ended_count; i++)
    if (ended[i] == id) return 1;
  return 0;
}

void session_forget_ended(void) {
  ended_next = ended_count = 0;
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void release(struct session *s) {
  if (s->in_fd == s->out_fd) s->in_fd = -1; /* a tty's master: close once */
  close_fd(&s->in_fd);
  close_fd(&s->out_fd);
  close_fd(&s->err_fd);
  free(s->stdin_buf);
  remember_ended(s->id);
  memset(s, 0, sizeof *s);
}

void session_end(struct session *s) {
  if (!s->sock) session_signal(s, SIGKILL);
  release(s);
}

/* The connection never happened: ERROR (one line) and the slot is free. */
static void connect_failed(struct session *s, int err) {
  char why[96];
  int n = snprintf(why, sizeof why, "connect 127.0.0.1:%u: %s", s->port, strerror(err));
  frames_send(s->id, T_ERROR, why, (size_t)n);
  release(s);
}

static void connected(struct session *s) {
  s->connecting = 0;
  s->out_open = 1;
  /* No child to wait for: EXIT follows as soon as the socket's output is drained. */
  s->reaped = 1;
  frames_send(s->id, T_STARTED, "", 0);
}

void session_connect(struct session *s, unsigned port) {
  s->sock = 1;
  s->port = port;
  /* Non-blocking, so a listener whose backlog is full (its SYN dropped and
   * retried for seconds) holds up only this session, not the agent. */
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    connect_failed(s, errno);
    return;
  }
  s->in_fd = s->out_fd = fd;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(fd, (const struct sockaddr *)&to, sizeof to) == 0) connected(s);
  else if (errno == EINPROGRESS || errno == EINTR) s->connecting = 1; /* EINTR: it goes on in the background */
  else connect_failed(s, errno);
}

static void finish_connect(struct session *s) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(s->out_fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err) connect_failed(s, err);
  else connected(s);
}

/* A signal to a connection: it is closed (a reset when bytes were left
 * unread), and EXIT says signal=N as for a process it killed. */
static void kill_connection(struct session *s, int sig) {
  if (s->connecting) {
    connect_failed(s, ECANCELED);
    return;
  }
  close_fd(&s->out_fd);
  s->in_fd = -1;
  s->out_open = 0;
  s->stdin_gone = 1;
  s->stdin_start = s->stdin_len = 0;
  s->status = sig; /* a wait status: killed by sig */
}

void session_end_all(void) {
  for (int i = 0; i < MAX_SESSIONS; i++)
    if (sessions[i].used) session_end(&sessions[i]);
}

static int output_wanted(const struct session *s) {
  return s->credit > 0;
}

size_t session_poll_fds(struct pollfd *fds, int *owner, size_t n) {
  for (int i = 0; i < MAX_SESSIONS; i++) {
    struct session *s = &sessions[i];
    if (!s->used) continue;
    if (s->connecting) {
      fds[n] = (struct pollfd){.fd = s->out_fd, .events = POLLOUT}, owner[n++] = i;
      continue;
    }
    /* Spent credit: leave the output unread, so the child blocks on a full pipe. */
    if (s->out_open && output_wanted(s)) fds[n] = (struct pollfd){.fd = s->out_fd, .events = POLLIN}, owner[n++] = i;
    if (s->err_open && output_wanted(s)) fds[n] = (struct pollfd){.fd = s->err_fd, .events = POLLIN}, owner[n++] = i;
    if (s->in_fd >= 0 && !s->stdin_gone && (s->stdin_len > 0 || (s->stdin_eof && !s->stdin_eof_done)))
      fds[n] = (struct pollfd){.fd = s->in_fd, .events = POLLOUT}, owner[n++] = i;
  }
  return n;
}

static void read_output(struct session *s, int fd, int *open, uint8_t type) {
  size_t want = s->credit < MAX_OUTPUT_FRAME ? (size_t)s->credit : MAX_OUTPUT_FRAME;
  ssize_t n = read(fd, out_chunk, want);
  if (n > 0) {
    s->credit -= n;
    frames_send(s->id, type, out_chunk, (size_t)n);
    return;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  /* EOF; or EIO, a PTY's EOF once every holder of the slave has gone. */
  *open = 0;
  if (fd != s->in_fd) close(fd); /* a tty master stays for RESIZE until the session ends */
  if (&s->out_open == open && fd != s->in_fd) s->out_fd = -1;
  if (&s->err_open == open) s->err_fd = -1;
}

static void drop_stdin(struct session *s) {
  /* The child will never read it: credit it, so the host's writer is not stuck. */
  if (s->stdin_len) frames_send_u32(s->id, T_STDIN_CREDIT, (uint32_t)s->stdin_len);
  s->stdin_start = s->stdin_len = 0;
  s->stdin_gone = 1;
  if (!s->tty && !s->sock) close_fd(&s->in_fd); /* a tty's master and a socket are the output too */
}

static void write_stdin(struct session *s) {
  if (s->connecting) return; /* kept until connected: the poll loop writes it then */
  while (s->stdin_len > 0) {
    ssize_t n = write(s->in_fd, s->stdin_buf + s->stdin_start, s->stdin_len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      drop_stdin(s); /* EPIPE, EIO: nobody reads it any more */
      return;
    }
    s->stdin_last = s->stdin_buf[s->stdin_start + (size_t)n - 1];
    s->stdin_start += (size_t)n;
    s->stdin_len -= (size_t)n;
    frames_send_u32(s->id, T_STDIN_CREDIT, (uint32_t)n);
  }
  /* Empty: give the memory back (up to INITIAL_CREDIT per session otherwise). */
  free(s->stdin_buf);
  s->stdin_buf = NULL;
  s->stdin_start = s->stdin_cap = 0;
  if (s->stdin_eof && !s->stdin_eof_done) {
    if (s->sock) {
      /* Half-close: the peer reads its EOF and may still answer. */
      shutdown(s->in_fd, SHUT_WR);
      s->stdin_eof_done = 1;
      return;
    }
    if (!s->tty) {
      close_fd(&s->in_fd);
      s->stdin_eof_done = 1;
      return;
    }
    /* A terminal has no end of input, only its EOF character, which ends
     * input at the start of a line: after a partial line, send it twice
     * (the first one hands the partial line over). */
    struct termios t;
    unsigned char eof = tcgetattr(s->in_fd, &t) == 0 && t.c_cc[VEOF] ? t.c_cc[VEOF] : 4;
    unsigned char twice[2] = {eof, eof};
    size_t count = s->stdin_last && s->stdin_last != '\n' ? 2 : 1;
    ssize_t n = write(s->in_fd, twice, count);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n == 1 && count == 2) {
      s->stdin_last = '\n'; /* one more to go */
      return;
    }
    s->stdin_eof_done = 1;
  }
}

void session_on_poll(int index, const struct pollfd *p) {
  struct session *s = &sessions[index];
  if (!s->used || !p->revents) return;
  if (s->connecting) {
    finish_connect(s);
    return;
  }
  if (p->events & POLLIN) {
    if (p->fd == s->out_fd && s->out_open) read_output(s, s->out_fd, &s->out_open, T_STDOUT);
    else if (p->fd == s->err_fd && s->err_open) read_output(s, s->err_fd, &s->err_open, T_STDERR);
  } else if (p->events & POLLOUT) {
    if (s->in_fd >= 0 && !s->stdin_gone) write_stdin(s);
  }
}

int session_stdin(struct session *s, const unsigned char *p, size_t len) {
  if (len == 0) return 0;
  if (s->stdin_gone || s->stdin_eof) {
    frames_send_u32(s->id, T_STDIN_CREDIT, (uint32_t)len);
    return 0;
  }
  if (s->stdin_len + len > INITIAL_CREDIT) return -1;
  if (s->stdin_start + s->stdin_len + len > s->stdin_cap) {
    if (s->stdin_start) {
      memmove(s->stdin_buf, s->stdin_buf + s->stdin_start, s->stdin_len);
      s->stdin_start = 0;
    }
    if (s->stdin_len + len > s->stdin_cap) {
      size_t cap = s->stdin_cap ? s->stdin_cap * 2 : 16384;
      while (cap < s->stdin_len + len) cap *= 2;
      if (cap > INITIAL_CREDIT) cap = INITIAL_CREDIT;
      unsigned char *grown = realloc(s->stdin_buf, cap);
      if (!grown) {
        drop_stdin(s);
        frames_send_u32(s->id, T_STDIN_CREDIT, (uint32_t)len);
        return 0;
      }
      s->stdin_buf = grown;
      s->stdin_cap = cap;
    }
  }
  memcpy(s->stdin_buf + s->stdin_start + s->stdin_len, p, len);
  s->stdin_len += len;
  write_stdin(s); /* most of the time the child takes it at once */
  return 0;
}

void session_stdin_eof(struct session *s) {
  s->stdin_eof = 1;
  if (!s->stdin_gone && s->stdin_len == 0 && s->in_fd >= 0) write_stdin(s);
}

void session_add_credit(struct session *s, uint32_t more) {
  s->credit += more;
}

void session_resize(struct session *s, unsigned short cols, unsigned short rows) {
  struct winsize ws = {.ws_col = cols, .ws_row = rows};
  if (s->tty && s->out_fd >= 0) ioctl(s->out_fd, TIOCSWINSZ, &ws);
}

void session_signal(struct session *s, int sig) {
  if (s->sock) {
    kill_connection(s, sig);
    return;
  }
  /* The group outlives its reaped leader while a member (say a background
   * job) still holds the output open; once it is gone the number may be
   * reused, so then leave it alone. */
  if (s->pid > 0 && (!s->reaped || s->out_open || s->err_open)) kill(-s->pid, sig);
}

void session_finish_exited(void) {
  for (int i = 0; i < MAX_SESSIONS; i++) {
    struct session *s = &sessions[i];
    if (!s->used || !s->reaped || s->out_open || s->err_open) continue;
    char payload[32];
    int n = WIFSIGNALED(s->status) ? snprintf(payload, sizeof payload, "signal=%d", WTERMSIG(s->status))
                                   : snprintf(payload, sizeof payload, "code=%d", WEXITSTATUS(s->status));
    frames_send(s->id, T_EXIT, payload, (size_t)n + 1); /* with the item's NUL */
    release(s);
  }
}

void session_reap(void) {
  for (;;) {
    int status;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == EINTR) continue;
    if (pid <= 0) return;
    struct session *s = session_by_pid(pid);
    if (s) {
      s->reaped = 1;
      s->status = status;
    }
  }
}
