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
#include <structmember.h>

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

static const char default_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

typedef struct {
    EVP_MD *sha256;             /* fetched once, owned (every HMAC key) */
    /* The running MAC of every mint made under the GIL, owned.  A mint
     * runs no Python code while it uses it (the token's str is allocated
     * before), so one per interpreter serves all Minters and saves each
     * object a context of its own; the decoder's signature check uses it
     * too.  mint_each, which releases the GIL, makes its own. */
    EVP_MD_CTX *scratch;
    PyTypeObject *minter_type;  /* owned */
    PyTypeObject *template_type;  /* owned */
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
 * accepts, which is what PyJWT writes.  Exact dicts, lists and tuples, str,
 * int and float (subclasses too: their own data and int.__repr__ /
 * float.__repr__, as the json module reads them) are read without running
 * Python code.  Like the json module's C encoder, a dict subclass is read
 * through its items() (an OrderedDict in its own order; an empty one is
 * {} without a call) and a list or tuple subclass through iteration; that
 * runs Python code, which may change or free anything, so every object
 * being written is held by a reference of our own while it is.  NaN and
 * infinities are refused: json.dumps would write NaN/Infinity, which is not
 * JSON (RFC 8259 section 6).
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

static int append_json_value(trcap_buffer *b, PyObject *o, const char *name, int depth);

/* One member: "key":value.  Both are held by the caller. */
static int
append_json_member(trcap_buffer *b, PyObject *key, PyObject *value, int first,
                   const char *name, int depth)
{
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
    return 0;
}

/* An exact dict, in storage order.  A value's own items() (a dict subclass
 * inside) can change the dict: each key and value is held while written,
 * and a change of size is an error, as when iterating in Python. */
static int
append_json_dict(trcap_buffer *b, PyObject *dict, const char *name, int depth)
{
    Py_ssize_t pos = 0, size = PyDict_GET_SIZE(dict);
    PyObject *key, *value;  /* borrowed, then held across the member */
    int rc, first = 1;

    while (PyDict_Next(dict, &pos, &key, &value)) {
        Py_INCREF(key);
        Py_INCREF(value);
        rc = append_json_member(b, key, value, first, name, depth);
        first = 0;
        Py_DECREF(key);
        Py_DECREF(value);
        if (rc < 0) {
            return -1;
        }
        if (PyDict_GET_SIZE(dict) != size) {
            PyErr_Format(PyExc_RuntimeError, "%s: a dict changed size while it was written",
                         name);
            return -1;
        }
    }
    return 0;
}

/* A dict subclass, as json.dumps reads one: list(d.items()) of 2-tuples. */
static int
append_json_items(trcap_buffer *b, PyObject *dict, const char *name, int depth)
{
    PyObject *items = PyMapping_Items(dict);  /* new; may be a list the object keeps */
    int rc = -1;

    if (items == NULL) {
        return -1;
    }
    /* The size is read again each time: an items() list kept by the object
     * can change while a value is written. */
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *item = Py_NewRef(PyList_GET_ITEM(items, i));  /* holds key and value */
        if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
            PyErr_Format(PyExc_ValueError, "%s: items() of a %.100s must give 2-tuples",
                         name, Py_TYPE(dict)->tp_name);
            Py_DECREF(item);
            goto error;
        }
        if (append_json_member(b, PyTuple_GET_ITEM(item, 0), PyTuple_GET_ITEM(item, 1), i == 0,
                               name, depth) < 0) {
            Py_DECREF(item);
            goto error;
        }
        Py_DECREF(item);
    }
    rc = 0;

error:
    Py_DECREF(items);
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
        if (append_bytes(b, "{", 1, name) < 0) {
            return -1;
        }
        /* json's encoder writes an empty dict, subclass or not, as {}
         * without calling items(). */
        if (PyDict_GET_SIZE(o) != 0
            && (PyDict_CheckExact(o) ? append_json_dict(b, o, name, depth)
                                     : append_json_items(b, o, name, depth)) < 0) {
            return -1;
        }
        return append_bytes(b, "}", 1, name);
    }
    if (PyList_Check(o) || PyTuple_Check(o)) {
        /* o itself when exact, else list(o) as json's encoder makes it
         * (PySequence_Fast): a subclass's own __iter__ decides. */
        PyObject *seq = PySequence_Fast(o, "a JSON array");
        int rc = -1;
        if (seq == NULL) {
            return -1;
        }
        if (append_bytes(b, "[", 1, name) < 0) {
            goto done;
        }
        /* The size is read again each time, as json's encoder does: an
         * items() inside may change the list. */
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
            PyObject *item = Py_NewRef(PySequence_Fast_GET_ITEM(seq, i));
            int failed = (i && append_bytes(b, ",", 1, name) < 0)
                         || append_json_value(b, item, name, depth + 1) < 0;
            Py_DECREF(item);
            if (failed) {
                goto done;
            }
        }
        rc = append_bytes(b, "]", 1, name);
    done:
        Py_DECREF(seq);
        return rc;
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
 *     head  +  policy JSON, comma-separated  +  mid  +  tail parts  +  end
 *
 * where head, mid and end are the constant claims around the policies
 * array and the time claims, and the tail (given to each mint() call)
 * holds the time claims.  The policies live here, not in Python, so that
 * adding one and minting are each a single C call made under the GIL: a
 * thread can never mint from a prepared prefix that misses a policy
 * another thread has just added.
 *
 * Pieces and templates.  head, mid, end and each policy is a piece: JSON
 * text (bytes), or a Template: bytes and ints, an int k standing for field
 * k of the Minter's `fields` (a str field is written JSON-escaped without
 * its quotes, an int field in decimal).  A capability class describes its
 * payload once, as module constants; each object escapes its fields once
 * and keeps references to the shared templates, which are expanded into
 * token parts only when a token is written.  No per-object JSON is built.
 * Escaping is per code point, so the escape of a concatenation is the
 * concatenation of the escapes, and a field may sit inside a JSON string
 * (a sid inside a URL).
 *
 * Pieces hold only exact bytes and Templates of exact bytes and ints
 * (checked on the way in): none can refer back to a Minter, so no
 * reference cycle passes through one and neither type takes part in
 * garbage collection.
 *
 * Re-minting.  The first mint after the policies change writes the token
 * from scratch (a capability minted once, the common case for a web
 * request, pays for no cache it would not use).  The second prepares the
 * prefix head + policies + mid (token.h, trcap_prepared): its encoding and
 * the HMAC state after it are kept, and every later mint copies the one
 * and resumes the other, hashing and encoding only the tail.
 */

/* Parts of a token handled without a heap allocation: the seed's fresh
 * request, six policies of about ten parts each, fits. */
