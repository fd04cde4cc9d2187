/*
 * Reading and verifying an HS256 JWS in compact serialisation (RFC 7515
 * section 7.1): BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(MAC).
 *
 * trcap_jws_parse splits the token and decodes all three segments, strictly
 * (base64url.h), into one piece of scratch memory the caller provides;
 * nothing is parsed as JSON here.  trcap_jws_verify_hs256 recomputes the
 * MAC over the signing input (RFC 7515 section 5.2, step 8) and compares it
 * in constant time.  The glue (src/glue/decoder.c, decode_jws) parses the
 * header's JSON before the signature is checked (it names the algorithm)
 * and the payload's only after, so that unauthenticated input reaches the
 * JSON reader only as a header, which is bounded by
 * TRCAP_JWS_MAX_HEADER_LENGTH.
 */
#ifndef TRCAP_JWS_DECODE_H
#define TRCAP_JWS_DECODE_H

#include <stddef.h>

#include <openssl/evp.h>

#include "hmac_sha256.h"
#include "trcap_status.h"

/* Longest token accepted, in characters.  A capability token with a
 * hundred policies is about 30 000; 64 KiB bounds the work done for one
 * string and is well beyond what fits an HTTP header or URL in practice. */
#define TRCAP_JWS_MAX_TOKEN_LENGTH 65536

/* Longest header segment accepted, in characters.  Headers of Twilio
 * tokens are under 100; the header is read before the signature is known
 * to be good, so it is kept short. */
#define TRCAP_JWS_MAX_HEADER_LENGTH 4096

typedef struct {
    size_t signing_input_length;      /* header '.' payload: the token's first bytes */
    const unsigned char *header;      /* decoded, in the caller's scratch memory */
    size_t header_length;
    const unsigned char *payload;
    size_t payload_length;
    const unsigned char *signature;
    size_t signature_length;
} trcap_jws;

/* Scratch bytes trcap_jws_parse needs for a token of `n` characters (three
 * quarters of it holds the decoded segments).  TRCAP_ERR_MALFORMED (detail
 * set) for a token longer than TRCAP_JWS_MAX_TOKEN_LENGTH, before anything
 * is allocated for it. */
trcap_status trcap_jws_scratch_size(size_t n, size_t *size, trcap_error_detail *detail);

/* Splits and decodes `token` (`n` bytes) into `jws`, the decoded bytes
 * going to `scratch` (`scratch_size` bytes, as trcap_jws_scratch_size
 * gave).  TRCAP_ERR_MALFORMED (detail set, offsets in the token) for a
 * token that is too long, does not have exactly three segments, or has a
 * segment that is not strict base64url; the signature's length is left to
 * the verification. */
trcap_status trcap_jws_parse(const unsigned char *token, size_t n,
                             unsigned char *scratch, size_t scratch_size,
                             trcap_jws *jws, trcap_error_detail *detail);

/* TRCAP_OK if the signature is the HMAC-SHA256 of the signing input under
 * `key` (computed in `run`, a SHA-256 context the caller owns; its state is
 * overwritten); TRCAP_ERR_SIGNATURE if not (a signature of any length
 * other than 32 bytes included); TRCAP_ERR_CRYPTO if OpenSSL failed.  The
 * comparison takes the same time wherever the first difference is
 * (CRYPTO_memcmp), and the expected MAC is wiped before returning, from
 * the stack and from `run` (which is left reset). */
trcap_status trcap_jws_verify_hs256(const trcap_hmac_key *key, EVP_MD_CTX *run,
                                    const unsigned char *token, const trcap_jws *jws);

#endif
