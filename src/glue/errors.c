/*
 * Errors and argument helpers of the glue: OpenSSL's error queue and the
 * core's statuses as exceptions, a str as the core's text view, and the
 * checks every module function makes of its arguments.
 */
#include "module.h"

#include <openssl/err.h>

/* ---------------------------------------------------------------------
 * Errors
 */

/* Raises the error on top of OpenSSL's queue (or a generic one) and
 * clears the queue, so that no stale error is reported by a later call.
 * An allocation that failed inside OpenSSL is a MemoryError, as one that
 * failed in Python would be; anything else is a RuntimeError. */
void
trcap_py_raise_openssl_error(const char *what)
{
    unsigned long code = ERR_peek_last_error();
    const char *reason = code ? ERR_reason_error_string(code) : NULL;
    if (code && ERR_GET_REASON(code) == ERR_R_MALLOC_FAILURE) {
        PyErr_NoMemory();
    }
    else if (reason) {
        PyErr_Format(PyExc_RuntimeError, "%s failed in OpenSSL: %s", what, reason);
    }
    else {
        PyErr_Format(PyExc_RuntimeError, "%s failed in OpenSSL", what);
    }
    ERR_clear_error();
}

/* Turns a core status into an exception, for every status but the
 * decoder's two: TRCAP_ERR_MALFORMED carries a trcap_error_detail and
 * TRCAP_ERR_SIGNATURE a verdict, which decoder.c raises as the package's
 * MalformedTokenError (raise_malformed) and InvalidSignatureError
 * (decode_jws) from the module state.  `what` names the value or the
 * operation for the message. */
void
trcap_py_raise_status(trcap_status st, const char *what)
{
    switch (st) {
    case TRCAP_OK:
        PyErr_SetString(PyExc_SystemError, "raise_status called without an error");
        break;
    case TRCAP_ERR_NOMEM:
        PyErr_NoMemory();
        break;
    case TRCAP_ERR_OVERFLOW:
        PyErr_Format(PyExc_OverflowError, "%s is too large", what);
        break;
    case TRCAP_ERR_CRYPTO:
        trcap_py_raise_openssl_error(what);
        break;
    case TRCAP_ERR_SURROGATE:
        PyErr_Format(PyExc_ValueError,
                     "%s contains a lone surrogate and cannot be encoded as UTF-8",
                     what);
        break;
    /* The decoder raises its own errors for these (raise_malformed and
     * decode_jws); reaching here is a bug in the glue. */
    case TRCAP_ERR_MALFORMED:
    case TRCAP_ERR_SIGNATURE:
        PyErr_Format(PyExc_SystemError, "%s: decoding status %d not handled", what, (int)st);
        break;
    case TRCAP_ERR_HANDLER:
        if (!PyErr_Occurred()) {
            PyErr_Format(PyExc_SystemError, "%s: a handler failed without an error", what);
        }
        break;
    }
}

/* ---------------------------------------------------------------------
 * Python str -> trcap_text (borrowed view of the str's own storage)
 */

int
trcap_py_text_of(PyObject *str, trcap_text *t)
{
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(str) < 0) {
        return -1;
    }
#endif
    t->data = PyUnicode_DATA(str);
    t->length = (size_t)PyUnicode_GET_LENGTH(str);
    t->width = (int)PyUnicode_KIND(str);
    return 0;
}

int
trcap_py_check_nargs(const char *fname, Py_ssize_t nargs, Py_ssize_t expected)
{
    if (nargs != expected) {
        PyErr_Format(PyExc_TypeError, "%s() takes %zd positional arguments (%zd given)",
                     fname, expected, nargs);
        return -1;
    }
    return 0;
}

int
trcap_py_check_str(PyObject *o, const char *name)
{
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be str, not %.100s", name,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    return 0;
}
