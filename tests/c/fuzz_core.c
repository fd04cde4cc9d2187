/*
 * libFuzzer harness for the pure-C core's writers:
 *   - the JSON string writer: measured size equals bytes written, the output
 *     is printable ASCII in quotes, and unescaping it gives back the input's
 *     code points (a code point above U+FFFF as its surrogate pair);
 *   - the streaming base64url encoder: any split of the input encodes to
 *     what the one-shot encoder writes;
 *   - the UTF-8 writer: measured size equals bytes written.
 * Build: clang -fsanitize=fuzzer,address,undefined -Isrc/core tests/c/fuzz_core.c
 *        src/core/{base64url,json_writer,text}.c
 * .ci/run builds it with clang and runs it for a bounded number of inputs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64url.h"
#include "json_writer.h"
#include "text.h"

#define REQUIRE(cond) do { if (!(cond)) { abort(); } } while (0)

static int
hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    abort();  /* upper-case or other: json.dumps writes lower-case hex */
}

/* Checks `out` is the JSON literal of `t`, unit by unit. */
static void
check_unescapes_to(const unsigned char *out, size_t n, const trcap_text *t)
{
    REQUIRE(n >= 2 && out[0] == '"' && out[n - 1] == '"');
    size_t i = 1, k = 0;
    uint32_t pending_high = 0;  /* a high surrogate waiting for its low half */
    while (i < n - 1) {
        uint32_t unit;
        REQUIRE(out[i] >= 0x20 && out[i] <= 0x7E);
        if (out[i] != '\\') {
            REQUIRE(out[i] != '"');
            unit = out[i++];
        }
        else {
            unsigned char e = out[i + 1];
            i += 2;
            switch (e) {
            case '"': unit = '"'; break;
            case '\\': unit = '\\'; break;
            case 'b': unit = '\b'; break;
            case 'f': unit = '\f'; break;
            case 'n': unit = '\n'; break;
            case 'r': unit = '\r'; break;
            case 't': unit = '\t'; break;
            case 'u':
                unit = (uint32_t)(hexval(out[i]) << 12 | hexval(out[i + 1]) << 8
                                  | hexval(out[i + 2]) << 4 | hexval(out[i + 3]));
                i += 4;
                break;
            default: abort();
            }
        }
        REQUIRE(k < t->length);
        uint32_t want = trcap_text_at(t, k);
        if (want > 0xFFFF) {
            if (!pending_high) {
                REQUIRE(unit == (0xD800 | ((want - 0x10000) >> 10)));
                pending_high = unit;
                continue;
            }
            REQUIRE(unit == (0xDC00 | ((want - 0x10000) & 0x3FF)));
            pending_high = 0;
        }
        else {
            REQUIRE(unit == want);
        }
        k++;
    }
    REQUIRE(k == t->length && !pending_high);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3) {
        return 0;
    }
    int width = (data[0] % 3 == 0) ? 1 : (data[0] % 3 == 1) ? 2 : 4;
    size_t cut_a = data[1], cut_b = data[2];
    data += 3;
    size -= 3;

    /* Code units of the chosen width; 4-byte units are kept to Unicode's
     * range, as a Python str's are. */
    size_t count = size / (size_t)width;
    void *units = malloc(count * (size_t)width + 1);
    REQUIRE(units != NULL);
    memcpy(units, data, count * (size_t)width);
    if (width == 4) {
        for (size_t i = 0; i < count; i++) {
            ((uint32_t *)units)[i] %= 0x110000;
        }
    }
    trcap_text t = {units, count, width};

    size_t json_size = 0;
    REQUIRE(trcap_json_string_size(&t, &json_size) == TRCAP_OK);
    unsigned char *json = malloc(json_size);
    REQUIRE(json != NULL);
    REQUIRE((size_t)(trcap_json_string_write(json, &t) - json) == json_size);
    check_unescapes_to(json, json_size, &t);
    free(json);

    size_t utf8_size = 0;
    if (trcap_utf8_size(&t, &utf8_size) == TRCAP_OK) {
        unsigned char *utf8 = malloc(utf8_size + 1);
        REQUIRE(utf8 != NULL);
        REQUIRE((size_t)(trcap_utf8_write(utf8, &t) - utf8) == utf8_size);
        free(utf8);
    }
    free(units);

    size_t b64_size = 0;
    REQUIRE(trcap_b64url_size(size, &b64_size) == TRCAP_OK);
    unsigned char *whole = malloc(b64_size + 1), *pieces = malloc(b64_size + 1);
    REQUIRE(whole != NULL && pieces != NULL);
    REQUIRE((size_t)(trcap_b64url_encode(whole, data, size) - whole) == b64_size);
    size_t a = size ? cut_a % (size + 1) : 0;
    size_t b = size ? a + cut_b % (size - a + 1) : 0;
    trcap_b64url_stream s = TRCAP_B64URL_STREAM_INIT;
    unsigned char *p = pieces;
    p = trcap_b64url_stream_feed(&s, p, data, a);
    p = trcap_b64url_stream_feed(&s, p, data + a, b - a);
    p = trcap_b64url_stream_feed(&s, p, data + b, size - b);
    p = trcap_b64url_stream_finish(&s, p);
    REQUIRE((size_t)(p - pieces) == b64_size && memcmp(whole, pieces, b64_size) == 0);
    free(whole);
    free(pieces);
    return 0;
}
