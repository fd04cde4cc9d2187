#include <stdint.h>
#include <string.h>

#include "base64url.h"

/* RFC 4648 section 5, table 2: the character for a 6-bit value. */
#define B64URL_CHAR(v)                                                       \
    ((unsigned char)((v) < 26 ? 'A' + (v)                                    \
                     : (v) < 52 ? 'a' + ((v) - 26)                           \
                     : (v) < 62 ? '0' + ((v) - 52)                           \
                     : (v) == 62 ? '-' : '_'))

/* The two characters for every 12-bit value, so that three input bytes
 * take two table reads instead of four.  8 KiB, built by the compiler
 * (no run-time initialisation, nothing mutable). */
#define B64URL_PAIR(v) {B64URL_CHAR((v) >> 6), B64URL_CHAR((v) & 63)}
#define B64URL_PAIRS4(v) B64URL_PAIR(v), B64URL_PAIR((v) + 1), B64URL_PAIR((v) + 2), \
    B64URL_PAIR((v) + 3)
#define B64URL_PAIRS16(v) B64URL_PAIRS4(v), B64URL_PAIRS4((v) + 4), \
    B64URL_PAIRS4((v) + 8), B64URL_PAIRS4((v) + 12)
#define B64URL_PAIRS64(v) B64URL_PAIRS16(v), B64URL_PAIRS16((v) + 16), \
    B64URL_PAIRS16((v) + 32), B64URL_PAIRS16((v) + 48)
#define B64URL_PAIRS256(v) B64URL_PAIRS64(v), B64URL_PAIRS64((v) + 64), \
    B64URL_PAIRS64((v) + 128), B64URL_PAIRS64((v) + 192)
#define B64URL_PAIRS1024(v) B64URL_PAIRS256(v), B64URL_PAIRS256((v) + 256), \
    B64URL_PAIRS256((v) + 512), B64URL_PAIRS256((v) + 768)

static const unsigned char pairs[4096][2] = {
    B64URL_PAIRS1024(0), B64URL_PAIRS1024(1024),
    B64URL_PAIRS1024(2048), B64URL_PAIRS1024(3072),
};

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

/*
 * Twelve bytes at a time with SSSE3 (x86-64 with GCC or Clang, chosen at
 * run time), after W. Mula and D. Lemire, "Faster Base64 Encoding and
 * Decoding using AVX2 Instructions" (ACM TWEB 12(3), 2018), section 3, in
 * its 128-bit form.  Reads 16 bytes for every 12 it encodes, so it stops
 * while 16 are left; the portable loop below finishes.  Like the portable
 * loop, each step reads its input before it writes, which encoding in
 * place relies on (token.c).
 */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define TRCAP_B64URL_SSSE3 1
#include <immintrin.h>

__attribute__((target("ssse3"))) static size_t
encode_ssse3(unsigned char *out, const unsigned char *in, size_t n)
{
    /* Each 32-bit lane gets the bytes b1 b0 b2 b1 of its 3-byte group. */
    const __m128i spread = _mm_set_epi8(10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1);
    /* Per 6-bit value: 0..25 -> 13, 26..51 -> 0, 52..61 -> 1..10,
     * 62 -> 11, 63 -> 12; then the offset to add, RFC 4648 table 2. */
    const __m128i offsets = _mm_setr_epi8('a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
                                          '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
                                          '0' - 52, '-' - 62, '_' - 63, 'A', 0, 0);
    size_t i = 0;
    for (; i + 16 <= n; i += 12) {
        __m128i v = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(in + i)), spread);
        /* The four 6-bit values of each lane into its four bytes. */
        __m128i hi = _mm_mulhi_epu16(_mm_and_si128(v, _mm_set1_epi32(0x0fc0fc00)),
                                     _mm_set1_epi32(0x04000040));
        __m128i lo = _mm_mullo_epi16(_mm_and_si128(v, _mm_set1_epi32(0x003f03f0)),
                                     _mm_set1_epi32(0x01000010));
        __m128i sextets = _mm_or_si128(hi, lo);
        __m128i select = _mm_subs_epu8(sextets, _mm_set1_epi8(51));
        __m128i upper = _mm_cmpgt_epi8(_mm_set1_epi8(26), sextets);
        select = _mm_or_si128(select, _mm_and_si128(upper, _mm_set1_epi8(13)));
        _mm_storeu_si128((__m128i *)(out + i / 3 * 4),
                         _mm_add_epi8(sextets, _mm_shuffle_epi8(offsets, select)));
    }
    return i;
}
#endif

unsigned char *
trcap_b64url_encode(unsigned char *out, const unsigned char *in, size_t n)
{
    size_t i = 0;
#ifdef TRCAP_B64URL_SSSE3
    if (n >= 16 && __builtin_cpu_supports("ssse3")) {
        i = encode_ssse3(out, in, n);
        out += i / 3 * 4;
    }
#endif
    for (; i + 3 <= n; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        memcpy(out, pairs[v >> 12], 2);
        memcpy(out + 2, pairs[v & 0xFFF], 2);
        out += 4;
    }
    if (n - i == 1) {
        /* One byte left: 8 bits make two characters (section 4, case 2). */
        uint32_t v = (uint32_t)in[i] << 4;
        memcpy(out, pairs[v], 2);
        out += 2;
    }
    else if (n - i == 2) {
        /* Two bytes: 16 bits, padded to 18, make three characters. */
        uint32_t v = ((uint32_t)in[i] << 10) | ((uint32_t)in[i + 1] << 2);
        memcpy(out, pairs[v >> 6], 2);
        out[2] = B64URL_CHAR(v & 63);
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
