/*
 * The CPython glue's internal header (src/glue/), shared by its files as
 * CPython's Modules/_sqlite/module.h is by its: the module state, and the
 * functions one glue file lends another.  Only the glue includes Python.h;
 * src/core/ is plain C11 that never sees a Python object.
 *
 * Names shared between glue files carry the trcap_py_ prefix (the core's
 * are trcap_*).  They have external linkage inside the extension only:
 * -fvisibility=hidden leaves PyInit__core the one exported symbol.
 */
#ifndef TRCAP_GLUE_MODULE_H
#define TRCAP_GLUE_MODULE_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include "hmac_sha256.h"
#include "text.h"
#include "trcap_status.h"

#if OPENSSL_VERSION_MAJOR < 3
#error "twilio-trcap needs OpenSSL 3 (Debian: libssl-dev from bookworm or later)"
#endif

typedef struct {
    /* Everything here is set once, when the module is executed, and only
     * read afterwards: no call shares anything mutable through it (a MAC
     * runs in a context of its own, made and freed by the call). */
    EVP_MD *sha256;             /* fetched once, owned (every HMAC key) */
    /* BASE64URL of the header every Minter and mint_each writes,
     * {"alg":"HS256","typ":"JWT"}, encoded once. */
    unsigned char header_b64[48];
    size_t header_b64_length;
    /* times.c: the time module, whose time() is the clock of every mint
     * (looked up at each read, so that it can be patched), and the names
     * in its messages; owned */
    PyObject *time_module;
    PyObject *str_time;
    PyObject *str_ttl;
    PyObject *str_now;
    PyObject *str_exp;
    PyTypeObject *key_type;       /* owned */
    PyTypeObject *minter_type;    /* owned */
    PyTypeObject *template_type;  /* owned */
    /* twilio_trcap.errors classes the decoder raises, owned */
    PyObject *malformed_error;
    PyObject *signature_error;
    PyObject *algorithm_error;
} module_state;

/* The module's definition (module.c), for PyType_GetModuleByDef. */
extern struct PyModuleDef trcap_py_module;

static inline module_state *
get_state(PyObject *module)
{
    return (module_state *)PyModule_GetState(module);
}

/* ---- errors.c: statuses -> exceptions; argument helpers -------------- */

void trcap_py_raise_openssl_error(const char *what);
void trcap_py_raise_status(trcap_status st, const char *what);
int trcap_py_text_of(PyObject *str, trcap_text *t);
int trcap_py_check_nargs(const char *fname, Py_ssize_t nargs, Py_ssize_t expected);
int trcap_py_check_str(PyObject *o, const char *name);
/* 0 if `name` (an argument's name, for messages) is an exact str, else -1
 * with a TypeError. */
int trcap_py_check_name(PyObject *name);
/* The arguments (value, name) of a check: 0, or -1 with a TypeError. */
int trcap_py_check_value_and_name(const char *fname, PyObject *const *args, Py_ssize_t nargs);
/* Raises the TypeError "<name> must be <expected>, not <type(value).__name__>";
 * returns -1. */
int trcap_py_raise_wrong_type(PyObject *name, const char *expected, PyObject *value);
/* The sid rule: `value` as an exact str, or NULL with the error naming
 * `name`; check_sid_item checks item `index` of a batch (0 when it keeps
 * the rule), naming it name[index].  `prefixes` is a tuple that
 * check_prefixes accepted: non-empty, of two-letter upper-case exact strs
 * (0, or -1 with the error). */
int trcap_py_check_prefixes(PyObject *prefixes);
PyObject *trcap_py_sid_of(PyObject *value, PyObject *name, PyObject *prefixes);
int trcap_py_check_sid_item(PyObject *value, const char *name, Py_ssize_t index, PyObject *prefixes);
PyObject *trcap_py_check_sid(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
extern const char trcap_py_check_sid_doc[];
PyObject *trcap_py_check_text(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
extern const char trcap_py_check_text_doc[];
/* `values` checked by `rules` (check_fields): a new tuple of exact strs,
 * or NULL with the error naming the first value that breaks its rule. */
PyObject *trcap_py_fields_of(PyObject *rules, PyObject *const *values, Py_ssize_t count);
PyObject *trcap_py_check_fields(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
extern const char trcap_py_check_fields_doc[];

/* ---- times.c: the time rules ----------------------------------------- */

/* The exp claim of a token minted at `now` (None: the clock) and valid
 * for `ttl` seconds, or NULL with the error naming the argument.  New
 * reference. */
PyObject *trcap_py_expiry_of(module_state *state, PyObject *ttl, PyObject *now);
PyObject *trcap_py_check_int(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *trcap_py_check_ttl(PyObject *module, PyObject *ttl);
PyObject *trcap_py_current_time(PyObject *module, PyObject *now);
PyObject *trcap_py_check_claim_time(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *trcap_py_expiry(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
extern const char trcap_py_check_int_doc[];
extern const char trcap_py_check_ttl_doc[];
extern const char trcap_py_current_time_doc[];
extern const char trcap_py_check_claim_time_doc[];
extern const char trcap_py_expiry_doc[];

/* ---- key.c: a key argument -> a prepared HMAC-SHA256 key -------------- */

/* The Key of `key` (`name` in errors): `key` itself when it is a Key, else
 * a new Key of its bytes (str as UTF-8, or bytes), held by the caller
 * alone.  New reference. */
PyObject *trcap_py_key_of(module_state *state, PyObject *key, const char *name);
/* A new SHA-256 context for one MAC, owned by the caller, who frees it
 * with EVP_MD_CTX_free (which wipes its state); NULL with MemoryError. */
EVP_MD_CTX *trcap_py_new_mac_context(void);

/* ---- the module's functions, listed in module.c ----------------------- */

/* json_value.c */
PyObject *trcap_py_json_value(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *trcap_py_policy_json(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
PyObject *trcap_py_policy_template(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
extern const char trcap_py_json_value_doc[];
extern const char trcap_py_policy_json_doc[];
extern const char trcap_py_policy_template_doc[];

/* decoder.c */
PyObject *trcap_py_decode_jws(PyObject *module, PyObject *const *args, Py_ssize_t nargs);
extern const char trcap_py_decode_jws_doc[];

/* ---- the module's types, made by module.c's exec_types ---------------- */

extern PyType_Spec trcap_py_key_spec;       /* key.c */
extern PyType_Spec trcap_py_template_spec;  /* template.c */
extern PyType_Spec trcap_py_minter_spec;    /* minter.c */

#endif
