/*
 * twilio_trcap._core: the one file of the C core that includes Python.h.
 *
 * It turns Python objects into the byte strings, texts and numbers the
 * pure-C files take (text.h, json_writer.h, token.h, hmac_sha256.h), and
 * their status codes into exceptions (raise_status).  Every public name and
 * docstring a user sees lives in the Python package; this surface is
 * private and kept small:
 *
 *   Minter(key, ...)             a keyed HS256 signer holding a policy list:
 *                                sign(*parts) / mint(*tail) -> str
 *   json_string(text)            the JSON literal of a str, as bytes
 *   json_value(value, name)      JSON of dict/list/str/int/float/bool/None
 *   policy_json(url, method, allow, query_filter, post_filter)
 *   decode_jws(token, key, algorithms) -> (header, claims), verified
 *
 * Multi-phase initialisation (PEP 489) with module state and a heap type:
 * the process holds no mutable global state of ours.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>

#include "buffer.h"
#include "base64url.h"
#include "hmac_sha256.h"
#include "json_reader.h"
#include "json_writer.h"
#include "jws_decode.h"
#include "text.h"
#include "token.h"

#if OPENSSL_VERSION_MAJOR < 3
#error "twilio-trcap needs OpenSSL 3 (Debian: libssl-dev from bookworm or later)"
#endif

/* JSON nesting allowed in a filter value: deep enough for any real
 * filter, shallow enough to stop a self-referencing dict early. */
#define MAX_JSON_DEPTH 32

/* Parts of a payload handled without a heap allocation. */
#define STACK_PARTS 16

static const char default_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

typedef struct {
    EVP_MAC *hmac;              /* fetched once, owned */
    PyTypeObject *minter_type;  /* owned */
    /* twilio_trcap.errors classes the decoder raises, owned */
    PyObject *malformed_error;
    PyObject *signature_error;
    PyObject *algorithm_error;
} module_state;

static struct PyModuleDef core_module;

static inline module_state *
get_state(PyObject *module)
{
    return (module_state *)PyModule_GetState(module);
}

/* ---------------------------------------------------------------------
 * Errors
 */

/* Raises the error on top of OpenSSL's queue (or a generic one) and
 * clears the queue, so that no stale error is reported by a later call. */
static void
raise_openssl_error(const char *what)
{
    unsigned long code = ERR_peek_last_error();
    const char *reason = code ? ERR_reason_error_string(code) : NULL;
    if (reason) {
        PyErr_Format(PyExc_RuntimeError, "%s failed in OpenSSL: %s", what, reason);
    }
    else {
        PyErr_Format(PyExc_RuntimeError, "%s failed in OpenSSL", what);
    }
    ERR_clear_error();
}

/* The one place a core status becomes an exception.  `what` names the
 * value or the operation for the message. */
static void
raise_status(trcap_status st, const char *what)
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
        raise_openssl_error(what);
        break;
    case TRCAP_ERR_SURROGATE:
        PyErr_Format(PyExc_ValueError,
                     "%s contains a lone surrogate and cannot be encoded as UTF-8",
                     what);
        break;
    /* The decoder raises its own errors for these (raise_malformed and
     * decode_jws); reaching here is a bug in the module file. */
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

static int
text_of(PyObject *str, trcap_text *t)
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

/* ---------------------------------------------------------------------
 * JSON of Python values, into a growable buffer
 *
 * Equal to json.dumps(value, separators=(",", ":")) for the types it
 * accepts.  It runs no Python code (no __repr__, no items()), so the value
 * cannot change while it is read.  NaN and infinities are refused: json.dumps
 * would write NaN/Infinity, which is not JSON (RFC 8259 section 6).
 */

static int
append_bytes(trcap_buffer *b, const char *p, size_t n, const char *name)
{
    trcap_status st = trcap_buffer_append(b, p, n);
    if (st != TRCAP_OK) {
        raise_status(st, name);
        return -1;
    }
    return 0;
}

static int
append_json_string(trcap_buffer *b, PyObject *str, const char *name)
{
    trcap_text t;
    size_t size;
    trcap_status st;

    if (text_of(str, &t) < 0) {
        return -1;
    }
    st = trcap_json_string_size(&t, &size);
    if (st == TRCAP_OK) {
        st = trcap_buffer_reserve(b, size);
    }
    if (st != TRCAP_OK) {
        raise_status(st, name);
        return -1;
    }
    b->length = (size_t)(trcap_json_string_write(b->data + b->length, &t) - b->data);
    return 0;
}

/* Appends str(obj) for an int or float already known to be one, as the
 * json module writes it: int.__repr__ / float.__repr__, never a subclass's. */
