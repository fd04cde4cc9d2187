#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "json_writer.h"
#include "token.h"

trcap_status
trcap_payload_size(const trcap_part *parts, size_t nparts, size_t *size)
{
    size_t total = 0;
    for (size_t i = 0; i < nparts; i++) {
        size_t n = parts[i].kind == TRCAP_PART_TEXT ? parts[i].as.text.length
                                                    : trcap_int64_length(parts[i].as.number);
        if (total > SIZE_MAX - n) {
            return TRCAP_ERR_OVERFLOW;
        }
        total += n;
    }
    *size = total;
    return TRCAP_OK;
}

/* Copies n bytes, w <= n <= 2w, as two copies of w bytes that may overlap
 * (w a constant once inlined: plain moves, no library call). */
static inline void
copy_two(unsigned char *out, const unsigned char *in, size_t n, size_t w)
{
    unsigned char head[8], tail[8];
    memcpy(head, in, w);
    memcpy(tail, in + n - w, w);
    memcpy(out, head, w);
    memcpy(out + n - w, tail, w);
}

/* memcpy for the many short parts of a payload (a comma, a sid, a piece
 * of URL), without a library call per part. */
static inline void
copy_bytes(unsigned char *out, const unsigned char *in, size_t n)
{
    if (n > 16) {
        memcpy(out, in, n);
    }
    else if (n >= 8) {
        copy_two(out, in, n, 8);
    }
    else if (n >= 4) {
        copy_two(out, in, n, 4);
    }
    else if (n > 0) {
        out[0] = in[0];
        out[n / 2] = in[n / 2];
        out[n - 1] = in[n - 1];
    }
}

unsigned char *
trcap_payload_write(unsigned char *out, const trcap_part *parts, size_t nparts)
{
    for (size_t i = 0; i < nparts; i++) {
        if (parts[i].kind == TRCAP_PART_TEXT) {
            copy_bytes(out, parts[i].as.text.bytes, parts[i].as.text.length);
            out += parts[i].as.text.length;
        }
        else {
            out = trcap_int64_write(out, parts[i].as.number);
        }
    }
    return out;
}

/* `before` characters, then BASE64URL of `payload_size` bytes, '.', and the
 * 43 characters of the signature. */
static trcap_status
signed_size(size_t before, size_t payload_size, size_t *size)
{
    size_t payload_b64, sig_b64;
    trcap_status st = trcap_b64url_size(payload_size, &payload_b64);
    if (st != TRCAP_OK) {
        return st;
    }
    (void)trcap_b64url_size(TRCAP_HMAC_SHA256_SIZE, &sig_b64);  /* 43 */
    if (before > SIZE_MAX - 1 - sig_b64
        || payload_b64 > SIZE_MAX - 1 - sig_b64 - before) {
        return TRCAP_ERR_OVERFLOW;
    }
    *size = before + payload_b64 + 1 + sig_b64;
    return TRCAP_OK;
}

trcap_status
trcap_token_size(size_t header_b64_length, size_t payload_size, size_t *size)
{
    /* header '.' payload '.' signature */
    if (header_b64_length == SIZE_MAX) {
        return TRCAP_ERR_OVERFLOW;
    }
    return signed_size(header_b64_length + 1, payload_size, size);
}

/* Feeds every part to the streaming encoder; returns the end of output. */
static unsigned char *
encode_parts(trcap_b64url_stream *s, unsigned char *p, const trcap_part *parts, size_t nparts)
{
    for (size_t i = 0; i < nparts; i++) {
        if (parts[i].kind == TRCAP_PART_TEXT) {
            p = trcap_b64url_stream_feed(s, p, parts[i].as.text.bytes, parts[i].as.text.length);
        }
        else {
            unsigned char digits[TRCAP_INT64_MAX_DIGITS];
            size_t n = (size_t)(trcap_int64_write(digits, parts[i].as.number) - digits);
            p = trcap_b64url_stream_feed(s, p, digits, n);
        }
    }
    return p;
}

/* The MAC of what `run` holds plus out[from, end), written after a '.' at
 * `end` (RFC 7515 section 7.1: the third segment). */
static trcap_status
append_signature(unsigned char *from, unsigned char *end,
                 const trcap_hmac_key *key, EVP_MD_CTX *run)
{
    unsigned char mac[TRCAP_HMAC_SHA256_SIZE];
    trcap_status st = trcap_hmac_absorb(run, from, (size_t)(end - from));
    if (st == TRCAP_OK) {
        st = trcap_hmac_end(run, key, mac);
    }
    if (st == TRCAP_OK) {
        *end++ = '.';
        (void)trcap_b64url_encode(end, mac, sizeof mac);
    }
    return st;
}

/*
 * Encoding in place.  A payload arrives as many small parts (a sid, a
 * comma, a number); feeding each to a streaming encoder costs a call and a
 * pending-bytes shuffle per part.  Instead its JSON is laid out first in
 * the token's own memory, right-aligned at the end of the room left for
 * the encoding and the signature after it, and then encoded forwards in
 * one pass over contiguous bytes.  With `room` bytes from `seg` to the end
 * of the token and `n` bytes of JSON placed at R = room - n:
 *   - the portable loop's group g reads JSON bytes [R + 3g, R + 3g + 3)
 *     and then writes characters [4g, 4g + 4): it clobbers nothing unread
 *     while 4g + 4 <= R + 3(g + 1), that is g + 1 <= R;
 *   - the SSSE3 loop's step k reads [R + 12k, R + 12k + 16) and then
 *     writes [16k, 16k + 16): nothing unread while 4k + 4 <= R, and it runs
 *     only while 12k + 16 <= n.
 * R = room - n = ceil(4n / 3) + 44 - n = ceil(n / 3) + 44 (the signature's
 * '.' and 43 characters are written afterwards), which bounds both: there
 * are ceil(n / 3) groups, and the last step has 4k + 4 <= n / 3 - 4 / 3.
 * tests/c/fuzz_token.c checks the result against the plain way.
 */
