/*
 * Keys: a key argument (str or bytes) as the bytes that key HMAC-SHA256,
 * copied only when it must be (non-ASCII text) and wiped then; the key
 * cache, which gives a key prepared lately its Key back; and the Key type
 * (minter.h), which a Minter holds, which signs whole payloads, mints
 * batches (batch.c) and checks the decoder's signatures.
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

/* ---- the key cache ---------------------------------------------------------
 *
 * A web server makes one capability per page, and every Worker of an
 * account shares one auth token: preparing the same key for every object
 * costs two SHA-256 contexts made, keyed and freed (a fresh request's
 * dearest step after the hashing itself, docs/performance.md).  So the
 * Keys of the last TRCAP_KEY_CACHE_SIZE distinct keys prepared are kept,
 * most recently used first, and a key prepared again gets its Key back.
 *
 * A Key is found by a fingerprint of its key: SipHash-2-4-128 (siphash.h)
 * under 16 random bytes made when the module is imported.  The cache holds
 * no copy of any key; the fingerprint is a PRF's output, and the Key holds
 * what every Key holds (OpenSSL's SHA-256 states after the key blocks).
 * Fingerprints are compared with CRYPTO_memcmp.  Two keys share a
 * fingerprint only by chance, 2^-128 a pair, which no caller can raise
 * without the random bytes, and they never leave the process.
 *
 * What changes for secrets (docs/security.md, "The auth token"): a Key's states are
 * wiped when the last object using it is freed *and* it has left the cache
 * (pushed out by newer keys, or by forget_keys()), or when the module is
 * freed.  Everything here runs under the GIL (see "The GIL" in module.c).
 * Making a Key may start a garbage collection (a Key is tracked: see
 * minter.h), and so run finalizers, which may prepare keys of their own or
 * forget them all: the cache is looked up again after a Key is made, and a
 * slot is emptied before the Key it held is released.  Freeing a Key runs
 * no Python code.
 *
 * A lookup compares fingerprints with CRYPTO_memcmp and stops at the first
 * match: how long it takes tells how recently a whole key was used, never
 * anything about part of a key.
 *
 * If OpenSSL cannot make the random bytes at import, the cache is off
 * (state->key_cache_off): every key is prepared anew, as before it. */

/* The index of the fingerprint `fp` in the cache, or -1. */
static int
cache_find(const module_state *state, const unsigned char fp[TRCAP_SIPHASH_SIZE])
{
    for (int i = 0; i < TRCAP_KEY_CACHE_SIZE && state->key_cache[i].key != NULL; i++) {
        if (CRYPTO_memcmp(state->key_cache[i].fingerprint, fp, TRCAP_SIPHASH_SIZE) == 0) {
            return i;
        }
    }
    return -1;
}

/* Moves slot `from` to the front, the slots before it one back. */
static void
cache_to_front(module_state *state, int from)
{
    cached_key entry = state->key_cache[from];
    memmove(&state->key_cache[1], &state->key_cache[0], (size_t)from * sizeof entry);
    state->key_cache[0] = entry;
}

