/*
 * Assembly of an HS256 JWS in compact serialisation (RFC 7515 section 7.1):
 *
 *     BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(HMAC-SHA256)
 *
 * where the MAC is over the ASCII of the first two segments and the dot
 * (RFC 7515 section 5.1, step 6).  The token is measured first and then
 * written once into memory the caller allocated for exactly that size: the
 * payload's JSON is laid out in the token's own memory and base64url-
 * encoded there in one pass ("Encoding in place" in token.c), and the
 * signing input is the token's own first bytes.
 *
 * The payload is given as parts: literal byte strings (already JSON) and
 * integers, which are written in decimal (the time claims).
 */
#ifndef TRCAP_TOKEN_H
#define TRCAP_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "hmac_sha256.h"
#include "trcap_status.h"

/* A part of a payload: JSON text copied as it is, or a number written in
 * decimal (a time claim).  The kind says which member of `as` holds. */
typedef enum {
    TRCAP_PART_TEXT,
    TRCAP_PART_NUMBER,
} trcap_part_kind;

typedef struct {
    trcap_part_kind kind;
    union {
        struct {
            const unsigned char *bytes;
            size_t length;
        } text;
        int64_t number;
    } as;
} trcap_part;

static inline trcap_part
trcap_text_part(const unsigned char *bytes, size_t length)
{
    trcap_part part = {.kind = TRCAP_PART_TEXT, .as.text = {bytes, length}};
    return part;
}

static inline trcap_part
trcap_number_part(int64_t number)
{
    trcap_part part = {.kind = TRCAP_PART_NUMBER, .as.number = number};
    return part;
}

/* Bytes of the JSON payload the parts make. */
trcap_status trcap_payload_size(const trcap_part *parts, size_t nparts, size_t *size);

/* Writes that JSON (not encoded) to `out`; returns the end. */
unsigned char *trcap_payload_write(unsigned char *out, const trcap_part *parts,
                                   size_t nparts);

/* Bytes of the whole token, given the encoded header's length and the
 * payload's size from trcap_payload_size. */
trcap_status trcap_token_size(size_t header_b64_length, size_t payload_size,
                              size_t *size);

/* Writes the token into `out`, which has exactly the size trcap_token_size
 * gave for `payload_size` (from trcap_payload_size).  `key` is the
 * prepared HMAC key; `run` a SHA-256 context of the caller's to compute the
 * MAC in (hmac_sha256.h). */
trcap_status trcap_token_write(unsigned char *out,
                               const unsigned char *header_b64, size_t header_b64_length,
                               const trcap_part *parts, size_t nparts, size_t payload_size,
                               const trcap_hmac_key *key, EVP_MD_CTX *run);

/*
 * Re-minting.  Between two tokens of one capability only the tail of the
 * payload changes (the time claims and what follows them); the prefix
 * before it stays the same until a policy changes.  A prepared prefix
 * keeps, for that prefix,
 *
 *   text   BASE64URL(header) '.' BASE64URL(the prefix's whole 3-byte groups),
 *          the token's first bytes, ready to copy;
 *   rest   the prefix's last 0, 1 or 2 bytes, which share a base64 group
 *          with the tail and are encoded with it;
 *   state  the HMAC's inner SHA-256 state after absorbing `text`.
 *
 * A token is then a copy of `text`, the encoding of rest + tail, and a MAC
 * that resumes from `state` and hashes only those new characters: the work
 * no longer grows with the policies but for one memcpy.  The result is
 * byte for byte the token trcap_token_write makes from prefix + tail.
 */
typedef struct {
    unsigned char *text;  /* malloc'd, owned */
    size_t text_length;
    unsigned char rest[2];
    size_t nrest;
    EVP_MD_CTX *state;    /* owned; holds key-derived state (wiped when freed) */
} trcap_prepared;

#define TRCAP_PREPARED_INIT {NULL, 0, {0, 0}, 0, NULL}

/* Prepares the prefix made of `parts` for `key`.  On failure `pp` is left
 * released. */
trcap_status trcap_prepared_set(trcap_prepared *pp,
                                const unsigned char *header_b64, size_t header_b64_length,
                                const trcap_part *parts, size_t nparts,
                                const trcap_hmac_key *key);

/* Frees what `pp` holds; `pp` may be released already. */
void trcap_prepared_release(trcap_prepared *pp);

/* Bytes of the token for the prefix followed by `tail`, whose JSON is
 * `tail_size` bytes (trcap_payload_size). */
trcap_status trcap_prepared_token_size(const trcap_prepared *pp, size_t tail_size,
                                       size_t *size);

/* Writes that token into `out` (exactly the size above); `run` as for
 * trcap_token_write.  `pp` is only read. */
trcap_status trcap_prepared_token_write(unsigned char *out, const trcap_prepared *pp,
                                        const trcap_part *tail, size_t ntail, size_t tail_size,
                                        const trcap_hmac_key *key, EVP_MD_CTX *run);

#endif
