#include <stdint.h>
#include <string.h>

#include "json_reader.h"

typedef struct {
    const unsigned char *start;  /* for offsets in error details */
    const unsigned char *p;      /* next byte to read */
    const unsigned char *end;
    const trcap_json_handler *handler;
    void *ctx;
    trcap_error_detail *detail;
} reader;

static trcap_status
fail(reader *r, const unsigned char *at, const char *reason)
{
    r->detail->reason = reason;
    r->detail->offset = (size_t)(at - r->start);
    return TRCAP_ERR_MALFORMED;
}

/* RFC 8259 section 2: the four insignificant whitespace bytes. */
static void
skip_whitespace(reader *r)
{
    while (r->p < r->end
           && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) {
        r->p++;
    }
}

/* What a byte means inside a string. */
enum {
    PLAIN = 0,   /* printable ASCII other than '"' and '\\' */
    QUOTE,
    BACKSLASH,
    CONTROL,     /* U+0000..U+001F: must be escaped (RFC 8259 section 7) */
    LEAD2,       /* C2..DF: a two-byte sequence */
    LEAD3,       /* E0..EF */
    LEAD4,       /* F0..F4 */
    INVALID      /* 80..C1, F5..FF: never the first byte of UTF-8 */
};

static unsigned char
string_class(unsigned char c)
{
    if (c < 0x20) {
        return CONTROL;
    }
    if (c < 0x80) {
        return c == '"' ? QUOTE : c == '\\' ? BACKSLASH : PLAIN;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        return LEAD2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        return LEAD3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        return LEAD4;
    }
    return INVALID;
}

/* 1 for the bytes that end a run of plain string text: '"', '\\',
 * control characters and every non-ASCII byte. */
static const unsigned char stops_plain_run[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static int
hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* The code unit of the four hex digits at p; -1 if they are not hex
 * digits (the caller checked that four bytes are there). */
static int32_t
read_hex4(const unsigned char *p)
{
    int32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_value(p[i]);
        if (d < 0) {
            return -1;
        }
        v = (v << 4) | d;
    }
    return v;
}

static int
is_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* The bytes of one UTF-8 sequence starting with `lead` (class LEAD2..4) at
 * p; 0 if it is not well-formed (RFC 3629 section 4: the ranges of the
 * second byte rule out overlong forms, surrogates and > U+10FFFF). */
static size_t
utf8_sequence(const unsigned char *p, const unsigned char *end, unsigned char cls)
{
    size_t need = cls == LEAD2 ? 2 : cls == LEAD3 ? 3 : 4;
    unsigned char lo = 0x80, hi = 0xBF;

    if ((size_t)(end - p) < need) {
        return 0;
    }
    switch (p[0]) {
    case 0xE0: lo = 0xA0; break;  /* overlong below U+0800 */
    case 0xED: hi = 0x9F; break;  /* U+D800..U+DFFF */
    case 0xF0: lo = 0x90; break;  /* overlong below U+10000 */
    case 0xF4: hi = 0x8F; break;  /* above U+10FFFF */
    default: break;
    }
    if (p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < need; i++) {
        if (!is_continuation(p[i])) {
            return 0;
        }
    }
    return need;
}

/* r->p is at the opening quote.  Leaves r->p after the closing quote. */
static trcap_status
read_string(reader *r, trcap_json_string *s)
{
    const unsigned char *p = r->p + 1, *end = r->end;

    s->bytes = p;
    s->escaped = 0;
    s->ascii = 1;
    for (;;) {
        while (p < end && !stops_plain_run[*p]) {
            p++;  /* most of a token's text */
        }
        if (p == end) {
            return fail(r, r->p, "a string is not terminated");
        }
        switch (string_class(*p)) {
        case QUOTE:
            s->length = (size_t)(p - s->bytes);
            r->p = p + 1;
            return TRCAP_OK;
        case BACKSLASH:
            s->escaped = 1;
            s->ascii = 0;
            if (end - p < 2) {
                return fail(r, p, "a string is not terminated");
            }
            switch (p[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p += 2;
                break;
            case 'u': {
                int32_t unit = end - p >= 6 ? read_hex4(p + 2) : -1;
                if (unit < 0) {
                    return fail(r, p, "a \\u escape needs four hex digits");
                }
                p += 6;
                break;
            }
            default:
                return fail(r, p, "an unknown escape in a string");
            }
            break;
        case CONTROL:
            return fail(r, p, "a control character in a string must be escaped");
        case INVALID:
            return fail(r, p, "invalid UTF-8");
        default: {  /* LEAD2, LEAD3, LEAD4 */
            size_t n = utf8_sequence(p, end, string_class(*p));
            if (n == 0) {
                return fail(r, p, "invalid UTF-8");
            }
            s->ascii = 0;
            p += n;
            break;
        }
        }
    }
}

static int
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* RFC 8259 section 6: [ minus ] int [ frac ] [ exp ]. */
static trcap_status
read_number(reader *r)
{
    const unsigned char *start = r->p, *p = r->p, *end = r->end;
    int integer = 1;

    if (*p == '-') {
        p++;
    }
    if (p == end || !is_digit(*p)) {
        return fail(r, start, "a number needs a digit after '-'");
    }
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p)) {
            return fail(r, start, "a number has a leading zero");
        }
    }
    else {
        while (p < end && is_digit(*p)) {
            p++;
        }
    }
    if (p < end && *p == '.') {
        integer = 0;
        p++;
        if (p == end || !is_digit(*p)) {
            return fail(r, p, "a number needs a digit after '.'");
        }
        while (p < end && is_digit(*p)) {
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integer = 0;
        p++;
        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p == end || !is_digit(*p)) {
            return fail(r, p, "a number needs a digit in its exponent");
        }
        while (p < end && is_digit(*p)) {
            p++;
        }
    }
    r->p = p;
    if (r->handler->number(r->ctx, start, (size_t)(p - start), integer) < 0) {
        return TRCAP_ERR_HANDLER;
    }
    return TRCAP_OK;
}

