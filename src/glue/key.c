/*
 * Keys: a key argument (str or bytes) as the bytes that key HMAC-SHA256,
 * copied only when it must be (non-ASCII text) and wiped then; and the Key
 * type (minter.h), public as twilio_trcap.Key, which a Minter holds, which
 * signs whole payloads, mints batches (batch.c) and checks the decoder's
 * signatures.
 */
#include "minter.h"

#include <string.h>

#include <openssl/crypto.h>

#include "base64url.h"

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
        if (trcap_py_text_of(key, &t) < 0) {
            return -1;
        }
        if (PyUnicode_IS_ASCII(key)) {
            *p = (const unsigned char *)t.data;
            *n = t.length;
        }
        else {
            st = trcap_utf8_size(&t, copy_size);
            if (st != TRCAP_OK) {
                trcap_py_raise_status(st, name);
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
        PyErr_Format(PyExc_TypeError, "%s must be str, bytes or Key, not %.100s",
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

/* A new Key of the bytes p[0..n). */
static PyObject *
new_key(PyTypeObject *type, module_state *state, const unsigned char *p, size_t n)
{
    KeyObject *self = (KeyObject *)type->tp_alloc(type, 0);
    trcap_status st;

    if (self == NULL) {
        return NULL;
    }
    st = trcap_hmac_key_set(&self->key, state->sha256, p, n);
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "keying HMAC-SHA256");
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

/* No cache: a key given as text is prepared for the object that asked,
 * and its states die with the last object that holds them.  A caller who
 * wants a key prepared once holds a Key and passes it instead. */
PyObject *
trcap_py_key_of(module_state *state, PyObject *key, const char *name)
{
    unsigned char *copy = NULL;
    size_t copy_size = 0, n;
    const unsigned char *p;
    PyObject *result = NULL;

    if (Py_IS_TYPE(key, state->key_type)) {
        return Py_NewRef(key);
    }
    if (key_bytes(key, name, &p, &n, &copy, &copy_size) < 0) {
        goto error;
    }
    result = new_key(state->key_type, state, p, n);

error:
    release_key_copy(copy, copy_size);  /* NULL-safe */
    return result;
}

EVP_MD_CTX *
trcap_py_new_mac_context(void)
{
    EVP_MD_CTX *run = EVP_MD_CTX_new();
    if (run == NULL) {
        PyErr_NoMemory();
    }
    return run;
}

/* ---- tokens ------------------------------------------------------------- */

/* A new compact ASCII str of `size` characters, for a token. */
PyObject *
trcap_py_new_token(size_t size)
{
    if (size > (size_t)PY_SSIZE_T_MAX) {
        trcap_py_raise_status(TRCAP_ERR_OVERFLOW, "the token");
        return NULL;
    }
    return PyUnicode_New((Py_ssize_t)size, 127);
}

/* The token whose payload is `parts`, written from scratch, its MAC
 * computed in a context of this call's own. */
PyObject *
trcap_py_token_from_parts(const unsigned char *header_b64, size_t header_b64_length,
                          const trcap_part *parts, size_t nparts, const trcap_hmac_key *key)
{
    EVP_MD_CTX *run = NULL;
    PyObject *token = NULL;
    size_t payload_size, token_size;
    trcap_status st;

    st = trcap_payload_size(parts, nparts, &payload_size);
    if (st == TRCAP_OK) {
        st = trcap_token_size(header_b64_length, payload_size, &token_size);
    }
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "the token");
        goto error;
    }
    run = trcap_py_new_mac_context();
    if (run == NULL) {
        goto error;
    }
    token = trcap_py_new_token(token_size);
    if (token == NULL) {
        goto error;
    }
    st = trcap_token_write(PyUnicode_1BYTE_DATA(token), header_b64, header_b64_length,
                           parts, nparts, payload_size, key, run);
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "signing the token");
        Py_CLEAR(token);
    }

error:
    EVP_MD_CTX_free(run);  /* NULL-safe; OpenSSL wipes the MAC's state */
    return token;
}

/* ---- Key ---------------------------------------------------------------- */

PyDoc_STRVAR(Key_prepare_doc,
"prepare(key, name, /)\n--\n\n"
"The Key of `key`: `key` itself when it is a Key, else a new Key of its\n"
"bytes (str as UTF-8, or bytes, not empty); `name` is the argument named\n"
"in error messages about it.  Positional only: keyword parsing would cost\n"
"more than a fresh request's other calls.");

static PyObject *
Key_prepare(PyTypeObject *type, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *module;  /* borrowed */
    const char *name;

    if (trcap_py_check_nargs("prepare", nargs, 2) < 0 || trcap_py_check_str(args[1], "name") < 0) {
        return NULL;
    }
    name = PyUnicode_AsUTF8(args[1]);
    if (name == NULL) {
        return NULL;
    }
    module = PyType_GetModuleByDef(type, &trcap_py_module);
    if (module == NULL) {
        return NULL;
    }
    return trcap_py_key_of(get_state(module), args[0], name);
}

static PyObject *
Key_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"secret", NULL};
    PyObject *module, *secret;  /* borrowed */

    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O:Key", keywords, &secret)) {
        return NULL;
    }
    module = PyType_GetModuleByDef(type, &trcap_py_module);
    if (module == NULL) {
        return NULL;
    }
    return trcap_py_key_of(get_state(module), secret, "secret");
}

