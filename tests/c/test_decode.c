/*
 * Known answers and refusals for the decoding half of the pure-C core,
 * with no Python involved: strict base64url (RFC 4648 sections 3.5, 5 and
 * 10), the JWS reader and HS256 verification (RFC 7515 appendix A.1), and
 * the strict JSON reader (RFC 8259, RFC 3629).  It ends with a seeded
 * mutation run over the whole decoder, so that AddressSanitizer and
 * UndefinedBehaviorSanitizer see every path with hostile input.
 * Built and run by tests/test_c_core.py.  Ends with "N passed, N failed".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "hmac_sha256.h"
#include "json_reader.h"
#include "jws_decode.h"

#include "check.h"

#define U(s) ((const unsigned char *)(s))

/* ---- base64url ---------------------------------------------------------- */

/* Decodes `in`; returns the status and leaves the bytes in out/outlen. */
static trcap_status
b64(const char *in, unsigned char *out, size_t *outlen, trcap_error_detail *d)
{
    size_t n = strlen(in);
    trcap_status st = trcap_b64url_decoded_size(n, outlen, d);
    return st == TRCAP_OK ? trcap_b64url_decode(out, U(in), n, d) : st;
}

static void
test_b64url_decode(void)
{
    /* RFC 4648 section 10, in the section 5 alphabet without padding. */
    static const char *plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *coded[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    unsigned char out[64];
    size_t n = 0;
    trcap_error_detail d = {NULL, 0, NULL};

    for (int i = 0; i < 7; i++) {
        CHECK(b64(coded[i], out, &n, &d) == TRCAP_OK && n == strlen(plain[i])
              && memcmp(out, plain[i], n) == 0, "RFC 4648: %s", coded[i]);
    }
    /* The two characters that differ from section 4's alphabet. */
    CHECK(b64("-_-_", out, &n, &d) == TRCAP_OK && n == 3
          && memcmp(out, "\xfb\xff\xbf", 3) == 0, "'-' and '_'");

    struct { const char *in; size_t offset; const char *reason_start; } bad[] = {
        {"Zg==", 2, "base64url padding"},
        {"Zm8=", 3, "base64url padding"},
        {"Zm9v+A", 4, "a character outside"},
        {"Zm9v/A", 4, "a character outside"},
        {"Zm 9vA", 2, "a character outside"},
        {"Zm9vY", 4, "a base64url length of 4k + 1"},
        {"Z", 0, "a base64url length of 4k + 1"},
        {"Zh", 1, "non-canonical"},      /* "f" is Zg; Zh sets an unused bit */
        {"Zm9", 2, "non-canonical"},     /* "fo" is Zm8 */
        {"Zm9vYh", 5, "non-canonical"},
        {"Zm.v", 2, "a character outside"},
        {"Zm9v\x80\x80", 4, "a character outside"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        d.reason = NULL;
        trcap_status st = b64(bad[i].in, out, &n, &d);
        CHECK(st == TRCAP_ERR_MALFORMED && d.reason != NULL && d.offset == bad[i].offset
              && strncmp(d.reason, bad[i].reason_start, strlen(bad[i].reason_start)) == 0,
              "base64url refusal %zu: status %d offset %zu reason %s", i, st, d.offset,
              d.reason ? d.reason : "(none)");
    }
    /* A NUL byte inside the length given is a foreign character, not an end. */
    d.reason = NULL;
    CHECK(trcap_b64url_decode(out, U("Zm\0v"), 4, &d) == TRCAP_ERR_MALFORMED && d.offset == 2,
          "NUL refused");

    /* Every byte string of lengths 0..48 round-trips, and each one-character
     * change of its encoding is either refused or decodes differently. */
    unsigned char data[48], enc[80], dec[64];
    uint32_t seed = 12345;
    int ok = 1;
    for (size_t len = 0; len <= sizeof data; len++) {
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            data[i] = (unsigned char)(seed >> 16);
        }
        size_t elen = (size_t)(trcap_b64url_encode(enc, data, len) - enc), dlen = 0;
        ok &= trcap_b64url_decoded_size(elen, &dlen, &d) == TRCAP_OK && dlen == len;
        ok &= trcap_b64url_decode(dec, enc, elen, &d) == TRCAP_OK && memcmp(dec, data, len) == 0;
        for (size_t i = 0; i < elen; i++) {
            unsigned char saved = enc[i];
            enc[i] = saved == 'A' ? 'B' : 'A';
            ok &= trcap_b64url_decode(dec, enc, elen, &d) != TRCAP_OK
                  || memcmp(dec, data, len) != 0;
            enc[i] = saved;
        }
    }
    CHECK(ok, "base64url round trips and one-character changes");
}

/* ---- JWS ---------------------------------------------------------------- */

static const char a1_token[] =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/* Parses `token` into freshly allocated scratch (freed by the caller). */
static trcap_status
parse(const char *token, size_t n, trcap_jws *jws, unsigned char **scratch,
      trcap_error_detail *d)
{
    size_t size = 0;
    trcap_status st = trcap_jws_scratch_size(n, &size, d);
    *scratch = NULL;
    if (st != TRCAP_OK) {
        return st;
    }
    *scratch = malloc(size);
    return trcap_jws_parse(U(token), n, *scratch, size, jws, d);
}

/* A prepared key and a running context: what the decoder verifies with. */
typedef struct {
    trcap_hmac_key key;
    EVP_MD_CTX *run;
} verifier;

static verifier *
verifier_new(const EVP_MD *sha256, const unsigned char *key, size_t keylen)
{
    verifier *v = calloc(1, sizeof *v);
    if (v == NULL) {
        return NULL;
    }
    v->run = EVP_MD_CTX_new();
    if (v->run == NULL || trcap_hmac_key_set(&v->key, sha256, key, keylen) != TRCAP_OK) {
        EVP_MD_CTX_free(v->run);
        free(v);
        return NULL;
    }
    return v;
}

static trcap_status
verify(verifier *v, const unsigned char *token, const trcap_jws *jws)
{
    return trcap_jws_verify_hs256(&v->key, v->run, token, jws);
}

static void
verifier_free(verifier *v)
{
    if (v != NULL) {
        trcap_hmac_key_release(&v->key);
        EVP_MD_CTX_free(v->run);
        free(v);
    }
}

static void
test_jws_rfc7515_a1(const EVP_MD *sha256)
{
    static const char header[] = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
    static const char payload[] =
        "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
    unsigned char key[64] = {0};
    static const char key_b64[] =
        "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
    trcap_error_detail d = {NULL, 0, NULL};
    trcap_jws jws;
    unsigned char *scratch;
    size_t keylen = 0;

    /* A.1.1's JWK "k", itself base64url. */
    CHECK(trcap_b64url_decoded_size(strlen(key_b64), &keylen, &d) == TRCAP_OK && keylen == 64,
          "A.1 key length");
    CHECK(trcap_b64url_decode(key, U(key_b64), strlen(key_b64), &d) == TRCAP_OK, "A.1 key");

    CHECK(parse(a1_token, strlen(a1_token), &jws, &scratch, &d) == TRCAP_OK, "A.1 parses");
    CHECK(jws.header_length == strlen(header) && memcmp(jws.header, header, strlen(header)) == 0,
          "A.1 header");
    CHECK(jws.payload_length == strlen(payload)
          && memcmp(jws.payload, payload, strlen(payload)) == 0, "A.1 payload");
    CHECK(jws.signature_length == 32, "A.1 signature length");
    CHECK(jws.signing_input_length == (size_t)(strrchr(a1_token, '.') - a1_token),
          "A.1 signing input");

    verifier *good = verifier_new(sha256, key, keylen);
    key[0] ^= 1;
    verifier *other = verifier_new(sha256, key, keylen);
    CHECK(good != NULL && other != NULL, "keying");
    if (good != NULL && other != NULL) {
        CHECK(verify(good, U(a1_token), &jws) == TRCAP_OK, "A.1 verifies");
        CHECK(verify(other, U(a1_token), &jws) == TRCAP_ERR_SIGNATURE,
              "A.1 under another key");
        /* Every single-bit change of the signature is caught. */
        int ok = 1;
        unsigned char *sig = (unsigned char *)jws.signature;
        for (int i = 0; i < 256; i++) {
            sig[i / 8] ^= (unsigned char)(1u << (i % 8));
            ok &= verify(good, U(a1_token), &jws) == TRCAP_ERR_SIGNATURE;
            sig[i / 8] ^= (unsigned char)(1u << (i % 8));
        }
        CHECK(ok, "every signature bit matters");
        /* A prefix of the right signature is not a signature. */
        trcap_jws shorter = jws;
        shorter.signature_length = 31;
        CHECK(verify(good, U(a1_token), &shorter) == TRCAP_ERR_SIGNATURE,
              "a shorter signature");
        shorter.signature_length = 0;
        CHECK(verify(good, U(a1_token), &shorter) == TRCAP_ERR_SIGNATURE,
              "an empty signature");
        /* The payload is covered too: change one character of it. */
        char changed[sizeof a1_token];
        memcpy(changed, a1_token, sizeof a1_token);
        changed[50] = changed[50] == 'A' ? 'B' : 'A';
        unsigned char *scratch2;
        trcap_jws jws2;
        if (parse(changed, strlen(changed), &jws2, &scratch2, &d) == TRCAP_OK) {
            CHECK(verify(good, U(changed), &jws2) == TRCAP_ERR_SIGNATURE,
                  "a changed payload");
        }
        free(scratch2);
    }
    verifier_free(good);
    verifier_free(other);
    free(scratch);
}

static void
test_jws_refusals(void)
{
    struct { const char *token; const char *part; size_t offset; const char *reason_start; } bad[] = {
        {"abc", NULL, 3, "a JWS has three segments separated by '.'; this has one"},
        {"abc.def", NULL, 7, "a JWS has three segments separated by '.'; this has two"},
        {"abc.def.ghi.jkl", NULL, 11, "a JWS has three segments separated by '.'; this has more"},
        {"a.b.c.", NULL, 5, "a JWS has three segments"},
        {"Zg=.Zg.Zg", "header segment", 2, "base64url padding"},
        {"Zg.Zg==.Zg", "payload segment", 5, "base64url padding"},
        {"Zg.Zg.Zg==", "signature segment", 8, "base64url padding"},
        {"Zg.Z.Zg", "payload segment", 3, "a base64url length of 4k + 1"},
        {"Zg.Zg.Zh", "signature segment", 7, "non-canonical"},
        {"Z+.Zg.Zg", "header segment", 1, "a character outside"},
        {"Zg.Zg.Z g", "signature segment", 7, "a character outside"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        trcap_error_detail d = {NULL, 0, NULL};
        trcap_jws jws;
        unsigned char *scratch;
        trcap_status st = parse(bad[i].token, strlen(bad[i].token), &jws, &scratch, &d);
        int part_ok = bad[i].part == NULL ? d.part == NULL
                                          : d.part != NULL && strcmp(d.part, bad[i].part) == 0;
        CHECK(st == TRCAP_ERR_MALFORMED && part_ok && d.offset == bad[i].offset
              && strncmp(d.reason, bad[i].reason_start, strlen(bad[i].reason_start)) == 0,
              "JWS refusal %zu (%s): status %d part %s offset %zu reason %s", i, bad[i].token,
              st, d.part ? d.part : "-", d.offset, d.reason ? d.reason : "-");
        free(scratch);
    }

    /* Empty segments are valid base64url (zero bytes); the JSON reader and
     * the verification refuse them later. */
    trcap_error_detail d = {NULL, 0, NULL};
    trcap_jws jws;
    unsigned char *scratch;
    CHECK(parse("..", 2, &jws, &scratch, &d) == TRCAP_OK && jws.header_length == 0
          && jws.payload_length == 0 && jws.signature_length == 0, "three empty segments");
    free(scratch);

    /* The limits: refused before any scratch memory is asked for. */
    size_t size = 0;
    CHECK(trcap_jws_scratch_size(TRCAP_JWS_MAX_TOKEN_LENGTH, &size, &d) == TRCAP_OK
          && size >= TRCAP_JWS_MAX_TOKEN_LENGTH / 4 * 3, "the longest token");
    CHECK(trcap_jws_scratch_size(TRCAP_JWS_MAX_TOKEN_LENGTH + 1, &size, &d)
          == TRCAP_ERR_MALFORMED && strstr(d.reason, "65536") != NULL, "one character more");
    CHECK(trcap_jws_scratch_size(SIZE_MAX, &size, &d) == TRCAP_ERR_MALFORMED, "SIZE_MAX");

    size_t n = TRCAP_JWS_MAX_HEADER_LENGTH + 8;
    char *long_header = malloc(n + 1);
    memset(long_header, 'A', n);
    long_header[TRCAP_JWS_MAX_HEADER_LENGTH + 4] = '.';
    long_header[TRCAP_JWS_MAX_HEADER_LENGTH + 6] = '.';
    long_header[n] = '\0';
    d.reason = NULL;
    CHECK(parse(long_header, n, &jws, &scratch, &d) == TRCAP_ERR_MALFORMED
          && strstr(d.reason, "header segment is longer") != NULL, "a long header");
    free(scratch);
    free(long_header);

    /* Scratch smaller than asked for is the caller's error. */
    unsigned char small[2];
    CHECK(trcap_jws_parse(U("Zm9v.Zm9v.Zm9v"), 14, small, sizeof small, &jws, &d)
          == TRCAP_ERR_OVERFLOW, "small scratch");
}

/* ---- JSON reader ---------------------------------------------------------- */

/* Records events as text: {, }, [, ], k:NAME, s:VALUE, n:TEXT/i or /f,
 * null, true, false; each followed by a space. */
typedef struct {
    char text[1024];
    size_t length;
    int stop_after;  /* events before a handler failure; -1: never */
} recorder;

static int
record(recorder *r, const char *s, size_t n)
{
    if (r->stop_after == 0) {
        return -1;
    }
    if (r->stop_after > 0) {
        r->stop_after--;
    }
    if (r->length + n + 2 < sizeof r->text) {
        memcpy(r->text + r->length, s, n);
        r->length += n;
        r->text[r->length++] = ' ';
        r->text[r->length] = '\0';
    }
    return 0;
}

static int rec_begin_object(void *c) { return record(c, "{", 1); }
static int rec_end_object(void *c) { return record(c, "}", 1); }
static int rec_begin_array(void *c) { return record(c, "[", 1); }
static int rec_end_array(void *c) { return record(c, "]", 1); }

static int
rec_string_as(void *c, const trcap_json_string *s, const char *tag)
{
    char buf[512];
    size_t n = strlen(tag);
    memcpy(buf, tag, n);
    if (s->escaped) {
        n = (size_t)((char *)trcap_json_unescape((unsigned char *)buf + n, s) - buf);
    }
    else {
        memcpy(buf + n, s->bytes, s->length);
        n += s->length;
    }
    return record(c, buf, n);
}

static int rec_key(void *c, const trcap_json_string *s) { return rec_string_as(c, s, "k:"); }
static int rec_string(void *c, const trcap_json_string *s) { return rec_string_as(c, s, "s:"); }

static int
rec_number(void *c, const unsigned char *text, size_t n, int integer)
{
    char buf[128];
    int len = snprintf(buf, sizeof buf, "n:%.*s/%c", (int)n, (const char *)text,
                       integer ? 'i' : 'f');
    return record(c, buf, (size_t)len);
}

static int
rec_literal(void *c, trcap_json_literal which)
{
    const char *s = which == TRCAP_JSON_NULL ? "null" : which == TRCAP_JSON_TRUE ? "true"
                                                                                  : "false";
    return record(c, s, strlen(s));
}

static const trcap_json_handler recording = {
    rec_begin_object, rec_end_object, rec_begin_array, rec_end_array,
    rec_key, rec_string, rec_number, rec_literal,
};

static trcap_status
read_json(const char *text, size_t n, int top_object, recorder *r, trcap_error_detail *d)
{
    r->length = 0;
    r->text[0] = '\0';
    if (r->stop_after == 0) {
        r->stop_after = -1;
    }
    return trcap_json_read(U(text), n, top_object, &recording, r, d);
}

static void
test_json_reader_accepts(void)
{
    struct { const char *in; const char *events; } good[] = {
        {"{}", "{ } "},
        {" \t\r\n{ \"a\" : 1 } \n", "{ k:a n:1/i } "},
        {"{\"a\":[1,-0,2.5,-1e3,1E+2,0.0e-1],\"b\":{\"c\":null},\"d\":true,\"e\":false}",
         "{ k:a [ n:1/i n:-0/i n:2.5/f n:-1e3/f n:1E+2/f n:0.0e-1/f ] k:b { k:c null } "
         "k:d true k:e false } "},
        {"{\"u\":\"\\u00e9\\ud83d\\ude00\\/\\\\\\\"\\b\\f\\n\\r\\t\"}",
         "{ k:u s:\xc3\xa9\xf0\x9f\x98\x80/\\\"\b\f\n\r\t } "},
        {"{\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\":\"\xed\x9f\xbf\xee\x80\x80\"}",
         "{ k:\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf s:\xed\x9f\xbf\xee\x80\x80 } "},
        {"{\"a\":1,\"a\":2}", "{ k:a n:1/i k:a n:2/i } "},  /* duplicates are the handler's call */
        {"{\"\":\"\"}", "{ k: s: } "},
        {"{\"x\":\"\\u0000\"}", "{ k:x s:\0 } "},
        /* Lone surrogate escapes, in the "surrogatepass" form. */
        {"{\"l\":\"\\ud800\\u0041\\udfff\\udbff\"}",
         "{ k:l s:\xed\xa0\x80" "A\xed\xbf\xbf\xed\xaf\xbf } "},
        {"{\"p\":\"\\udc00\\ud800\\udc00\"}", "{ k:p s:\xed\xb0\x80\xf0\x90\x80\x80 } "},
    };
    recorder r = {.stop_after = -1};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        trcap_error_detail d = {NULL, 0, NULL};
        trcap_status st = read_json(good[i].in, strlen(good[i].in), 1, &r, &d);
        /* memcmp: one case carries a NUL. */
        size_t expect = i == 7 ? 12 : strlen(good[i].events);
        CHECK(st == TRCAP_OK && r.length == expect && memcmp(r.text, good[i].events, expect) == 0,
              "JSON %zu: status %d (%s at %zu) events '%s'", i, st, d.reason ? d.reason : "-",
              d.offset, r.text);
    }
    /* Any value at the top when an object is not required. */
    trcap_error_detail d = {NULL, 0, NULL};
    CHECK(read_json(" [1] ", 5, 0, &r, &d) == TRCAP_OK && strcmp(r.text, "[ n:1/i ] ") == 0,
          "an array at the top");
    CHECK(read_json("\"s\"", 3, 0, &r, &d) == TRCAP_OK, "a string at the top");

    /* Exactly TRCAP_JSON_MAX_DEPTH levels are fine; one more is not. */
    char deep[2 * TRCAP_JSON_MAX_DEPTH + 4];
    for (int depth = TRCAP_JSON_MAX_DEPTH; depth <= TRCAP_JSON_MAX_DEPTH + 1; depth++) {
        size_t n = 0;
        for (int i = 0; i < depth; i++) {
            deep[n++] = '[';
        }
        for (int i = 0; i < depth; i++) {
            deep[n++] = ']';
        }
        trcap_status st = read_json(deep, n, 0, &r, &d);
        CHECK(depth == TRCAP_JSON_MAX_DEPTH ? st == TRCAP_OK
                                            : st == TRCAP_ERR_MALFORMED
                                                  && d.offset == TRCAP_JSON_MAX_DEPTH,
              "depth %d: status %d", depth, st);
    }
}

static void
test_json_reader_refuses(void)
{
    struct { const char *in; size_t n; size_t offset; const char *reason_start; } bad[] = {
        {"", 0, 0, "the JSON text is not an object"},
        {"[]", 2, 0, "the JSON text is not an object"},
        {"\"{}\"", 4, 0, "the JSON text is not an object"},
        {"\xef\xbb\xbf{}", 5, 0, "a byte order mark"},
        {"{\0\"", 3, 1, "expected a member name"},
        {"{} x", 4, 3, "extra data"},
        {"{}{}", 4, 2, "extra data"},
        {"{\"a\":1,}", 8, 7, "expected a member name"},
        {"{\"a\" 1}", 7, 5, "expected ':'"},
        {"{\"a\":1 \"b\":2}", 13, 7, "expected ',' or '}'"},
        {"{\"a\":[1 2]}", 11, 8, "expected ',' or ']'"},
        {"{\"a\":[1,]}", 10, 8, "expected a JSON value"},
        {"{a:1}", 5, 1, "expected a member name"},
        {"{'a':1}", 7, 1, "expected a member name"},
        {"{\"a\":NaN}", 9, 5, "expected a JSON value"},
        {"{\"a\":Infinity}", 14, 5, "expected a JSON value"},
        {"{\"a\":-Infinity}", 15, 5, "a number needs a digit after '-'"},
        {"{\"a\":tru}", 9, 5, "expected a JSON value"},
        {"{\"a\":01}", 8, 5, "a number has a leading zero"},
        {"{\"a\":1.}", 8, 7, "a number needs a digit after '.'"},
        {"{\"a\":.5}", 8, 5, "expected a JSON value"},
        {"{\"a\":1e}", 8, 7, "a number needs a digit in its exponent"},
        {"{\"a\":+1}", 8, 5, "expected a JSON value"},
        {"{\"a\":0x1}", 9, 6, "expected ',' or '}'"},
        {"{\"a\":\"x}", 8, 5, "a string is not terminated"},
        {"{\"a\":\"\\x\"}", 10, 6, "an unknown escape"},
        {"{\"a\":\"\\u12\"}", 12, 6, "a \\u escape needs four hex digits"},
        {"{\"a\":\"\\u12g4\"}", 14, 6, "a \\u escape needs four hex digits"},
        {"{\"a\":\"\\", 7, 6, "a string is not terminated"},
        {"{\"a\":\"\t\"}", 9, 6, "a control character"},
        {"{\"a\":\"\n\"}", 9, 6, "a control character"},
        {"{\"a\":\"\x80\"}", 9, 6, "invalid UTF-8"},                 /* lone continuation */
        {"{\"a\":\"\xc0\x80\"}", 10, 6, "invalid UTF-8"},            /* overlong NUL */
        {"{\"a\":\"\xc1\xbf\"}", 10, 6, "invalid UTF-8"},            /* overlong */
        {"{\"a\":\"\xe0\x80\x80\"}", 11, 6, "invalid UTF-8"},        /* overlong */
        {"{\"a\":\"\xed\xa0\x80\"}", 11, 6, "invalid UTF-8"},        /* U+D800 encoded */
        {"{\"a\":\"\xed\xbf\xbf\"}", 11, 6, "invalid UTF-8"},        /* U+DFFF encoded */
        {"{\"a\":\"\xf0\x80\x80\x80\"}", 12, 6, "invalid UTF-8"},    /* overlong */
        {"{\"a\":\"\xf4\x90\x80\x80\"}", 12, 6, "invalid UTF-8"},    /* above U+10FFFF */
        {"{\"a\":\"\xf5\x80\x80\x80\"}", 12, 6, "invalid UTF-8"},
        {"{\"a\":\"\xff\"}", 9, 6, "invalid UTF-8"},
        {"{\"a\":\"\xc3\"}", 9, 6, "invalid UTF-8"},                 /* truncated */
        {"{\"a\":\"\xe2\x82\"}", 10, 6, "invalid UTF-8"},            /* truncated */
        {"{\"a\":\"\xe2\x82", 8, 6, "invalid UTF-8"},                /* truncated at the end */
        {"{\"a\xff\":1}", 7, 3, "invalid UTF-8"},
        {"{\"a\":1}\xc3\xa9", 9, 7, "extra data"},
        {"{\"a\":\xc3\xa9}", 8, 5, "expected a JSON value"},
    };
    recorder r = {.stop_after = -1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        trcap_error_detail d = {NULL, 0, NULL};
        trcap_status st = read_json(bad[i].in, bad[i].n, 1, &r, &d);
        CHECK(st == TRCAP_ERR_MALFORMED && d.reason != NULL && d.offset == bad[i].offset
              && strncmp(d.reason, bad[i].reason_start, strlen(bad[i].reason_start)) == 0,
              "JSON refusal %zu: status %d offset %zu reason %s", i, st, d.offset,
              d.reason ? d.reason : "-");
    }

    /* A handler that fails stops the reader at once, whatever the event. */
    for (int stop = 0; stop < 6; stop++) {
        trcap_error_detail d = {NULL, 0, NULL};
        recorder stopper = {.stop_after = stop};
        const char *doc = "{\"a\":[\"s\",1,null]}";
        trcap_status st = trcap_json_read(U(doc), strlen(doc), 1, &recording, &stopper, &d);
        CHECK(st == TRCAP_ERR_HANDLER, "handler stop after %d events: status %d", stop, st);
    }
}

static void
test_json_int64(void)
{
    struct { const char *text; int fits; int64_t value; } cases[] = {
        {"0", 1, 0}, {"-0", 1, 0}, {"7", 1, 7}, {"-1", 1, -1},
        {"999999999999999999", 1, 999999999999999999},
        {"-999999999999999999", 1, -999999999999999999},
        {"9223372036854775807", 0, 0},  /* 19 digits: the bignum path */
        {"1000000000000000000", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t v = 42;
        int rc = trcap_json_int64(U(cases[i].text), strlen(cases[i].text), &v);
        CHECK(cases[i].fits ? rc == 0 && v == cases[i].value : rc == -1,
              "int64 %s: rc %d value %lld", cases[i].text, rc, (long long)v);
    }
}

/* ---- mutations ------------------------------------------------------------ */

/* Random edits of a real token and of JSON, fed through every decoding
 * step; the sanitizers are the oracle (and no step may accept what an
 * earlier one refused).  Seeded: the same run every time. */
static void
test_mutations(const EVP_MD *sha256)
{
    static const char doc[] =
        "{\"version\":\"v1\",\"policies\":[{\"url\":\"https://t/\\u00e9/**\",\"method\":\"GET\","
        "\"allow\":true,\"query_filter\":{},\"post_filter\":{\"A\":{\"required\":true}}}],"
        "\"exp\":1700000000,\"f\":-1.5e-3,\"n\":null,\"s\":\"\xf0\x9f\x98\x80\"}";
    static const unsigned char alphabet[] = "Aa9-_.=+/ \"\\{}[]:,0eE\x80\xc3\xed\xf4\xff";
    unsigned char buf[sizeof a1_token + sizeof doc + 16];
    uint32_t seed = 20240601;
    unsigned char key[1] = {'k'};
    verifier *ctx = verifier_new(sha256, key, 1);
    recorder r = {.stop_after = -1};
    int survived = 0;

    for (int round = 0; round < 20000; round++) {
        const char *base = round % 2 ? doc : a1_token;
        size_t n = strlen(base);
        memcpy(buf, base, n);
        seed = seed * 1103515245u + 12345u;
        int edits = 1 + (int)((seed >> 16) % 4);
        for (int e = 0; e < edits; e++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = (seed >> 8) % (n + 1);
            unsigned char c = alphabet[(seed >> 4) % (sizeof alphabet - 1)];
            switch ((seed >> 24) % 3) {
            case 0:  /* replace */
                if (at < n) {
                    buf[at] = c;
                }
                break;
            case 1:  /* insert */
                memmove(buf + at + 1, buf + at, n - at);
                buf[at] = c;
                n++;
                break;
            default:  /* delete or truncate */
                if (at < n) {
                    memmove(buf + at, buf + at + 1, n - at - 1);
                    n--;
                }
                break;
            }
        }
        trcap_error_detail d = {NULL, 0, NULL};
        if (round % 2) {
            if (read_json((const char *)buf, n, round % 4 == 1, &r, &d) == TRCAP_OK) {
                survived++;
            }
            continue;
        }
        /* The decoder reads its input through a pointer and a length:
         * copy to an exact-size block so that ASan sees any overread. */
        unsigned char *exact = malloc(n ? n : 1);
        memcpy(exact, buf, n);
        trcap_jws jws;
        size_t size = 0;
        if (trcap_jws_scratch_size(n, &size, &d) == TRCAP_OK) {
            unsigned char *scratch = malloc(size);
            if (trcap_jws_parse(exact, n, scratch, size, &jws, &d) == TRCAP_OK) {
                /* Exact-size copies again, for the JSON reader. */
                unsigned char *h = malloc(jws.header_length + 1);
                memcpy(h, jws.header, jws.header_length);
                (void)trcap_json_read(h, jws.header_length, 1, &recording, &r, &d);
                if (ctx != NULL
                    && verify(ctx, exact, &jws) == TRCAP_OK) {
                    survived++;
                }
                free(h);
            }
            free(scratch);
        }
        free(exact);
    }
    verifier_free(ctx);
    printf("mutation run: %d of 20000 inputs survived\n", survived);
    /* The odd JSON edit (inside a string) leaves valid JSON; no token
     * edit can keep a signature valid under a different key. */
    CHECK(survived > 0 && survived < 10000, "mutation run (%d survivors)", survived);
}

int
main(void)
{
    EVP_MD *sha256 = trcap_sha256_fetch();
    CHECK(sha256 != NULL, "EVP_MD_fetch(SHA256)");
    test_b64url_decode();
    if (sha256 != NULL) {
        test_jws_rfc7515_a1(sha256);
    }
    test_jws_refusals();
    test_json_reader_accepts();
    test_json_reader_refuses();
    test_json_int64();
    if (sha256 != NULL) {
        test_mutations(sha256);
        EVP_MD_free(sha256);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
