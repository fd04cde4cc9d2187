/*
 * libFuzzer harness for token assembly (token.h): for payloads cut into
 * any parts (byte strings and a number), any header length and any key,
 *   - trcap_token_write, which lays the JSON out inside the token and
 *     encodes it in place, and
 *   - a prepared prefix (any number of leading parts) followed by the rest,
 * both give, byte for byte, the token built the plain way: the payload
 * joined in a buffer, encoded with the one-shot encoder, and signed with
 * OpenSSL's EVP_MAC HMAC (the other implementation in hmac_sha256.h).
 * Every output buffer has exactly the token's size, so AddressSanitizer
 * sees a write past it.
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc/core tests/c/fuzz_token.c
 *        src/core/{base64url,hmac_sha256,json_writer,token}.c -lcrypto
 * .ci/run builds every tests/c/fuzz_*.c and runs it for a bounded number of
 * inputs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "evp_mac_oracle.h"
#include "hmac_sha256.h"
#include "token.h"

#define REQUIRE(cond) do { if (!(cond)) { abort(); } } while (0)
#define MAX_PARTS 12

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static EVP_MAC *mac;
    static EVP_MD *sha256;
    static EVP_MD_CTX *run;
    trcap_part parts[MAX_PARTS];
    unsigned char header_b64[16];
    size_t nparts, nprefix, hlen, keylen, psize = 0, tsize = 0, total = 0, rest_size = 0;

    if (mac == NULL) {
        /* Made once for the process; libFuzzer never frees them. */
        mac = oracle_hmac_fetch();
        sha256 = trcap_sha256_fetch();
        run = EVP_MD_CTX_new();
        REQUIRE(mac != NULL && sha256 != NULL && run != NULL);
    }
    if (size < 12) {
        return 0;
    }
    /* Parameters from the first bytes, the rest cut into parts. */
    nparts = 1 + data[0] % MAX_PARTS;
    nprefix = data[1] % (nparts + 1);
    hlen = data[2] % sizeof header_b64;
    keylen = 1 + data[3] % 100;
    int64_t number;
    memcpy(&number, data + 4, sizeof number);
    data += 12;
    size -= 12;
    memset(header_b64, 'h', sizeof header_b64);

    size_t at = 0;
    for (size_t i = 0; i < nparts; i++) {
        if (i == nparts / 2) {
            parts[i] = trcap_number_part(number);
            continue;
        }
        size_t n = size - at;
        if (i + 1 < nparts && n) {
            n = data[at] % (n + 1);
        }
        parts[i] = trcap_text_part(data + at, n);
        at += n;
    }
    unsigned char key[100];
    for (size_t i = 0; i < keylen; i++) {
        key[i] = (unsigned char)(i * 31 + keylen);
    }

    /* The plain way. */
    REQUIRE(trcap_payload_size(parts, nparts, &psize) == TRCAP_OK);
    REQUIRE(trcap_token_size(hlen, psize, &tsize) == TRCAP_OK);
    unsigned char *json = malloc(psize + 1), *plain = malloc(tsize);
    REQUIRE(json != NULL && plain != NULL);
    REQUIRE((size_t)(trcap_payload_write(json, parts, nparts) - json) == psize);
    memcpy(plain, header_b64, hlen);
    plain[hlen] = '.';
    unsigned char *p = trcap_b64url_encode(plain + hlen + 1, json, psize);
    unsigned char digest[TRCAP_HMAC_SHA256_SIZE];
    EVP_MAC_CTX *ctx = oracle_hmac_new(mac, key, keylen);
    REQUIRE(ctx != NULL);
    REQUIRE(oracle_hmac_sha256(ctx, plain, (size_t)(p - plain), digest) == TRCAP_OK);
    EVP_MAC_CTX_free(ctx);
    *p++ = '.';
    p = trcap_b64url_encode(p, digest, sizeof digest);
    REQUIRE((size_t)(p - plain) == tsize);

    /* In place. */
    trcap_hmac_key hkey = TRCAP_HMAC_KEY_INIT;
    REQUIRE(trcap_hmac_key_set(&hkey, sha256, key, keylen) == TRCAP_OK);
    unsigned char *token = malloc(tsize);
    REQUIRE(token != NULL);
    REQUIRE(trcap_token_write(token, header_b64, hlen, parts, nparts, psize, &hkey, run)
            == TRCAP_OK);
    REQUIRE(memcmp(token, plain, tsize) == 0);
    free(token);

    /* From a prepared prefix of the first nprefix parts. */
    trcap_prepared pp = TRCAP_PREPARED_INIT;
    REQUIRE(trcap_prepared_set(&pp, header_b64, hlen, parts, nprefix, &hkey) == TRCAP_OK);
    REQUIRE(trcap_payload_size(parts + nprefix, nparts - nprefix, &rest_size) == TRCAP_OK);
    REQUIRE(trcap_prepared_token_size(&pp, rest_size, &total) == TRCAP_OK && total == tsize);
    for (int round = 0; round < 2; round++) {
        token = malloc(tsize);
        REQUIRE(token != NULL);
        REQUIRE(trcap_prepared_token_write(token, &pp, parts + nprefix, nparts - nprefix,
                                           rest_size, &hkey, run) == TRCAP_OK);
        REQUIRE(memcmp(token, plain, tsize) == 0);
        free(token);
    }
    trcap_prepared_release(&pp);
    trcap_hmac_key_release(&hkey);
    free(json);
    free(plain);
    return 0;
}
