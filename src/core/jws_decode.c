#include <string.h>

#include <openssl/crypto.h>

#include "base64url.h"
#include "hmac_sha256.h"
#include "jws_decode.h"

#define STRINGIFY_(x) #x
#define STRINGIFY(x) STRINGIFY_(x)

static trcap_status
refuse(trcap_error_detail *detail, const char *reason, size_t offset)
{
    detail->reason = reason;
    detail->offset = offset;
    detail->part = NULL;
    return TRCAP_ERR_MALFORMED;
}

/* Decodes one segment at `token + start` into `*out`, advancing it. */
static trcap_status
decode_segment(const unsigned char *token, size_t start, size_t length, const char *part,
               unsigned char **out, const unsigned char **decoded, size_t *decoded_length,
               trcap_error_detail *detail)
{
    size_t size;
    trcap_status st = trcap_b64url_decoded_size(length, &size, detail);
    if (st == TRCAP_OK) {
        st = trcap_b64url_decode(*out, token + start, length, detail);
    }
    if (st != TRCAP_OK) {
        detail->offset += start;
        detail->part = part;
        return st;
    }
    *decoded = *out;
    *decoded_length = size;
    *out += size;
    return TRCAP_OK;
}

trcap_status
trcap_jws_scratch_size(size_t n, size_t *size, trcap_error_detail *detail)
{
    if (n > TRCAP_JWS_MAX_TOKEN_LENGTH) {
        return refuse(detail,
                      "the token is longer than the limit of "
                      STRINGIFY(TRCAP_JWS_MAX_TOKEN_LENGTH) " characters",
                      TRCAP_JWS_MAX_TOKEN_LENGTH);
    }
    /* Each segment of k characters decodes to at most 3k / 4 bytes. */
    *size = n / 4 * 3 + 3;
    return TRCAP_OK;
}

trcap_status
trcap_jws_parse(const unsigned char *token, size_t n,
                unsigned char *scratch, size_t scratch_size,
                trcap_jws *jws, trcap_error_detail *detail)
{
    const unsigned char *dot1, *dot2, *dot3;
    size_t header_end, payload_end, need;
    unsigned char *out = scratch;
    trcap_status st;

    st = trcap_jws_scratch_size(n, &need, detail);
    if (st != TRCAP_OK) {
        return st;
    }
    if (scratch_size < need) {
        return TRCAP_ERR_OVERFLOW;  /* the caller's mistake, not the token's */
    }
    dot1 = memchr(token, '.', n);
    if (dot1 == NULL) {
        return refuse(detail, "a JWS has three segments separated by '.'; this has one", n);
    }
    header_end = (size_t)(dot1 - token);
    dot2 = memchr(dot1 + 1, '.', n - header_end - 1);
    if (dot2 == NULL) {
        return refuse(detail, "a JWS has three segments separated by '.'; this has two", n);
    }
    payload_end = (size_t)(dot2 - token);
    dot3 = memchr(dot2 + 1, '.', n - payload_end - 1);
    if (dot3 != NULL) {
        return refuse(detail, "a JWS has three segments separated by '.'; this has more",
                      (size_t)(dot3 - token));
    }
    if (header_end > TRCAP_JWS_MAX_HEADER_LENGTH) {
        return refuse(detail,
                      "the header segment is longer than the limit of "
                      STRINGIFY(TRCAP_JWS_MAX_HEADER_LENGTH) " characters",
                      TRCAP_JWS_MAX_HEADER_LENGTH);
    }
    jws->signing_input_length = payload_end;
    st = decode_segment(token, 0, header_end, "header segment", &out, &jws->header,
                        &jws->header_length, detail);
    if (st == TRCAP_OK) {
        st = decode_segment(token, header_end + 1, payload_end - header_end - 1,
                            "payload segment", &out, &jws->payload, &jws->payload_length,
                            detail);
    }
    if (st == TRCAP_OK) {
        st = decode_segment(token, payload_end + 1, n - payload_end - 1, "signature segment",
                            &out, &jws->signature, &jws->signature_length, detail);
    }
    return st;
}

trcap_status
trcap_jws_verify_hs256(const trcap_hmac_key *key, EVP_MD_CTX *run,
                       const unsigned char *token, const trcap_jws *jws)
{
    unsigned char expected[TRCAP_HMAC_SHA256_SIZE];
    trcap_status st = trcap_hmac_start(run, key);

    if (st == TRCAP_OK) {
        st = trcap_hmac_absorb(run, token, jws->signing_input_length);
    }
    if (st == TRCAP_OK) {
        st = trcap_hmac_end(run, key, expected);
    }

    if (st == TRCAP_OK) {
        /* The length is public (it is in the token); the bytes are
         * compared without an early exit. */
        if (jws->signature_length != sizeof expected
            || CRYPTO_memcmp(expected, jws->signature, sizeof expected) != 0) {
            st = TRCAP_ERR_SIGNATURE;
        }
    }
    /* The right MAC for input the caller does not trust is a forgery
     * waiting to happen: it does not outlive this call.  Nor does `run`'s
     * state, whose SHA-256 words after the outer hash are that MAC:
     * resetting it has OpenSSL free the state with OPENSSL_clear_free. */
    OPENSSL_cleanse(expected, sizeof expected);
    if (!EVP_MD_CTX_reset(run) && st == TRCAP_OK) {
        st = TRCAP_ERR_CRYPTO;
    }
    return st;
}
