/*
 * Known-answer tests for the pure-C core, with no Python involved:
 *   RFC 4231 section 4 (HMAC-SHA256), RFC 4648 section 10 (base64, here in
 *   its base64url form without padding, section 5), RFC 7515 appendix A.1
 *   (an HS256 JWS), and the JSON writer's escaping and integers.
 * Built and run by tests/test_c_core.py, with AddressSanitizer and
 * UndefinedBehaviorSanitizer.  Ends with the line "N passed, N failed".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "base64url.h"
#include "buffer.h"
#include "evp_mac_oracle.h"
#include "hmac_sha256.h"
#include "json_writer.h"
#include "text.h"
#include "token.h"

#include "check.h"

/* ---- OpenSSL's allocator, made to fail on demand ------------------------ */

/* While set, every allocation OpenSSL makes fails (test code only). */
static int fail_openssl_allocations;

static void *
test_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return fail_openssl_allocations ? NULL : malloc(n);
}

static void *
test_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return fail_openssl_allocations ? NULL : realloc(p, n);
}

static void
test_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    free(p);
}

/* An allocation that fails inside OpenSSL is TRCAP_ERR_NOMEM (the glue's
 * MemoryError), not TRCAP_ERR_CRYPTO (a RuntimeError). */
static void
test_openssl_allocation_failures(const EVP_MD *sha256)
{
    static const unsigned char key[] = "key";
    static const unsigned char header_b64[] = "eyJhbGciOiJIUzI1NiJ9";
    trcap_part part = trcap_text_part((const unsigned char *)"{}", 2);
    trcap_hmac_key hkey = TRCAP_HMAC_KEY_INIT;
    trcap_prepared pp = TRCAP_PREPARED_INIT;
    trcap_status st;

    fail_openssl_allocations = 1;
    st = trcap_hmac_key_set(&hkey, sha256, key, sizeof key - 1);
    fail_openssl_allocations = 0;
    CHECK(st == TRCAP_ERR_NOMEM && hkey.inner == NULL && hkey.outer == NULL,
          "keying without memory: status %d", (int)st);

    CHECK(trcap_hmac_key_set(&hkey, sha256, key, sizeof key - 1) == TRCAP_OK, "keying");
    fail_openssl_allocations = 1;
    st = trcap_prepared_set(&pp, header_b64, sizeof header_b64 - 1, &part, 1, &hkey);
    fail_openssl_allocations = 0;
    CHECK(st == TRCAP_ERR_NOMEM && pp.text == NULL && pp.state == NULL,
          "preparing a prefix without memory: status %d", (int)st);
    trcap_hmac_key_release(&hkey);
}

static void
to_hex(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 0xF];
    }
    out[2 * n] = '\0';
}

static size_t
from_hex(const char *hex, unsigned char *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
    return n;
}

/* ---- RFC 4231 ---------------------------------------------------------- */

