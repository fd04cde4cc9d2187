/*
 * JSON output equal, byte for byte, to Python's json.dumps with its
 * defaults (ensure_ascii=True) and separators=(",", ":"), which is what
 * PyJWT signs.  The escaping rules are those of CPython's
 * Modules/_json.c ascii_escape_unichar():
 *   - printable ASCII other than '"' and '\\' is written as is ('/' too);
 *   - '"' '\\' '\b' '\f' '\n' '\r' '\t' get their two-character escapes;
 *   - every other code point below U+10000 is \uXXXX with lower-case hex
 *     (control characters, DEL, all non-ASCII, lone surrogates);
 *   - a code point above U+FFFF is its UTF-16 surrogate pair, two \uXXXX.
 * The output is therefore pure ASCII, whatever the input.
 */
#ifndef TRCAP_JSON_WRITER_H
#define TRCAP_JSON_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "text.h"
#include "trcap_status.h"

/* True when `t` is 1-byte text that every character of which is written as
 * itself (printable ASCII but '"' and '\\'): its literal is then the text
 * between two quotes. */
int trcap_json_string_is_plain(const trcap_text *t);

/* Bytes of the JSON string literal for `t`, quotes included.
 * TRCAP_ERR_OVERFLOW if that does not fit a size_t. */
trcap_status trcap_json_string_size(const trcap_text *t, size_t *size);

/* Writes the literal measured by trcap_json_string_size; returns its end. */
unsigned char *trcap_json_string_write(unsigned char *out, const trcap_text *t);

/* The longest decimal form of an int64_t: "-9223372036854775808". */
#define TRCAP_INT64_MAX_DIGITS 20

/* Characters of `v` in decimal: its digits, and '-' if negative. */
size_t trcap_int64_length(int64_t v);

/* Writes `v` in decimal, as json.dumps writes an int (the
 * trcap_int64_length characters); returns the end. */
unsigned char *trcap_int64_write(unsigned char *out, int64_t v);

#endif
