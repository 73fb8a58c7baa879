/*
 * One-line diagnostics on stderr. The line is built first and written with a
 * single write() so lines from the agent and its children do not interleave.
 */
#include "diag.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void diag(const char *fmt, ...) {
  int saved = errno;
  char line[512];
  const char *prefix = "benchtop-agent: ";
  size_t n = strlen(prefix);
  memcpy(line, prefix, n);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
  va_end(ap);
  if (m < 0) m = 0;
  n += (size_t)m < sizeof line - n - 1 ? (size_t)m : sizeof line - n - 2;
  line[n++] = '\n';
  ssize_t w = write(2, line, n);
  (void)w; /* nowhere to report a failure to report */
  errno = saved;
}
