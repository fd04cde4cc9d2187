/*
 * Status codes shared by the pure-C core (every src/ file but the module
 * file).  Core functions never raise: they return one of these, and the
 * module file turns it into a Python exception in one place
 * (raise_status() in _core.c).
 */
#ifndef TRCAP_STATUS_H
#define TRCAP_STATUS_H

typedef enum {
    TRCAP_OK = 0,
    TRCAP_ERR_NOMEM,      /* an allocation failed */
    TRCAP_ERR_OVERFLOW,   /* a size or a number does not fit its type */
    TRCAP_ERR_CRYPTO,     /* OpenSSL failed; details are on its error queue */
    TRCAP_ERR_SURROGATE   /* text holds a lone surrogate: not encodable as UTF-8 */
} trcap_status;

#endif