static void
test_rfc4231(EVP_MAC *mac, const EVP_MD *sha256)
{
    static const char *large_data =
        "This is a test using a larger than block-size key and a larger than "
        "block-size data. The key needs to be hashed before being used by the "
        "HMAC algorithm.";
    struct {
        unsigned char key[131];
        size_t keylen;
        unsigned char data[160];
        size_t datalen;
        const char *expected;
    } cases[7];
    memset(cases, 0, sizeof cases);

    memset(cases[0].key, 0x0b, 20); cases[0].keylen = 20;
    memcpy(cases[0].data, "Hi There", 8); cases[0].datalen = 8;
    cases[0].expected = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";

    memcpy(cases[1].key, "Jefe", 4); cases[1].keylen = 4;
    memcpy(cases[1].data, "what do ya want for nothing?", 28); cases[1].datalen = 28;
    cases[1].expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

    memset(cases[2].key, 0xaa, 20); cases[2].keylen = 20;
    memset(cases[2].data, 0xdd, 50); cases[2].datalen = 50;
    cases[2].expected = "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe";

    for (int i = 0; i < 25; i++) cases[3].key[i] = (unsigned char)(i + 1);
    cases[3].keylen = 25;
    memset(cases[3].data, 0xcd, 50); cases[3].datalen = 50;
    cases[3].expected = "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b";

    /* Test case 5 lists the first 128 bits; this is the full output. */
    memset(cases[4].key, 0x0c, 20); cases[4].keylen = 20;
    memcpy(cases[4].data, "Test With Truncation", 20); cases[4].datalen = 20;
    cases[4].expected = "a3b6167473100ee06e0c796c2955552bfa6f7c0a6a8aef8b93f860aab0cd20c5";

    memset(cases[5].key, 0xaa, 131); cases[5].keylen = 131;
    memcpy(cases[5].data, "Test Using Larger Than Block-Size Key - Hash Key First", 54);
    cases[5].datalen = 54;
    cases[5].expected = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54";

    memset(cases[6].key, 0xaa, 131); cases[6].keylen = 131;
    memcpy(cases[6].data, large_data, strlen(large_data)); cases[6].datalen = strlen(large_data);
    cases[6].expected = "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2";

    for (int i = 0; i < 7; i++) {
        EVP_MAC_CTX *ctx = oracle_hmac_new(mac, cases[i].key, cases[i].keylen);
        CHECK(ctx != NULL, "RFC 4231 case %d: keying failed", i + 1);
        if (ctx == NULL) {
            continue;
        }
        /* Twice: the second MAC reuses the key without re-keying. */
        for (int round = 0; round < 2; round++) {
            unsigned char out[TRCAP_HMAC_SHA256_SIZE];
            char hex[2 * TRCAP_HMAC_SHA256_SIZE + 1];
            trcap_status st = oracle_hmac_sha256(ctx, cases[i].data, cases[i].datalen, out);
            to_hex(out, sizeof out, hex);
            CHECK(st == TRCAP_OK && strcmp(hex, cases[i].expected) == 0,
                  "RFC 4231 case %d round %d: got %s", i + 1, round, hex);
        }
        /* In pieces, one byte at a time. */
        {
            unsigned char out[TRCAP_HMAC_SHA256_SIZE];
            char hex[2 * TRCAP_HMAC_SHA256_SIZE + 1];
            trcap_status st = oracle_hmac_begin(ctx);
            for (size_t j = 0; st == TRCAP_OK && j < cases[i].datalen; j++) {
                st = oracle_hmac_update(ctx, cases[i].data + j, 1);
            }
            if (st == TRCAP_OK) {
                st = oracle_hmac_finish(ctx, out);
            }
            to_hex(out, sizeof out, hex);
            CHECK(st == TRCAP_OK && strcmp(hex, cases[i].expected) == 0,
                  "RFC 4231 case %d bytewise: got %s", i + 1, hex);
        }
        EVP_MAC_CTX_free(ctx);
    }

    /* The same vectors through RFC 2104 over EVP_MD (trcap_hmac_key),
     * including keys longer than a block (cases 6 and 7). */
    for (int i = 0; i < 7; i++) {
        trcap_hmac_key key = TRCAP_HMAC_KEY_INIT;
        EVP_MD_CTX *run = EVP_MD_CTX_new(), *saved = EVP_MD_CTX_new();
        CHECK(run != NULL && saved != NULL
              && trcap_hmac_key_set(&key, sha256, cases[i].key, cases[i].keylen) == TRCAP_OK,
              "RFC 4231 case %d: EVP_MD keying failed", i + 1);
        for (int round = 0; round < 2 && key.inner != NULL; round++) {
            unsigned char out[TRCAP_HMAC_SHA256_SIZE];
            char hex[2 * TRCAP_HMAC_SHA256_SIZE + 1];
            trcap_status st = trcap_hmac_start(run, &key);
            if (st == TRCAP_OK) {
                st = trcap_hmac_absorb(run, cases[i].data, cases[i].datalen);
            }
            if (st == TRCAP_OK) {
                st = trcap_hmac_end(run, &key, out);
            }
            to_hex(out, sizeof out, hex);
            CHECK(st == TRCAP_OK && strcmp(hex, cases[i].expected) == 0,
                  "RFC 4231 case %d EVP_MD round %d: got %s", i + 1, round, hex);
        }
        /* A state kept after every split point and resumed gives the same
         * MAC (what a prepared token prefix relies on). */
        int resumed_ok = key.inner != NULL;
        for (size_t cut = 0; resumed_ok && cut <= cases[i].datalen; cut++) {
            unsigned char out[TRCAP_HMAC_SHA256_SIZE];
            char hex[2 * TRCAP_HMAC_SHA256_SIZE + 1];
            trcap_status st = trcap_hmac_start(saved, &key);
            if (st == TRCAP_OK) {
                st = trcap_hmac_absorb(saved, cases[i].data, cut);
            }
            if (st == TRCAP_OK) {
                st = trcap_hmac_resume(run, saved);
            }
            if (st == TRCAP_OK) {
                st = trcap_hmac_absorb(run, cases[i].data + cut, cases[i].datalen - cut);
            }
            if (st == TRCAP_OK) {
                st = trcap_hmac_end(run, &key, out);
            }
            to_hex(out, sizeof out, hex);
            resumed_ok = st == TRCAP_OK && strcmp(hex, cases[i].expected) == 0;
        }
        CHECK(resumed_ok, "RFC 4231 case %d: resumed MACs", i + 1);
        trcap_hmac_key_release(&key);
        CHECK(key.inner == NULL && key.outer == NULL, "key released");
        EVP_MD_CTX_free(run);
        EVP_MD_CTX_free(saved);
    }
}

