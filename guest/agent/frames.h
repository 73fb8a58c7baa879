/*
 * Frames on the connection to the host: reading them out of the byte stream
 * (SYNC scan first, then length/session/type headers checked as soon as they
 * arrive) into ONE static buffer of a header plus MAX_PAYLOAD, and writing
 * them whole. A connection never costs more memory than that buffer.
 */
#ifndef BENCHTOP_FRAMES_H
#define BENCHTOP_FRAMES_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct frame {
  uint32_t session;
  uint8_t type;
  uint32_t len;
  const unsigned char *payload; /* valid until the next frames_next() */
};

/* Forget everything read: a new connection starts unsynchronised. */
void frames_reset(void);
/* One read() from fd into the buffer: bytes read, 0 at EOF, -1 on error (errno). */
ssize_t frames_fill(int fd);
/* The next whole frame: 1 = *f set, 0 = need more bytes, -1 = protocol error (why in err),
 * 2 = a SYNC between frames: the host has started a new connection. */
int frames_next(struct frame *f, char *err, size_t err_len);

/* Where frames_send writes; a write failure marks the connection lost. */
void frames_set_output(int fd);
int frames_output_lost(void);
/* Called when a blocking write is interrupted by a signal (the agent reaps children there). */
void frames_set_interrupt_hook(void (*hook)(void));
/* Writes SYNC (the start of every connection): 0, or -1 when the connection is lost. */
int frames_send_sync(void);
/* Writes one frame whole: 0, or -1 when the connection is lost. */
int frames_send(uint32_t session, uint8_t type, const void *payload, size_t len);
int frames_send_u32(uint32_t session, uint8_t type, uint32_t value);

#endif
