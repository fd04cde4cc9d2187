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
