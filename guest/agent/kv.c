/*
 * Key-value payload reading and writing (see kv.h). Strict on purpose: a
 * payload that is not exactly a list of NUL-ended key=value items is a
 * protocol error, never guessed at.
 */
#include "kv.h"

#include <string.h>

int kv_check(const unsigned char *p, size_t len) {
  size_t start = 0;
  if (len > 0 && p[len - 1] != '\0') return -1;
  while (start < len) {
    const unsigned char *nul = memchr(p + start, '\0', len - start);
    const unsigned char *eq = memchr(p + start, '=', (size_t)(nul - (p + start)));
    if (!eq || eq == p + start) return -1; /* no '=' or an empty key */
    start = (size_t)(nul - p) + 1;
  }
  return 0;
}

int kv_next(const unsigned char *p, size_t len, size_t *pos, struct kv_item *item) {
  if (*pos >= len) return 0;
  const char *s = (const char *)p + *pos;
  const char *eq = strchr(s, '=');
  item->key = s;
  item->key_len = (size_t)(eq - s);
  item->value = eq + 1;
  *pos += strlen(s) + 1;
  return 1;
}

int kv_key_is(const struct kv_item *item, const char *key) {
  return strlen(key) == item->key_len && memcmp(item->key, key, item->key_len) == 0;
}

const char *kv_get(const unsigned char *p, size_t len, const char *key) {
  const char *found = NULL;
  size_t pos = 0;
  struct kv_item item;
  while (kv_next(p, len, &pos, &item))
    if (kv_key_is(&item, key)) found = item.value;
  return found;
}

int kv_put(char *buf, size_t cap, size_t *len, const char *key, const char *value) {
  size_t k = strlen(key), v = strlen(value);
  if (*len + k + 1 + v + 1 > cap) return -1;
  memcpy(buf + *len, key, k);
  buf[*len + k] = '=';
  memcpy(buf + *len + k + 1, value, v);
  buf[*len + k + 1 + v] = '\0';
  *len += k + 1 + v + 1;
  return 0;
}

int parse_uint(const char *s, unsigned long max, unsigned long *out) {
  unsigned long n = 0;
  if (!*s) return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return -1;
    unsigned long d = (unsigned long)(*s - '0');
    if (n > (max - d) / 10) return -1;
    n = n * 10 + d;
  }
  *out = n;
  return 0;
}
