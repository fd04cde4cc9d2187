/*
 * libFuzzer harness for the pure-C core's readers, the code that meets
 * untrusted tokens:
 *   - strict base64url decoding: whatever is accepted re-encodes to exactly
 *     the input (one encoding per byte string), and the size is as measured;
 *   - the JSON reader: accepted input gives a well-nested event stream (a
 *     name only inside an object and followed by one value, containers
 *     closed in order, an object first when one is asked for), and every
 *     unescaped string fits the room the header promises;
 *   - the JWS reader: an accepted token's segments re-encode to the token's
 *     own text, the signing input ends at the second dot, and verification
 *     under a fixed key runs without fault.
 * The first input byte picks the reader.  Build (as .ci/run does):
 *   clang -fsanitize=fuzzer,address,undefined -Isrc/core tests/c/fuzz_decode.c
 *         src/core/{base64url,json_reader,jws_decode,hmac_sha256}.c -lcrypto
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "hmac_sha256.h"
#include "json_reader.h"
#include "jws_decode.h"

#define REQUIRE(cond) do { if (!(cond)) { abort(); } } while (0)

/* ---- base64url ---------------------------------------------------------- */

static void
fuzz_base64url(const uint8_t *data, size_t n)
{
    trcap_error_detail d = {NULL, 0, NULL};
    size_t size = 0, again = 0;
    if (trcap_b64url_decoded_size(n, &size, &d) != TRCAP_OK) {
        REQUIRE(n % 4 == 1 && d.reason != NULL);
        return;
    }
    unsigned char *out = malloc(size ? size : 1);
    if (trcap_b64url_decode(out, data, n, &d) == TRCAP_OK) {
        REQUIRE(trcap_b64url_size(size, &again) == TRCAP_OK && again == n);
        unsigned char *back = malloc(n ? n : 1);
        REQUIRE((size_t)(trcap_b64url_encode(back, out, size) - back) == n);
        REQUIRE(memcmp(back, data, n) == 0);
        free(back);
    }
    else {
        REQUIRE(d.reason != NULL && d.offset < n);
    }
    free(out);
}

/* ---- JSON --------------------------------------------------------------- */

enum { IN_ARRAY = 1, IN_OBJECT = 2 };

typedef struct {
    unsigned char stack[TRCAP_JSON_MAX_DEPTH + 1];
    int depth;
    int expecting_value;  /* a name was read, its value is due */
    int values;           /* values at the top level */
    int first_is_object;
    int events;
} nesting;

static void
value_event(nesting *s)
{
    if (s->depth == 0) {
        s->values++;
    }
    else if (s->stack[s->depth - 1] == IN_OBJECT) {
        REQUIRE(s->expecting_value);
    }
    s->expecting_value = 0;
}

static int
open_event(nesting *s, unsigned char kind)
{
    if (s->events++ == 0) {
        s->first_is_object = kind == IN_OBJECT;
    }
    value_event(s);
    REQUIRE(s->depth < TRCAP_JSON_MAX_DEPTH);
    s->stack[s->depth++] = kind;
    return 0;
}

static int
close_event(nesting *s, unsigned char kind)
{
    REQUIRE(s->depth > 0 && s->stack[s->depth - 1] == kind && !s->expecting_value);
    s->depth--;
    return 0;
}

static int on_begin_object(void *c) { return open_event(c, IN_OBJECT); }
static int on_end_object(void *c) { return close_event(c, IN_OBJECT); }
static int on_begin_array(void *c) { return open_event(c, IN_ARRAY); }
static int on_end_array(void *c) { return close_event(c, IN_ARRAY); }

static void
check_string(const trcap_json_string *str)
{
    unsigned char *out = malloc(str->length ? str->length : 1);
    size_t n = str->escaped ? (size_t)(trcap_json_unescape(out, str) - out) : str->length;
    REQUIRE(n <= str->length);
    if (str->ascii) {
        for (size_t i = 0; i < str->length; i++) {
            REQUIRE(str->bytes[i] < 0x80 && str->bytes[i] != '\\');
        }
    }
    free(out);
}

static int
on_key(void *c, const trcap_json_string *str)
{
    nesting *s = c;
    s->events++;
    REQUIRE(s->depth > 0 && s->stack[s->depth - 1] == IN_OBJECT && !s->expecting_value);
    check_string(str);
    s->expecting_value = 1;
    return 0;
}

static int
on_string(void *c, const trcap_json_string *str)
{
    nesting *s = c;
    s->events++;
    check_string(str);
    value_event(s);
    return 0;
}

