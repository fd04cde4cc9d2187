/*
 * A strict JSON reader (RFC 8259) for the header and payload of a token.
 *
 * It validates the whole text and reports what it reads to a handler, in
 * document order (SAX style); the handler builds whatever it likes (the
 * decoder's glue, src/glue/decoder.c, builds Python objects).  Stricter than Python's json.loads,
 * on purpose:
 *   - the text must be UTF-8 (RFC 8259 section 8.1): no byte order mark, no
 *     UTF-16 or UTF-32, no overlong forms, no encoded surrogates
 *     (RFC 3629 section 3), nothing above U+10FFFF;
 *   - NaN, Infinity and -Infinity are not JSON (section 6) and are refused;
 *   - nesting deeper than TRCAP_JSON_MAX_DEPTH is refused;
 *   - `top_object` asks for an object at the top (RFC 7515 section 4 and
 *     RFC 7519 section 7.2 make header and claims objects).
 * Duplicate member names are reported as they come; refusing them is the
 * handler's choice (src/glue/decoder.c refuses them, see docs/decoding.md).
 *
 * A \u escape of a lone surrogate is accepted, as json.loads accepts it
 * and as json.dumps (and our JSON writer) writes it for a str holding one:
 * RFC 8259 section 8.2 leaves its meaning to the reader, and refusing it
 * would refuse tokens minted from such a str.  trcap_json_unescape writes
 * it as the three bytes UTF-8 would use were it allowed (Python's
 * "surrogatepass" form); raw UTF-8 bytes of a surrogate stay invalid.
 */
#ifndef TRCAP_JSON_READER_H
#define TRCAP_JSON_READER_H

#include <stddef.h>
#include <stdint.h>

#include "trcap_status.h"

/* Objects and arrays nested deeper than this are refused.  Capability
 * tokens nest four levels (claims, policies, a policy, a filter). */
#define TRCAP_JSON_MAX_DEPTH 64

/* A string as it stands in the text, between its quotes (already
 * validated).  `escaped`: it holds backslash escapes, so
 * trcap_json_unescape must turn it into UTF-8; otherwise `bytes` is
 * already its UTF-8.  `ascii`: no byte above 0x7F (and no escape). */
typedef struct {
    const unsigned char *bytes;
    size_t length;
    int escaped;
    int ascii;
} trcap_json_string;

typedef enum {
    TRCAP_JSON_NULL,
    TRCAP_JSON_FALSE,
    TRCAP_JSON_TRUE
} trcap_json_literal;

/* Each callback returns 0 to go on, -1 to stop the parse (which then
 * returns TRCAP_ERR_HANDLER).  A member's name comes through `key`, its
 * value through the value callbacks right after. */
typedef struct {
    int (*begin_object)(void *ctx);
    int (*end_object)(void *ctx);
    int (*begin_array)(void *ctx);
    int (*end_array)(void *ctx);
    int (*key)(void *ctx, const trcap_json_string *s);
    int (*string)(void *ctx, const trcap_json_string *s);
    /* `text` is the number as written (RFC 8259 section 6 grammar);
     * `integer`: no fraction and no exponent. */
    int (*number)(void *ctx, const unsigned char *text, size_t length, int integer);
    int (*literal)(void *ctx, trcap_json_literal which);
} trcap_json_handler;

/* Reads the JSON text of `n` bytes at `p`.  TRCAP_ERR_MALFORMED with the
 * reason and byte offset in `detail`; TRCAP_ERR_HANDLER if a callback
 * stopped it. */
trcap_status trcap_json_read(const unsigned char *p, size_t n, int top_object,
                             const trcap_json_handler *handler, void *ctx,
                             trcap_error_detail *detail);

/* Writes the UTF-8 of an escaped string (from trcap_json_read, so known to
 * be valid) to `out`, which has room for s->length bytes: an escape never
 * takes fewer bytes than the UTF-8 it stands for.  A lone surrogate comes
 * out in the "surrogatepass" form (above).  Returns the end. */
unsigned char *trcap_json_unescape(unsigned char *out, const trcap_json_string *s);

/* The value of an integer as written in JSON, if it fits an int64_t
 * (0 returned); -1 when it does not (the caller uses a bignum). */
int trcap_json_int64(const unsigned char *text, size_t length, int64_t *value);

#endif
