/*
 * The wire constants of the guest agent's protocol (PROTOCOL.md beside this
 * file). They mirror src-main/core/agent/frames.ts on the host: change both
 * together, and bump PROTOCOL_VERSION when the meaning of a frame changes.
 */
#ifndef BENCHTOP_PROTOCOL_H
#define BENCHTOP_PROTOCOL_H

#define PROTOCOL_VERSION "1"
#define AGENT_NAME "benchtop-agent 1"

#define SYNC_BYTES "\nBTAGENT"
#define SYNC_LEN 8
#define HEADER_BYTES 9
#define MAX_PAYLOAD (1u << 20)
#define MAX_SESSIONS 256
/* Output bytes a session may send before the host's first CREDIT; also how
 * many stdin bytes the host may send ahead of STDIN_CREDIT. */
#define INITIAL_CREDIT 262144
/* One STDOUT/STDERR frame carries at most this much. */
#define MAX_OUTPUT_FRAME 65536

/* Host → guest. */
enum {
  T_HELLO = 0x01,
  T_EXEC = 0x02,
  T_STDIN = 0x03,
  T_STDIN_EOF = 0x04,
  T_RESIZE = 0x05,
  T_SIGNAL = 0x06,
  T_CREDIT = 0x07,
  T_CLOSE = 0x08,
  T_PING = 0x09,
  T_SHUTDOWN = 0x0a,
};

/* Guest → host. */
enum {
  T_G_HELLO = 0x81,
  T_STARTED = 0x82,
  T_STDOUT = 0x83,
  T_STDERR = 0x84,
  T_EXIT = 0x85,
  T_ERROR = 0x86,
  T_PONG = 0x87,
  T_STDIN_CREDIT = 0x88,
};

#endif