static void
Key_dealloc(KeyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    trcap_hmac_key_release(&self->key);  /* OpenSSL wipes the key states */
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* Headers up to this size are encoded on the stack (the default's 36). */
#define HEADER_B64_ON_STACK 256

PyDoc_STRVAR(Key_sign_doc,
"sign(header, payload, /)\n--\n\n"
"The HS256 token of `header` and `payload` (bytes, each one JSON text,\n"
"written as given).");

static PyObject *
Key_sign(KeyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    unsigned char stack[HEADER_B64_ON_STACK];
    unsigned char *header_b64 = stack;
    size_t header_b64_length = 0;
    PyObject *token = NULL;
    trcap_part payload;
    trcap_status st;

    if (trcap_py_check_nargs("sign", nargs, 2) < 0) {
        goto error;
    }
    for (int i = 0; i < 2; i++) {
        if (!PyBytes_Check(args[i])) {
            PyErr_Format(PyExc_TypeError, "%s must be bytes, not %.100s",
                         i ? "payload" : "header", Py_TYPE(args[i])->tp_name);
            goto error;
        }
    }
    st = trcap_b64url_size((size_t)PyBytes_GET_SIZE(args[0]), &header_b64_length);
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "header");
        goto error;
    }
    if (header_b64_length > sizeof stack) {
        header_b64 = PyMem_Malloc(header_b64_length);
        if (header_b64 == NULL) {
            PyErr_NoMemory();
            goto error;
        }
    }
    (void)trcap_b64url_encode(header_b64, (const unsigned char *)PyBytes_AS_STRING(args[0]),
                              (size_t)PyBytes_GET_SIZE(args[0]));
    payload = trcap_text_part((const unsigned char *)PyBytes_AS_STRING(args[1]),
                              (size_t)PyBytes_GET_SIZE(args[1]));
    token = trcap_py_token_from_parts(header_b64, header_b64_length, &payload, 1, &self->key);

error:
    if (header_b64 != stack) {
        PyMem_Free(header_b64);
    }
    return token;
}

/* Shared by Key and Minter: never the key, only what kind of signer. */
PyObject *
trcap_py_signer_repr(PyObject *self)
{
    return PyUnicode_FromFormat("<%s HS256>", Py_TYPE(self)->tp_name);
}

/* Shared by Key and Minter: neither is pickled nor copied (copy and
 * deepcopy go through __reduce_ex__ too), as a pickle would carry the key
 * out of the core. */
PyObject *
trcap_py_refuse_pickle(PyObject *self, PyObject *Py_UNUSED(ignored))
{
    PyErr_Format(PyExc_TypeError, "cannot pickle %s: it holds a secret key",
                 Py_TYPE(self)->tp_name);
    return NULL;
}

static PyMethodDef Key_methods[] = {
    {"prepare", (PyCFunction)(void (*)(void))Key_prepare, METH_FASTCALL | METH_CLASS,
     Key_prepare_doc},
    {"sign", (PyCFunction)(void (*)(void))Key_sign, METH_FASTCALL, Key_sign_doc},
    {"mint_each", (PyCFunction)(void (*)(void))trcap_py_key_mint_each, METH_FASTCALL,
     trcap_py_key_mint_each_doc},
    {"__reduce__", trcap_py_refuse_pickle, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(Key_doc,
"Key(secret)\n--\n\n"
"An HS256 key prepared once: the HMAC-SHA256 states derived from `secret`\n"
"(an auth token or API key secret: str, as UTF-8, or bytes, not empty),\n"
"kept inside OpenSSL and wiped when the Key is freed.\n\n"
"Pass it wherever an auth token, secret or key is taken (every\n"
"generation's constructors, mint_many, AccessToken, decode,\n"
"decode_token, from_jwt): they use its states as they are, instead of\n"
"preparing the secret again for each object.  The trade-off: the states,\n"
"as secret as the key, stay in the process for as long as you, or any\n"
"object made with it, hold the Key.  Given the secret itself, each object\n"
"prepares states of its own, which die with it.\n\n"
"Immutable, and safe to share between threads.  It shows no secret (its\n"
"repr is <twilio_trcap.Key HS256>), equals only itself, and cannot be\n"
"pickled or copied.\n\n"
":raises TypeError: `secret` is not str or bytes.\n"
":raises ValueError: `secret` is empty, or a str with a lone surrogate.");

static PyType_Slot Key_slots[] = {
    {Py_tp_new, Key_new},
    {Py_tp_dealloc, Key_dealloc},
    {Py_tp_repr, trcap_py_signer_repr},
    {Py_tp_methods, Key_methods},
    {Py_tp_doc, (void *)Key_doc},
    {0, NULL},
};

/* Not a base type: a subclass could add state, __eq__ or a repr that
 * would show what the Key stands for.  Not tracked by the collector: a Key
 * refers to nothing but its type. */
PyType_Spec trcap_py_key_spec = {
    .name = "twilio_trcap.Key",
    .basicsize = sizeof(KeyObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = Key_slots,
};