/* ---- RFC 4648 ---------------------------------------------------------- */

static void
test_rfc4648(void)
{
    /* Section 10's vectors, '=' padding dropped (base64url, section 5). */
    static const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *out[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    for (int i = 0; i < 7; i++) {
        unsigned char buf[16];
        size_t size = 0;
        size_t n = strlen(in[i]);
        CHECK(trcap_b64url_size(n, &size) == TRCAP_OK && size == strlen(out[i]),
              "size of %s", in[i]);
        unsigned char *end = trcap_b64url_encode(buf, (const unsigned char *)in[i], n);
        CHECK((size_t)(end - buf) == size && memcmp(buf, out[i], size) == 0,
              "encode %s", in[i]);
    }
    /* The two characters that differ from base64: 62 is '-', 63 is '_'. */
    {
        const unsigned char in2[] = {0xfb, 0xff, 0xbf};
        unsigned char buf[8];
        unsigned char *end = trcap_b64url_encode(buf, in2, 3);
        CHECK(end - buf == 4 && memcmp(buf, "-_-_", 4) == 0, "url-safe alphabet");
    }
    {
        size_t size;
        CHECK(trcap_b64url_size(SIZE_MAX, &size) == TRCAP_ERR_OVERFLOW, "size overflow");
    }
}

/* The encoder against a bit-by-bit reference over random bytes of every
 * length up to 700: the 12-bytes-at-a-time SIMD path (where the CPU has
 * it), the portable loop, and every way the two split an input. */
static size_t
reference_b64url(unsigned char *out, const unsigned char *in, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t k = 0;
    unsigned bits = 0, nbits = 0;
    for (size_t i = 0; i < n; i++) {
        bits = (bits << 8 | in[i]) & 0xFFFF;
        nbits += 8;
        while (nbits >= 6) {
            nbits -= 6;
            out[k++] = (unsigned char)alphabet[(bits >> nbits) & 63];
        }
    }
    if (nbits) {
        out[k++] = (unsigned char)alphabet[(bits << (6 - nbits)) & 63];
    }
    return k;
}

static void
test_b64url_against_reference(void)
{
    unsigned char in[700], expect[940], got[940];
    unsigned state = 12345;
    int mismatches = 0;
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < sizeof in; i++) {
            state = state * 1103515245u + 12345u;
            in[i] = (unsigned char)(state >> 16);
        }
        for (size_t n = 0; n <= sizeof in; n++) {
            size_t k = reference_b64url(expect, in, n);
            unsigned char *end = trcap_b64url_encode(got, in, n);
            mismatches += (size_t)(end - got) != k || memcmp(got, expect, k) != 0;
        }
    }
    CHECK(mismatches == 0, "base64url vs reference: %d mismatches", mismatches);
}