static int
append_number(trcap_buffer *b, PyObject *o, const char *name)
{
    PyObject *text = NULL;
    char *repr = NULL;
    int rc = -1;

    if (PyLong_Check(o)) {
        text = PyLong_Type.tp_repr(o);
        if (text == NULL) {
            goto error;
        }
        Py_ssize_t n;
        const char *p = PyUnicode_AsUTF8AndSize(text, &n);
        if (p == NULL || append_bytes(b, p, (size_t)n, name) < 0) {
            goto error;
        }
    }
    else {
        double v = PyFloat_AS_DOUBLE(o);
        if (!isfinite(v)) {
            PyErr_Format(PyExc_ValueError,
                         "%s: %R is not a JSON number (NaN and infinities are not allowed)",
                         name, o);
            goto error;
        }
        repr = PyOS_double_to_string(v, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        if (repr == NULL || append_bytes(b, repr, strlen(repr), name) < 0) {
            goto error;
        }
    }
    rc = 0;

error:
    PyMem_Free(repr);
    Py_XDECREF(text);
    return rc;
}

static int
append_json_value(trcap_buffer *b, PyObject *o, const char *name, int depth)
{
    if (depth > MAX_JSON_DEPTH) {
        PyErr_Format(PyExc_ValueError,
                     "%s is nested more than %d levels deep (or contains itself)",
                     name, MAX_JSON_DEPTH);
        return -1;
    }
    if (o == Py_None) {
        return append_bytes(b, "null", 4, name);
    }
    if (o == Py_True) {
        return append_bytes(b, "true", 4, name);
    }
    if (o == Py_False) {
        return append_bytes(b, "false", 5, name);
    }
    if (PyUnicode_Check(o)) {
        return append_json_string(b, o, name);
    }
    if (PyLong_Check(o) || PyFloat_Check(o)) {
        return append_number(b, o, name);
    }
    if (PyDict_Check(o)) {
        Py_ssize_t pos = 0;
        PyObject *key, *value;  /* borrowed from the dict */
        int first = 1;
        if (append_bytes(b, "{", 1, name) < 0) {
            return -1;
        }
        while (PyDict_Next(o, &pos, &key, &value)) {
            if (!PyUnicode_Check(key)) {
                PyErr_Format(PyExc_TypeError, "%s: keys must be str, not %.100s",
                             name, Py_TYPE(key)->tp_name);
                return -1;
            }
            if ((!first && append_bytes(b, ",", 1, name) < 0)
                || append_json_string(b, key, name) < 0
                || append_bytes(b, ":", 1, name) < 0
                || append_json_value(b, value, name, depth + 1) < 0) {
                return -1;
            }
            first = 0;
        }
        return append_bytes(b, "}", 1, name);
    }
    if (PyList_Check(o) || PyTuple_Check(o)) {
        PyObject *seq = o;  /* borrowed */
        if (append_bytes(b, "[", 1, name) < 0) {
            return -1;
        }
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
            if ((i && append_bytes(b, ",", 1, name) < 0)
                || append_json_value(b, PySequence_Fast_GET_ITEM(seq, i), name,
                                     depth + 1) < 0) {
                return -1;
            }
        }
        return append_bytes(b, "]", 1, name);
    }
    PyErr_Format(PyExc_TypeError,
                 "%s must hold only JSON values (dict, list, tuple, str, int, "
                 "float, bool or None), not %.100s",
                 name, Py_TYPE(o)->tp_name);
    return -1;
}

static int
check_nargs(const char *fname, Py_ssize_t nargs, Py_ssize_t expected)
{
    if (nargs != expected) {
        PyErr_Format(PyExc_TypeError, "%s() takes %zd positional arguments (%zd given)",
                     fname, expected, nargs);
        return -1;
    }
    return 0;
}

static int
check_str(PyObject *o, const char *name)
{
    if (!PyUnicode_Check(o)) {
        PyErr_Format(PyExc_TypeError, "%s must be str, not %.100s", name,
                     Py_TYPE(o)->tp_name);
        return -1;
    }
    return 0;
}

static PyObject *
buffer_to_bytes(trcap_buffer *b)
{
    return PyBytes_FromStringAndSize((const char *)b->data, (Py_ssize_t)b->length);
}

/* ---------------------------------------------------------------------
 * Module functions
 */

PyDoc_STRVAR(json_string_doc,
"json_string(text, /)\n--\n\n"
"The JSON string literal of `text` as json.dumps writes it, as bytes.");

static PyObject *
json_string(PyObject *Py_UNUSED(module), PyObject *text)
{
    trcap_buffer b = TRCAP_BUFFER_INIT;
    PyObject *result = NULL;

    if (check_str(text, "text") < 0 || append_json_string(&b, text, "text") < 0) {
        goto error;
    }
    result = buffer_to_bytes(&b);

error:
    trcap_buffer_release(&b);
    return result;
}

PyDoc_STRVAR(json_value_doc,
"json_value(value, name, /)\n--\n\n"
"JSON of a dict, list, tuple, str, int, float, bool or None, as\n"
"json.dumps(value, separators=(',', ':')) writes it, as bytes.  `name`\n"
"is the argument named in error messages.");

static PyObject *
json_value(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    trcap_buffer b = TRCAP_BUFFER_INIT;
    PyObject *result = NULL;
    const char *name;

    if (check_nargs("json_value", nargs, 2) < 0) {
        goto error;
    }
    if (check_str(args[1], "name") < 0) {
        goto error;
    }
    name = PyUnicode_AsUTF8(args[1]);
    if (name == NULL || append_json_value(&b, args[0], name, 0) < 0) {
        goto error;
    }
    result = buffer_to_bytes(&b);

error:
    trcap_buffer_release(&b);
    return result;
}

/* An absent filter (None) is written as {} as in every twilio generation. */
static int
append_filter(trcap_buffer *b, PyObject *filter, const char *name)
{
    if (filter == Py_None) {
        return append_bytes(b, "{}", 2, name);
    }
    if (!PyDict_Check(filter)) {
        PyErr_Format(PyExc_TypeError, "%s must be a dict or None, not %.100s",
                     name, Py_TYPE(filter)->tp_name);
        return -1;
    }
    return append_json_value(b, filter, name, 1);
}

PyDoc_STRVAR(policy_json_doc,
"policy_json(url, method, allow, query_filter, post_filter, /)\n--\n\n"
"JSON of one policy: url, method, allow, query_filter, post_filter in that\n"
"order (the order of every twilio generation), a None filter as {}.");

static PyObject *
policy_json(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    trcap_buffer b = TRCAP_BUFFER_INIT;
    PyObject *result = NULL;

    if (check_nargs("policy_json", nargs, 5) < 0) {
        goto error;
    }
    if (check_str(args[0], "url") < 0 || check_str(args[1], "method") < 0) {
        goto error;
    }
    if (!PyBool_Check(args[2])) {
        PyErr_Format(PyExc_TypeError, "allow must be bool, not %.100s",
                     Py_TYPE(args[2])->tp_name);
        goto error;
    }
    if (append_bytes(&b, "{\"url\":", 7, "policy") < 0
        || append_json_string(&b, args[0], "url") < 0
        || append_bytes(&b, ",\"method\":", 10, "policy") < 0
        || append_json_string(&b, args[1], "method") < 0
        || (args[2] == Py_True
                ? append_bytes(&b, ",\"allow\":true", 13, "policy")
                : append_bytes(&b, ",\"allow\":false", 14, "policy")) < 0
        || append_bytes(&b, ",\"query_filter\":", 16, "policy") < 0
        || append_filter(&b, args[3], "query_filter") < 0
        || append_bytes(&b, ",\"post_filter\":", 15, "policy") < 0
        || append_filter(&b, args[4], "post_filter") < 0
        || append_bytes(&b, "}", 1, "policy") < 0) {
        goto error;
    }
    result = buffer_to_bytes(&b);

error:
    trcap_buffer_release(&b);
    return result;
}

