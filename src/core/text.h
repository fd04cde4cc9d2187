/*
 * Text in the three storage widths CPython uses (PEP 393: 1, 2 or 4 bytes
 * per code point), taken as a pointer, a length in code points and a width.
 * The core reads code points straight from that storage: no intermediate
 * UTF-8 copy, and lone surrogates (legal in a Python str) reach the JSON
 * writer intact, as json.dumps sees them.
 */
#ifndef TRCAP_TEXT_H
#define TRCAP_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "trcap_status.h"

typedef struct {
    const void *data;
    size_t length;  /* in code points */
    int width;      /* 1, 2 or 4 bytes per code point */
} trcap_text;

static inline uint32_t
trcap_text_at(const trcap_text *t, size_t i)
{
    switch (t->width) {
    case 1: return ((const uint8_t *)t->data)[i];
    case 2: return ((const uint16_t *)t->data)[i];
    default: return ((const uint32_t *)t->data)[i];
    }
}

/* Bytes of the UTF-8 form of `t`.  TRCAP_ERR_SURROGATE for a code point in
 * U+D800..U+DFFF, which UTF-8 cannot carry (RFC 3629 section 3). */
trcap_status trcap_utf8_size(const trcap_text *t, size_t *size);

/* Writes the UTF-8 form of `t` (already measured by trcap_utf8_size) to
 * `out`; returns the end of what was written. */
unsigned char *trcap_utf8_write(unsigned char *out, const trcap_text *t);

#endif
