/*
 * Status codes shared by the pure-C core (src/core/).  Core functions never
 * raise: they return one of these, and the glue (src/glue/) turns it into a
 * Python exception: trcap_py_raise_status() in errors.c for every status
 * but the decoder's TRCAP_ERR_MALFORMED and TRCAP_ERR_SIGNATURE, which
 * decoder.c raises as the package's MalformedTokenError and
 * InvalidSignatureError (docs/design.md, "Errors").
 */
#ifndef TRCAP_STATUS_H
#define TRCAP_STATUS_H

typedef enum {
    TRCAP_OK = 0,
    TRCAP_ERR_NOMEM,      /* an allocation failed */
    TRCAP_ERR_OVERFLOW,   /* a size or a number does not fit its type */
    TRCAP_ERR_CRYPTO,     /* OpenSSL failed; details are on its error queue */
    TRCAP_ERR_SURROGATE,  /* text holds a lone surrogate: not encodable as UTF-8 */
    TRCAP_ERR_MALFORMED,  /* input breaks its format; a trcap_error_detail says how */
    TRCAP_ERR_SIGNATURE,  /* a MAC does not match the signature a token carries */
    TRCAP_ERR_HANDLER     /* a caller's callback stopped the work; its error stands */
} trcap_status;

#include <stddef.h>

/* Why and where input was refused (with TRCAP_ERR_MALFORMED): `reason` is
 * static text, `offset` a byte offset in the input the outermost function
 * was given, `part` (static text or NULL) the piece of it at fault, set by
 * functions that read input in pieces (a token's segments). */
typedef struct {
    const char *reason;
    size_t offset;
    const char *part;
} trcap_error_detail;

#endif
