/*
 * Diagnostics: one line on stderr per call, prefixed "benchtop-agent: ", so a
 * guest's console log says which program is speaking.
 */
#ifndef BENCHTOP_DIAG_H
#define BENCHTOP_DIAG_H

void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