static trcap_status
read_literal(reader *r)
{
    static const struct {
        const char *text;
        size_t length;
        trcap_json_literal which;
    } literals[] = {
        {"null", 4, TRCAP_JSON_NULL},
        {"false", 5, TRCAP_JSON_FALSE},
        {"true", 4, TRCAP_JSON_TRUE},
    };
    for (size_t i = 0; i < sizeof literals / sizeof literals[0]; i++) {
        size_t n = literals[i].length;
        if ((size_t)(r->end - r->p) >= n && memcmp(r->p, literals[i].text, n) == 0) {
            r->p += n;
            return r->handler->literal(r->ctx, literals[i].which) < 0 ? TRCAP_ERR_HANDLER
                                                                      : TRCAP_OK;
        }
    }
    /* Python's json also reads NaN, Infinity and -Infinity; JSON has no
     * such values (RFC 8259 section 6). */
    return fail(r, r->p, "expected a JSON value");
}

static trcap_status read_value(reader *r, int depth);

/* Objects and arrays share their punctuation: an opening byte (at r->p),
 * items separated by ',', a closing byte. */
typedef struct {
    int (*begin)(void *ctx);
    int (*end)(void *ctx);
    unsigned char close;
    const char *expected;  /* the refusal when neither ',' nor `close` follows an item */
} container;

/* Opens a container; *empty is set when it closes at once. */
static trcap_status
open_container(reader *r, const container *c, int *empty)
{
    if (c->begin(r->ctx) < 0) {
        return TRCAP_ERR_HANDLER;
    }
    r->p++;
    skip_whitespace(r);
    *empty = r->p < r->end && *r->p == c->close;
    if (*empty) {
        r->p++;
        return c->end(r->ctx) < 0 ? TRCAP_ERR_HANDLER : TRCAP_OK;
    }
    return TRCAP_OK;
}

/* After an item: ',' (*more set) or the closing byte, else refused. */
static trcap_status
after_item(reader *r, const container *c, int *more)
{
    skip_whitespace(r);
    *more = r->p < r->end && *r->p == ',';
    if (*more) {
        r->p++;
        skip_whitespace(r);
        return TRCAP_OK;
    }
    if (r->p < r->end && *r->p == c->close) {
        r->p++;
        return c->end(r->ctx) < 0 ? TRCAP_ERR_HANDLER : TRCAP_OK;
    }
    return fail(r, r->p, c->expected);
}

static trcap_status
read_object(reader *r, int depth)
{
    const container c = {r->handler->begin_object, r->handler->end_object, '}',
                         "expected ',' or '}' in an object"};
    trcap_json_string name;
    int done, more = 1;
    trcap_status st = open_container(r, &c, &done);

    while (st == TRCAP_OK && !done && more) {
        if (r->p == r->end || *r->p != '"') {
            return fail(r, r->p, "expected a member name in double quotes");
        }
        st = read_string(r, &name);
        if (st != TRCAP_OK) {
            return st;
        }
        if (r->handler->key(r->ctx, &name) < 0) {
            return TRCAP_ERR_HANDLER;
        }
        skip_whitespace(r);
        if (r->p == r->end || *r->p != ':') {
            return fail(r, r->p, "expected ':' after a member name");
        }
        r->p++;
        skip_whitespace(r);
        st = read_value(r, depth);
        if (st == TRCAP_OK) {
            st = after_item(r, &c, &more);
        }
    }
    return st;
}