#define STACK_PARTS 128

typedef struct {
    PyObject_HEAD
    trcap_hmac_key key;             /* prepared HMAC-SHA256 key, owned; holds the key */
    EVP_MD_CTX *run;                /* the module's scratch MAC context, borrowed */
    unsigned char *header_b64;      /* BASE64URL(header): header_inline or PyMem, owned */
    size_t header_b64_length;
    unsigned char header_inline[48];  /* room for the default header's 36 */
    PyObject *head;                 /* piece, owned */
    PyObject *mid;                  /* piece, owned */
    PyObject *end;                  /* piece, owned */
    PyObject *policies;             /* list of pieces, owned */
    /* The fields templates refer to: nfields parts, then the escaped text
     * they point into, in one PyMem block, owned (NULL when none). */
    trcap_part *fields;
    Py_ssize_t nfields;
    trcap_prepared prepared;        /* valid when prepared.text != NULL */
    int minted;                     /* a token was minted since the policies changed */
    /* The module's Template type, borrowed like `run`: the module outlives
     * every object of its types (each holds its type, which holds the
     * module). */
    PyTypeObject *template_type;
} MinterObject;

/* The bytes of `key` (str as UTF-8, or bytes) for keying a MAC.  The only
 * copy made is the UTF-8 of a non-ASCII str (*copy, PyMem), which the
 * caller wipes and frees with release_key_copy(); an ASCII str and bytes
 * are read in place. */
static int
key_bytes(PyObject *key, const char *name, const unsigned char **p, size_t *n,
          unsigned char **copy, size_t *copy_size)
{
    *copy = NULL;
    *copy_size = 0;
    if (PyBytes_Check(key)) {
        *p = (const unsigned char *)PyBytes_AS_STRING(key);
        *n = (size_t)PyBytes_GET_SIZE(key);
    }
    else if (PyUnicode_Check(key)) {
        trcap_text t;
        trcap_status st;
        if (text_of(key, &t) < 0) {
            return -1;
        }
        if (PyUnicode_IS_ASCII(key)) {
            *p = (const unsigned char *)t.data;
            *n = t.length;
        }
        else {
            st = trcap_utf8_size(&t, copy_size);
            if (st != TRCAP_OK) {
                raise_status(st, name);
                return -1;
            }
            *copy = PyMem_Malloc(*copy_size ? *copy_size : 1);
            if (*copy == NULL) {
                PyErr_NoMemory();
                return -1;
            }
            (void)trcap_utf8_write(*copy, &t);
            *p = *copy;
            *n = *copy_size;
        }
    }
    else {
        PyErr_Format(PyExc_TypeError, "%s must be str or bytes, not %.100s",
                     name, Py_TYPE(key)->tp_name);
        return -1;
    }
    if (*n == 0) {
        PyErr_Format(PyExc_ValueError, "%s must not be empty", name);
        return -1;
    }
    return 0;
}

static void
release_key_copy(unsigned char *copy, size_t size)
{
    if (copy != NULL) {
        OPENSSL_cleanse(copy, size);
        PyMem_Free(copy);
    }
}

/* Prepares `k` from `key` (RFC 2104 over EVP_MD): a Minter's key, or the
 * decoder's for one check. */
static int
prepare_key(module_state *state, PyObject *key, const char *name, trcap_hmac_key *k)
{
    unsigned char *copy;
    size_t copy_size, n;
    const unsigned char *p;
    trcap_status st;
    int rc = -1;

    if (key_bytes(key, name, &p, &n, &copy, &copy_size) < 0) {
        goto error;
    }
    st = trcap_hmac_key_set(k, state->sha256, p, n);
    if (st != TRCAP_OK) {
        raise_status(st, "keying HMAC-SHA256");
        goto error;
    }
    rc = 0;

error:
    release_key_copy(copy, copy_size);
    return rc;
}

static int
is_int(PyObject *o)
{
    return PyLong_Check(o) && !PyBool_Check(o);
}

/* A payload number: an int (not a bool) that fits int64. */
static int
int64_of(PyObject *o, int64_t *v)
{
    int overflow = 0;
    long long n = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) {
        PyErr_SetString(PyExc_OverflowError,
                        "a time claim does not fit a signed 64-bit integer");
        return -1;
    }
    if (n == -1 && PyErr_Occurred()) {
        return -1;
    }
    *v = (int64_t)n;
    return 0;
}