static unsigned char *
encode_in_place(unsigned char *seg, size_t room, const unsigned char *lead, size_t nlead,
                const trcap_part *parts, size_t nparts, size_t n)
{
    unsigned char *json = seg + room - n;
    if (nlead) {
        memcpy(json, lead, nlead);
    }
    (void)trcap_payload_write(json + nlead, parts, nparts);
    return trcap_b64url_encode(seg, json, n);
}

/* Characters from the start of the payload's encoding to the end of the
 * token: the encoding of `payload_size` bytes, '.', the signature. */
static size_t
room_after(size_t payload_size)
{
    size_t b64, sig_b64;
    (void)trcap_b64url_size(payload_size, &b64);  /* checked by the size functions */
    (void)trcap_b64url_size(TRCAP_HMAC_SHA256_SIZE, &sig_b64);
    return b64 + 1 + sig_b64;
}

trcap_status
trcap_token_write(unsigned char *out,
                  const unsigned char *header_b64, size_t header_b64_length,
                  const trcap_part *parts, size_t nparts, size_t payload_size,
                  const trcap_hmac_key *key, EVP_MD_CTX *run)
{
    unsigned char *seg = out + header_b64_length + 1, *p;
    trcap_status st;

    memcpy(out, header_b64, header_b64_length);
    out[header_b64_length] = '.';
    p = encode_in_place(seg, room_after(payload_size), NULL, 0, parts, nparts, payload_size);

    /* The signing input is what has been written so far (RFC 7515 5.1). */
    st = trcap_hmac_start(run, key);
    if (st == TRCAP_OK) {
        st = append_signature(out, p, key, run);
    }
    return st;
}

/* ---- re-minting from a prepared prefix ----------------------------------- */

trcap_status
trcap_prepared_set(trcap_prepared *pp,
                   const unsigned char *header_b64, size_t header_b64_length,
                   const trcap_part *parts, size_t nparts,
                   const trcap_hmac_key *key)
{
    trcap_b64url_stream stream = TRCAP_B64URL_STREAM_INIT;
    size_t payload_size, whole_b64;
    unsigned char *p;
    trcap_status st;

    *pp = (trcap_prepared)TRCAP_PREPARED_INIT;
    st = trcap_payload_size(parts, nparts, &payload_size);
    if (st != TRCAP_OK) {
        goto error;
    }
    /* Only whole groups: the last payload_size % 3 bytes stay raw. */
    st = trcap_b64url_size(payload_size - payload_size % 3, &whole_b64);
    if (st != TRCAP_OK) {
        goto error;
    }
    if (header_b64_length >= SIZE_MAX - whole_b64) {
        st = TRCAP_ERR_OVERFLOW;
        goto error;
    }
    pp->text_length = header_b64_length + 1 + whole_b64;
    pp->text = malloc(pp->text_length);
    pp->state = EVP_MD_CTX_new();
    if (pp->text == NULL || pp->state == NULL) {
        st = TRCAP_ERR_NOMEM;
        goto error;
    }
    memcpy(pp->text, header_b64, header_b64_length);
    p = pp->text + header_b64_length;
    *p++ = '.';
    /* The stream emits every whole group and keeps the remainder pending:
     * that remainder is `rest`. */
    p = encode_parts(&stream, p, parts, nparts);
    memcpy(pp->rest, stream.pending, stream.npending);
    pp->nrest = stream.npending;

    st = trcap_hmac_start(pp->state, key);
    if (st == TRCAP_OK) {
        st = trcap_hmac_absorb(pp->state, pp->text, pp->text_length);
    }

error:
    if (st != TRCAP_OK) {
        trcap_prepared_release(pp);
    }
    return st;
}

void
trcap_prepared_release(trcap_prepared *pp)
{
    free(pp->text);
    EVP_MD_CTX_free(pp->state);  /* NULL-safe; OpenSSL wipes the state */
    *pp = (trcap_prepared)TRCAP_PREPARED_INIT;
}

trcap_status
trcap_prepared_token_size(const trcap_prepared *pp, size_t tail_size, size_t *size)
{
    if (tail_size > SIZE_MAX - pp->nrest) {
        return TRCAP_ERR_OVERFLOW;
    }
    return signed_size(pp->text_length, pp->nrest + tail_size, size);
}

trcap_status
trcap_prepared_token_write(unsigned char *out, const trcap_prepared *pp,
                           const trcap_part *tail, size_t ntail, size_t tail_size,
                           const trcap_hmac_key *key, EVP_MD_CTX *run)
{
    unsigned char *fresh = out + pp->text_length, *p;
    size_t n = pp->nrest + tail_size;
    trcap_status st;

    memcpy(out, pp->text, pp->text_length);
    /* The prefix's last 0-2 bytes share a base64 group with the tail: they
     * lead its JSON. */
    p = encode_in_place(fresh, room_after(n), pp->rest, pp->nrest, tail, ntail, n);

    st = trcap_hmac_resume(run, pp->state);
    if (st == TRCAP_OK) {
        st = append_signature(fresh, p, key, run);
    }
    return st;
}
