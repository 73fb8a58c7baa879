/*
 * Starting one session's process from an EXEC payload: a session leader
 * with a fresh PTY or three pipes, default signal dispositions, the asked
 * user, cwd and environment. Anything that fails before the program runs
 * comes back as one line of text, never as an exit code.
 */
#ifndef BENCHTOP_SPAWN_H
#define BENCHTOP_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

struct spawned {
  pid_t pid;
  int tty;
  int in_fd;  /* the child's stdin (tty: the PTY master) */
  int out_fd; /* its stdout (tty: the same master) */
  int err_fd; /* its stderr; -1 with a tty */
};

/* Checks an EXEC payload's shape (kv, at least one arg, tty/cols/rows, env
 * items): 0, or -1 with the protocol error in err. */
int spawn_check(const unsigned char *kv, size_t len, char *err, size_t err_len);
/* Starts the process of a checked payload: 0, or -1 with why in err. */
int spawn_session(const unsigned char *kv, size_t len, struct spawned *out, char *err, size_t err_len);

#endif
