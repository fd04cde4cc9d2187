/*
 * Errors and argument helpers of the glue: OpenSSL's error queue and the
 * core's statuses as exceptions, a str as the core's text view, and the
 * checks every module function makes of its arguments.
 */
#include "module.h"

#include <string.h>

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
trcap_py_raise_wrong_type(PyObject *name, const char *expected, PyObject *value)
{
    PyObject *type_name = PyType_GetName(Py_TYPE(value));  /* type(value).__name__ */
    if (type_name != NULL) {
        PyErr_Format(PyExc_TypeError, "%U must be %s, not %U", name, expected, type_name);
        Py_DECREF(type_name);
    }
    return -1;
}

int
trcap_py_check_value_and_name(const char *fname, PyObject *const *args, Py_ssize_t nargs)
{
    if (trcap_py_check_nargs(fname, nargs, 2) < 0) {
        return -1;
    }
    return trcap_py_check_name(args[1]);
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

/* ---------------------------------------------------------------------
 * The sid rule (docs/security.md, "Sids"): the one implementation, used by
 * every API generation through check_sid and check_fields, and by
 * Key.mint_each.
 *
 * A sid is a str starting with one of `prefixes` (a non-empty tuple of
 * Twilio's two-letter upper-case type codes: check_prefixes) and holding
 * ASCII letters and digits only.
 *
 * Its errors never show the value.  A value refused here may be a key
 * given to the wrong argument (an auth token is 32 hexadecimal digits, an
 * API secret 32 letters and digits), and a message goes to logs, tracebacks
 * and the command line's stderr.  A message names the argument, what was
 * expected, the value's length and, for a value with the right prefix, the
 * position of the first character the rule refuses: numbers, so that a
 * message stays short whatever the value's length.
 */

/* 1 if `sid` (a str) starts with one of `prefixes` (checked by
 * check_prefixes), else 0.  Reads the str's storage only: no Python code
 * runs, a str subclass included. */
static int
sid_prefixed(PyObject *sid, PyObject *prefixes)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(sid);
    int kind = PyUnicode_KIND(sid);
    const void *data = PyUnicode_DATA(sid);

    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(prefixes); i++) {
        PyObject *prefix = PyTuple_GET_ITEM(prefixes, i);  /* borrowed: the tuple is held */
        Py_ssize_t m = PyUnicode_GET_LENGTH(prefix), j = 0;
        const Py_UCS1 *q = PyUnicode_1BYTE_DATA(prefix);  /* ASCII: check_prefixes */
        while (j < m && j < n && PyUnicode_READ(kind, data, j) == q[j]) {
            j++;
        }
        if (j == m) {
            return 1;
        }
    }
    return 0;
}

/* 1 if `sid` (a str) keeps the rule, else 0.  Runs no Python code: a str
 * subclass is read by its storage, and prefixes are exact strs of ours. */
static int
sid_ok(PyObject *sid, PyObject *prefixes)
{
    Py_ssize_t n = PyUnicode_GET_LENGTH(sid);
    const Py_UCS1 *p;

    if (n == 0 || !PyUnicode_IS_ASCII(sid)) {
        return 0;
    }
    p = PyUnicode_1BYTE_DATA(sid);
    /* Branch-free over the whole sid, so that compilers can vectorise it
     * (GCC does at -O3, CPython's default for extensions): a byte is a
     * digit, or a letter once folded to lower case (c | 0x20; unsigned
     * subtraction makes each range one comparison). */
    unsigned char bad = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        bad |= (unsigned char)(((unsigned char)(c - '0') > 9)
                               & ((unsigned char)((c | 0x20) - 'a') > 25));
    }
    return !bad && sid_prefixed(sid, prefixes);
}

/* Raises the error for `value` (a str that breaks the rule, perhaps a
 * subclass: only its storage is read), naming `name` (a str): empty, then a
 * wrong prefix, then another character, as docs/security.md lists them.
 * The value itself is never part of the message (above).  Always returns
 * -1. */