static void
test_stream_matches_one_shot(void)
{
    unsigned char data[300], whole[400], pieces[400];
    for (size_t i = 0; i < sizeof data; i++) {
        data[i] = (unsigned char)(i * 37 + 11);
    }
    int mismatches = 0;
    for (size_t n = 0; n <= 40; n++) {
        size_t expect = (size_t)(trcap_b64url_encode(whole, data, n) - whole);
        for (size_t a = 0; a <= n; a++) {
            for (size_t b = a; b <= n; b++) {
                trcap_b64url_stream s = TRCAP_B64URL_STREAM_INIT;
                unsigned char *p = pieces;
                p = trcap_b64url_stream_feed(&s, p, data, a);
                p = trcap_b64url_stream_feed(&s, p, data + a, b - a);
                p = trcap_b64url_stream_feed(&s, p, data + b, n - b);
                p = trcap_b64url_stream_finish(&s, p);
                if ((size_t)(p - pieces) != expect || memcmp(pieces, whole, expect) != 0) {
                    mismatches++;
                }
            }
        }
    }
    CHECK(mismatches == 0, "stream vs one-shot: %d mismatches", mismatches);
}

/* ---- RFC 7515 A.1 ------------------------------------------------------ */

static void
test_rfc7515_a1(const EVP_MD *sha256)
{
    static const char header[] = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
    static const char payload[] =
        "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
    static const char expected[] =
        "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
        ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
        ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    /* The JWK "k" of A.1.1, decoded. */
    unsigned char key[64];
    size_t keylen = from_hex(
        "0323354b2b0fa5bc837e0665777ba68f5ab328e6f054c928a90f84b2d2502ebf"
        "d3fb5a92d20647ef968ab4c377623d223d2e2172052e4f08c0cd9af567d080a3", key);
    unsigned char header_b64[64];
    size_t hlen = (size_t)(trcap_b64url_encode(header_b64, (const unsigned char *)header,
                                               strlen(header)) - header_b64);
    trcap_hmac_key hkey = TRCAP_HMAC_KEY_INIT;
    EVP_MD_CTX *run = EVP_MD_CTX_new();
    CHECK(run != NULL && trcap_hmac_key_set(&hkey, sha256, key, keylen) == TRCAP_OK,
          "RFC 7515: keying failed");
    if (hkey.inner == NULL) {
        EVP_MD_CTX_free(run);
        return;
    }

    /* The payload whole, then as three parts with the number given as an
     * integer part: the same token either way. */
    const char *exp_at = strstr(payload, "1300819380");
    size_t before = (size_t)(exp_at - payload), after_at = before + 10;
    trcap_part one[] = {trcap_text_part((const unsigned char *)payload, strlen(payload))};
    trcap_part three[] = {
        trcap_text_part((const unsigned char *)payload, before),
        trcap_number_part(1300819380),
        trcap_text_part((const unsigned char *)payload + after_at, strlen(payload) - after_at),
    };
    struct { trcap_part *parts; size_t n; } shapes[] = {{one, 1}, {three, 3}};
    for (int s = 0; s < 2; s++) {
        size_t psize = 0, tsize = 0;
        CHECK(trcap_payload_size(shapes[s].parts, shapes[s].n, &psize) == TRCAP_OK
              && psize == strlen(payload), "RFC 7515 shape %d: payload size", s);
        CHECK(trcap_token_size(hlen, psize, &tsize) == TRCAP_OK
              && tsize == strlen(expected), "RFC 7515 shape %d: token size", s);
        unsigned char *token = malloc(tsize + 1);
        CHECK(trcap_token_write(token, header_b64, hlen, shapes[s].parts, shapes[s].n, psize,
                                &hkey, run) == TRCAP_OK, "RFC 7515 shape %d: write", s);
        token[tsize] = '\0';
        CHECK(strcmp((char *)token, expected) == 0, "RFC 7515 shape %d: got %s", s, token);
        free(token);
    }
    /* The payload as written back, not encoded. */
    {
        unsigned char plain[128];
        unsigned char *end = trcap_payload_write(plain, three, 3);
        CHECK((size_t)(end - plain) == strlen(payload) && memcmp(plain, payload, strlen(payload)) == 0,
              "RFC 7515: payload written from parts");
    }
    trcap_hmac_key_release(&hkey);
    EVP_MD_CTX_free(run);
}

