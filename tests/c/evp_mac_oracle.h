/*
 * OpenSSL's own HMAC (EVP_MAC), as an oracle for the C tests and fuzz
 * harnesses: the core computes HMAC-SHA256 as RFC 2104 over EVP_MD
 * (src/core/hmac_sha256.h, chosen because a SHA-256 state copies in one
 * allocation where an EVP_MAC context takes about ten), and these checks
 * hold it to EVP_MAC's answers.  Test code only: nothing in src/ uses it.
 */
#ifndef TRCAP_TEST_EVP_MAC_ORACLE_H
#define TRCAP_TEST_EVP_MAC_ORACLE_H

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "hmac_sha256.h"

static inline EVP_MAC *
oracle_hmac_fetch(void)
{
    return EVP_MAC_fetch(NULL, "HMAC", NULL);
}

static inline EVP_MAC_CTX *
oracle_hmac_new(EVP_MAC *mac, const unsigned char *key, size_t keylen)
{
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    if (ctx == NULL) {
        goto error;
    }
    if (!EVP_MAC_init(ctx, key, keylen, params)) {
        goto error;
    }
    return ctx;

error:
    EVP_MAC_CTX_free(ctx);
    return NULL;
}

static inline trcap_status
oracle_hmac_begin(EVP_MAC_CTX *ctx)
{
    return EVP_MAC_init(ctx, NULL, 0, NULL) ? TRCAP_OK : TRCAP_ERR_CRYPTO;
}

static inline trcap_status
oracle_hmac_update(EVP_MAC_CTX *ctx, const unsigned char *p, size_t n)
{
    return EVP_MAC_update(ctx, p, n) ? TRCAP_OK : TRCAP_ERR_CRYPTO;
}

static inline trcap_status
oracle_hmac_finish(EVP_MAC_CTX *ctx, unsigned char out[TRCAP_HMAC_SHA256_SIZE])
{
    size_t outlen = 0;
    if (!EVP_MAC_final(ctx, out, &outlen, TRCAP_HMAC_SHA256_SIZE)) {
        return TRCAP_ERR_CRYPTO;
    }
    return outlen == TRCAP_HMAC_SHA256_SIZE ? TRCAP_OK : TRCAP_ERR_CRYPTO;
}

static inline trcap_status
oracle_hmac_sha256(EVP_MAC_CTX *ctx, const unsigned char *p, size_t n,
                  unsigned char out[TRCAP_HMAC_SHA256_SIZE])
{
    trcap_status st = oracle_hmac_begin(ctx);
    if (st == TRCAP_OK) {
        st = oracle_hmac_update(ctx, p, n);
    }
    if (st == TRCAP_OK) {
        st = oracle_hmac_finish(ctx, out);
    }
    return st;
}

#endif
