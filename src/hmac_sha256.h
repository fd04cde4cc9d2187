/*
 * HMAC-SHA256 (RFC 2104, FIPS 180-4) through OpenSSL 3's EVP_MAC API only;
 * the deprecated HMAC_* functions are not used.
 *
 * A keyed context is made once per capability object.  OpenSSL keeps the
 * key inside it (and wipes it when the context is freed), so the core holds
 * no other copy of the key after trcap_hmac_new() returns.  Each signature
 * re-initialises that context without re-keying (EVP_MAC_init with a NULL
 * key, documented in EVP_MAC(3) as reusing the previous key), which saves
 * the two SHA-256 blocks of key preparation per token.
 */
#ifndef TRCAP_HMAC_SHA256_H
#define TRCAP_HMAC_SHA256_H

#include <stddef.h>

#include <openssl/evp.h>

#include "trcap_status.h"

#define TRCAP_HMAC_SHA256_SIZE 32

/* The HMAC implementation from the default library context; NULL on
 * failure.  Callers fetch it once and keep it (module state). */
EVP_MAC *trcap_hmac_fetch(void);

/* A new context keyed with `key` for HMAC-SHA256; NULL on failure.  The
 * caller wipes its own copy of the key afterwards. */
EVP_MAC_CTX *trcap_hmac_new(EVP_MAC *mac, const unsigned char *key, size_t keylen);

/* A MAC in three steps, over the key `ctx` was made with. */
trcap_status trcap_hmac_begin(EVP_MAC_CTX *ctx);
trcap_status trcap_hmac_update(EVP_MAC_CTX *ctx, const unsigned char *p, size_t n);
trcap_status trcap_hmac_finish(EVP_MAC_CTX *ctx,
                               unsigned char out[TRCAP_HMAC_SHA256_SIZE]);

/* The same in one call. */
trcap_status trcap_hmac_sha256(EVP_MAC_CTX *ctx, const unsigned char *p, size_t n,
                               unsigned char out[TRCAP_HMAC_SHA256_SIZE]);

#endif
