/*
 * Session processes (see spawn.h). The parent does only what cannot fail
 * for the user's reasons (PTY or pipes, fork); everything that can (user,
 * cwd, program) happens in the child, which reports a failure as one line on
 * a close-on-exec pipe: the parent reads until EOF, so it learns either that
 * exec happened (EOF, nothing read) or why it did not. The child also builds
 * argv and envp, so the agent itself never allocates for a payload.
 */
#define _GNU_SOURCE /* execvpe, pipe2, initgroups */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pty.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kv.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

int spawn_check(const unsigned char *kv, size_t len, char *err, size_t err_len) {
  if (kv_check(kv, len) != 0) {
    snprintf(err, err_len, "EXEC payload is not a key=value list");
    return -1;
  }
  size_t pos = 0;
  struct kv_item item;
  unsigned long n;
  while (kv_next(kv, len, &pos, &item)) {
    if (kv_key_is(&item, "env")) {
      const char *eq = strchr(item.value, '=');
      if (!eq || eq == item.value) {
        snprintf(err, err_len, "EXEC env item is not NAME=VALUE");
        return -1;
      }
    } else if (kv_key_is(&item, "tty")) {
      if (strcmp(item.value, "0") != 0 && strcmp(item.value, "1") != 0) {
        snprintf(err, err_len, "EXEC tty must be 0 or 1");
        return -1;
      }
    } else if (kv_key_is(&item, "cols") || kv_key_is(&item, "rows")) {
      if (parse_uint(item.value, 0xffff, &n) != 0 || n == 0) {
        snprintf(err, err_len, "EXEC cols and rows must be 1..65535");
        return -1;
      }
    } else if (kv_key_is(&item, "cwd")) {
      if (!*item.value) {
        snprintf(err, err_len, "EXEC cwd is empty");
        return -1;
      }
    }
    /* user: any text (checked in the child); other keys: ignored, so a newer host can add some. */
  }
  /* The first arg names the program: it must be there and non-empty. */
  pos = 0;
  while (kv_next(kv, len, &pos, &item))
    if (kv_key_is(&item, "arg")) {
      if (!*item.value) {
        snprintf(err, err_len, "EXEC has no program (arg)");
        return -1;
      }
      return 0;
    }
  snprintf(err, err_len, "EXEC has no program (arg)");
  return -1;
}

/* In the child: report why the program could not run, and end. */
static void __attribute__((noreturn, format(printf, 2, 3))) child_fail(int err_fd, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
  ssize_t w = write(err_fd, msg, (size_t)n ? (size_t)n : 1);
  (void)w;
  _exit(127);
}

