#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"

trcap_status
trcap_buffer_reserve(trcap_buffer *b, size_t extra)
{
    if (extra > SIZE_MAX - b->length) {
        return TRCAP_ERR_OVERFLOW;
    }
    size_t need = b->length + extra;
    if (need <= b->capacity) {
        return TRCAP_OK;
    }
    size_t cap = b->capacity ? b->capacity : 256;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    unsigned char *p = realloc(b->data, cap);
    if (p == NULL) {
        return TRCAP_ERR_NOMEM;
    }
    b->data = p;
    b->capacity = cap;
    return TRCAP_OK;
}

trcap_status
trcap_buffer_append(trcap_buffer *b, const void *p, size_t n)
{
    trcap_status st = trcap_buffer_reserve(b, n);
    if (st != TRCAP_OK) {
        return st;
    }
    if (n) {
        memcpy(b->data + b->length, p, n);
        b->length += n;
    }
    return TRCAP_OK;
}

void
trcap_buffer_release(trcap_buffer *b)
{
    free(b->data);
    b->data = NULL;
    b->length = b->capacity = 0;
}