static int
sid_raise(PyObject *value, PyObject *name, PyObject *prefixes)
{
    PyObject *reprs = NULL, *sep = NULL, *expected = NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(value), count = PyTuple_GET_SIZE(prefixes), bad = 0;
    int kind = PyUnicode_KIND(value);
    const void *data = PyUnicode_DATA(value);

    if (n == 0) {
        PyErr_Format(PyExc_ValueError, "%U must not be empty", name);
        goto error;
    }
    if (!sid_prefixed(value, prefixes)) {
        /* " or ".join(repr(p) for p in prefixes): exact strs of two
         * letters (check_prefixes), so their reprs run no user code. */
        reprs = PyList_New(count);
        for (Py_ssize_t i = 0; reprs != NULL && i < count; i++) {
            PyObject *r = PyObject_Repr(PyTuple_GET_ITEM(prefixes, i));
            if (r == NULL) {
                goto error;
            }
            PyList_SET_ITEM(reprs, i, r);  /* reference moved to the list */
        }
        sep = reprs == NULL ? NULL : PyUnicode_FromString(" or ");
        expected = sep == NULL ? NULL : PyUnicode_Join(sep, reprs);
        if (expected != NULL) {
            PyErr_Format(PyExc_ValueError,
                         "%U must start with %U, then ASCII letters and digits only "
                         "(a Twilio sid): got %zd character%s (value not shown)",
                         name, expected, n, n == 1 ? "" : "s");
        }
        goto error;
    }
    /* The first character that is not an ASCII letter or digit: there is
     * one, since the prefix matched and sid_ok failed. */
    while (bad < n) {
        Py_UCS4 c = PyUnicode_READ(kind, data, bad);
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
            break;
        }
        bad++;
    }
    PyErr_Format(PyExc_ValueError,
                 "%U must hold ASCII letters and digits only (a Twilio sid): character %zd "
                 "of %zd is not one (value not shown)",
                 name, bad + 1, n);

error:
    Py_XDECREF(reprs);
    Py_XDECREF(sep);
    Py_XDECREF(expected);
    return -1;
}

PyObject *
trcap_py_sid_of(PyObject *value, PyObject *name, PyObject *prefixes)
{
    if (!PyUnicode_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%U must be str, not %.100s", name, Py_TYPE(value)->tp_name);
        return NULL;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(value) < 0) {
        return NULL;
    }
#endif
    if (!sid_ok(value, prefixes)) {
        (void)sid_raise(value, name, prefixes);
        return NULL;
    }
    /* An exact str copy of a subclass (its methods never run), the same
     * object for an exact str. */
    return PyUnicode_Substring(value, 0, PyUnicode_GET_LENGTH(value));
}

int
trcap_py_check_sid_item(PyObject *value, const char *name, Py_ssize_t index, PyObject *prefixes)
{
    PyObject *item_name, *sid;

#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_Check(value) && PyUnicode_READY(value) < 0) {
        return -1;
    }
#endif
    if (PyUnicode_Check(value) && sid_ok(value, prefixes)) {
        return 0;
    }
    /* The name is made only for the message. */
    item_name = PyUnicode_FromFormat("%s[%zd]", name, index);
    if (item_name == NULL) {
        return -1;
    }
    sid = trcap_py_sid_of(value, item_name, prefixes);  /* raises */
    Py_XDECREF(sid);
    Py_DECREF(item_name);
    return -1;
}

const char trcap_py_check_sid_doc[] = PyDoc_STR(
"check_sid(value, name, prefixes, /)\n--\n\n"
"`value` as a sid, an exact str, or the error naming `name`: the one sid\n"
"rule of every API generation (docs/security.md, \"Sids\").  A sid is a\n"
"str starting with one of `prefixes` (a non-empty tuple of two-letter\n"
"upper-case str, Twilio's type codes) and holding ASCII letters and digits\n"
"only.  A str subclass is copied by value, none of its methods run.\n"
"TypeError for a value that is not a str; ValueError for an empty sid,\n"
"another prefix, or any other character (/, ., %, whitespace, non-ASCII\n"
"...: each could make a policy URL name another resource, so it is\n"
"refused rather than escaped).  No message shows the value: it may be a\n"
"key given to the wrong argument.");

int
trcap_py_check_prefixes(PyObject *prefixes)
{
    if (!PyTuple_CheckExact(prefixes)) {
        PyErr_Format(PyExc_TypeError, "prefixes must be a tuple, not %.100s",
                     Py_TYPE(prefixes)->tp_name);
        return -1;
    }
    if (PyTuple_GET_SIZE(prefixes) == 0) {
        PyErr_SetString(PyExc_ValueError, "prefixes must not be empty: every sid has a prefix");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(prefixes); i++) {
        PyObject *prefix = PyTuple_GET_ITEM(prefixes, i);  /* borrowed: the tuple is held */
        const Py_UCS1 *q;
        if (!PyUnicode_CheckExact(prefix)) {
            PyErr_SetString(PyExc_TypeError, "prefixes must hold str only");
            return -1;
        }
#if PY_VERSION_HEX < 0x030C0000
        if (PyUnicode_READY(prefix) < 0) {
            return -1;
        }
#endif
        q = PyUnicode_1BYTE_DATA(prefix);
        if (PyUnicode_GET_LENGTH(prefix) != 2 || !PyUnicode_IS_ASCII(prefix)
            || q[0] < 'A' || q[0] > 'Z' || q[1] < 'A' || q[1] > 'Z') {
            PyErr_SetString(PyExc_ValueError,
                            "a prefix must be two upper-case ASCII letters (a Twilio sid's type)");
            return -1;
        }
    }
    return 0;
}