/* ---- prepared prefixes -------------------------------------------------- */

/* A token from a prepared prefix equals the token written from scratch for
 * prefix + tail: for every prefix length mod 3 (how the prefix's last bytes
 * share a base64 group with the tail), every signing-input length mod 64
 * (where the kept SHA-256 state stands in its block; the encoded header's
 * length is varied to reach every residue), and tails of several shapes. */
static void
test_prepared(const EVP_MD *sha256)
{
    static const unsigned char key[] = "prepared-prefix-key";
    unsigned char prefix[200], header_b64[8], tail_text[70];
    trcap_hmac_key hkey = TRCAP_HMAC_KEY_INIT;
    EVP_MD_CTX *run = EVP_MD_CTX_new();
    int mismatches = 0, cases = 0;

    for (size_t i = 0; i < sizeof prefix; i++) {
        prefix[i] = (unsigned char)(' ' + (i * 7) % 90);
    }
    for (size_t i = 0; i < sizeof tail_text; i++) {
        tail_text[i] = (unsigned char)('a' + i % 26);
    }
    memset(header_b64, 'h', sizeof header_b64);
    CHECK(run != NULL && trcap_hmac_key_set(&hkey, sha256, key, sizeof key - 1) == TRCAP_OK,
          "prepared: keying");
    if (hkey.inner == NULL) {
        EVP_MD_CTX_free(run);
        return;
    }
    for (size_t hlen = 0; hlen < 4; hlen++) {
        for (size_t plen = 0; plen <= sizeof prefix; plen++) {
            /* The prefix in two parts, as head and policies arrive. */
            trcap_part pre[] = {trcap_text_part(prefix, plen / 2),
                                trcap_text_part(prefix + plen / 2, plen - plen / 2)};
            for (size_t shape = 0; shape < 4; shape++) {
                trcap_part tail[3] = {trcap_number_part(1700000000 + (int64_t)plen),
                                      trcap_text_part(tail_text, plen % 70),
                                      trcap_text_part(tail_text, shape)};
                size_t ntail = shape == 0 ? 0 : shape == 1 ? 1 : 3;
                trcap_part all[5] = {pre[0], pre[1], tail[0], tail[1], tail[2]};
                trcap_prepared pp = TRCAP_PREPARED_INIT;
                size_t psize = 0, tsize = 0, whole = 0, fast = 0;
                unsigned char *a = NULL, *b = NULL;
                /* Exactly sized, so that AddressSanitizer sees any write
                 * past the token (the JSON is laid out inside it). */
                int ok = trcap_payload_size(all, 2 + ntail, &psize) == TRCAP_OK
                         && trcap_token_size(hlen, psize, &whole) == TRCAP_OK
                         && trcap_prepared_set(&pp, header_b64, hlen, pre, 2, &hkey) == TRCAP_OK
                         && trcap_payload_size(tail, ntail, &tsize) == TRCAP_OK
                         && trcap_prepared_token_size(&pp, tsize, &fast) == TRCAP_OK
                         && whole == fast && pp.nrest == plen % 3
                         && (a = malloc(whole)) != NULL && (b = malloc(whole)) != NULL
                         && trcap_token_write(a, header_b64, hlen, all, 2 + ntail, psize, &hkey,
                                              run) == TRCAP_OK
                         && trcap_prepared_token_write(b, &pp, tail, ntail, tsize, &hkey, run)
                                == TRCAP_OK
                         /* twice from one prefix: it is only read */
                         && memcmp(a, b, whole) == 0
                         && trcap_prepared_token_write(b, &pp, tail, ntail, tsize, &hkey, run)
                                == TRCAP_OK
                         && memcmp(a, b, whole) == 0;
                free(a);
                free(b);
                mismatches += !ok;
                cases++;
                trcap_prepared_release(&pp);
            }
        }
    }
    CHECK(mismatches == 0, "prepared vs from scratch: %d of %d differ", mismatches, cases);
    trcap_hmac_key_release(&hkey);
    EVP_MD_CTX_free(run);
}

