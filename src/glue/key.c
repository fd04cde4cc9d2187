/*
 * Keys: a key argument (str or bytes) as the bytes that key HMAC-SHA256,
 * copied only when it must be (non-ASCII text) and wiped then, and the
 * prepared key (RFC 2104 over EVP_MD, hmac_sha256.h) that the Minter and
 * the decoder hold.
 */
#include "module.h"

#include <openssl/crypto.h>

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

/* Prepares `k` from `key` (RFC 2104 over EVP_MD): a Minter's key, or the
 * decoder's for one check. */
int
trcap_py_prepare_key(module_state *state, PyObject *key, const char *name, trcap_hmac_key *k)
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
        trcap_py_raise_status(st, "keying HMAC-SHA256");
        goto error;
    }
    rc = 0;

error:
    release_key_copy(copy, copy_size);
    return rc;
}