static void
bytes_part(trcap_part *part, PyObject *bytes)
{
    part->bytes = (const unsigned char *)PyBytes_AS_STRING(bytes);
    part->length = (size_t)PyBytes_GET_SIZE(bytes);
    part->number = 0;
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
            bytes_part(&parts[i], o);
        }
        else if (is_int(o)) {
            parts[i].bytes = NULL;
            parts[i].length = 0;
            if (int64_of(o, &parts[i].number) < 0) {
                return -1;
            }
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

/* The fields of templates: a tuple of str (written JSON-escaped, without
 * quotes) and int (in decimal); with `text_only`, of non-empty str only.
 * Returns one PyMem block holding the parts followed by the escaped text
 * they point into; *n gets the count.  NULL with an exception on error,
 * NULL without one for an empty tuple. */
static trcap_part *
escape_fields(PyObject *fields, Py_ssize_t *n, int text_only)
{
    trcap_part *parts = NULL;
    unsigned char *p;
    size_t text_size = 0, head_size, size;
    uint64_t plain = 0;  /* bit i: field i needs no escape (the first 64) */
    Py_ssize_t count;
    trcap_status st = TRCAP_OK;

    *n = 0;
    if (!PyTuple_Check(fields)) {
        PyErr_Format(PyExc_TypeError, "fields must be a tuple, not %.100s",
                     Py_TYPE(fields)->tp_name);
        goto error;
    }
    count = PyTuple_GET_SIZE(fields);
    if (count == 0) {
        goto error;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *o = PyTuple_GET_ITEM(fields, i);  /* borrowed */
        trcap_text t;
        if (text_only && (!PyUnicode_Check(o) || PyUnicode_GET_LENGTH(o) == 0)) {
            /* The capability classes check again to name the argument. */
            PyErr_SetString(PyUnicode_Check(o) ? PyExc_ValueError : PyExc_TypeError,
                            "fields must be non-empty str");
            goto error;
        }
        if (PyUnicode_Check(o)) {
            if (text_of(o, &t) < 0) {
                goto error;
            }
            if (i < 64 && trcap_json_string_is_plain(&t)) {
                plain |= (uint64_t)1 << i;
                size = t.length;  /* copied as is; no quotes needed */
            }
            else {
                st = trcap_json_string_size(&t, &size);
            }
            if (st == TRCAP_OK && text_size > SIZE_MAX - size) {
                st = TRCAP_ERR_OVERFLOW;
            }
            if (st != TRCAP_OK) {
                raise_status(st, "a field");
                goto error;
            }
            text_size += size;
        }
        else if (!is_int(o)) {
            PyErr_Format(PyExc_TypeError, "fields must be str or int, not %.100s",
                         Py_TYPE(o)->tp_name);
            goto error;
        }
    }
    head_size = (size_t)count * sizeof(trcap_part);
    if (text_size > (size_t)PY_SSIZE_T_MAX - head_size) {
        raise_status(TRCAP_ERR_OVERFLOW, "the fields");
        goto error;
    }
    parts = PyMem_Malloc(head_size + text_size);
    if (parts == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    p = (unsigned char *)parts + head_size;
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *o = PyTuple_GET_ITEM(fields, i);  /* borrowed */
        if (PyUnicode_Check(o)) {
            trcap_text t;
            (void)text_of(o, &t);  /* ready: measured above */
            if (i < 64 && (plain >> i & 1)) {
                memcpy(p, t.data, t.length);
                parts[i].bytes = p;
                parts[i].length = t.length;
                p += t.length;
            }
            else {
                unsigned char *q = trcap_json_string_write(p, &t);
                parts[i].bytes = p + 1;  /* inside the quotes */
                parts[i].length = (size_t)(q - p) - 2;
                p = q;
            }
            parts[i].number = 0;
        }
        else {
            parts[i].bytes = NULL;
            parts[i].length = 0;
            if (int64_of(o, &parts[i].number) < 0) {
                PyMem_Free(parts);
                parts = NULL;
                goto error;
            }
        }
    }
    *n = count;

error:
    return parts;
}

/* ---- templates ---------------------------------------------------------- */

/* One item of a template: JSON text, or field `length` when bytes is NULL. */
typedef struct {
    const unsigned char *bytes;
    size_t length;
} template_entry;

/* A template compiled once: the items as a C array (views into the bytes
 * the items tuple keeps alive), so that expanding it is a plain loop and a
 * Minter checks it in O(1) (fields_needed). */
typedef struct {
    PyObject_VAR_HEAD
    PyObject *items;              /* tuple of exact bytes and exact ints, owned */
    Py_ssize_t fields_needed;     /* 1 + the largest field index; 0: none */
    template_entry entries[1];    /* Py_SIZE(self) of them */
} TemplateObject;

static PyObject *
Template_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    PyObject *items;
    TemplateObject *self = NULL;
    Py_ssize_t n;

    if (kwds != NULL && PyDict_GET_SIZE(kwds) != 0) {
        PyErr_SetString(PyExc_TypeError, "Template() takes no keyword arguments");
        return NULL;
    }
    if (!PyArg_ParseTuple(args, "O!:Template", &PyTuple_Type, &items)) {
        return NULL;
    }
    n = PyTuple_GET_SIZE(items);
    self = (TemplateObject *)type->tp_alloc(type, n);
    if (self == NULL) {
        return NULL;
    }
    /* An exact tuple (the same one when `items` is): a tuple subclass
     * could hold a Minter in its __dict__, and a cycle through a Template
     * (not tracked by the collector) would never be freed. */
    self->items = PyTuple_GetSlice(items, 0, n);
    if (self->items == NULL) {
        goto error;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(self->items, i);  /* borrowed: the tuple is ours */
        /* Exact types only: nothing in a template can refer back to a
         * Minter, so no reference cycle passes through one. */
        if (PyBytes_CheckExact(item)) {
            self->entries[i].bytes = (const unsigned char *)PyBytes_AS_STRING(item);
            self->entries[i].length = (size_t)PyBytes_GET_SIZE(item);
        }
        else if (PyLong_CheckExact(item)) {
            Py_ssize_t k = PyLong_AsSsize_t(item);
            if (k == -1 && PyErr_Occurred()) {
                goto error;
            }
            if (k < 0) {
                PyErr_Format(PyExc_ValueError, "a field index must not be negative, not %zd", k);
                goto error;
            }
            if (k >= PY_SSIZE_T_MAX) {
                /* fields_needed is k + 1, which must not wrap. */
                PyErr_Format(PyExc_ValueError, "a field index must be less than %zd, not %zd",
                             PY_SSIZE_T_MAX, k);
                goto error;
            }
            self->entries[i].bytes = NULL;
            self->entries[i].length = (size_t)k;
            if (k >= self->fields_needed) {
                self->fields_needed = k + 1;
            }
        }
        else {
            PyErr_Format(PyExc_TypeError,
                         "template items must be bytes or a field index (int), not %.100s",
                         Py_TYPE(item)->tp_name);
            goto error;
        }
    }
    return (PyObject *)self;

error:
    Py_DECREF(self);
    return NULL;
}

