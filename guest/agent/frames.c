/*
 * Frame reading and writing (see frames.h). The reader keeps at most one
 * frame in a static buffer; a header is judged (length bound, known type)
 * as soon as its 9 bytes are in, so a hostile length never makes the agent
 * wait for, or hold, more than MAX_PAYLOAD bytes. Writes block: the output
 * a session may queue is bounded by its credit, and a virtio port's first
 * write blocking until the host connects is the handshake.
 */
#define _GNU_SOURCE /* memmem */
#include "frames.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "protocol.h"

static unsigned char in_buf[HEADER_BYTES + MAX_PAYLOAD];
static size_t in_have; /* bytes in in_buf */
static size_t in_off;  /* bytes of in_buf already handed out as frames */
static int in_synced;

static int out_fd = -1;
static int out_lost;
static void (*interrupt_hook)(void);

void frames_reset(void) {
  in_have = in_off = 0;
  in_synced = 0;
  out_lost = 0;
}

ssize_t frames_fill(int fd) {
  /* frames_next compacts before asking for more, and a whole frame always
   * fits, so there is room here. */
  for (;;) {
    ssize_t n = read(fd, in_buf + in_have, sizeof in_buf - in_have);
    if (n < 0 && errno == EINTR) continue;
    if (n > 0) in_have += (size_t)n;
    return n;
  }
}

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int host_type_known(uint8_t t) {
  return t >= T_HELLO && t <= T_SHUTDOWN;
}

static void compact(void) {
  if (in_off == 0) return;
  memmove(in_buf, in_buf + in_off, in_have - in_off);
  in_have -= in_off;
  in_off = 0;
}

int frames_next(struct frame *f, char *err, size_t err_len) {
  if (!in_synced) {
    /* Everything before the first SYNC is left over from an earlier
     * connection; keep only a tail that may be the start of a split SYNC. */
    const unsigned char *at = memmem(in_buf, in_have, SYNC_BYTES, SYNC_LEN);
    if (!at) {
      size_t keep = in_have < SYNC_LEN - 1 ? in_have : SYNC_LEN - 1;
      memmove(in_buf, in_buf + in_have - keep, keep);
      in_have = keep;
      return 0;
    }
    in_off = (size_t)(at - in_buf) + SYNC_LEN;
    in_synced = 1;
  }
  size_t avail = in_have - in_off;
  /* SYNC where a header should be (never a valid header: its length would be
   * 172 MB) is a new host greeting us: when a host goes away while a write
   * to the port is blocked, that write completes into the next host, and
   * the read side may never see the EOF in between. */
  if (avail >= SYNC_LEN && memcmp(in_buf + in_off, SYNC_BYTES, SYNC_LEN) == 0) {
    in_off += SYNC_LEN;
    return 2;
  }
  if (avail >= HEADER_BYTES) {
    const unsigned char *h = in_buf + in_off;
    uint32_t len = be32(h);
    if (len > MAX_PAYLOAD) {
      snprintf(err, err_len, "frame of %u bytes is over the %u-byte limit", len, MAX_PAYLOAD);
      return -1;
    }
    if (!host_type_known(h[8])) {
      snprintf(err, err_len, "unknown frame type 0x%02x", h[8]);
      return -1;
    }
    if (avail >= HEADER_BYTES + (size_t)len) {
      f->len = len;
      f->session = be32(h + 4);
      f->type = h[8];
      f->payload = h + HEADER_BYTES;
      in_off += HEADER_BYTES + len;
      return 1;
    }
  }
  compact();
  return 0;
}

void frames_set_output(int fd) {
  out_fd = fd;
  out_lost = 0;
}

int frames_output_lost(void) {
  return out_lost;
}

void frames_set_interrupt_hook(void (*hook)(void)) {
  interrupt_hook = hook;
}

static int write_all(struct iovec *iov, int n) {
  if (out_lost) return -1;
  while (n > 0) {
    ssize_t w = writev(out_fd, iov, n);
    if (w < 0) {
      if (errno == EINTR) {
        if (interrupt_hook) interrupt_hook();
        continue;
      }
      if (errno == EAGAIN) {
        /* Someone handed us a non-blocking descriptor: wait as a blocking one would. */
        struct pollfd p = {.fd = out_fd, .events = POLLOUT};
        poll(&p, 1, -1);
        continue;
      }
      out_lost = 1;
      return -1;
    }
    size_t done = (size_t)w;
    while (n > 0 && done >= iov->iov_len) {
      done -= iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0) {
      iov->iov_base = (char *)iov->iov_base + done;
      iov->iov_len -= done;
    }
  }
  return 0;
}

int frames_send_sync(void) {
  struct iovec iov = {.iov_base = (void *)SYNC_BYTES, .iov_len = SYNC_LEN};
  return write_all(&iov, 1);
}

int frames_send(uint32_t session, uint8_t type, const void *payload, size_t len) {
  unsigned char h[HEADER_BYTES] = {
      (unsigned char)(len >> 24), (unsigned char)(len >> 16), (unsigned char)(len >> 8), (unsigned char)len,
      (unsigned char)(session >> 24), (unsigned char)(session >> 16), (unsigned char)(session >> 8), (unsigned char)session,
      type,
  };
  struct iovec iov[2] = {{.iov_base = h, .iov_len = HEADER_BYTES}, {.iov_base = (void *)payload, .iov_len = len}};
  return write_all(iov, len ? 2 : 1);
}

int frames_send_u32(uint32_t session, uint8_t type, uint32_t v) {
  unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
  return frames_send(session, type, b, 4);
}