/* ---------------------------------------------------------------------
 * Minter: a keyed HS256 signer that also keeps a capability's policies
 *
 * A capability token's payload is
 *
 *     head  +  policy JSON, comma-separated  +  mid  +  tail parts
 *
 * where head and mid are the constant claims around the policies array
 * and the tail (given to each mint() call) holds the time claims.  The
 * policies live here, not in Python, so that adding one and minting are
 * each a single C call made under the GIL: a thread can never mint from a
 * cached prefix that misses a policy another thread has just added.
 */

typedef struct {
    PyObject_HEAD
    EVP_MAC_CTX *mac;               /* keyed HMAC-SHA256, owned; holds the key */
    unsigned char *header_b64;      /* BASE64URL(header), PyMem, owned */
    size_t header_b64_length;
    PyObject *head;                 /* bytes, owned */
    PyObject *mid;                  /* bytes, owned */
    /* list of bytes, owned.  It only ever holds bytes (add_policy and
     * set_policies check), so no reference cycle can pass through a
     * Minter, and the type need not take part in garbage collection. */
    PyObject *policies;
    PyObject *prefix;               /* head + policies + mid, owned; NULL: stale */
} MinterObject;

/* Keys the MAC with `key` (str as UTF-8, or bytes).  The only copy made
 * here is the UTF-8 of a non-ASCII str, wiped before it is freed; an ASCII
 * str and bytes are read in place. */
static EVP_MAC_CTX *
keyed_mac(module_state *state, PyObject *key, const char *name)
{
    EVP_MAC_CTX *mac = NULL;
    unsigned char *copy = NULL;
    size_t copy_size = 0;
    const unsigned char *p;
    size_t n;

    if (PyBytes_Check(key)) {
        p = (const unsigned char *)PyBytes_AS_STRING(key);
        n = (size_t)PyBytes_GET_SIZE(key);
    }
    else if (PyUnicode_Check(key)) {
        trcap_text t;
        trcap_status st;
        if (text_of(key, &t) < 0) {
            goto error;
        }
        if (PyUnicode_IS_ASCII(key)) {
            p = (const unsigned char *)t.data;
            n = t.length;
        }
        else {
            st = trcap_utf8_size(&t, &copy_size);
            if (st != TRCAP_OK) {
                raise_status(st, name);
                goto error;
            }
            copy = PyMem_Malloc(copy_size ? copy_size : 1);
            if (copy == NULL) {
                PyErr_NoMemory();
                goto error;
            }
            (void)trcap_utf8_write(copy, &t);
            p = copy;
            n = copy_size;
        }
    }
    else {
        PyErr_Format(PyExc_TypeError, "%s must be str or bytes, not %.100s",
                     name, Py_TYPE(key)->tp_name);
        goto error;
    }
    if (n == 0) {
        PyErr_Format(PyExc_ValueError, "%s must not be empty", name);
        goto error;
    }
    mac = trcap_hmac_new(state->hmac, p, n);
    if (mac == NULL) {
        raise_openssl_error("keying HMAC-SHA256");
        goto error;
    }

error:
    if (copy != NULL) {
        OPENSSL_cleanse(copy, copy_size);
        PyMem_Free(copy);
    }
    return mac;
}

static PyObject *
Minter_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"key", "header", "head", "mid", "name", NULL};
    PyObject *key;
    const char *header = default_header;
    Py_ssize_t header_length = (Py_ssize_t)(sizeof default_header - 1);
    PyObject *head = NULL, *mid = NULL;  /* borrowed from the arguments */
    const char *name = "key";
    MinterObject *self = NULL;
    PyObject *module;
    size_t size;
    trcap_status st;

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|y#$SSs:Minter", kwlist,
                                     &key, &header, &header_length, &head, &mid,
                                     &name)) {
        goto error;
    }
    module = PyType_GetModuleByDef(type, &core_module);  /* borrowed */
    if (module == NULL) {
        goto error;
    }
    self = (MinterObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        goto error;
    }
    self->head = head ? Py_NewRef(head) : PyBytes_FromStringAndSize(NULL, 0);
    self->mid = mid ? Py_NewRef(mid) : PyBytes_FromStringAndSize(NULL, 0);
    self->policies = PyList_New(0);
    if (self->head == NULL || self->mid == NULL || self->policies == NULL) {
        goto error;
    }
    st = trcap_b64url_size((size_t)header_length, &size);
    if (st != TRCAP_OK) {
        raise_status(st, "header");
        goto error;
    }
    self->header_b64 = PyMem_Malloc(size ? size : 1);
    if (self->header_b64 == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    self->header_b64_length = size;
    (void)trcap_b64url_encode(self->header_b64, (const unsigned char *)header,
                              (size_t)header_length);
    self->mac = keyed_mac(get_state(module), key, name);
    if (self->mac == NULL) {
        goto error;
    }
    return (PyObject *)self;

error:
    Py_XDECREF(self);
    return NULL;
}