static void
Template_dealloc(TemplateObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    Py_XDECREF(self->items);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *
Template_repr(TemplateObject *self)
{
    return PyUnicode_FromFormat("%s(%R)", Py_TYPE(self)->tp_name, self->items);
}

static PyMemberDef Template_members[] = {
    {"items", T_OBJECT_EX, offsetof(TemplateObject, items), READONLY,
     "The tuple of bytes and field indices the template was made from."},
    {NULL, 0, 0, 0, NULL},
};

PyDoc_STRVAR(Template_doc,
"Template(items, /)\n--\n\n"
"A payload template: `items` is a tuple of bytes (JSON text) and ints, an\n"
"int k standing for field k of the Minter it is used with (a str field is\n"
"written JSON-escaped without its quotes, an int field in decimal).\n"
"Checked and compiled once; immutable.");

static PyType_Slot Template_slots[] = {
    {Py_tp_new, Template_new},
    {Py_tp_dealloc, Template_dealloc},
    {Py_tp_repr, Template_repr},
    {Py_tp_members, Template_members},
    {Py_tp_doc, (void *)Template_doc},
    {0, NULL},
};

static PyType_Spec Template_spec = {
    .name = "twilio_trcap._core.Template",
    .basicsize = offsetof(TemplateObject, entries),
    .itemsize = sizeof(template_entry),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = Template_slots,
};

/* A piece is exact bytes or a Template.  Checks that `o` is one, and that
 * a Template needs no more than `nfields` fields. */
static int
check_piece(PyTypeObject *template_type, PyObject *o, Py_ssize_t nfields, const char *name)
{
    if (PyBytes_CheckExact(o)) {
        return 0;
    }
    if (!Py_IS_TYPE(o, template_type)) {
        PyErr_Format(PyExc_TypeError, "%s must be bytes or a Template, not %.100s",
                     name, Py_TYPE(o)->tp_name);
        return -1;
    }
    if (((TemplateObject *)o)->fields_needed > nfields) {
        PyErr_Format(PyExc_ValueError, "%s refers to field %zd of %zd", name,
                     ((TemplateObject *)o)->fields_needed - 1, nfields);
        return -1;
    }
    return 0;
}

/* Parts a checked piece expands to. */
static size_t
piece_count(PyObject *piece)
{
    return PyBytes_CheckExact(piece) ? 1 : (size_t)Py_SIZE(piece);
}

/* Expands a checked piece into parts (piece_count of them): bytes as views
 * borrowed from the piece, field k as fields[k].  Returns the next part. */
static trcap_part *
piece_parts(PyObject *piece, const trcap_part *fields, trcap_part *parts)
{
    const TemplateObject *t = (const TemplateObject *)piece;
    if (PyBytes_CheckExact(piece)) {
        bytes_part(parts, piece);
        return parts + 1;
    }
    for (Py_ssize_t i = 0; i < Py_SIZE(t); i++, parts++) {
        if (t->entries[i].bytes) {
            parts->bytes = t->entries[i].bytes;
            parts->length = t->entries[i].length;
            parts->number = 0;
        }
        else {
            *parts = fields[t->entries[i].length];  /* in range: checked */
        }
    }
    return parts;
}

/* A part array of `n`: `stack` when it fits, else from PyMem. */
static trcap_part *
parts_room(trcap_part *stack, size_t n)
{
    trcap_part *parts = n <= STACK_PARTS ? stack : PyMem_New(trcap_part, n);
    if (parts == NULL) {
        PyErr_NoMemory();
    }
    return parts;
}

static void
parts_release(trcap_part *parts, trcap_part *stack)
{
    if (parts != stack) {
        PyMem_Free(parts);
    }
}

/* The JSON text of a checked piece with `fields`, as bytes. */
static PyObject *
render_piece(PyObject *piece, const trcap_part *fields)
{
    trcap_part stack[STACK_PARTS];
    trcap_part *parts = NULL;
    size_t nparts = piece_count(piece), size;
    PyObject *result = NULL;
    trcap_status st;

    if (PyBytes_CheckExact(piece)) {
        return Py_NewRef(piece);
    }
    parts = parts_room(stack, nparts);
    if (parts == NULL) {
        goto error;
    }
    (void)piece_parts(piece, fields, parts);
    st = trcap_payload_size(parts, nparts, &size);
    if (st == TRCAP_OK && size > (size_t)PY_SSIZE_T_MAX) {
        st = TRCAP_ERR_OVERFLOW;
    }
    if (st != TRCAP_OK) {
        raise_status(st, "a policy");
        goto error;
    }
    result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (result == NULL) {
        goto error;
    }
    (void)trcap_payload_write((unsigned char *)PyBytes_AS_STRING(result), parts, nparts);

error:
    if (parts != NULL) {
        parts_release(parts, stack);
    }
    return result;
}

/* head, mid or end: a checked piece, new reference; b'' when absent. */
static PyObject *
piece_arg(MinterObject *self, PyObject *given, const char *name)
{
    if (given == NULL) {
        return PyBytes_FromStringAndSize(NULL, 0);
    }
    if (check_piece(self->template_type, given, self->nfields, name) < 0) {
        return NULL;
    }
    return Py_NewRef(given);
}

/* What Minter() and Minter.for_template() share.  Every object argument is
 * borrowed; head, mid, end, fields and policies may be NULL (absent). */
static PyObject *
minter_create(PyTypeObject *type, PyObject *key, const char *header, Py_ssize_t header_length,
              PyObject *head, PyObject *mid, PyObject *end, PyObject *fields,
              int text_only, PyObject *policies, const char *name)
{
    MinterObject *self = NULL;
    PyObject *module;
    size_t size;
    trcap_status st;

    module = PyType_GetModuleByDef(type, &core_module);  /* borrowed */
    if (module == NULL) {
        goto error;
    }
    self = (MinterObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        goto error;
    }
    self->template_type = get_state(module)->template_type;
    if (fields != NULL) {
        self->fields = escape_fields(fields, &self->nfields, text_only);
        if (self->fields == NULL && PyErr_Occurred()) {
            goto error;
        }
    }
    if ((self->head = piece_arg(self, head, "head")) == NULL
        || (self->mid = piece_arg(self, mid, "mid")) == NULL
        || (self->end = piece_arg(self, end, "end")) == NULL) {
        goto error;
    }
    if (policies == NULL) {
        self->policies = PyList_New(0);
    }
    else {
        if (!PyTuple_Check(policies)) {
            PyErr_Format(PyExc_TypeError, "policies must be a tuple, not %.100s",
                         Py_TYPE(policies)->tp_name);
            goto error;
        }
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(policies); i++) {
            if (check_piece(self->template_type, PyTuple_GET_ITEM(policies, i), self->nfields,
                            "a policy") < 0) {
                goto error;
            }
        }
        /* A copy of the tuple's storage, which is what was checked: list()
         * would call a tuple subclass's __iter__, which may give anything. */
        self->policies = PyList_New(PyTuple_GET_SIZE(policies));
        for (Py_ssize_t i = 0; self->policies != NULL && i < PyTuple_GET_SIZE(policies); i++) {
            PyList_SET_ITEM(self->policies, i, Py_NewRef(PyTuple_GET_ITEM(policies, i)));
        }
    }
    if (self->policies == NULL) {
        goto error;
    }
    st = trcap_b64url_size((size_t)header_length, &size);
    if (st != TRCAP_OK) {
        raise_status(st, "header");
        goto error;
    }
    /* One allocation fewer per object for the usual header. */
    self->header_b64 = size <= sizeof self->header_inline ? self->header_inline
                                                          : PyMem_Malloc(size);
    if (self->header_b64 == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    self->header_b64_length = size;
    (void)trcap_b64url_encode(self->header_b64, (const unsigned char *)header,
                              (size_t)header_length);
    if (prepare_key(get_state(module), key, name, &self->key) < 0) {
        goto error;
    }
    self->run = get_state(module)->scratch;
    return (PyObject *)self;

error:
    Py_XDECREF(self);
    return NULL;
}

static PyObject *
Minter_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    static char *kwlist[] = {"key", "header", "head", "mid", "end", "fields", "name", NULL};
    PyObject *key;
    const char *header = default_header;
    Py_ssize_t header_length = (Py_ssize_t)(sizeof default_header - 1);
    PyObject *head = NULL, *mid = NULL, *end = NULL, *fields = NULL;  /* borrowed */
    const char *name = "key";

    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O|y#$OOOOs:Minter", kwlist,
                                     &key, &header, &header_length, &head, &mid,
                                     &end, &fields, &name)) {
        return NULL;
    }
    return minter_create(type, key, header, header_length, head, mid, end, fields, 0, NULL,
                         name);
}

