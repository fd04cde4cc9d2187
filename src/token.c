#include <string.h>

#include "base64url.h"
#include "hmac_sha256.h"
#include "json_writer.h"
#include "token.h"

static size_t
int64_digits(int64_t v)
{
    unsigned char tmp[TRCAP_INT64_MAX_DIGITS];
    return (size_t)(trcap_int64_write(tmp, v) - tmp);
}

trcap_status
trcap_payload_size(const trcap_part *parts, size_t nparts, size_t *size)
{
    size_t total = 0;
    for (size_t i = 0; i < nparts; i++) {
        size_t n = parts[i].bytes ? parts[i].length : int64_digits(parts[i].number);
        if (total > SIZE_MAX - n) {
            return TRCAP_ERR_OVERFLOW;
        }
        total += n;
    }
    *size = total;
    return TRCAP_OK;
}

trcap_status
trcap_token_size(size_t header_b64_length, size_t payload_size, size_t *size)
{
    size_t payload_b64, sig_b64;
    trcap_status st = trcap_b64url_size(payload_size, &payload_b64);
    if (st != TRCAP_OK) {
        return st;
    }
    (void)trcap_b64url_size(TRCAP_HMAC_SHA256_SIZE, &sig_b64);  /* 43 */
    /* header '.' payload '.' signature */
    if (header_b64_length > SIZE_MAX - 2 - sig_b64
        || payload_b64 > SIZE_MAX - 2 - sig_b64 - header_b64_length) {
        return TRCAP_ERR_OVERFLOW;
    }
    *size = header_b64_length + 1 + payload_b64 + 1 + sig_b64;
    return TRCAP_OK;
}

trcap_status
trcap_token_write(unsigned char *out,
                  const unsigned char *header_b64, size_t header_b64_length,
                  const trcap_part *parts, size_t nparts,
                  EVP_MAC_CTX *ctx)
{
    unsigned char mac[TRCAP_HMAC_SHA256_SIZE];
    trcap_b64url_stream stream = TRCAP_B64URL_STREAM_INIT;
    unsigned char *p = out;
    trcap_status st;

    memcpy(p, header_b64, header_b64_length);
    p += header_b64_length;
    *p++ = '.';
    for (size_t i = 0; i < nparts; i++) {
        if (parts[i].bytes) {
            p = trcap_b64url_stream_feed(&stream, p, parts[i].bytes, parts[i].length);
        }
        else {
            unsigned char digits[TRCAP_INT64_MAX_DIGITS];
            size_t n = (size_t)(trcap_int64_write(digits, parts[i].number) - digits);
            p = trcap_b64url_stream_feed(&stream, p, digits, n);
        }
    }
    p = trcap_b64url_stream_finish(&stream, p);

    /* The signing input is what has been written so far (RFC 7515 5.1). */
    st = trcap_hmac_sha256(ctx, out, (size_t)(p - out), mac);
    if (st != TRCAP_OK) {
        return st;
    }
    *p++ = '.';
    (void)trcap_b64url_encode(p, mac, sizeof mac);
    return TRCAP_OK;
}