static void
Minter_dealloc(MinterObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    /* EVP_MAC_CTX_free wipes the key OpenSSL holds: the HMAC provider frees
     * it with OPENSSL_secure_clear_free, the SHA-256 states keyed from it
     * are freed with OPENSSL_clear_free. */
    EVP_MAC_CTX_free(self->mac);
    PyMem_Free(self->header_b64);
    Py_XDECREF(self->head);
    Py_XDECREF(self->mid);
    Py_XDECREF(self->policies);
    Py_XDECREF(self->prefix);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* Parts of a payload from Python: bytes are JSON text, ints are numbers
 * written in decimal.  Fills `parts` (nargs long) with views borrowed from
 * the arguments. */
static int
parts_from_args(PyObject *const *args, Py_ssize_t nargs, trcap_part *parts)
{
    for (Py_ssize_t i = 0; i < nargs; i++) {
        PyObject *o = args[i];
        if (PyBytes_Check(o)) {
            parts[i].bytes = (const unsigned char *)PyBytes_AS_STRING(o);
            parts[i].length = (size_t)PyBytes_GET_SIZE(o);
            parts[i].number = 0;
        }
        else if (PyLong_Check(o) && !PyBool_Check(o)) {
            int overflow = 0;
            long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
            if (overflow) {
                PyErr_SetString(PyExc_OverflowError,
                                "a time claim does not fit a signed 64-bit integer");
                return -1;
            }
            if (v == -1 && PyErr_Occurred()) {
                return -1;
            }
            parts[i].bytes = NULL;
            parts[i].length = 0;
            parts[i].number = (int64_t)v;
        }
        else {
            PyErr_Format(PyExc_TypeError,
                         "payload parts must be bytes or int, not %.100s",
                         Py_TYPE(o)->tp_name);
            return -1;
        }
    }
    return 0;
}

/* The token for `first` (bytes, may be NULL) followed by the parts in
 * args.  Measured, then written once into a compact ASCII str. */
static PyObject *
sign_parts(MinterObject *self, PyObject *first, PyObject *const *args, Py_ssize_t nargs)
{
    trcap_part stack_parts[STACK_PARTS];
    trcap_part *parts = stack_parts;
    size_t nparts = (size_t)nargs + (first != NULL);
    PyObject *token = NULL;
    size_t payload_size, token_size;
    trcap_status st;

    if (nparts > STACK_PARTS) {
        parts = PyMem_New(trcap_part, nparts);
        if (parts == NULL) {
            PyErr_NoMemory();
            goto error;
        }
    }
    if (first != NULL) {
        parts[0].bytes = (const unsigned char *)PyBytes_AS_STRING(first);
        parts[0].length = (size_t)PyBytes_GET_SIZE(first);
        parts[0].number = 0;
    }
    if (parts_from_args(args, nargs, parts + (first != NULL)) < 0) {
        goto error;
    }
    st = trcap_payload_size(parts, nparts, &payload_size);
    if (st == TRCAP_OK) {
        st = trcap_token_size(self->header_b64_length, payload_size, &token_size);
    }
    if (st == TRCAP_OK && token_size > (size_t)PY_SSIZE_T_MAX) {
        st = TRCAP_ERR_OVERFLOW;
    }
    if (st != TRCAP_OK) {
        raise_status(st, "the token");
        goto error;
    }
    token = PyUnicode_New((Py_ssize_t)token_size, 127);
    if (token == NULL) {
        goto error;
    }
    st = trcap_token_write(PyUnicode_1BYTE_DATA(token), self->header_b64,
                           self->header_b64_length, parts, nparts, self->mac);
    if (st != TRCAP_OK) {
        raise_status(st, "signing the token");
        Py_CLEAR(token);
        goto error;
    }

error:
    if (parts != stack_parts) {
        PyMem_Free(parts);
    }
    return token;
}

PyDoc_STRVAR(Minter_sign_doc,
"sign(*parts)\n--\n\n"
"The signed token whose payload is the concatenation of `parts`: bytes\n"
"are taken as JSON text, ints are written in decimal.");

static PyObject *
Minter_sign(MinterObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    return sign_parts(self, NULL, args, nargs);
}

/* head + the policies joined by commas + mid, built once per change. */
static PyObject *
build_prefix(MinterObject *self)
{
    Py_ssize_t count = PyList_GET_SIZE(self->policies);
    size_t total = (size_t)PyBytes_GET_SIZE(self->head) + (size_t)PyBytes_GET_SIZE(self->mid);
    PyObject *prefix = NULL;
    char *p;

    for (Py_ssize_t i = 0; i < count; i++) {
        size_t n = (size_t)PyBytes_GET_SIZE(PyList_GET_ITEM(self->policies, i)) + 1;
        if (total > (size_t)PY_SSIZE_T_MAX - n) {
            raise_status(TRCAP_ERR_OVERFLOW, "the policies");
            goto error;
        }
        total += n;
    }
    prefix = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)total - (count > 0));
    if (prefix == NULL) {
        goto error;
    }
    p = PyBytes_AS_STRING(prefix);
    memcpy(p, PyBytes_AS_STRING(self->head), (size_t)PyBytes_GET_SIZE(self->head));
    p += PyBytes_GET_SIZE(self->head);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *fragment = PyList_GET_ITEM(self->policies, i);  /* borrowed */
        if (i) {
            *p++ = ',';
        }
        memcpy(p, PyBytes_AS_STRING(fragment), (size_t)PyBytes_GET_SIZE(fragment));
        p += PyBytes_GET_SIZE(fragment);
    }
    memcpy(p, PyBytes_AS_STRING(self->mid), (size_t)PyBytes_GET_SIZE(self->mid));

error:
    return prefix;
}

PyDoc_STRVAR(Minter_mint_doc,
"mint(*tail)\n--\n\n"
"The signed token whose payload is head, the policies joined by commas,\n"
"mid, then the parts in `tail` (bytes as JSON text, ints in decimal).");

static PyObject *
Minter_mint(MinterObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (self->prefix == NULL) {
        self->prefix = build_prefix(self);  /* owned by self from here */
        if (self->prefix == NULL) {
            return NULL;
        }
    }
    return sign_parts(self, self->prefix, args, nargs);
}

static int
check_fragment(PyObject *fragment)
{
    if (!PyBytes_CheckExact(fragment)) {
        PyErr_Format(PyExc_TypeError, "a policy fragment must be bytes, not %.100s",
                     Py_TYPE(fragment)->tp_name);
        return -1;
    }
    return 0;
}

PyDoc_STRVAR(Minter_add_policy_doc,
"add_policy(fragment, /)\n--\n\n"
"Appends one policy's JSON (bytes from policy_json).");

