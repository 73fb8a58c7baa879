/*
 * The table of running sessions (at most MAX_SESSIONS) and what moves bytes
 * for each: output read only while the host's credit lasts, stdin buffered
 * (bounded by the credit the host must respect) and written as the child
 * takes it, and EXIT once the output is drained and the child reaped.
 * A session is either a process or a TCP connection to a port in the guest
 * (EXEC with `connect`): the same bytes, credit and EXIT, with no child.
 */
#ifndef BENCHTOP_SESSION_H
#define BENCHTOP_SESSION_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct session {
  int used;
  uint32_t id;
  pid_t pid; /* also its process group: the child is a session leader */
  int tty;
  int in_fd, out_fd, err_fd; /* -1 once closed; with a tty in_fd == out_fd (the master) */
  int out_open, err_open;    /* output not at EOF yet */
  int64_t credit;            /* output bytes the host will still take */
  unsigned char *stdin_buf;  /* bytes from the host the child has not taken yet */
  size_t stdin_start, stdin_len, stdin_cap;
  int stdin_eof;      /* the host sent STDIN_EOF */
  int stdin_eof_done; /* ... and the child has been told */
  int stdin_gone;     /* the child's stdin is closed: drop (and credit) what comes */
  unsigned char stdin_last; /* last byte written (a tty's EOF needs a fresh line) */
  int reaped;
  int status;
  int sock;       /* a connection: in_fd == out_fd is the socket, pid 0, no child to reap */
  int connecting; /* ... whose connect() has not completed yet (nothing sent to the host) */
  unsigned port;  /* ... to 127.0.0.1:port */
};

struct session *session_find(uint32_t id);
struct session *session_by_pid(pid_t pid);
int session_count(void);
/* A free slot for id (the caller fills it from spawn), or NULL when full. */
struct session *session_alloc(uint32_t id);
/* SIGKILLs the group if the child has not been reaped, closes, forgets; no EXIT. */
void session_end(struct session *s);
void session_end_all(void);
/* Whether id was ended lately: frames the host sent before it saw EXIT or ERROR are ignored, not errors. */
int session_recently_ended(uint32_t id);
void session_forget_ended(void);

/* Starts connecting a fresh slot to 127.0.0.1:port: STARTED (at once or once
 * connected) or ERROR (then the slot is freed) is sent from here on. */
void session_connect(struct session *s, unsigned port);

/* Adds the session's descriptors to fds (owner[i] = the session's index). */
size_t session_poll_fds(struct pollfd *fds, int *owner, size_t n);
/* Handles poll's answer for one descriptor of the session at index. */
void session_on_poll(int index, const struct pollfd *p);
/* Appends host stdin: 0, or -1 when the host sent beyond its credit. */
int session_stdin(struct session *s, const unsigned char *p, size_t len);
void session_stdin_eof(struct session *s);
void session_add_credit(struct session *s, uint32_t more);
/* A tty's new size (the kernel tells the foreground group with SIGWINCH); nothing without a tty. */
void session_resize(struct session *s, unsigned short cols, unsigned short rows);
/* sig to the session's process group, while its leader is not reaped. */
void session_signal(struct session *s, int sig);
/* Sends EXIT and frees every session whose output is drained and child reaped. */
void session_finish_exited(void);
/* Reaps every child that has ended (sessions' and, as pid 1, orphans). */
void session_reap(void);

#endif