static void reset_signals(void) {
  /* A program started from a backgrounded shell (or by an agent started
   * from one) would otherwise inherit SIGINT and SIGQUIT ignored. */
  for (int sig = 1; sig < NSIG; sig++) signal(sig, SIG_DFL); /* fails harmlessly for KILL, STOP and libc's own */
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Replaces (or adds) NAME=value in envp, which has room for it. */
static void env_set(char **envp, size_t *count, const char *name, const char *value) {
  size_t nlen = strlen(name);
  char *item = malloc(nlen + 1 + strlen(value) + 1);
  if (!item) return;
  sprintf(item, "%s=%s", name, value);
  for (size_t i = 0; i < *count; i++)
    if (strncmp(envp[i], name, nlen) == 0 && envp[i][nlen] == '=') {
      envp[i] = item;
      return;
    }
  envp[(*count)++] = item;
  envp[*count] = NULL;
}

static void __attribute__((noreturn)) child(const unsigned char *kv, size_t len, int tty, int slave, int pipes[3][2], int err_fd) {
  if (setsid() < 0) child_fail(err_fd, "setsid: %s", strerror(errno));
  if (tty) {
    if (ioctl(slave, TIOCSCTTY, 0) < 0) child_fail(err_fd, "cannot make the PTY the controlling terminal: %s", strerror(errno));
    for (int fd = 0; fd < 3; fd++)
      if (dup2(slave, fd) < 0) child_fail(err_fd, "dup2: %s", strerror(errno));
  } else {
    if (dup2(pipes[0][0], 0) < 0 || dup2(pipes[1][1], 1) < 0 || dup2(pipes[2][1], 2) < 0)
      child_fail(err_fd, "dup2: %s", strerror(errno));
  }
  /* Every agent descriptor is close-on-exec already; this also covers any the
   * agent inherited from whoever started it. */
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0)
    for (int fd = 3; fd < 1024; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  reset_signals();

  const char *user = kv_get(kv, len, "user");
  struct passwd *pw = NULL;
  unsigned long uid;
  int by_name = user && parse_uint(user, 0xfffffffeUL, &uid) != 0;
  if (user) {
    pw = by_name ? getpwnam(user) : getpwuid((uid_t)uid);
    if (!pw) child_fail(err_fd, "user %s: no such user in the guest", user);
    if (initgroups(pw->pw_name, pw->pw_gid) != 0) child_fail(err_fd, "user %s: cannot set its groups: %s", user, strerror(errno));
    if (setgid(pw->pw_gid) != 0) child_fail(err_fd, "user %s: cannot set gid %u: %s", user, (unsigned)pw->pw_gid, strerror(errno));
    if (setuid(pw->pw_uid) != 0) child_fail(err_fd, "user %s: cannot set uid %u: %s", user, (unsigned)pw->pw_uid, strerror(errno));
  } else {
    pw = getpwuid(getuid()); /* for HOME only; the agent's own user */
  }

  /* No cwd: the user's home, or / when it has none (nobody's is /nonexistent). */
  const char *cwd = kv_get(kv, len, "cwd");
  if (cwd && chdir(cwd) != 0) child_fail(err_fd, "cwd %s: %s", cwd, strerror(errno));
  if (!cwd && !(pw && pw->pw_dir && chdir(pw->pw_dir) == 0) && chdir("/") != 0) child_fail(err_fd, "cwd /: %s", strerror(errno));

  size_t nargs = 0, nenv = 0, pos = 0;
  struct kv_item item;
  while (kv_next(kv, len, &pos, &item)) {
    if (kv_key_is(&item, "arg")) nargs++;
    if (kv_key_is(&item, "env")) nenv++;
  }
  char **argv = calloc(nargs + 1, sizeof *argv);
  char **envp = calloc(nenv + 4, sizeof *envp); /* + HOME, USER, LOGNAME, NULL */
  if (!argv || !envp) child_fail(err_fd, "out of memory");
  size_t a = 0, e = 0;
  pos = 0;
  while (kv_next(kv, len, &pos, &item)) {
    if (kv_key_is(&item, "arg")) argv[a++] = (char *)item.value;
    if (kv_key_is(&item, "env")) envp[e++] = (char *)item.value;
  }
  if (pw && pw->pw_dir && *pw->pw_dir) env_set(envp, &e, "HOME", pw->pw_dir);
  if (by_name) { /* a uid names nobody: leave USER and LOGNAME to env */
    env_set(envp, &e, "USER", pw->pw_name);
    env_set(envp, &e, "LOGNAME", pw->pw_name);
  }

  /* musl's execvpe searches the PATH of the calling environment, so the
   * child's own environment must be the one it will get. */
  environ = envp;
  execvpe(argv[0], argv, envp);
  if (errno == ENOENT && !strchr(argv[0], '/')) child_fail(err_fd, "%s: command not found", argv[0]);
  child_fail(err_fd, "%s: %s", argv[0], strerror(errno));
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static int cloexec(int fd) {
  return fcntl(fd, F_SETFD, FD_CLOEXEC);
}

int spawn_session(const unsigned char *kv, size_t len, struct spawned *out, char *err, size_t err_len) {
  const char *tty_s = kv_get(kv, len, "tty");
  int tty = tty_s && strcmp(tty_s, "1") == 0;
  int master = -1, slave = -1;
  int pipes[3][2] = {{-1, -1}, {-1, -1}, {-1, -1}};
  int report[2] = {-1, -1};

  if (tty) {
    unsigned long cols = 80, rows = 24;
    const char *c = kv_get(kv, len, "cols"), *r = kv_get(kv, len, "rows");
    if (c) parse_uint(c, 0xffff, &cols);
    if (r) parse_uint(r, 0xffff, &rows);
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    if (openpty(&master, &slave, NULL, NULL, &ws) != 0 || cloexec(master) != 0 || cloexec(slave) != 0) {
      snprintf(err, err_len, "cannot open a PTY: %s", strerror(errno));
      goto fail;
    }
  } else {
    for (int i = 0; i < 3; i++)
      if (pipe2(pipes[i], O_CLOEXEC) != 0) {
        snprintf(err, err_len, "cannot make a pipe: %s", strerror(errno));
        goto fail;
      }
  }
  if (pipe2(report, O_CLOEXEC) != 0) {
    snprintf(err, err_len, "cannot make a pipe: %s", strerror(errno));
    goto fail;
  }

  pid_t pid = fork();
  if (pid < 0) {
    snprintf(err, err_len, "cannot fork: %s", strerror(errno));
    goto fail;
  }
  if (pid == 0) child(kv, len, tty, slave, pipes, report[1]);

  close_fd(&report[1]);
  close_fd(&slave);
  close_fd(&pipes[0][0]);
  close_fd(&pipes[1][1]);
  close_fd(&pipes[2][1]);

  /* EOF with nothing read: the exec happened. */
  size_t got = 0;
  for (;;) {
    ssize_t n = read(report[0], err + got, err_len - 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
    if (got == err_len - 1) break;
  }
  close_fd(&report[0]);
  if (got > 0) {
    err[got] = '\0';
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
    }
    goto fail;
  }

  out->pid = pid;
  out->tty = tty;
  if (tty) {
    out->in_fd = out->out_fd = master;
    out->err_fd = -1;
  } else {
    out->in_fd = pipes[0][1];
    out->out_fd = pipes[1][0];
    out->err_fd = pipes[2][0];
  }
  /* Never block the agent on one session. */
  fcntl(out->in_fd, F_SETFL, fcntl(out->in_fd, F_GETFL) | O_NONBLOCK);
  fcntl(out->out_fd, F_SETFL, fcntl(out->out_fd, F_GETFL) | O_NONBLOCK);
  if (out->err_fd >= 0) fcntl(out->err_fd, F_SETFL, fcntl(out->err_fd, F_GETFL) | O_NONBLOCK);
  return 0;

fail:
  close_fd(&master);
  close_fd(&slave);
  for (int i = 0; i < 3; i++) {
    close_fd(&pipes[i][0]);
    close_fd(&pipes[i][1]);
  }
  close_fd(&report[0]);
  close_fd(&report[1]);
  return -1;
}