static PyObject *
Minter_add_policy(MinterObject *self, PyObject *fragment)
{
    if (check_fragment(fragment) < 0 || PyList_Append(self->policies, fragment) < 0) {
        return NULL;
    }
    Py_CLEAR(self->prefix);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(Minter_set_policies_doc,
"set_policies(fragments, /)\n--\n\n"
"Replaces every policy with the JSON fragments of an iterable of bytes.");

static PyObject *
Minter_set_policies(MinterObject *self, PyObject *fragments)
{
    PyObject *list = PySequence_List(fragments);  /* new: our own copy */
    if (list == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        if (check_fragment(PyList_GET_ITEM(list, i)) < 0) {
            Py_DECREF(list);
            return NULL;
        }
    }
    Py_SETREF(self->policies, list);  /* list now owned by self */
    Py_CLEAR(self->prefix);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(Minter_policies_doc,
"policies()\n--\n\n"
"A new list of the policies' JSON fragments, in token order.");

static PyObject *
Minter_policies(MinterObject *self, PyObject *Py_UNUSED(ignored))
{
    return PyList_GetSlice(self->policies, 0, PyList_GET_SIZE(self->policies));
}

static PyObject *
Minter_repr(MinterObject *self)
{
    /* Never the key: only what kind of signer this is. */
    return PyUnicode_FromFormat("<%s HS256>", Py_TYPE(self)->tp_name);
}

static PyObject *
Minter_reduce(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    PyErr_Format(PyExc_TypeError,
                 "cannot pickle %s: it holds a secret key",
                 Py_TYPE(self)->tp_name);
    return NULL;
}

static PyMethodDef Minter_methods[] = {
    {"mint", (PyCFunction)(void (*)(void))Minter_mint, METH_FASTCALL, Minter_mint_doc},
    {"sign", (PyCFunction)(void (*)(void))Minter_sign, METH_FASTCALL, Minter_sign_doc},
    {"add_policy", (PyCFunction)Minter_add_policy, METH_O, Minter_add_policy_doc},
    {"set_policies", (PyCFunction)Minter_set_policies, METH_O, Minter_set_policies_doc},
    {"policies", (PyCFunction)Minter_policies, METH_NOARGS, Minter_policies_doc},
    {"__reduce__", Minter_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(Minter_doc,
"Minter(key, header=b'{\"alg\":\"HS256\",\"typ\":\"JWT\"}', *, head=b'', mid=b'',\n"
"       name='key')\n--\n\n"
"A keyed HS256 signer holding a capability's policies.  The key (str as\n"
"UTF-8, or bytes) is kept only inside OpenSSL's MAC context and wiped when\n"
"the object is freed.  `head` and `mid` are the payload's constant JSON\n"
"before and after the policies (see mint()).\n"
"`name` is the argument named in error messages about the key.");

static PyType_Slot Minter_slots[] = {
    {Py_tp_new, Minter_new},
    {Py_tp_dealloc, Minter_dealloc},
    {Py_tp_repr, Minter_repr},
    {Py_tp_methods, Minter_methods},
    {Py_tp_doc, (void *)Minter_doc},
    {0, NULL},
};

static PyType_Spec Minter_spec = {
    .name = "twilio_trcap._core.Minter",
    .basicsize = sizeof(MinterObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = Minter_slots,
};

/* ---------------------------------------------------------------------
 * Decoding: a token into its header and claims, verified
 *
 * decode_jws(token, key, algorithms) runs the pure-C steps (jws_decode.h,
 * json_reader.h) and builds the two JSON objects as dicts.  The order
 * follows PyJWT's, so that a token with several faults is refused for the
 * same kind of reason: segments and their base64url, the header's JSON and
 * its fields, the algorithm, the signature, and only then the payload's
 * JSON (authenticated by then).  Time claims are checked by the caller
 * (twilio_trcap/decode.py), which compares Python numbers exactly as PyJWT
 * does.
 */

/* Decoded segments of tokens up to this size stay on the C stack. */
#define SCRATCH_ON_STACK 4096

/* Number text up to this length is copied to the C stack to be
 * NUL-terminated for CPython's converters. */
#define NUMBER_ON_STACK 64

/* Raises MalformedTokenError for a refusal the core described.  Offsets
 * are characters of the token, or bytes of the decoded JSON when
 * `json_part` names it. */
static void
raise_malformed(module_state *state, const trcap_error_detail *detail, const char *json_part)
{
    if (json_part != NULL) {
        PyErr_Format(state->malformed_error, "malformed token: the %s: %s (at byte %zu)",
                     json_part, detail->reason, detail->offset);
    }
    else if (detail->part != NULL) {
        PyErr_Format(state->malformed_error, "malformed token: the %s: %s (at character %zu)",
                     detail->part, detail->reason, detail->offset);
    }
    else {
        PyErr_Format(state->malformed_error, "malformed token: %s", detail->reason);
    }
}

/* Member names remembered per document: a capability's policies repeat
 * the same five, and one str each (hash computed once) is what json.loads
 * makes too (its memo). */
#define KEY_MEMO_SIZE 16

/* Builds Python objects from the JSON reader's events.  Containers are
 * attached to their parent as soon as they open, so the root owns every
 * object made; the stack only borrows. */
typedef struct {
    module_state *state;
    const char *part;                          /* "header JSON" or "payload JSON" */
    PyObject *root;                            /* owned */
    PyObject *key;                             /* owned: name of the next member */
    PyObject *open[TRCAP_JSON_MAX_DEPTH];      /* borrowed: open containers */
    int depth;
    struct {
        const unsigned char *bytes;            /* in the JSON text */
        size_t length;
        PyObject *str;                         /* owned */
    } memo[KEY_MEMO_SIZE];
    int nmemo;
} builder;

/* Adds `value` (a new reference, stolen) where the document is at. */
static int
builder_attach_steal(builder *b, PyObject *value)
{
    PyObject *parent;
    int rc;

    if (value == NULL) {
        return -1;
    }
    if (b->depth == 0) {
        b->root = value;  /* owned by the builder from here */
        return 0;
    }
    parent = b->open[b->depth - 1];
    if (PyList_CheckExact(parent)) {
        rc = PyList_Append(parent, value);
        Py_DECREF(value);
        return rc;
    }
    Py_ssize_t before = PyDict_GET_SIZE(parent);
    rc = PyDict_SetItem(parent, b->key, value);
    Py_DECREF(value);
    if (rc == 0 && PyDict_GET_SIZE(parent) == before) {
        /* RFC 7515 section 5.2 and RFC 7519 section 4: a JWS or JWT with
         * a duplicate member name must be rejected (or the last one
         * used); we reject, so that no two readers disagree. */
        PyErr_Format(b->state->malformed_error,
                     "malformed token: the %s: the member name %.60R appears twice",
                     b->part, b->key);
        rc = -1;
    }
    Py_CLEAR(b->key);
    return rc;
}

static int
builder_open_steal(builder *b, PyObject *container)
{
    if (builder_attach_steal(b, container) < 0) {
        return -1;
    }
    /* The reader refuses deeper nesting before this could overflow. */
    assert(b->depth < TRCAP_JSON_MAX_DEPTH);
    b->open[b->depth++] = container;  /* borrowed: its parent (or root) owns it */
    return 0;
}

static int
builder_begin_object(void *ctx)
{
    return builder_open_steal((builder *)ctx, PyDict_New());
}

static int
builder_begin_array(void *ctx)
{
    return builder_open_steal((builder *)ctx, PyList_New(0));
}

static int
builder_close(void *ctx)
{
    ((builder *)ctx)->depth--;
    return 0;
}

/* A new str for a string the reader validated. */
static PyObject *
str_of_json(const trcap_json_string *s)
{
    unsigned char stack[256];
    unsigned char *buf = stack;
    PyObject *str = NULL;

    if (!s->escaped) {
        if (s->ascii) {
            str = PyUnicode_New((Py_ssize_t)s->length, 127);
            if (str != NULL) {
                memcpy(PyUnicode_1BYTE_DATA(str), s->bytes, s->length);
            }
            return str;
        }
        return PyUnicode_DecodeUTF8((const char *)s->bytes, (Py_ssize_t)s->length, "strict");
    }
    if (s->length > sizeof stack) {
        buf = PyMem_Malloc(s->length);
        if (buf == NULL) {
            return PyErr_NoMemory();
        }
    }
    unsigned char *end = trcap_json_unescape(buf, s);
    /* "surrogatepass": a lone surrogate escape becomes that code point in
     * the str, as json.loads makes it (json_reader.h). */
    str = PyUnicode_DecodeUTF8((const char *)buf, end - buf, "surrogatepass");
    if (buf != stack) {
        PyMem_Free(buf);
    }
    return str;
}

static int
builder_key(void *ctx, const trcap_json_string *s)
{
    builder *b = ctx;
    int i;

    for (i = 0; i < b->nmemo; i++) {
        if (b->memo[i].length == s->length
            && memcmp(b->memo[i].bytes, s->bytes, s->length) == 0) {
            b->key = Py_NewRef(b->memo[i].str);
            return 0;
        }
    }
    b->key = str_of_json(s);  /* owned until the member's value is attached */
    if (b->key == NULL) {
        return -1;
    }
    /* Same text, same name: the raw text (escapes included) is the key. */
    if (b->nmemo < KEY_MEMO_SIZE) {
        b->memo[b->nmemo].bytes = s->bytes;
        b->memo[b->nmemo].length = s->length;
        b->memo[b->nmemo].str = Py_NewRef(b->key);
        b->nmemo++;
    }
    return 0;
}

static int
builder_string(void *ctx, const trcap_json_string *s)
{
    return builder_attach_steal((builder *)ctx, str_of_json(s));
}

/* An int or float as json.loads makes it: int(text) or float(text). */
static PyObject *
number_of_json(builder *b, const unsigned char *text, size_t length, int integer)
{
    char stack[NUMBER_ON_STACK];
    char *buf = stack;
    PyObject *number = NULL;
    int64_t small;

    if (integer && trcap_json_int64(text, length, &small) == 0) {
        return PyLong_FromLongLong((long long)small);
    }
    if (length >= sizeof stack) {
        buf = PyMem_Malloc(length + 1);
        if (buf == NULL) {
            return PyErr_NoMemory();
        }
    }
    memcpy(buf, text, length);
    buf[length] = '\0';
    if (integer) {
        number = PyLong_FromString(buf, NULL, 10);
        if (number == NULL && PyErr_ExceptionMatches(PyExc_ValueError)) {
            /* Longer than sys.get_int_max_str_digits(): json.loads fails
             * the same way, and PyJWT with it. */
            PyErr_Clear();
            PyErr_Format(b->state->malformed_error,
                         "malformed token: the %s: an integer of %zu digits is longer than "
                         "Python converts", b->part, length);
        }
    }
    else {
        double v = PyOS_string_to_double(buf, NULL, NULL);
        if (v == -1.0 && PyErr_Occurred()) {
            goto done;
        }
        if (!isfinite(v)) {
            /* json.loads would give inf, which no JSON can carry back. */
            PyErr_Format(b->state->malformed_error,
                         "malformed token: the %s: the number %.40s is out of range",
                         b->part, buf);
            goto done;
        }
        number = PyFloat_FromDouble(v);
    }

done:
    if (buf != stack) {
        PyMem_Free(buf);
    }
    return number;
}

static int
builder_number(void *ctx, const unsigned char *text, size_t length, int integer)
{
    builder *b = ctx;
    return builder_attach_steal(b, number_of_json(b, text, length, integer));
}

static int
builder_literal(void *ctx, trcap_json_literal which)
{
    PyObject *value = which == TRCAP_JSON_NULL ? Py_None
                      : which == TRCAP_JSON_TRUE ? Py_True : Py_False;
    return builder_attach_steal((builder *)ctx, Py_NewRef(value));
}

static const trcap_json_handler builder_handler = {
    .begin_object = builder_begin_object,
    .end_object = builder_close,
    .begin_array = builder_begin_array,
    .end_array = builder_close,
    .key = builder_key,
    .string = builder_string,
    .number = builder_number,
    .literal = builder_literal,
};

/* A new dict from the JSON object in `p`; MalformedTokenError if it is not
 * one, strictly (json_reader.h; duplicate names refused). */
static PyObject *
dict_of_json(module_state *state, const unsigned char *p, size_t n, const char *part)
{
    builder b = {.state = state, .part = part};
    trcap_error_detail detail = {NULL, 0, NULL};
    trcap_status st = trcap_json_read(p, n, 1, &builder_handler, &b, &detail);

    Py_CLEAR(b.key);
    for (int i = 0; i < b.nmemo; i++) {
        Py_DECREF(b.memo[i].str);
    }
    if (st != TRCAP_OK) {
        if (st == TRCAP_ERR_MALFORMED) {
            raise_malformed(state, &detail, part);
        }
        else if (st != TRCAP_ERR_HANDLER) {  /* a handler raised already */
            raise_status(st, part);
        }
        Py_CLEAR(b.root);
    }
    return b.root;
}

/* The header's fields that must be understood before the token is
 * trusted (RFC 7515 section 4.1), the algorithm last.  0 if acceptable.
 * The dict holds only str keys, so lookups cannot raise. */
static int
check_header(module_state *state, PyObject *header, PyObject *algorithms)
{
    PyObject *value;  /* borrowed from the header */
    int known;

    /* Section 4.1.11: every extension listed in "crit" must be understood;
     * twilio-trcap understands none.  (PyJWT understands RFC 7797's "b64";
     * a token using it cannot be a Twilio token.) */
    if (PyDict_GetItemString(header, "crit") != NULL) {
        PyErr_SetString(state->malformed_error,
                        "malformed token: the header lists critical extensions (crit); "
                        "twilio-trcap supports none");
        return -1;
    }
    /* RFC 7797 section 3: "b64": false means an unencoded payload. */
    value = PyDict_GetItemString(header, "b64");
    if (value != NULL && value != Py_True) {
        PyErr_SetString(state->malformed_error,
                        "malformed token: the header asks for an unencoded payload (b64); "
                        "twilio-trcap supports only base64url payloads");
        return -1;
    }
    /* Section 4.1.4: a key ID is a string (PyJWT checks the same). */
    value = PyDict_GetItemString(header, "kid");
    if (value != NULL && !PyUnicode_Check(value)) {
        PyErr_SetString(state->malformed_error,
                        "malformed token: the header's key ID (kid) is not a string");
        return -1;
    }
    value = PyDict_GetItemString(header, "alg");
    if (value == NULL) {
        PyErr_SetString(state->algorithm_error,
                        "the header names no algorithm (alg)");
        return -1;
    }
    if (!PyUnicode_Check(value)) {
        PyErr_SetString(state->algorithm_error, "the header's algorithm (alg) is not a string");
        return -1;
    }
    /* RFC 8725 section 3.1: an unsecured JWS is never accepted, whatever
     * the caller allowed. */
    if (PyUnicode_CompareWithASCIIString(value, "none") == 0) {
        PyErr_SetString(state->algorithm_error,
                        "the token is unsigned (alg 'none'), which is never accepted");
        return -1;
    }
    known = PySequence_Contains(algorithms, value);
    if (known < 0) {
        return -1;
    }
    if (!known) {
        PyErr_Format(state->algorithm_error,
                     "the token's algorithm %.40R is not among the algorithms allowed %.200R",
                     value, algorithms);
        return -1;
    }
    if (PyUnicode_CompareWithASCIIString(value, "HS256") != 0) {
        PyErr_Format(state->algorithm_error,
                     "the token's algorithm is %.40R; twilio-trcap verifies HS256 only",
                     value);
        return -1;
    }
    return 0;
}

/* The token's characters: a str must be ASCII (base64url and dots are),
 * bytes are taken as they are.  Views borrowed from `token`. */
static int
token_bytes(module_state *state, PyObject *token, const unsigned char **p, size_t *n)
{
    if (PyBytes_Check(token)) {
        *p = (const unsigned char *)PyBytes_AS_STRING(token);
        *n = (size_t)PyBytes_GET_SIZE(token);
        return 0;
    }
    if (!PyUnicode_Check(token)) {
        PyErr_Format(PyExc_TypeError, "token must be str or bytes, not %.100s",
                     Py_TYPE(token)->tp_name);
        return -1;
    }
#if PY_VERSION_HEX < 0x030C0000
    if (PyUnicode_READY(token) < 0) {
        return -1;
    }
#endif
    if (!PyUnicode_IS_ASCII(token)) {
        Py_ssize_t i = 0;
        while (PyUnicode_READ_CHAR(token, i) < 128) {
            i++;
        }
        PyErr_Format(state->malformed_error,
                     "malformed token: a character outside the base64url alphabet "
                     "(at character %zd)", i);
        return -1;
    }
    *p = PyUnicode_1BYTE_DATA(token);
    *n = (size_t)PyUnicode_GET_LENGTH(token);
    return 0;
}

PyDoc_STRVAR(decode_jws_doc,
"decode_jws(token, key, algorithms, /)\n--\n\n"
"(header, claims): the two JSON objects of an HS256 JWS as new dicts,\n"
"read strictly.  `key` (str as UTF-8, or bytes) verifies the signature;\n"
"None skips that step.  `algorithms` (a tuple of str) must hold the\n"
"header's alg.  Raises MalformedTokenError, UnsupportedAlgorithmError or\n"
"InvalidSignatureError (twilio_trcap.errors); time claims are not checked.");

static PyObject *
decode_jws(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    module_state *state = get_state(module);
    unsigned char stack_scratch[SCRATCH_ON_STACK];
    unsigned char *scratch = stack_scratch;
    size_t scratch_size, n;
    const unsigned char *token;
    trcap_error_detail detail = {NULL, 0, NULL};
    trcap_jws jws;
    EVP_MAC_CTX *mac = NULL;
    PyObject *header = NULL, *claims = NULL, *result = NULL;
    trcap_status st;

    if (check_nargs("decode_jws", nargs, 3) < 0) {
        goto error;
    }
    if (!PyTuple_Check(args[2])) {
        PyErr_Format(PyExc_TypeError, "algorithms must be a tuple, not %.100s",
                     Py_TYPE(args[2])->tp_name);
        goto error;
    }
    if (token_bytes(state, args[0], &token, &n) < 0) {
        goto error;
    }
    st = trcap_jws_scratch_size(n, &scratch_size, &detail);
    if (st != TRCAP_OK) {
        raise_malformed(state, &detail, NULL);
        goto error;
    }
    if (scratch_size > sizeof stack_scratch) {
        scratch = PyMem_Malloc(scratch_size);
        if (scratch == NULL) {
            PyErr_NoMemory();
            goto error;
        }
    }
    st = trcap_jws_parse(token, n, scratch, scratch_size, &jws, &detail);
    if (st != TRCAP_OK) {
        if (st == TRCAP_ERR_MALFORMED) {
            raise_malformed(state, &detail, NULL);
        }
        else {
            raise_status(st, "the token");
        }
        goto error;
    }
    header = dict_of_json(state, jws.header, jws.header_length, "header JSON");
    if (header == NULL || check_header(state, header, args[2]) < 0) {
        goto error;
    }
    if (args[1] != Py_None) {
        mac = keyed_mac(state, args[1], "key");
        if (mac == NULL) {
            goto error;
        }
        st = trcap_jws_verify_hs256(mac, token, &jws);
        if (st == TRCAP_ERR_SIGNATURE) {
            PyErr_SetString(state->signature_error,
                            "the signature does not match: the token was signed with "
                            "another key, or changed after it was signed");
            goto error;
        }
        if (st != TRCAP_OK) {
            raise_status(st, "verifying the signature");
            goto error;
        }
    }
    claims = dict_of_json(state, jws.payload, jws.payload_length, "payload JSON");
    if (claims == NULL) {
        goto error;
    }
    result = PyTuple_New(2);
    if (result == NULL) {
        goto error;
    }
    PyTuple_SET_ITEM(result, 0, header);  /* both now owned by the tuple */
    PyTuple_SET_ITEM(result, 1, claims);
    header = claims = NULL;

error:
    EVP_MAC_CTX_free(mac);  /* wipes the key OpenSSL holds; NULL-safe */
    if (scratch != stack_scratch) {
        PyMem_Free(scratch);
    }
    Py_XDECREF(header);
    Py_XDECREF(claims);
    return result;
}

/* ---------------------------------------------------------------------
 * Module
 */

static PyMethodDef core_functions[] = {
    {"json_string", json_string, METH_O, json_string_doc},
    {"json_value", (PyCFunction)(void (*)(void))json_value, METH_FASTCALL, json_value_doc},
    {"policy_json", (PyCFunction)(void (*)(void))policy_json, METH_FASTCALL, policy_json_doc},
    {"decode_jws", (PyCFunction)(void (*)(void))decode_jws, METH_FASTCALL, decode_jws_doc},
    {NULL, NULL, 0, NULL},
};

static int
exec_hmac(PyObject *module)
{
    module_state *state = get_state(module);
    state->hmac = trcap_hmac_fetch();
    if (state->hmac == NULL) {
        raise_openssl_error("fetching HMAC");
        return -1;
    }
    return 0;
}

static int
exec_types(PyObject *module)
{
    module_state *state = get_state(module);
    state->minter_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &Minter_spec, NULL);
    if (state->minter_type == NULL) {
        return -1;
    }
    return PyModule_AddType(module, state->minter_type);
}

static int
exec_constants(PyObject *module)
{
    /* The OpenSSL this module runs with, for bug reports. */
    return PyModule_AddStringConstant(module, "openssl_version",
                                      OpenSSL_version(OPENSSL_VERSION));
}

/* The decoder raises the package's own exception classes
 * (twilio_trcap/errors.py, a pure-Python module that imports nothing of
 * the package, so importing it while the package initialises is safe). */
static int
exec_decoder(PyObject *module)
{
    module_state *state = get_state(module);
    PyObject *errors = NULL;
    int rc = -1;

    /* The decoder's documented limits, for the Python layer and docs. */
    if (PyModule_AddIntConstant(module, "MAX_TOKEN_LENGTH", TRCAP_JWS_MAX_TOKEN_LENGTH) < 0
        || PyModule_AddIntConstant(module, "MAX_HEADER_LENGTH",
                                   TRCAP_JWS_MAX_HEADER_LENGTH) < 0
        || PyModule_AddIntConstant(module, "MAX_JSON_DEPTH", TRCAP_JSON_MAX_DEPTH) < 0) {
        goto error;
    }
    errors = PyImport_ImportModule("twilio_trcap.errors");
    if (errors == NULL) {
        goto error;
    }
    state->malformed_error = PyObject_GetAttrString(errors, "MalformedTokenError");
    state->signature_error = PyObject_GetAttrString(errors, "InvalidSignatureError");
    state->algorithm_error = PyObject_GetAttrString(errors, "UnsupportedAlgorithmError");
    if (state->malformed_error && state->signature_error && state->algorithm_error) {
        rc = 0;
    }

error:
    Py_XDECREF(errors);
    return rc;
}

static int
core_traverse(PyObject *module, visitproc visit, void *arg)
{
    module_state *state = get_state(module);
    Py_VISIT(state->minter_type);
    Py_VISIT(state->malformed_error);
    Py_VISIT(state->signature_error);
    Py_VISIT(state->algorithm_error);
    return 0;
}

static int
core_clear(PyObject *module)
{
    module_state *state = get_state(module);
    Py_CLEAR(state->minter_type);
    Py_CLEAR(state->malformed_error);
    Py_CLEAR(state->signature_error);
    Py_CLEAR(state->algorithm_error);
    return 0;
}

static void
core_free(void *module)
{
    module_state *state = get_state((PyObject *)module);
    (void)core_clear((PyObject *)module);
    EVP_MAC_free(state->hmac);  /* NULL-safe */
    state->hmac = NULL;
}

static PyModuleDef_Slot core_slots[] = {
    {Py_mod_exec, exec_hmac},
    {Py_mod_exec, exec_types},
    {Py_mod_exec, exec_constants},
    {Py_mod_exec, exec_decoder},
    {0, NULL},
};

static struct PyModuleDef core_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "twilio_trcap._core",
    .m_doc = "The compiled core of twilio-trcap (private: use twilio_trcap).",
    .m_size = sizeof(module_state),
    .m_methods = core_functions,
    .m_slots = core_slots,
    .m_traverse = core_traverse,
    .m_clear = core_clear,
    .m_free = core_free,
};

PyMODINIT_FUNC
PyInit__core(void)
{
    return PyModuleDef_Init(&core_module);
}
