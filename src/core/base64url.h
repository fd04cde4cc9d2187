/*
 * base64url without padding: RFC 4648 section 5, as RFC 7515 section 2
 * requires for every JWS segment.
 */
#ifndef TRCAP_BASE64URL_H
#define TRCAP_BASE64URL_H

#include <stddef.h>

#include "trcap_status.h"

/* Characters that encoding `n` bytes produces: ceil(4n / 3), no padding.
 * TRCAP_ERR_OVERFLOW if that does not fit a size_t. */
trcap_status trcap_b64url_size(size_t n, size_t *size);

/* Encodes `n` bytes of `in` into `out`; returns the end of the output. */
unsigned char *trcap_b64url_encode(unsigned char *out,
                                   const unsigned char *in, size_t n);

/*
 * The same encoding fed in pieces, for a prepared prefix (token.h,
 * trcap_prepared_set): its parts are encoded without first being joined,
 * and the last 0-2 bytes left in `pending` become the prefix's `rest`.  A
 * token's payload does not go through it (token.c encodes that in place).
 * Up to two bytes wait in `pending` between pieces.
 */
typedef struct {
    unsigned char pending[3];
    size_t npending;  /* 0, 1 or 2 between calls */
} trcap_b64url_stream;

#define TRCAP_B64URL_STREAM_INIT {{0, 0, 0}, 0}

unsigned char *trcap_b64url_stream_feed(trcap_b64url_stream *s,
                                        unsigned char *out,
                                        const unsigned char *in, size_t n);

/* Encodes what is pending (the last 1 or 2 bytes); returns the end. */
unsigned char *trcap_b64url_stream_finish(trcap_b64url_stream *s,
                                          unsigned char *out);

/*
 * Strict decoding, for verifying tokens.  One byte string has exactly one
 * accepted encoding:
 *   - only the 64 characters of the base64url alphabet (RFC 4648 section 5):
 *     no padding '=' (RFC 7515 section 2 removes it), no whitespace, no '+'
 *     or '/' of the other alphabet;
 *   - a length of 4k, 4k + 2 or 4k + 3 (4k + 1 characters cannot come from
 *     any byte string);
 *   - the bits the last character carries beyond the data are zero, the
 *     canonical encoding of RFC 4648 section 3.5.
 */

/* Bytes that `n` characters decode to.  TRCAP_ERR_MALFORMED (detail set)
 * when n is 4k + 1. */
trcap_status trcap_b64url_decoded_size(size_t n, size_t *size,
                                       trcap_error_detail *detail);

/* Decodes `n` characters of `in` into `out`, which has room for the size
 * trcap_b64url_decoded_size gave.  TRCAP_ERR_MALFORMED, with the offending
 * character's offset in `detail`, for input that breaks the rules above;
 * `out` then holds garbage. */
trcap_status trcap_b64url_decode(unsigned char *out, const unsigned char *in, size_t n,
                                 trcap_error_detail *detail);

#endif
