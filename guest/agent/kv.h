/*
 * Key-value payloads: `key=value` items, each ended by one NUL byte, in
 * order, keys may repeat (PROTOCOL.md). Reading never copies: items point
 * into the frame's payload, whose NULs end the values.
 */
#ifndef BENCHTOP_KV_H
#define BENCHTOP_KV_H

#include <stddef.h>

struct kv_item {
  const char *key;
  size_t key_len;
  const char *value; /* NUL-terminated inside the payload */
};

/* 0 when every item ends with NUL and has a non-empty key before '='. */
int kv_check(const unsigned char *payload, size_t len);
/* The next item from *pos (start at 0) of a checked payload: 1, or 0 at the end. */
int kv_next(const unsigned char *payload, size_t len, size_t *pos, struct kv_item *item);
int kv_key_is(const struct kv_item *item, const char *key);
/* The last value of key, or NULL. */
const char *kv_get(const unsigned char *payload, size_t len, const char *key);
/* Appends key=value\0 to buf (of cap bytes, *len used): 0, or -1 when it does not fit. */
int kv_put(char *buf, size_t cap, size_t *len, const char *key, const char *value);
/* A plain decimal 0..max (no sign, no spaces, no leading junk): 0, else -1. */
int parse_uint(const char *s, unsigned long max, unsigned long *out);

#endif