/* A new Key of the bytes p[0..n), uncached. */
static PyObject *
new_key(module_state *state, const unsigned char *p, size_t n)
{
    KeyObject *self = (KeyObject *)state->key_type->tp_alloc(state->key_type, 0);
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

/* The Key of the bytes p[0..n): the cached one, or a new one, then cached.
 * New reference. */
static PyObject *
cached_key_of(module_state *state, const unsigned char *p, size_t n)
{
    unsigned char fp[TRCAP_SIPHASH_SIZE];
    PyObject *result = NULL, *made = NULL, *evicted;
    int at;

    trcap_siphash(state->fingerprint_key, p, n, fp);
    at = cache_find(state, fp);
    if (at < 0) {
        made = new_key(state, p, n);
        if (made == NULL) {
            goto error;
        }
        at = cache_find(state, fp);  /* again: see above */
    }
    if (at < 0) {  /* and so `made` is a new Key */
        at = TRCAP_KEY_CACHE_SIZE - 1;
        evicted = state->key_cache[at].key;  /* owned, released below */
        memcpy(state->key_cache[at].fingerprint, fp, sizeof fp);
        state->key_cache[at].key = made;     /* our reference moves in */
        made = NULL;
        cache_to_front(state, at);
        result = Py_NewRef(state->key_cache[0].key);
        /* Last: freeing a Key runs no Python code, but the cache is
         * consistent before it anyway. */
        Py_XDECREF(evicted);
    }
    else {
        cache_to_front(state, at);
        result = Py_NewRef(state->key_cache[0].key);
    }

error:
    Py_XDECREF(made);  /* NULL unless the key was cached meanwhile */
    OPENSSL_cleanse(fp, sizeof fp);
    return result;
}

PyObject *
trcap_py_key_of(module_state *state, PyObject *key, const char *name)
{
    unsigned char *copy;
    size_t copy_size, n;
    const unsigned char *p;
    PyObject *result = NULL;

    if (key_bytes(key, name, &p, &n, &copy, &copy_size) < 0) {
        goto error;
    }
    result = state->key_cache_off ? new_key(state, p, n) : cached_key_of(state, p, n);

error:
    release_key_copy(copy, copy_size);  /* NULL-safe: key_bytes sets it first */
    return result;
}

void
trcap_py_forget_keys(module_state *state)
{
    for (int i = 0; i < TRCAP_KEY_CACHE_SIZE; i++) {
        PyObject *key = state->key_cache[i].key;
        state->key_cache[i].key = NULL;
        OPENSSL_cleanse(state->key_cache[i].fingerprint, TRCAP_SIPHASH_SIZE);
        Py_XDECREF(key);  /* after the slot is empty: see trcap_py_key_of */
    }
}

const char trcap_py_forget_keys_doc[] = PyDoc_STR(
"forget_keys()\n--\n\n"
"Empties the key cache: the prepared states of a key that no object uses\n"
"any more are wiped now, not when newer keys push them out.");

PyObject *
trcap_py_forget_keys_function(PyObject *module, PyObject *Py_UNUSED(ignored))
{
    trcap_py_forget_keys(get_state(module));
    Py_RETURN_NONE;
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

/* The token whose payload is `parts`, written from scratch.  `run` is a
 * MAC context no one else uses meanwhile (module_state.mac_under_gil: this
 * runs no Python code once the str exists). */
PyObject *
trcap_py_token_from_parts(const unsigned char *header_b64, size_t header_b64_length,
                          const trcap_part *parts, size_t nparts,
                          const trcap_hmac_key *key, EVP_MD_CTX *run)
{
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
    return token;
}

/* ---- Key ---------------------------------------------------------------- */

PyDoc_STRVAR(Key_prepare_doc,
"prepare(key, name, /)\n--\n\n"
"The Key of `key` (str as UTF-8, or bytes, not empty); `name` is the\n"
"argument named in error messages about it.  The Keys of the last eight\n"
"distinct keys are cached: the same key gives the same Key back (see\n"
"forget_keys).  Positional only: keyword parsing would cost more than a\n"
"fresh request's other calls.");

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

static int
Key_traverse(KeyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));  /* a heap type's instance holds its type */
    return 0;
}

static void
Key_dealloc(KeyObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
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
    PyObject *module, *token = NULL;
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
    module = PyType_GetModuleByDef(Py_TYPE(self), &trcap_py_module);  /* borrowed */
    if (module == NULL) {
        goto error;
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
    token = trcap_py_token_from_parts(header_b64, header_b64_length, &payload, 1, &self->key,
                                      get_state(module)->mac_under_gil);

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

/* Shared by Key and Minter: neither is pickled, as a pickle would carry
 * the key out of the core. */
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
"A prepared HMAC-SHA256 key, kept only inside OpenSSL's SHA-256 states\n"
"and wiped when the object is freed; made by Key.prepare(), which keeps\n"
"the Keys of the last eight keys (see forget_keys).  Immutable: Minters\n"
"and threads may share one.");

static PyType_Slot Key_slots[] = {
    {Py_tp_dealloc, Key_dealloc},
    {Py_tp_traverse, Key_traverse},
    {Py_tp_repr, trcap_py_signer_repr},
    {Py_tp_methods, Key_methods},
    {Py_tp_doc, (void *)Key_doc},
    {0, NULL},
};

PyType_Spec trcap_py_key_spec = {
    .name = "twilio_trcap._core.Key",
    .basicsize = sizeof(KeyObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION
             | Py_TPFLAGS_HAVE_GC,
    .slots = Key_slots,
};
