/*
 * HMAC-SHA256 (RFC 2104, FIPS 180-4) through OpenSSL 3's EVP API only; the
 * deprecated HMAC_* and SHA256_* functions are not used.  One
 * implementation serves minting and verifying:
 *
 *        HMAC(K, m) = H((K' ^ opad) || H((K' ^ ipad) || m))
 *
 * written over EVP_MD SHA-256 (RFC 2104 section 2), with the two key blocks
 * absorbed once, when the key is set.  A MAC in progress is a plain SHA-256
 * context (EVP_MD_CTX) that copies in one call, so a token's constant
 * prefix is hashed once and its state kept (token.h, trcap_prepared).
 *
 * Why not EVP_MAC, OpenSSL's own HMAC: keeping a state means copying the
 * context, and on OpenSSL 3.0 EVP_MAC_CTX_dup costs about ten allocations
 * (dup + update + final + free of a small MAC: 0.93 us here) against one
 * per copy for EVP_MD_CTX_copy_ex (both SHA-256 halves: 0.26 us), which is
 * most of a re-mint's budget.  EVP_MAC stays the oracle: the C tests and
 * fuzz harnesses check every MAC computed here against it
 * (tests/c/evp_mac_oracle.h), beside the RFC 4231 vectors.
 *
 * What a state costs.  On OpenSSL 3.0 every load of a SHA-256 state
 * allocates: an EVP_MD_CTX holds its state in a separate allocation of the
 * provider's (newctx, dupctx), and both EVP_MD_CTX_copy_ex and
 * EVP_DigestInit_ex free the target's and allocate another
 * (crypto/evp/digest.c: EVP_MD_CTX_copy_ex, evp_md_init_internal; 3.1
 * re-initialises in place, 3.5 copies in place with the provider's
 * copyctx).  A MAC loads two states whatever the design, so a re-mint
 * makes two allocations (three with the running context, which the glue
 * makes per MAC); setting a key makes four.  Keeping the padded key (K')
 * instead and hashing its blocks at each MAC would save those four for a
 * key used once, but it would keep the key itself, not states derived from
 * it, in memory: not done.  A caller who uses a key again can hold its
 * prepared states (the glue's Key, public as twilio_trcap.Key).
 *
 * OpenSSL holds the key material (the SHA-256 states after the key blocks,
 * which are as secret as the key) and wipes it when the context is freed:
 * its SHA-256 provider frees states with OPENSSL_clear_free.  Stack copies
 * made here are wiped with OPENSSL_cleanse before returning.
 */
#ifndef TRCAP_HMAC_SHA256_H
#define TRCAP_HMAC_SHA256_H

#include <stddef.h>

#include <openssl/evp.h>

#include "trcap_status.h"

#define TRCAP_HMAC_SHA256_SIZE 32
#define TRCAP_SHA256_BLOCK_SIZE 64

/* ---- RFC 2104 over EVP_MD -------------------------------------------- */

/* SHA-256 from the default library context; NULL on failure.  Fetched
 * once and kept (module state): a fetch by name takes locks. */
EVP_MD *trcap_sha256_fetch(void);

/* A prepared key: SHA-256 states after K' ^ ipad and after K' ^ opad.
 * Read-only once set, so several threads may MAC with one key at once,
 * each with its own running context. */
typedef struct {
    EVP_MD_CTX *inner;
    EVP_MD_CTX *outer;
} trcap_hmac_key;

#define TRCAP_HMAC_KEY_INIT {NULL, NULL}

/* Prepares `key` (any length; RFC 2104 hashes a key longer than the block
 * first).  TRCAP_ERR_NOMEM if a context cannot be allocated, else
 * TRCAP_ERR_CRYPTO if OpenSSL fails.  On failure `k` is left released. */
trcap_status trcap_hmac_key_set(trcap_hmac_key *k, const EVP_MD *sha256,
                                const unsigned char *key, size_t keylen);

/* Frees the states (OpenSSL wipes them); `k` may be released already. */
void trcap_hmac_key_release(trcap_hmac_key *k);

/* A MAC in progress lives in a SHA-256 context the caller made with
 * EVP_MD_CTX_new() and owns.  start: begins a MAC (copies the inner key
 * state); resume: continues from a state kept earlier (copies `saved`);
 * absorb: hashes more of the message; end: writes the MAC. */
trcap_status trcap_hmac_start(EVP_MD_CTX *run, const trcap_hmac_key *k);
trcap_status trcap_hmac_resume(EVP_MD_CTX *run, const EVP_MD_CTX *saved);
trcap_status trcap_hmac_absorb(EVP_MD_CTX *run, const unsigned char *p, size_t n);
trcap_status trcap_hmac_end(EVP_MD_CTX *run, const trcap_hmac_key *k,
                            unsigned char out[TRCAP_HMAC_SHA256_SIZE]);

#endif