static trcap_status
read_array(reader *r, int depth)
{
    const container c = {r->handler->begin_array, r->handler->end_array, ']',
                         "expected ',' or ']' in an array"};
    int done, more = 1;
    trcap_status st = open_container(r, &c, &done);

    while (st == TRCAP_OK && !done && more) {
        st = read_value(r, depth);
        if (st == TRCAP_OK) {
            st = after_item(r, &c, &more);
        }
    }
    return st;
}

/* `depth`: how many objects and arrays enclose this value. */
static trcap_status
read_value(reader *r, int depth)
{
    trcap_json_string s;
    trcap_status st;

    if (r->p == r->end) {
        return fail(r, r->p, "expected a JSON value");
    }
    switch (*r->p) {
    case '{':
    case '[':
        if (depth >= TRCAP_JSON_MAX_DEPTH) {
            return fail(r, r->p, "JSON nested too deeply");
        }
        return *r->p == '{' ? read_object(r, depth + 1) : read_array(r, depth + 1);
    case '"':
        st = read_string(r, &s);
        if (st == TRCAP_OK && r->handler->string(r->ctx, &s) < 0) {
            st = TRCAP_ERR_HANDLER;
        }
        return st;
    case '-': case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return read_number(r);
    default:
        return read_literal(r);
    }
}

trcap_status
trcap_json_read(const unsigned char *p, size_t n, int top_object,
                const trcap_json_handler *handler, void *ctx, trcap_error_detail *detail)
{
    reader r = {p, p, p + n, handler, ctx, detail};
    trcap_status st;

    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) {
        /* RFC 8259 section 8.1: no byte order mark. */
        return fail(&r, p, "a byte order mark before the JSON text");
    }
    skip_whitespace(&r);
    if (top_object && (r.p == r.end || *r.p != '{')) {
        return fail(&r, r.p, "the JSON text is not an object");
    }
    st = read_value(&r, 0);
    if (st != TRCAP_OK) {
        return st;
    }
    skip_whitespace(&r);
    if (r.p != r.end) {
        return fail(&r, r.p, "extra data after the JSON text");
    }
    return TRCAP_OK;
}

/* ---- values ------------------------------------------------------------- */

static unsigned char *
utf8_put(unsigned char *out, uint32_t cp)
{
    if (cp < 0x80) {
        *out++ = (unsigned char)cp;
    }
    else if (cp < 0x800) {
        *out++ = (unsigned char)(0xC0 | (cp >> 6));
        *out++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    else if (cp < 0x10000) {
        *out++ = (unsigned char)(0xE0 | (cp >> 12));
        *out++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *out++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    else {
        *out++ = (unsigned char)(0xF0 | (cp >> 18));
        *out++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *out++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *out++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    return out;
}

unsigned char *
trcap_json_unescape(unsigned char *out, const trcap_json_string *s)
{
    const unsigned char *p = s->bytes, *end = s->bytes + s->length;

    while (p < end) {
        if (*p != '\\') {
            *out++ = *p++;
            continue;
        }
        switch (p[1]) {
        case 'b': *out++ = '\b'; p += 2; break;
        case 'f': *out++ = '\f'; p += 2; break;
        case 'n': *out++ = '\n'; p += 2; break;
        case 'r': *out++ = '\r'; p += 2; break;
        case 't': *out++ = '\t'; p += 2; break;
        case 'u': {
            uint32_t cp = (uint32_t)read_hex4(p + 2);
            p += 6;
            /* A high surrogate followed by a low one is one code point
             * (RFC 8259 section 7); any other surrogate stays alone. */
            if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                uint32_t low = (uint32_t)read_hex4(p + 2);
                if (low >= 0xDC00 && low <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    p += 6;
                }
            }
            out = utf8_put(out, cp);
            break;
        }
        default:  /* '"', '\\', '/' */
            *out++ = p[1];
            p += 2;
            break;
        }
    }
    return out;
}

int
trcap_json_int64(const unsigned char *text, size_t length, int64_t *value)
{
    const unsigned char *p = text, *end = text + length;
    int negative = 0;
    uint64_t v = 0;

    if (p < end && *p == '-') {
        negative = 1;
        p++;
    }
    /* 18 digits always fit; longer numbers take the bignum path. */
    if (end - p > 18) {
        return -1;
    }
    while (p < end) {
        v = v * 10 + (uint64_t)(*p++ - '0');
    }
    *value = negative ? -(int64_t)v : (int64_t)v;
    return 0;
}
