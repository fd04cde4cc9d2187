#include <stdint.h>

#include "base64url.h"

/* RFC 4648 section 5, table 2. */
static const unsigned char alphabet[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

trcap_status
trcap_b64url_size(size_t n, size_t *size)
{
    size_t groups = n / 3, rest = n % 3;
    if (groups > (SIZE_MAX - 3) / 4) {
        return TRCAP_ERR_OVERFLOW;
    }
    *size = groups * 4 + (rest ? rest + 1 : 0);
    return TRCAP_OK;
}

unsigned char *
trcap_b64url_encode(unsigned char *out, const unsigned char *in, size_t n)
{
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[0] = alphabet[v >> 18];
        out[1] = alphabet[(v >> 12) & 0x3F];
        out[2] = alphabet[(v >> 6) & 0x3F];
        out[3] = alphabet[v & 0x3F];
        out += 4;
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[0] = alphabet[v >> 18];
        out[1] = alphabet[(v >> 12) & 0x3F];
        out += 2;
    }
    else if (n - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[0] = alphabet[v >> 18];
        out[1] = alphabet[(v >> 12) & 0x3F];
        out[2] = alphabet[(v >> 6) & 0x3F];
        out += 3;
    }
    return out;
}

unsigned char *
trcap_b64url_stream_feed(trcap_b64url_stream *s, unsigned char *out,
                         const unsigned char *in, size_t n)
{
    /* Complete a pending group first. */
    if (s->npending) {
        while (s->npending < 3 && n) {
            s->pending[s->npending++] = *in++;
            n--;
        }
        if (s->npending < 3) {
            return out;  /* `in` ran out before the group was complete */
        }
        out = trcap_b64url_encode(out, s->pending, 3);
        s->npending = 0;
    }
    size_t whole = n - n % 3;
    out = trcap_b64url_encode(out, in, whole);
    for (size_t i = whole; i < n; i++) {
        s->pending[s->npending++] = in[i];
    }
    return out;
}

unsigned char *
trcap_b64url_stream_finish(trcap_b64url_stream *s, unsigned char *out)
{
    out = trcap_b64url_encode(out, s->pending, s->npending);
    s->npending = 0;
    return out;
}

/* ---- strict decoding ---------------------------------------------------- */

/* The value of each base64url character (table 2 read backwards), 0xFF
 * for every other byte.  0xFF has bits above the six a value uses, so one
 * OR over a group tells whether any of its characters is foreign. */
#define XX 0xFF
static const unsigned char values[256] = {
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, 62, XX, XX,
    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, XX, XX, XX, XX, XX, XX,
    XX,  0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, XX, XX, XX, XX, 63,
    XX, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
};
#undef XX

trcap_status
trcap_b64url_decoded_size(size_t n, size_t *size, trcap_error_detail *detail)
{
    if (n % 4 == 1) {
        detail->reason = "a base64url length of 4k + 1 characters is impossible";
        detail->offset = n - 1;
        return TRCAP_ERR_MALFORMED;
    }
    *size = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    return TRCAP_OK;
}

static trcap_status
bad_character(const unsigned char *in, size_t n, size_t from, trcap_error_detail *detail)
{
    size_t i = from;
    while (i < n - 1 && values[in[i]] != 0xFF) {
        i++;
    }
    detail->reason = in[i] == '=' ? "base64url padding '=' is not allowed in a JWS"
                                  : "a character outside the base64url alphabet";
    detail->offset = i;
    return TRCAP_ERR_MALFORMED;
}

trcap_status
trcap_b64url_decode(unsigned char *out, const unsigned char *in, size_t n,
                    trcap_error_detail *detail)
{
    size_t whole = n - n % 4, rest = n % 4, i = 0;

    if (rest == 1) {
        size_t ignored;
        return trcap_b64url_decoded_size(n, &ignored, detail);
    }
    for (; i < whole; i += 4) {
        uint32_t a = values[in[i]], b = values[in[i + 1]];
        uint32_t c = values[in[i + 2]], d = values[in[i + 3]];
        if ((a | b | c | d) & 0xC0) {
            return bad_character(in, n, i, detail);
        }
        uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
        out[0] = (unsigned char)(v >> 16);
        out[1] = (unsigned char)(v >> 8);
        out[2] = (unsigned char)v;
        out += 3;
    }
    if (rest) {
        uint32_t a = values[in[i]], b = values[in[i + 1]];
        uint32_t c = rest == 3 ? values[in[i + 2]] : 0;
        if ((a | b | c) & 0xC0) {
            return bad_character(in, n, i, detail);
        }
        uint32_t v = (a << 18) | (b << 12) | (c << 6);
        /* RFC 4648 section 3.5: the bits past the data must be zero, or
         * several encodings would stand for the same bytes. */
        if (v & (rest == 2 ? 0xFFFFu : 0xFFu)) {
            detail->reason = "non-canonical base64url (the last character has unused bits set)";
            detail->offset = n - 1;
            return TRCAP_ERR_MALFORMED;
        }
        out[0] = (unsigned char)(v >> 16);
        if (rest == 3) {
            out[1] = (unsigned char)(v >> 8);
        }
    }
    return TRCAP_OK;
}
