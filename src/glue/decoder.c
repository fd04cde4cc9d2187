/*
 * decode_jws, the module's decoder (the section below describes it).
 */
#include "minter.h"

#include <math.h>
#include <string.h>

#include "json_reader.h"
#include "jws_decode.h"

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
            trcap_py_raise_status(st, part);
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

const char trcap_py_decode_jws_doc[] = PyDoc_STR(
"decode_jws(token, key, algorithms, /)\n--\n\n"
"(header, claims): the two JSON objects of an HS256 JWS as new dicts,\n"
"read strictly.  `key` (a Key, or str as UTF-8, or bytes) verifies the\n"
"signature; "
"None skips that step.  `algorithms` (a tuple of str) must hold the\n"
"header's alg.  Raises MalformedTokenError, UnsupportedAlgorithmError or\n"
"InvalidSignatureError (twilio_trcap.errors); time claims are not checked.");

PyObject *
trcap_py_decode_jws(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    module_state *state = get_state(module);
    unsigned char stack_scratch[SCRATCH_ON_STACK];
    unsigned char *scratch = stack_scratch;
    size_t scratch_size, n;
    const unsigned char *token;
    trcap_error_detail detail = {NULL, 0, NULL};
    trcap_jws jws;
    PyObject *key = NULL;  /* the Key that checks the signature (key.c) */
    EVP_MD_CTX *run = NULL;  /* the MAC context of that check */
    PyObject *header = NULL, *claims = NULL, *result = NULL;
    trcap_status st;

    if (trcap_py_check_nargs("decode_jws", nargs, 3) < 0) {
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
            trcap_py_raise_status(st, "the token");
        }
        goto error;
    }
    header = dict_of_json(state, jws.header, jws.header_length, "header JSON");
    if (header == NULL || check_header(state, header, args[2]) < 0) {
        goto error;
    }
    if (args[1] != Py_None) {
        key = trcap_py_key_of(state, args[1], "key");
        if (key == NULL) {
            goto error;
        }
        run = trcap_py_new_mac_context();  /* this check's own */
        if (run == NULL) {
            goto error;
        }
        st = trcap_jws_verify_hs256(&((KeyObject *)key)->key, run, token, &jws);
        if (st == TRCAP_ERR_SIGNATURE) {
            PyErr_SetString(state->signature_error,
                            "the signature does not match: the token was signed with "
                            "another key, or changed after it was signed");
            goto error;
        }
        if (st != TRCAP_OK) {
            trcap_py_raise_status(st, "verifying the signature");
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
    EVP_MD_CTX_free(run);  /* NULL-safe; left reset by the check */
    Py_XDECREF(key);
    if (scratch != stack_scratch) {
        PyMem_Free(scratch);
    }
    Py_XDECREF(header);
    Py_XDECREF(claims);
    return result;
}
