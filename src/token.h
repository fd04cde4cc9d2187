/*
 * Assembly of an HS256 JWS in compact serialisation (RFC 7515 section 7.1):
 *
 *     BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(HMAC-SHA256)
 *
 * where the MAC is over the ASCII of the first two segments and the dot
 * (RFC 7515 section 5.1, step 6).  The token is measured first and then
 * written once into memory the caller allocated for exactly that size: the
 * payload goes through a streaming base64url encoder straight into the
 * token, and the signing input is the token's own first bytes.
 *
 * The payload is given as parts: literal byte strings (already JSON) and
 * integers, which are written in decimal (the time claims).
 */
#ifndef TRCAP_TOKEN_H
#define TRCAP_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "trcap_status.h"

typedef struct {
    const unsigned char *bytes;  /* JSON text; NULL: the part is `number` */
    size_t length;
    int64_t number;
} trcap_part;

/* Bytes of the JSON payload the parts make. */
trcap_status trcap_payload_size(const trcap_part *parts, size_t nparts, size_t *size);

/* Bytes of the whole token, given the encoded header's length and the
 * payload's size from trcap_payload_size. */
trcap_status trcap_token_size(size_t header_b64_length, size_t payload_size,
                              size_t *size);

/* Writes the token into `out`, which has exactly the size trcap_token_size
 * gave; `ctx` is a keyed HMAC-SHA256 context (hmac_sha256.h). */
trcap_status trcap_token_write(unsigned char *out,
                               const unsigned char *header_b64, size_t header_b64_length,
                               const trcap_part *parts, size_t nparts,
                               EVP_MAC_CTX *ctx);

#endif