int
trcap_py_check_name(PyObject *name)
{
    if (!PyUnicode_CheckExact(name)) {
        PyErr_Format(PyExc_TypeError, "name must be str, not %.100s", Py_TYPE(name)->tp_name);
        return -1;
    }
    return 0;
}

PyObject *
trcap_py_check_sid(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (trcap_py_check_nargs("check_sid", nargs, 3) < 0 || trcap_py_check_name(args[1]) < 0
        || trcap_py_check_prefixes(args[2]) < 0) {
        return NULL;
    }
    return trcap_py_sid_of(args[0], args[1], args[2]);
}

/* The text rule: `value` as a non-empty exact str, or NULL with the error
 * naming `name`.  New reference. */
static PyObject *
text_of_value(PyObject *value, PyObject *name)
{
    if (!PyUnicode_Check(value)) {
        (void)trcap_py_raise_wrong_type(name, "str", value);
        return NULL;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(value) < 0) {
        return NULL;
    }
#endif
    if (PyUnicode_GET_LENGTH(value) == 0) {
        PyErr_Format(PyExc_ValueError, "%U must not be empty", name);
        return NULL;
    }
    /* The same object for an exact str; for a subclass, an exact copy of
     * its characters. */
    return PyUnicode_Substring(value, 0, PyUnicode_GET_LENGTH(value));
}

const char trcap_py_check_text_doc[] = PyDoc_STR(
"check_text(value, name, /)\n--\n\n"
"`value` as a non-empty exact str (a subclass copied by value: none of its\n"
"methods runs), else a TypeError (not a str) or ValueError (empty) naming\n"
"`name`: the rule of every text argument that is not a sid (versions,\n"
"URLs).");

PyObject *
trcap_py_check_text(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (trcap_py_check_value_and_name("check_text", args, nargs) < 0) {
        return NULL;
    }
    return text_of_value(args[0], args[1]);
}

const char trcap_py_check_fields_doc[] = PyDoc_STR(
"check_fields(rules, *values)\n--\n\n"
"`values` as a tuple of exact strs, each checked by its rule in `rules`\n"
"(a tuple, one rule per value): (name, prefixes) is the sid rule with\n"
"those prefixes (check_sid), (name, None) the text rule (check_text).\n"
"The first value that breaks its rule raises that rule's error, naming\n"
"it.  One call for a constructor's arguments.");

PyObject *
trcap_py_fields_of(PyObject *rules, PyObject *const *values, Py_ssize_t count)
{
    PyObject *fields = NULL;

    if (!PyTuple_CheckExact(rules) || PyTuple_GET_SIZE(rules) != count) {
        PyErr_Format(PyExc_TypeError, "rules must be a tuple of %zd rules, one per value", count);
        goto error;
    }
    fields = PyTuple_New(count);
    if (fields == NULL) {
        goto error;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *rule = PyTuple_GET_ITEM(rules, i), *name, *prefixes, *field;  /* borrowed */
        if (!PyTuple_CheckExact(rule) || PyTuple_GET_SIZE(rule) != 2) {
            PyErr_SetString(PyExc_TypeError, "a rule must be a (name, prefixes) tuple");
            goto error;
        }
        name = PyTuple_GET_ITEM(rule, 0);
        prefixes = PyTuple_GET_ITEM(rule, 1);
        if (trcap_py_check_name(name) < 0 || (prefixes != Py_None && trcap_py_check_prefixes(prefixes) < 0)) {
            goto error;
        }
        field = prefixes == Py_None ? text_of_value(values[i], name)
                                    : trcap_py_sid_of(values[i], name, prefixes);
        if (field == NULL) {
            goto error;
        }
        PyTuple_SET_ITEM(fields, i, field);  /* reference moved to the tuple */
    }
    return fields;

error:
    Py_XDECREF(fields);
    return NULL;
}

PyObject *
trcap_py_check_fields(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 1) {
        PyErr_SetString(PyExc_TypeError, "check_fields() needs its rules");
        return NULL;
    }
    return trcap_py_fields_of(args[0], args + 1, nargs - 1);
}