PyDoc_STRVAR(Minter_for_template_doc,
"for_template(key, fields, head, policies, mid, end, name, /)\n--\n\n"
"A Minter with the default header, `fields` (non-empty str only), head,\n"
"mid and end, holding\n"
"the pieces of `policies` (a tuple): Minter(key, head=head, mid=mid,\n"
"end=end, fields=fields, name=name) and one add_policy_template() per\n"
"policy, in one positional call (keyword parsing costs more than the\n"
"rest of it).");

static PyObject *
Minter_for_template(PyTypeObject *type, PyObject *const *args, Py_ssize_t nargs)
{
    const char *name;

    if (check_nargs("for_template", nargs, 7) < 0 || check_str(args[6], "name") < 0) {
        return NULL;
    }
    name = PyUnicode_AsUTF8(args[6]);
    if (name == NULL) {
        return NULL;
    }
    return minter_create(type, args[0], default_header,
                         (Py_ssize_t)(sizeof default_header - 1), args[2], args[4], args[5],
                         args[1], 1, args[3], name);
}

static void
Minter_dealloc(MinterObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    /* OpenSSL frees the key states and the prepared state with
     * OPENSSL_clear_free (its SHA-256 provider), wiping what the key left in
     * them. */
    trcap_hmac_key_release(&self->key);
    trcap_prepared_release(&self->prepared);
    if (self->header_b64 != self->header_inline) {
        PyMem_Free(self->header_b64);
    }
    PyMem_Free(self->fields);
    Py_XDECREF(self->head);
    Py_XDECREF(self->mid);
    Py_XDECREF(self->end);
    Py_XDECREF(self->policies);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* A new compact ASCII str of `size` characters, for a token. */
static PyObject *
new_token(size_t size)
{
    if (size > (size_t)PY_SSIZE_T_MAX) {
        raise_status(TRCAP_ERR_OVERFLOW, "the token");
        return NULL;
    }
    return PyUnicode_New((Py_ssize_t)size, 127);
}

/* The token for `parts`, from scratch. */
static PyObject *
token_from_parts(MinterObject *self, const trcap_part *parts, size_t nparts)
{
    PyObject *token = NULL;
    size_t payload_size, token_size;
    trcap_status st;

    st = trcap_payload_size(parts, nparts, &payload_size);
    if (st == TRCAP_OK) {
        st = trcap_token_size(self->header_b64_length, payload_size, &token_size);
    }
    if (st != TRCAP_OK) {
        raise_status(st, "the token");
        goto error;
    }
    token = new_token(token_size);
    if (token == NULL) {
        goto error;
    }
    st = trcap_token_write(PyUnicode_1BYTE_DATA(token), self->header_b64,
                           self->header_b64_length, parts, nparts, payload_size, &self->key,
                           self->run);
    if (st != TRCAP_OK) {
        raise_status(st, "signing the token");
        Py_CLEAR(token);
    }

error:
    return token;
}

PyDoc_STRVAR(Minter_sign_doc,
"sign(*parts)\n--\n\n"
"The signed token whose payload is the concatenation of `parts`: bytes\n"
"are taken as JSON text, ints are written in decimal.");

static PyObject *
Minter_sign(MinterObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    trcap_part stack[STACK_PARTS];
    trcap_part *parts = parts_room(stack, (size_t)nargs);
    PyObject *token = NULL;

    if (parts == NULL) {
        return NULL;
    }
    if (parts_from_args(args, nargs, parts) == 0) {
        token = token_from_parts(self, parts, (size_t)nargs);
    }
    parts_release(parts, stack);
    return token;
}

/* Parts of head + the policies joined by commas + mid. */
static size_t
prefix_count(MinterObject *self)
{
    Py_ssize_t count = PyList_GET_SIZE(self->policies);
    size_t n = piece_count(self->head) + piece_count(self->mid);
    for (Py_ssize_t i = 0; i < count; i++) {
        n += piece_count(PyList_GET_ITEM(self->policies, i)) + (i > 0);  /* ',' */
    }
    return n;
}

static trcap_part *
prefix_parts(MinterObject *self, trcap_part *parts)
{
    static const unsigned char comma[] = ",";
    Py_ssize_t count = PyList_GET_SIZE(self->policies);

    parts = piece_parts(self->head, self->fields, parts);
    for (Py_ssize_t i = 0; i < count; i++) {
        if (i) {
            parts->bytes = comma;
            parts->length = 1;
            parts->number = 0;
            parts++;
        }
        parts = piece_parts(PyList_GET_ITEM(self->policies, i), self->fields, parts);
    }
    return piece_parts(self->mid, self->fields, parts);
}

/* Builds self->prepared from head + policies + mid. */
static int
prepare_prefix(MinterObject *self)
{
    trcap_part stack[STACK_PARTS];
    size_t nparts = prefix_count(self);
    trcap_part *parts = parts_room(stack, nparts);
    trcap_status st;

    if (parts == NULL) {
        return -1;
    }
    (void)prefix_parts(self, parts);
    st = trcap_prepared_set(&self->prepared, self->header_b64, self->header_b64_length,
                            parts, nparts, &self->key);
    parts_release(parts, stack);
    if (st != TRCAP_OK) {
        raise_status(st, "preparing the token prefix");
        return -1;
    }
    return 0;
}

/* The token for the prepared prefix + tail + end. */
static PyObject *
token_from_prepared(MinterObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    trcap_part stack[STACK_PARTS];
    size_t ntail = (size_t)nargs + piece_count(self->end);
    trcap_part *tail = parts_room(stack, ntail);
    PyObject *token = NULL;
    size_t tail_size, token_size;
    trcap_status st;

    if (tail == NULL) {
        return NULL;
    }
    if (parts_from_args(args, nargs, tail) < 0) {
        goto error;
    }
    (void)piece_parts(self->end, self->fields, tail + nargs);
    st = trcap_payload_size(tail, ntail, &tail_size);
    if (st == TRCAP_OK) {
        st = trcap_prepared_token_size(&self->prepared, tail_size, &token_size);
    }
    if (st != TRCAP_OK) {
        raise_status(st, "the token");
        goto error;
    }
    token = new_token(token_size);
    if (token == NULL) {
        goto error;
    }
    st = trcap_prepared_token_write(PyUnicode_1BYTE_DATA(token), &self->prepared,
                                    tail, ntail, tail_size, &self->key, self->run);
    if (st != TRCAP_OK) {
        raise_status(st, "signing the token");
        Py_CLEAR(token);
    }

error:
    parts_release(tail, stack);
    return token;
}

/* The token for head + policies + mid + tail + end, from scratch. */
static PyObject *
token_from_scratch(MinterObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    trcap_part stack[STACK_PARTS];
    size_t nprefix = prefix_count(self);
    size_t nparts = nprefix + (size_t)nargs + piece_count(self->end);
    trcap_part *parts = parts_room(stack, nparts);
    PyObject *token = NULL;

    if (parts == NULL) {
        return NULL;
    }
    (void)prefix_parts(self, parts);
    if (parts_from_args(args, nargs, parts + nprefix) == 0) {
        (void)piece_parts(self->end, self->fields, parts + nprefix + nargs);
        token = token_from_parts(self, parts, nparts);
    }
    parts_release(parts, stack);
    return token;
}

PyDoc_STRVAR(Minter_mint_doc,
"mint(*tail)\n--\n\n"
"The signed token whose payload is head, the policies joined by commas,\n"
"mid, the parts in `tail` (bytes as JSON text, ints in decimal), then end.\n"
"From the second mint after the policies change, the encoding of head +\n"
"policies + mid and the MAC state after it are re-used.");

static PyObject *
Minter_mint(MinterObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (self->prepared.text != NULL) {
        return token_from_prepared(self, args, nargs);
    }
    if (!self->minted) {
        PyObject *token = token_from_scratch(self, args, nargs);
        self->minted = token != NULL;
        return token;
    }
    if (prepare_prefix(self) < 0) {
        return NULL;
    }
    return token_from_prepared(self, args, nargs);
}

/* The policies changed: the prepared prefix no longer holds. */
static void
policies_changed(MinterObject *self)
{
    trcap_prepared_release(&self->prepared);
    self->minted = 0;
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
    policies_changed(self);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(Minter_add_policy_template_doc,
"add_policy_template(template, /)\n--\n\n"
"Appends one policy whose JSON is `template` with this Minter's fields.");

static PyObject *
Minter_add_policy_template(MinterObject *self, PyObject *template)
{
    if (!Py_IS_TYPE(template, self->template_type)) {
        PyErr_Format(PyExc_TypeError, "a policy template must be a Template, not %.100s",
                     Py_TYPE(template)->tp_name);
        return NULL;
    }
    if (check_piece(self->template_type, template, self->nfields, "a policy") < 0
        || PyList_Append(self->policies, template) < 0) {
        return NULL;
    }
    policies_changed(self);
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
    policies_changed(self);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(Minter_policies_doc,
"policies()\n--\n\n"
"A new list of the policies' JSON fragments (bytes), in token order.");

static PyObject *
Minter_policies(MinterObject *self, PyObject *Py_UNUSED(ignored))
{
    /* Our own reference to the list we read: allocating the result can run
     * a collection, and a finalizer may call set_policies(), which replaces
     * (and would otherwise free) self->policies under the loop. */
    PyObject *policies = Py_NewRef(self->policies);
    Py_ssize_t count = PyList_GET_SIZE(policies);
    PyObject *result = PyList_New(count);
    if (result == NULL) {
        goto error;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *fragment = render_piece(PyList_GET_ITEM(policies, i), self->fields);
        if (fragment == NULL) {
            Py_CLEAR(result);
            goto error;
        }
        PyList_SET_ITEM(result, i, fragment);  /* reference moved to result */
    }

error:
    Py_DECREF(policies);
    return result;
}

/* ---- many tokens, the GIL released ------------------------------------- */

/* What mint_each() needs once the GIL is released: plain C data only. */
typedef struct {
    trcap_part *parts;       /* the template's parts; slot items re-pointed per value */
    size_t nparts;
    size_t *slot_at;         /* indices of the parts that are the slot */
    size_t nslots;
    trcap_text *values;      /* views of the values' storage (kept alive by a tuple) */
    size_t base_size;        /* payload bytes but the slots */
    /* The new token strs, owned here (tokens[0..made)) until the list is
     * built after the GIL is back: nothing else can reach them meanwhile
     * (a str is not tracked by the garbage collector, a list would be). */
    PyObject **tokens;
    size_t made;
    size_t count;
    unsigned char *scratch;  /* room for the largest escaped value */
} batch;

/* Writes every token; runs without the GIL, so it touches no Python
 * object but the str storage it was handed. */
static trcap_status
write_batch(batch *b, const unsigned char *header_b64, size_t header_b64_length,
            const trcap_hmac_key *key)
{
    trcap_status st = TRCAP_OK;
    EVP_MD_CTX *run = EVP_MD_CTX_new();  /* this call's own: the Minter's is not */

    if (run == NULL) {
        return TRCAP_ERR_NOMEM;
    }
    for (size_t i = 0; i < b->count && st == TRCAP_OK; i++) {
        unsigned char *q = trcap_json_string_write(b->scratch, &b->values[i]);
        size_t escaped = (size_t)(q - b->scratch) - 2;  /* inside the quotes */
        for (size_t j = 0; j < b->nslots; j++) {
            trcap_part *part = &b->parts[b->slot_at[j]];
            part->bytes = b->scratch + 1;
            part->length = escaped;
        }
        /* Measured under the GIL: it cannot overflow now. */
        st = trcap_token_write(PyUnicode_1BYTE_DATA(b->tokens[i]), header_b64,
                               header_b64_length, b->parts, b->nparts,
                               b->base_size + b->nslots * escaped, key, run);
    }
    EVP_MD_CTX_free(run);
    return st;
}

PyDoc_STRVAR(Minter_mint_each_doc,
"mint_each(template, fields, slot, values, /)\n--\n\n"
"A list with one token per item of `values` (non-empty str): the payload is\n"
"`template` with `fields` (a tuple of str and int), field `slot`\n"
"replaced by the item.  This Minter's policies, head, mid and end are\n"
"not used.  The GIL is released while the tokens are written and signed.");

static PyObject *
Minter_mint_each(MinterObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    batch b = {0};
    PyObject *values = NULL, *result = NULL;
    trcap_part *fields = NULL;
    Py_ssize_t nfields = 0, slot;
    size_t scratch_size = 2;
    trcap_status st;

    if (check_nargs("mint_each", nargs, 4) < 0) {
        goto error;
    }
    fields = escape_fields(args[1], &nfields, 0);
    if (fields == NULL && PyErr_Occurred()) {
        goto error;
    }
    if (!Py_IS_TYPE(args[0], self->template_type)) {
        PyErr_Format(PyExc_TypeError, "template must be a Template, not %.100s",
                     Py_TYPE(args[0])->tp_name);
        goto error;
    }
    if (check_piece(self->template_type, args[0], nfields, "template") < 0) {
        goto error;
    }
    if (!is_int(args[2])) {
        PyErr_SetString(PyExc_TypeError, "slot must be an int");
        goto error;
    }
    slot = PyLong_AsSsize_t(args[2]);
    if (slot == -1 && PyErr_Occurred()) {
        goto error;
    }
    if (slot < 0 || slot >= nfields || fields[slot].bytes == NULL) {
        PyErr_SetString(PyExc_ValueError, "slot must be the index of a str field");
        goto error;
    }
    /* Our own tuple: the values stay alive, and unchanged, without the GIL. */
    values = PySequence_Tuple(args[3]);
    if (values == NULL) {
        goto error;
    }

    /* Measure: the template with an empty slot, plus each value's escape. */
    b.nparts = piece_count(args[0]);
    b.count = (size_t)PyTuple_GET_SIZE(values);
    b.parts = PyMem_New(trcap_part, b.nparts ? b.nparts : 1);
    b.slot_at = PyMem_New(size_t, b.nparts ? b.nparts : 1);
    b.values = PyMem_New(trcap_text, b.count ? b.count : 1);
    b.tokens = PyMem_New(PyObject *, b.count ? b.count : 1);
    if (b.parts == NULL || b.slot_at == NULL || b.values == NULL || b.tokens == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    fields[slot].length = 0;
    (void)piece_parts(args[0], fields, b.parts);
    for (size_t i = 0; i < b.nparts; i++) {
        const template_entry *e = &((TemplateObject *)args[0])->entries[i];
        if (e->bytes == NULL && e->length == (size_t)slot) {
            b.slot_at[b.nslots++] = i;
        }
    }
    st = trcap_payload_size(b.parts, b.nparts, &b.base_size);
    if (st != TRCAP_OK) {
        raise_status(st, "the token");
        goto error;
    }
    for (size_t i = 0; i < b.count; i++) {
        PyObject *v = PyTuple_GET_ITEM(values, (Py_ssize_t)i);  /* borrowed */
        size_t escaped, payload_size = b.base_size, token_size;
        if (!PyUnicode_Check(v)) {
            PyErr_Format(PyExc_TypeError, "values[%zu] must be str, not %.100s",
                         i, Py_TYPE(v)->tp_name);
            goto error;
        }
        if (PyUnicode_GET_LENGTH(v) == 0) {
            PyErr_Format(PyExc_ValueError, "values[%zu] must not be empty", i);
            goto error;
        }
        if (text_of(v, &b.values[i]) < 0) {
            goto error;
        }
        st = trcap_json_string_size(&b.values[i], &escaped);
        for (size_t j = 0; st == TRCAP_OK && j < b.nslots; j++) {
            if (payload_size > SIZE_MAX - (escaped - 2)) {
                st = TRCAP_ERR_OVERFLOW;
            }
            else {
                payload_size += escaped - 2;
            }
        }
        if (st == TRCAP_OK) {
            st = trcap_token_size(self->header_b64_length, payload_size, &token_size);
        }
        if (st != TRCAP_OK) {
            raise_status(st, "the token");
            goto error;
        }
        if (escaped > scratch_size) {
            scratch_size = escaped;
        }
        b.tokens[i] = new_token(token_size);
        if (b.tokens[i] == NULL) {
            goto error;
        }
        b.made = i + 1;
    }
    b.scratch = PyMem_Malloc(scratch_size);
    if (b.scratch == NULL) {
        PyErr_NoMemory();
        goto error;
    }

    /* Write.  Only this call knows the new str objects, the values are held
     * by our tuple, and the key states are read-only once set: the GIL can
     * go. */
    Py_BEGIN_ALLOW_THREADS
    st = write_batch(&b, self->header_b64, self->header_b64_length, &self->key);
    Py_END_ALLOW_THREADS
    if (st != TRCAP_OK) {
        raise_status(st, "signing the tokens");
        goto error;
    }
    result = PyList_New((Py_ssize_t)b.count);
    if (result == NULL) {
        goto error;
    }
    for (size_t i = 0; i < b.count; i++) {
        PyList_SET_ITEM(result, (Py_ssize_t)i, b.tokens[i]);  /* reference moved to result */
    }
    b.made = 0;
    goto done;

error:
    Py_CLEAR(result);
done:
    for (size_t i = 0; i < b.made; i++) {
        Py_DECREF(b.tokens[i]);
    }
    PyMem_Free(b.scratch);
    PyMem_Free(b.parts);
    PyMem_Free(b.slot_at);
    PyMem_Free(b.values);
    PyMem_Free(b.tokens);
    PyMem_Free(fields);
    Py_XDECREF(values);
    return result;
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
    {"mint_each", (PyCFunction)(void (*)(void))Minter_mint_each, METH_FASTCALL,
     Minter_mint_each_doc},
    {"for_template", (PyCFunction)(void (*)(void))Minter_for_template,
     METH_FASTCALL | METH_CLASS, Minter_for_template_doc},
    {"add_policy", (PyCFunction)Minter_add_policy, METH_O, Minter_add_policy_doc},
    {"add_policy_template", (PyCFunction)Minter_add_policy_template, METH_O,
     Minter_add_policy_template_doc},
    {"set_policies", (PyCFunction)Minter_set_policies, METH_O, Minter_set_policies_doc},
    {"policies", (PyCFunction)Minter_policies, METH_NOARGS, Minter_policies_doc},
    {"__reduce__", Minter_reduce, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(Minter_doc,
"Minter(key, header=b'{\"alg\":\"HS256\",\"typ\":\"JWT\"}', *, head=b'', mid=b'',\n"
"       end=b'', fields=(), name='key')\n--\n\n"
"A keyed HS256 signer holding a capability's policies.  The key (str as\n"
"UTF-8, or bytes) is kept only inside OpenSSL's SHA-256 states and wiped\n"
"when the object is freed.  `head`, `mid` and `end` are the payload's\n"
"constant JSON around the policies and the time claims (see mint()), as\n"
"bytes or Templates over `fields` (a tuple of str, written JSON-escaped\n"
"without quotes, and int).\n"
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
 * object made.  The stack of open containers holds references of its own:
 * on 3.11 every allocation of a container can run the cyclic collector and
 * any finalizer, which may find the half-built root (gc.get_objects) and
 * clear it, freeing what a borrowed stack would still point to. */
typedef struct {
    module_state *state;
    const char *part;                          /* "header JSON" or "payload JSON" */
    PyObject *root;                            /* owned */
    PyObject *key;                             /* owned: name of the next member */
    PyObject *open[TRCAP_JSON_MAX_DEPTH];      /* owned: open containers */
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
    if (container == NULL) {
        return -1;
    }
    /* The reader refuses deeper nesting before this could overflow. */
    assert(b->depth < TRCAP_JSON_MAX_DEPTH);
    /* Our own reference first: attaching it gives the other away. */
    PyObject *held = Py_NewRef(container);
    if (builder_attach_steal(b, container) < 0) {
        Py_DECREF(held);
        return -1;
    }
    b->open[b->depth++] = held;  /* owned by the stack until it closes */
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
    builder *b = ctx;
    b->depth--;
    Py_CLEAR(b->open[b->depth]);
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
    while (b.depth > 0) {  /* containers left open by an error */
        b.depth--;
        Py_CLEAR(b.open[b.depth]);
    }
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

/* Whether `algorithms` (a tuple) names `alg`, compared by value: a str
 * subclass's __eq__ is not called, so no Python code runs here (an __eq__
 * could reach the header through gc and free the value being compared). */
static int
algorithm_allowed(PyObject *algorithms, PyObject *alg)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(algorithms); i++) {
        PyObject *name = PyTuple_GET_ITEM(algorithms, i);  /* borrowed: tuples are immutable */
        if (PyUnicode_Check(name) && PyUnicode_Compare(name, alg) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The header's fields that must be understood before the token is
 * trusted (RFC 7515 section 4.1), the algorithm last.  0 if acceptable.
 * The dict holds only the str keys the builder made (a finalizer run while
 * it was built could add others: lookups stay memory-safe, and `alg` is
 * held strongly). */
static int
check_header(module_state *state, PyObject *header, PyObject *algorithms)
{
    PyObject *value;  /* borrowed from the header, used before any Python code runs */
    PyObject *alg = NULL;  /* owned: held across the repr()s of error messages */
    int rc = -1;

    /* Section 4.1.11: every extension listed in "crit" must be understood;
     * twilio-trcap understands none.  (PyJWT understands RFC 7797's "b64";
     * a token using it cannot be a Twilio token.) */
    if (PyDict_GetItemString(header, "crit") != NULL) {
        PyErr_SetString(state->malformed_error,
                        "malformed token: the header lists critical extensions (crit); "
                        "twilio-trcap supports none");
        goto error;
    }
    /* RFC 7797 section 3: "b64": false means an unencoded payload. */
    value = PyDict_GetItemString(header, "b64");
    if (value != NULL && value != Py_True) {
        PyErr_SetString(state->malformed_error,
                        "malformed token: the header asks for an unencoded payload (b64); "
                        "twilio-trcap supports only base64url payloads");
        goto error;
    }
    /* Section 4.1.4: a key ID is a string (PyJWT checks the same). */
    value = PyDict_GetItemString(header, "kid");
    if (value != NULL && !PyUnicode_Check(value)) {
        PyErr_SetString(state->malformed_error,
                        "malformed token: the header's key ID (kid) is not a string");
        goto error;
    }
    alg = Py_XNewRef(PyDict_GetItemString(header, "alg"));
    if (alg == NULL) {
        PyErr_SetString(state->algorithm_error,
                        "the header names no algorithm (alg)");
        goto error;
    }
    if (!PyUnicode_Check(alg)) {
        PyErr_SetString(state->algorithm_error, "the header's algorithm (alg) is not a string");
        goto error;
    }
    /* RFC 8725 section 3.1: an unsecured JWS is never accepted, whatever
     * the caller allowed. */
    if (PyUnicode_CompareWithASCIIString(alg, "none") == 0) {
        PyErr_SetString(state->algorithm_error,
                        "the token is unsigned (alg 'none'), which is never accepted");
        goto error;
    }
    if (!algorithm_allowed(algorithms, alg)) {
        /* %R of `algorithms` may run a str subclass's __repr__. */
        PyErr_Format(state->algorithm_error,
                     "the token's algorithm %.40R is not among the algorithms allowed %.200R",
                     alg, algorithms);
        goto error;
    }
    if (PyUnicode_CompareWithASCIIString(alg, "HS256") != 0) {
        PyErr_Format(state->algorithm_error,
                     "the token's algorithm is %.40R; twilio-trcap verifies HS256 only",
                     alg);
        goto error;
    }
    rc = 0;

error:
    Py_XDECREF(alg);
    return rc;
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
    trcap_hmac_key key = TRCAP_HMAC_KEY_INIT;
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
        if (prepare_key(state, args[1], "key", &key) < 0) {
            goto error;
        }
        /* No Python code runs from here to the check's end: the module's
         * scratch context is ours meanwhile. */
        st = trcap_jws_verify_hs256(&key, state->scratch, token, &jws);
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
    trcap_hmac_key_release(&key);  /* OpenSSL wipes the key states */
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
exec_digest(PyObject *module)
{
    module_state *state = get_state(module);
    state->sha256 = trcap_sha256_fetch();
    if (state->sha256 == NULL) {
        raise_openssl_error("fetching SHA-256");
        return -1;
    }
    state->scratch = EVP_MD_CTX_new();
    if (state->scratch == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static int
exec_types(PyObject *module)
{
    module_state *state = get_state(module);
    state->minter_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &Minter_spec, NULL);
    if (state->minter_type == NULL || PyModule_AddType(module, state->minter_type) < 0) {
        return -1;
    }
    state->template_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &Template_spec,
                                                                     NULL);
    if (state->template_type == NULL) {
        return -1;
    }
    return PyModule_AddType(module, state->template_type);
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
    Py_VISIT(state->template_type);
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
    Py_CLEAR(state->template_type);
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
    EVP_MD_free(state->sha256);  /* NULL-safe */
    state->sha256 = NULL;
    EVP_MD_CTX_free(state->scratch);  /* NULL-safe; OpenSSL wipes the last MAC's state */
    state->scratch = NULL;
}

static PyModuleDef_Slot core_slots[] = {
    {Py_mod_exec, exec_digest},
    {Py_mod_exec, exec_types},
    {Py_mod_exec, exec_constants},
    {Py_mod_exec, exec_decoder},
#ifdef Py_mod_gil
    /* Py_MOD_GIL_USED: a free-threaded CPython (3.13t+) turns the GIL back
     * on when it imports us.  The module's scratch MAC context and every
     * Minter's mutable state (its pieces and policy list, a re-mint's
     * cached prefix and hash state) are used by one thread at a time only
     * because the GIL is held (mint_each makes MAC contexts of its own,
     * which is why it may release it).  Untested without the GIL, so not claimed:
     * docs/distribution.md, "Threads and the GIL". */
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
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
