#include <string.h>

#include <openssl/crypto.h>

#include "hmac_sha256.h"

/* ---- RFC 2104 over EVP_MD ------------------------------------------------ */

EVP_MD *
trcap_sha256_fetch(void)
{
    return EVP_MD_fetch(NULL, "SHA256", NULL);
}

/* *state: a new SHA-256 context that has absorbed `block` (one key
 * block).  A context that cannot be allocated is TRCAP_ERR_NOMEM (a
 * MemoryError, not an OpenSSL failure); *state is NULL on failure. */
static trcap_status
key_state(const EVP_MD *sha256, const unsigned char block[TRCAP_SHA256_BLOCK_SIZE],
          EVP_MD_CTX **state)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    trcap_status st = TRCAP_ERR_NOMEM;

    if (ctx == NULL) {
        goto error;
    }
    st = TRCAP_ERR_CRYPTO;
    if (!EVP_DigestInit_ex(ctx, sha256, NULL)
        || !EVP_DigestUpdate(ctx, block, TRCAP_SHA256_BLOCK_SIZE)) {
        goto error;
    }
    st = TRCAP_OK;

error:
    if (st != TRCAP_OK) {
        EVP_MD_CTX_free(ctx);  /* NULL-safe */
        ctx = NULL;
    }
    *state = ctx;
    return st;
}

trcap_status
trcap_hmac_key_set(trcap_hmac_key *k, const EVP_MD *sha256,
                   const unsigned char *key, size_t keylen)
{
    unsigned char block[TRCAP_SHA256_BLOCK_SIZE] = {0};
    trcap_status st = TRCAP_ERR_CRYPTO;

    k->inner = k->outer = NULL;
    /* RFC 2104 section 2: K' is the key zero-padded to the block size, or
     * its hash first when it is longer than a block. */
    if (keylen > TRCAP_SHA256_BLOCK_SIZE) {
        if (!EVP_Digest(key, keylen, block, NULL, sha256, NULL)) {
            goto error;
        }
    }
    else if (keylen > 0) {
        memcpy(block, key, keylen);
    }
    for (size_t i = 0; i < sizeof block; i++) {
        block[i] ^= 0x36;  /* ipad */
    }
    st = key_state(sha256, block, &k->inner);
    if (st != TRCAP_OK) {
        goto error;
    }
    for (size_t i = 0; i < sizeof block; i++) {
        block[i] ^= 0x36 ^ 0x5c;  /* from ipad to opad */
    }
    st = key_state(sha256, block, &k->outer);

error:
    OPENSSL_cleanse(block, sizeof block);
    if (st != TRCAP_OK) {
        trcap_hmac_key_release(k);
    }
    return st;
}

void
trcap_hmac_key_release(trcap_hmac_key *k)
{
    EVP_MD_CTX_free(k->inner);  /* NULL-safe */
    EVP_MD_CTX_free(k->outer);
    k->inner = k->outer = NULL;
}

trcap_status
trcap_hmac_start(EVP_MD_CTX *run, const trcap_hmac_key *k)
{
    return trcap_hmac_resume(run, k->inner);
}

trcap_status
trcap_hmac_resume(EVP_MD_CTX *run, const EVP_MD_CTX *saved)
{
    return EVP_MD_CTX_copy_ex(run, saved) ? TRCAP_OK : TRCAP_ERR_CRYPTO;
}

trcap_status
trcap_hmac_absorb(EVP_MD_CTX *run, const unsigned char *p, size_t n)
{
    return EVP_DigestUpdate(run, p, n) ? TRCAP_OK : TRCAP_ERR_CRYPTO;
}

trcap_status
trcap_hmac_end(EVP_MD_CTX *run, const trcap_hmac_key *k,
               unsigned char out[TRCAP_HMAC_SHA256_SIZE])
{
    unsigned char inner[TRCAP_HMAC_SHA256_SIZE];
    unsigned int n = 0;
    trcap_status st = TRCAP_ERR_CRYPTO;

    if (!EVP_DigestFinal_ex(run, inner, &n) || n != sizeof inner) {
        goto error;
    }
    if (!EVP_MD_CTX_copy_ex(run, k->outer)
        || !EVP_DigestUpdate(run, inner, sizeof inner)
        || !EVP_DigestFinal_ex(run, out, &n) || n != TRCAP_HMAC_SHA256_SIZE) {
        goto error;
    }
    st = TRCAP_OK;

error:
    OPENSSL_cleanse(inner, sizeof inner);
    return st;
}