/* ---- JSON writer and UTF-8 --------------------------------------------- */

static void
check_json(const void *data, size_t n, int width, const char *expected)
{
    trcap_text t = {data, n, width};
    size_t size = 0;
    CHECK(trcap_json_string_size(&t, &size) == TRCAP_OK && size == strlen(expected),
          "json size for %s: %zu", expected, size);
    unsigned char *out = malloc(size + 1);
    unsigned char *end = trcap_json_string_write(out, &t);
    *end = '\0';
    CHECK((size_t)(end - out) == size && strcmp((char *)out, expected) == 0,
          "json: expected %s got %s", expected, out);
    free(out);
}

static void
test_json_writer(void)
{
    const uint8_t ascii[] = {'a', '"', '\\', '/', '\n', '\t', '\b', '\f', '\r', 0x00, 0x1f, 0x7f};
    check_json(ascii, sizeof ascii, 1,
               "\"a\\\"\\\\/\\n\\t\\b\\f\\r\\u0000\\u001f\\u007f\"");
    const uint8_t latin1[] = {0xe9, 0xff};
    check_json(latin1, 2, 1, "\"\\u00e9\\u00ff\"");
    const uint16_t ucs2[] = {0x2028, 0x4e2d, 0xd800, 0xdfff};
    check_json(ucs2, 4, 2, "\"\\u2028\\u4e2d\\ud800\\udfff\"");
    const uint32_t ucs4[] = {0x1f600, 0x10ffff, 0x41};
    check_json(ucs4, 3, 4, "\"\\ud83d\\ude00\\udbff\\udfffA\"");
    check_json(ascii, 0, 1, "\"\"");

    /* is_plain, whose loop the compiler may vectorise into blocks and a
     * tail: every length up to 70, with every byte value at the first, a
     * middle and the last position, against the rule byte by byte. */
    {
        unsigned char text[70];
        int mismatches = 0;
        for (size_t n = 0; n <= sizeof text; n++) {
            size_t positions[3] = {0, n / 2, n ? n - 1 : 0};
            for (int where = 0; where < 3 && n > 0; where++) {
                for (int c = 0; c < 256; c++) {
                    memset(text, 'a', n);
                    text[positions[where]] = (unsigned char)c;
                    trcap_text t = {text, n, 1};
                    int expected = c >= ' ' && c <= '~' && c != '"' && c != '\\';
                    mismatches += trcap_json_string_is_plain(&t) != expected;
                }
            }
            memset(text, 'a', n);
            trcap_text plain = {text, n, 1};
            mismatches += trcap_json_string_is_plain(&plain) != 1;
        }
        CHECK(mismatches == 0, "json_string_is_plain vs the rule: %d mismatches", mismatches);
    }

    unsigned char buf[TRCAP_INT64_MAX_DIGITS + 1];
    int64_t values[] = {0, 7, -1, 1700000000, INT64_MAX, INT64_MIN};
    const char *text[] = {"0", "7", "-1", "1700000000", "9223372036854775807",
                          "-9223372036854775808"};
    for (int i = 0; i < 6; i++) {
        unsigned char *end = trcap_int64_write(buf, values[i]);
        *end = '\0';
        CHECK(strcmp((char *)buf, text[i]) == 0, "int64: expected %s got %s", text[i], buf);
    }
    /* Against printf at every power of ten, one either side, and negated
     * (the length and the digits both change there). */
    for (int64_t p = 1; ; p *= 10) {
        int64_t around[] = {p - 1, p, p + 1, -(p - 1), -p, -(p + 1)};
        for (int i = 0; i < 6; i++) {
            char expected[32];
            unsigned char *end = trcap_int64_write(buf, around[i]);
            snprintf(expected, sizeof expected, "%lld", (long long)around[i]);
            *end = '\0';
            CHECK(strcmp((char *)buf, expected) == 0, "int64: expected %s got %s", expected, buf);
            CHECK(trcap_int64_length(around[i]) == strlen(expected),
                  "int64 length of %s: %zu", expected, trcap_int64_length(around[i]));
        }
        if (p > INT64_MAX / 10) {
            break;
        }
    }
}

