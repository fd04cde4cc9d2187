/*
 * A growable byte buffer for output whose size is not known in advance
 * (JSON of a user's filter values).  Token bytes do not use it: a token is
 * measured first and written once into its final str (token.h).
 */
#ifndef TRCAP_BUFFER_H
#define TRCAP_BUFFER_H

#include <stddef.h>

#include "trcap_status.h"

typedef struct {
    unsigned char *data;
    size_t length;
    size_t capacity;
} trcap_buffer;

#define TRCAP_BUFFER_INIT {NULL, 0, 0}

/* Makes room for `extra` more bytes; on success data + length has at least
 * `extra` writable bytes.  Growth is geometric; sizes are overflow-checked. */
trcap_status trcap_buffer_reserve(trcap_buffer *b, size_t extra);

trcap_status trcap_buffer_append(trcap_buffer *b, const void *p, size_t n);

void trcap_buffer_release(trcap_buffer *b);

#endif