static int
on_number(void *c, const unsigned char *text, size_t n, int integer)
{
    nesting *s = c;
    int64_t v;
    s->events++;
    REQUIRE(n > 0);
    if (integer) {
        (void)trcap_json_int64(text, n, &v);
    }
    value_event(s);
    return 0;
}

static int
on_literal(void *c, trcap_json_literal which)
{
    nesting *s = c;
    s->events++;
    REQUIRE(which == TRCAP_JSON_NULL || which == TRCAP_JSON_TRUE || which == TRCAP_JSON_FALSE);
    value_event(s);
    return 0;
}

static const trcap_json_handler checker = {
    on_begin_object, on_end_object, on_begin_array, on_end_array,
    on_key, on_string, on_number, on_literal,
};

static void
fuzz_json(const uint8_t *data, size_t n, int top_object)
{
    nesting s;
    trcap_error_detail d = {NULL, 0, NULL};
    memset(&s, 0, sizeof s);
    trcap_status st = trcap_json_read(data, n, top_object, &checker, &s, &d);
    if (st == TRCAP_OK) {
        REQUIRE(s.depth == 0 && s.values == 1 && !s.expecting_value);
        REQUIRE(!top_object || s.first_is_object);
    }
    else {
        REQUIRE(st == TRCAP_ERR_MALFORMED && d.reason != NULL && d.offset <= n);
    }
}

/* ---- JWS ---------------------------------------------------------------- */

static void
check_segment(const unsigned char *text, size_t length, const unsigned char *bytes, size_t n)
{
    size_t size = 0;
    REQUIRE(trcap_b64url_size(n, &size) == TRCAP_OK && size == length);
    unsigned char *back = malloc(size ? size : 1);
    trcap_b64url_encode(back, bytes, n);
    REQUIRE(memcmp(back, text, length) == 0);
    free(back);
}

static void
fuzz_jws(const uint8_t *data, size_t n)
{
    static EVP_MD *sha256;
    static EVP_MD_CTX *run;
    static trcap_hmac_key key = TRCAP_HMAC_KEY_INIT;
    trcap_error_detail d = {NULL, 0, NULL};
    trcap_jws jws;
    size_t size = 0;

    if (sha256 == NULL) {  /* kept for the whole run: keying is not under test */
        sha256 = trcap_sha256_fetch();
        run = EVP_MD_CTX_new();
        REQUIRE(sha256 != NULL && run != NULL);
        REQUIRE(trcap_hmac_key_set(&key, sha256, (const unsigned char *)"k", 1) == TRCAP_OK);
    }
    if (trcap_jws_scratch_size(n, &size, &d) != TRCAP_OK) {
        REQUIRE(n > TRCAP_JWS_MAX_TOKEN_LENGTH);
        return;
    }
    unsigned char *scratch = malloc(size);
    if (trcap_jws_parse(data, n, scratch, size, &jws, &d) == TRCAP_OK) {
        const unsigned char *dot1 = memchr(data, '.', n);
        REQUIRE(dot1 != NULL);
        size_t h = (size_t)(dot1 - data);
        REQUIRE(jws.signing_input_length > h && jws.signing_input_length < n);
        REQUIRE(data[jws.signing_input_length] == '.');
        check_segment(data, h, jws.header, jws.header_length);
        check_segment(dot1 + 1, jws.signing_input_length - h - 1, jws.payload, jws.payload_length);
        check_segment(data + jws.signing_input_length + 1, n - jws.signing_input_length - 1,
                      jws.signature, jws.signature_length);
        nesting s;
        memset(&s, 0, sizeof s);
        (void)trcap_json_read(jws.header, jws.header_length, 1, &checker, &s, &d);
        trcap_status st = trcap_jws_verify_hs256(&key, run, data, &jws);
        REQUIRE(st == TRCAP_OK || st == TRCAP_ERR_SIGNATURE);
    }
    else {
        REQUIRE(d.reason != NULL);
    }
    free(scratch);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    /* Exact-size copies, so that AddressSanitizer sees any overread. */
    size_t n = size - 1;
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, data + 1, n);
    switch (data[0] % 4) {
    case 0: fuzz_base64url(copy, n); break;
    case 1: fuzz_json(copy, n, 0); break;
    case 2: fuzz_json(copy, n, 1); break;
    default: fuzz_jws(copy, n); break;
    }
    free(copy);
    return 0;
}