static void
test_utf8(void)
{
    const uint32_t cps[] = {0x41, 0xe9, 0x20ac, 0x1f600};
    trcap_text t = {cps, 4, 4};
    size_t size = 0;
    unsigned char out[16];
    CHECK(trcap_utf8_size(&t, &size) == TRCAP_OK && size == 10, "utf8 size %zu", size);
    trcap_utf8_write(out, &t);
    CHECK(memcmp(out, "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10) == 0, "utf8 bytes");
    const uint16_t lone[] = {0x41, 0xdc00};
    trcap_text s = {lone, 2, 2};
    CHECK(trcap_utf8_size(&s, &size) == TRCAP_ERR_SURROGATE, "lone surrogate refused");
}

static void
test_buffer(void)
{
    trcap_buffer b = TRCAP_BUFFER_INIT;
    int ok = 1;
    for (int i = 0; i < 1000 && ok; i++) {
        ok = trcap_buffer_append(&b, "0123456789", 10) == TRCAP_OK;
    }
    CHECK(ok && b.length == 10000 && memcmp(b.data + 9990, "0123456789", 10) == 0, "buffer growth");
    CHECK(trcap_buffer_reserve(&b, SIZE_MAX) == TRCAP_ERR_OVERFLOW, "buffer overflow check");
    trcap_buffer_release(&b);
    CHECK(b.data == NULL && b.length == 0, "buffer release");
}

int
main(void)
{
    /* Before OpenSSL allocates anything, or it refuses. */
    CHECK(CRYPTO_set_mem_functions(test_malloc, test_realloc, test_free),
          "CRYPTO_set_mem_functions");
    EVP_MAC *mac = oracle_hmac_fetch();
    CHECK(mac != NULL, "EVP_MAC_fetch(HMAC)");
    if (mac != NULL) {
        EVP_MD *sha256 = trcap_sha256_fetch();
        CHECK(sha256 != NULL, "EVP_MD_fetch(SHA256)");
        if (sha256 != NULL) {
            test_rfc4231(mac, sha256);
            test_rfc7515_a1(sha256);
            test_prepared(sha256);
            test_openssl_allocation_failures(sha256);
            EVP_MD_free(sha256);
        }
        EVP_MAC_free(mac);
    }
    test_rfc4648();
    test_b64url_against_reference();
    test_stream_matches_one_shot();
    test_json_writer();
    test_utf8();
    test_buffer();
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
