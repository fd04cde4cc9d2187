/*
 * twilio_trcap._core: the module, its state and its initialisation.
 *
 * The glue (src/glue/, the only C that includes Python.h) turns Python
 * objects into the byte strings, texts and numbers the pure-C core
 * (src/core/) takes, and the core's statuses into exceptions (errors.c).
 * Every public name and docstring a user sees lives in the Python package;
 * this surface is private and kept small (twilio_trcap/_core.pyi types it):
 *
 *   Key(secret)                  a prepared HMAC-SHA256 key, public as
 *                                twilio_trcap.Key (key.c); Key.prepare(key,
 *                                name): key itself if a Key, else a new one;
 *                                sign(header, payload) -> str;
 *                                mint_each(template, fields, field, values,
 *                                name, prefixes) -> [str] (batch.c)
 *   Template(items)              JSON text with holes: fields, 'policies',
 *                                'tail' (template.c)
 *   Minter.create(key, fields, layout, policies, header=None)
 *                                a capability's payload and policies
 *                                (minter.c): mint(*tail) -> str,
 *                                add_policy, set_policies, policies()
 *   json_value(value, name[, sort_keys]) JSON of dict/list/str/int/float/bool/None
 *   policy_json(url, method, allow, query_filter, post_filter)
 *   policy_template(url, method, allow, query_filter, post_filter)
 *                                one policy's JSON, or its Template for a
 *                                URL given as template items (json_value.c)
 *   check_sid(value, name, prefixes) the sid rule, naming the argument (errors.c)
 *   check_text(value, name)      the rule of other text arguments (errors.c)
 *   check_fields(rules, *values) either rule for each of a constructor's
 *                                arguments, in one call (errors.c)
 *   check_int, check_ttl, current_time, check_claim_time, expiry(ttl, now)
 *                                the time rules; expiry: a mint's exp
 *                                claim (times.c)
 *   decode_jws(token, key, algorithms) -> (header, claims), verified
 *                                (decoder.c)
 *   openssl_version, MAX_TOKEN_LENGTH, MAX_HEADER_LENGTH, MAX_JSON_DEPTH
 *                                constants (the last three the decoder's)
 *
 * Multi-phase initialisation (PEP 489) with module state and heap types:
 * the process holds no mutable global state of ours, and the module state
 * nothing that a call changes.
 */
#include "module.h"

#include <openssl/crypto.h>

#include "base64url.h"
#include "json_reader.h"
#include "jws_decode.h"

/* ---------------------------------------------------------------------
 * Module
 */

static PyMethodDef core_functions[] = {
    {"json_value", (PyCFunction)(void (*)(void))trcap_py_json_value, METH_FASTCALL, trcap_py_json_value_doc},
    {"policy_json", (PyCFunction)(void (*)(void))trcap_py_policy_json, METH_FASTCALL, trcap_py_policy_json_doc},
    {"policy_template", (PyCFunction)(void (*)(void))trcap_py_policy_template, METH_FASTCALL, trcap_py_policy_template_doc},
    {"decode_jws", (PyCFunction)(void (*)(void))trcap_py_decode_jws, METH_FASTCALL, trcap_py_decode_jws_doc},
    {"check_sid", (PyCFunction)(void (*)(void))trcap_py_check_sid, METH_FASTCALL, trcap_py_check_sid_doc},
    {"check_text", (PyCFunction)(void (*)(void))trcap_py_check_text, METH_FASTCALL, trcap_py_check_text_doc},
    {"check_fields", (PyCFunction)(void (*)(void))trcap_py_check_fields, METH_FASTCALL, trcap_py_check_fields_doc},
    {"check_int", (PyCFunction)(void (*)(void))trcap_py_check_int, METH_FASTCALL, trcap_py_check_int_doc},
    {"check_ttl", trcap_py_check_ttl, METH_O, trcap_py_check_ttl_doc},
    {"current_time", trcap_py_current_time, METH_O, trcap_py_current_time_doc},
    {"check_claim_time", (PyCFunction)(void (*)(void))trcap_py_check_claim_time, METH_FASTCALL, trcap_py_check_claim_time_doc},
    {"expiry", (PyCFunction)(void (*)(void))trcap_py_expiry, METH_FASTCALL, trcap_py_expiry_doc},
    {NULL, NULL, 0, NULL},
};

static const char default_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
_Static_assert((sizeof default_header - 1 + 2) / 3 * 4 <= sizeof ((module_state *)0)->header_b64,
               "the default header's encoding fits module_state.header_b64");

static int
exec_digest(PyObject *module)
{
    module_state *state = get_state(module);
    state->sha256 = trcap_sha256_fetch();
    if (state->sha256 == NULL) {
        trcap_py_raise_openssl_error("fetching SHA-256");
        return -1;
    }
    (void)trcap_b64url_size(sizeof default_header - 1, &state->header_b64_length);  /* 36 */
    (void)trcap_b64url_encode(state->header_b64, (const unsigned char *)default_header,
                              sizeof default_header - 1);
    return 0;
}

static int
exec_types(PyObject *module)
{
    module_state *state = get_state(module);
    state->key_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &trcap_py_key_spec, NULL);
    if (state->key_type == NULL || PyModule_AddType(module, state->key_type) < 0) {
        return -1;
    }
    state->minter_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &trcap_py_minter_spec, NULL);
    if (state->minter_type == NULL || PyModule_AddType(module, state->minter_type) < 0) {
        return -1;
    }
    state->template_type = (PyTypeObject *)PyType_FromModuleAndSpec(module, &trcap_py_template_spec,
                                                                     NULL);
    if (state->template_type == NULL || PyModule_AddType(module, state->template_type) < 0) {
        return -1;
    }
    return 0;
}

static int
exec_constants(PyObject *module)
{
    module_state *state = get_state(module);

    state->time_module = PyImport_ImportModule("time");
    state->str_time = PyUnicode_InternFromString("time");
    state->str_ttl = PyUnicode_InternFromString("ttl");
    state->str_now = PyUnicode_InternFromString("now");
    state->str_exp = PyUnicode_InternFromString("exp");
    if (state->time_module == NULL || state->str_time == NULL
        || state->str_ttl == NULL || state->str_now == NULL || state->str_exp == NULL) {
        return -1;
    }
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
    Py_VISIT(state->time_module);
    Py_VISIT(state->key_type);
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
    Py_CLEAR(state->time_module);
    Py_CLEAR(state->str_time);
    Py_CLEAR(state->str_ttl);
    Py_CLEAR(state->str_now);
    Py_CLEAR(state->str_exp);
    Py_CLEAR(state->key_type);
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
}

static PyModuleDef_Slot core_slots[] = {
    {Py_mod_exec, exec_digest},
    {Py_mod_exec, exec_types},
    {Py_mod_exec, exec_constants},
    {Py_mod_exec, exec_decoder},
#ifdef Py_mod_gil
    /* The GIL.  Py_MOD_GIL_USED: a free-threaded CPython (3.13t+) turns
     * the GIL back on when it imports us.  The module state is only read
     * after import, every MAC runs in a context of the call's own, and a
     * Key is read-only once made; what still relies on the GIL is the
     * mutable state of single objects: a Minter's policy list and its
     * re-mint's prepared prefix and suffix (built on the second mint,
     * dropped when a policy is added).  Untested
     * without the GIL, so not claimed: docs/distribution.md, "Threads and
     * the GIL", lists each reason and what would remove it. */
    {Py_mod_gil, Py_MOD_GIL_USED},
#endif
    {0, NULL},
};

struct PyModuleDef trcap_py_module = {
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
    return PyModuleDef_Init(&trcap_py_module);
}
