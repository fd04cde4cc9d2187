#include <openssl/core_names.h>
#include <openssl/params.h>

#include "hmac_sha256.h"

EVP_MAC *
trcap_hmac_fetch(void)
{
    return EVP_MAC_fetch(NULL, "HMAC", NULL);
}

EVP_MAC_CTX *
trcap_hmac_new(EVP_MAC *mac, const unsigned char *key, size_t keylen)
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

trcap_status
trcap_hmac_begin(EVP_MAC_CTX *ctx)
{
    return EVP_MAC_init(ctx, NULL, 0, NULL) ? TRCAP_OK : TRCAP_ERR_CRYPTO;
}

trcap_status
trcap_hmac_update(EVP_MAC_CTX *ctx, const unsigned char *p, size_t n)
{
    return EVP_MAC_update(ctx, p, n) ? TRCAP_OK : TRCAP_ERR_CRYPTO;
}

trcap_status
trcap_hmac_finish(EVP_MAC_CTX *ctx, unsigned char out[TRCAP_HMAC_SHA256_SIZE])
{
    size_t outlen = 0;
    if (!EVP_MAC_final(ctx, out, &outlen, TRCAP_HMAC_SHA256_SIZE)) {
        return TRCAP_ERR_CRYPTO;
    }
    return outlen == TRCAP_HMAC_SHA256_SIZE ? TRCAP_OK : TRCAP_ERR_CRYPTO;
}

trcap_status
trcap_hmac_sha256(EVP_MAC_CTX *ctx, const unsigned char *p, size_t n,
                  unsigned char out[TRCAP_HMAC_SHA256_SIZE])
{
    trcap_status st = trcap_hmac_begin(ctx);
    if (st == TRCAP_OK) {
        st = trcap_hmac_update(ctx, p, n);
    }
    if (st == TRCAP_OK) {
        st = trcap_hmac_finish(ctx, out);
    }
    return st;
}
