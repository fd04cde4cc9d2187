/*
 * SipHash-2-4 with a 128-bit output (Aumasson and Bernstein, "SipHash: a
 * fast short-input PRF", 2012; the 128-bit variant of the authors'
 * reference code, which OpenSSL's EVP_MAC "SIPHASH" computes by default).
 *
 * Used for one thing: the fingerprint by which the glue's key cache
 * (src/glue/key.c) recognises a key it has prepared before, without
 * keeping the key.  Keyed with 16 random bytes per module object, it is a
 * PRF: without that key, which never leaves the process, no one can find
 * two keys with one fingerprint other than by chance (2^-128 a guess) or
 * learn anything about a key from its fingerprint.  Not a MAC of tokens:
 * those are HMAC-SHA256 through OpenSSL (hmac_sha256.h).
 *
 * Byte order is explicit (little-endian, as the algorithm defines it), so
 * the output is the same on every CPU; tests/c checks it against
 * OpenSSL's SipHash, on s390x (big-endian) too.
 */
#ifndef TRCAP_SIPHASH_H
#define TRCAP_SIPHASH_H

#include <stddef.h>

#define TRCAP_SIPHASH_KEY_SIZE 16
#define TRCAP_SIPHASH_SIZE 16

/* out = SipHash-2-4-128(key, in[0..n)).  The intermediate state, which
 * depends on the key, is wiped before returning. */
void trcap_siphash(const unsigned char key[TRCAP_SIPHASH_KEY_SIZE],
                   const unsigned char *in, size_t n,
                   unsigned char out[TRCAP_SIPHASH_SIZE]);

#endif
