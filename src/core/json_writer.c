#include <string.h>

#include "json_writer.h"

static const char hexdigits[] = "0123456789abcdef";

/* Bytes one code point takes once escaped. */
static inline size_t
escaped_size(uint32_t c)
{
    if (c >= ' ' && c <= '~') {
        return (c == '"' || c == '\\') ? 2 : 1;
    }
    switch (c) {
    case '\b': case '\f': case '\n': case '\r': case '\t':
        return 2;
    default:
        return c < 0x10000 ? 6 : 12;
    }
}

static inline unsigned char *
write_u_escape(unsigned char *out, uint32_t unit)
{
    out[0] = '\\';
    out[1] = 'u';
    out[2] = (unsigned char)hexdigits[(unit >> 12) & 0xF];
    out[3] = (unsigned char)hexdigits[(unit >> 8) & 0xF];
    out[4] = (unsigned char)hexdigits[(unit >> 4) & 0xF];
    out[5] = (unsigned char)hexdigits[unit & 0xF];
    return out + 6;
}

/* The common case (sids, URLs), found in one branch-free pass, after which
 * the text is copied whole.  The loop has no branch and accumulates into a
 * byte, so that compilers vectorise it (GCC at -O3); a hand-written SSE2
 * version gained less than 5% on every public operation, so it went
 * (docs/fast-paths.md). */
int
trcap_json_string_is_plain(const trcap_text *t)
{
    const uint8_t *p = t->data;
    size_t n = t->length, i = 0;
    uint8_t escaped = 0;  /* a byte, so that the vectorised loop stays in bytes */

    if (t->width != 1) {
        return 0;
    }
    for (; i < n; i++) {
        escaped |= (uint8_t)((p[i] < ' ') | (p[i] > '~') | (p[i] == '"') | (p[i] == '\\'));
    }
    return !escaped;
}

trcap_status
trcap_json_string_size(const trcap_text *t, size_t *size)
{
    size_t total = 2;  /* the quotes */
    if (trcap_json_string_is_plain(t)) {
        if (t->length > SIZE_MAX - 2) {
            return TRCAP_ERR_OVERFLOW;
        }
        *size = t->length + 2;
        return TRCAP_OK;
    }
    for (size_t i = 0; i < t->length; i++) {
        size_t n = escaped_size(trcap_text_at(t, i));
        if (total > SIZE_MAX - n) {
            return TRCAP_ERR_OVERFLOW;
        }
        total += n;
    }
    *size = total;
    return TRCAP_OK;
}

unsigned char *
trcap_json_string_write(unsigned char *out, const trcap_text *t)
{
    *out++ = '"';
    if (trcap_json_string_is_plain(t)) {
        if (t->length) {
            memcpy(out, t->data, t->length);
        }
        out += t->length;
        *out++ = '"';
        return out;
    }
    for (size_t i = 0; i < t->length; i++) {
        uint32_t c = trcap_text_at(t, i);
        if (c >= ' ' && c <= '~' && c != '"' && c != '\\') {
            *out++ = (unsigned char)c;
            continue;
        }
        switch (c) {
        case '"': *out++ = '\\'; *out++ = '"'; break;
        case '\\': *out++ = '\\'; *out++ = '\\'; break;
        case '\b': *out++ = '\\'; *out++ = 'b'; break;
        case '\f': *out++ = '\\'; *out++ = 'f'; break;
        case '\n': *out++ = '\\'; *out++ = 'n'; break;
        case '\r': *out++ = '\\'; *out++ = 'r'; break;
        case '\t': *out++ = '\\'; *out++ = 't'; break;
        default:
            if (c < 0x10000) {
                out = write_u_escape(out, c);
            }
            else {
                /* UTF-16 surrogate pair (RFC 8259 section 7). */
                uint32_t v = c - 0x10000;
                out = write_u_escape(out, 0xD800 | (v >> 10));
                out = write_u_escape(out, 0xDC00 | (v & 0x3FF));
            }
        }
    }
    *out++ = '"';
    return out;
}

/* The magnitude of `v` as unsigned, so that INT64_MIN does not overflow. */
static uint64_t
magnitude(int64_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/* Decimal digits of `m`: one more for each power of ten it reaches (a
 * time claim has ten, so this is a few compares, not ten divisions). */
static size_t
digits_of(uint64_t m)
{
    size_t n = 1;
    for (uint64_t p = 10; m >= p; p *= 10) {
        n++;
        if (n == 20) {  /* m >= 10^19: 10^20 would overflow; UINT64_MAX has 20 */
            break;
        }
    }
    return n;
}

size_t
trcap_int64_length(int64_t v)
{
    return digits_of(magnitude(v)) + (v < 0);
}

unsigned char *
trcap_int64_write(unsigned char *out, int64_t v)
{
    /* Two digits per division: "00", "01", ... "99". */
    static const char pairs[] =
        "0001020304050607080910111213141516171819"
        "2021222324252627282930313233343536373839"
        "4041424344454647484950515253545556575859"
        "6061626364656667686970717273747576777879"
        "8081828384858687888990919293949596979899";
    uint64_t m = magnitude(v);
    unsigned char *end, *p;

    if (v < 0) {
        *out++ = '-';
    }
    end = p = out + digits_of(m);
    while (m >= 100) {
        size_t i = (size_t)(m % 100) * 2;
        m /= 100;
        *--p = (unsigned char)pairs[i + 1];
        *--p = (unsigned char)pairs[i];
    }
    if (m >= 10) {
        *--p = (unsigned char)pairs[m * 2 + 1];
        *--p = (unsigned char)pairs[m * 2];
    }
    else {
        *--p = (unsigned char)('0' + m);
    }
    return end;
}
