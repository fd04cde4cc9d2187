/*
 * Key.mint_each (listed in key.c's methods): one token per value of a
 * template's varying field, measured and allocated under the GIL, then
 * written and signed without it.
 */
#include "minter.h"

#include <string.h>

#include "json_writer.h"

/* ---- many tokens, the GIL released ------------------------------------- */

/* What mint_each() needs once the GIL is released: plain C data only. */
typedef struct {
    trcap_part *parts;       /* the template's parts; the varying field's re-pointed when
                              * a value's escaped length differs from the last one's */
    size_t nparts;
    size_t *varying_at;      /* indices of the parts that are the varying field, ascending */
    size_t nvarying;
    trcap_text *values;      /* views of the values' storage (kept alive by a tuple) */
    size_t base_size;        /* payload bytes but the varying field */
    /* The new token strs, owned here (tokens[0..made)) until the list is
     * built after the GIL is back: nothing else can reach them meanwhile
     * (a str is not tracked by the garbage collector, a list would be). */
    PyObject **tokens;
    size_t made;
    size_t count;
    unsigned char *scratch;  /* room for the largest escaped value */
    /* The payload laid out once for values of one escaped length, then
     * patched per value: Twilio's sids all have one length, so a batch
     * copies one block per token instead of its ~50 parts. */
    unsigned char *rendered;  /* room for the largest payload */
    size_t *varying_offset;   /* where each varying part starts in it */
} batch;

/* Lays the payload out in b->rendered with every varying part `escaped`
 * bytes long (the parts already point at the value), noting where each
 * varying part starts. */
static void
render(batch *b)
{
    unsigned char *p = b->rendered;
    size_t v = 0;
    for (size_t k = 0; k < b->nparts; k++) {
        if (v < b->nvarying && b->varying_at[v] == k) {
            b->varying_offset[v++] = (size_t)(p - b->rendered);
        }
        p = trcap_payload_write(p, &b->parts[k], 1);
    }
}

/* Writes every token; runs without the GIL, so it touches no Python
 * object but the str storage it was handed. */
static trcap_status
write_batch(batch *b, const unsigned char *header_b64, size_t header_b64_length,
            const trcap_hmac_key *key)
{
    trcap_status st = TRCAP_OK;
    EVP_MD_CTX *run = EVP_MD_CTX_new();  /* this call's own, as every MAC's */
    size_t rendered_escaped = SIZE_MAX;  /* nothing rendered yet */

    if (run == NULL) {
        return TRCAP_ERR_NOMEM;
    }
    for (size_t i = 0; i < b->count && st == TRCAP_OK; i++) {
        unsigned char *q = trcap_json_string_write(b->scratch, &b->values[i]);
        size_t escaped = (size_t)(q - b->scratch) - 2;  /* inside the quotes */
        size_t payload_size = b->base_size + b->nvarying * escaped;
        trcap_part payload;
        if (escaped != rendered_escaped) {
            for (size_t j = 0; j < b->nvarying; j++) {
                b->parts[b->varying_at[j]] = trcap_text_part(b->scratch + 1, escaped);
            }
            render(b);
            rendered_escaped = escaped;
        }
        else {
            for (size_t j = 0; j < b->nvarying; j++) {
                memcpy(b->rendered + b->varying_offset[j], b->scratch + 1, escaped);
            }
        }
        payload = trcap_text_part(b->rendered, payload_size);
        /* Measured under the GIL: it cannot overflow now. */
        st = trcap_token_write(PyUnicode_1BYTE_DATA(b->tokens[i]), header_b64,
                               header_b64_length, &payload, 1, payload_size, key, run);
    }
    EVP_MD_CTX_free(run);
    return st;
}

const char trcap_py_key_mint_each_doc[] = PyDoc_STR(
"mint_each(template, fields, field, values, name, prefixes, /)\n--\n\n"
"A list with one token per item of `values` (each a sid: check_sid's rule\n"
"with `prefixes`, an error naming `name`[i]), with the default header: the payload is\n"
"`template` (text and fields only) with `fields` (a tuple of str and\n"
"int), field number `field` replaced by the item.  The GIL is released\n"
"while the tokens are written and signed.");

PyObject *
trcap_py_key_mint_each(KeyObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    module_state *state;
    const char *name;  /* the values' name, in the str args[4] */
    batch b = {0};
    PyObject *values = NULL, *result = NULL;
    trcap_part *fields = NULL;
    Py_ssize_t nfields = 0, varying;
    size_t scratch_size = 2, rendered_size = 1;
    trcap_status st;

    if (trcap_py_check_nargs("mint_each", nargs, 6) < 0 || trcap_py_check_str(args[4], "name") < 0
        || trcap_py_check_prefixes(args[5]) < 0) {
        goto error;
    }
    name = PyUnicode_AsUTF8(args[4]);
    if (name == NULL) {
        goto error;
    }
    /* The module outlives every object of its types. */
    state = get_state(PyType_GetModuleByDef(Py_TYPE(self), &trcap_py_module));
    if (trcap_py_escape_fields(args[1], &fields, &nfields) < 0) {
        goto error;
    }
    if (!Py_IS_TYPE(args[0], state->template_type)) {
        PyErr_Format(PyExc_TypeError, "template must be a Template, not %.100s",
                     Py_TYPE(args[0])->tp_name);
        goto error;
    }
    if (trcap_py_check_policy(state, args[0], nfields, "template") < 0) {
        goto error;
    }
    if (!trcap_py_is_int(args[2])) {
        PyErr_SetString(PyExc_TypeError, "field must be an int");
        goto error;
    }
    varying = PyLong_AsSsize_t(args[2]);
    if (varying == -1 && PyErr_Occurred()) {
        goto error;
    }
    if (varying < 0 || varying >= nfields || fields[varying].kind != TRCAP_PART_TEXT) {
        PyErr_SetString(PyExc_ValueError, "field must be the index of a str field");
        goto error;
    }
    /* Our own tuple: the values stay alive, and unchanged, without the GIL. */
    values = PySequence_Tuple(args[3]);
    if (values == NULL) {
        goto error;
    }

    /* Measure: the template with the varying field empty, plus each value's escape. */
    b.nparts = trcap_py_policy_count(args[0]);
    b.count = (size_t)PyTuple_GET_SIZE(values);
    b.parts = PyMem_New(trcap_part, b.nparts ? b.nparts : 1);
    b.varying_at = PyMem_New(size_t, b.nparts ? b.nparts : 1);
    b.values = PyMem_New(trcap_text, b.count ? b.count : 1);
    b.tokens = PyMem_New(PyObject *, b.count ? b.count : 1);
    b.varying_offset = PyMem_New(size_t, b.nparts ? b.nparts : 1);
    if (b.parts == NULL || b.varying_at == NULL || b.values == NULL || b.tokens == NULL
        || b.varying_offset == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    fields[varying].as.text.length = 0;
    (void)trcap_py_policy_parts(args[0], fields, b.parts);
    for (size_t i = 0; i < b.nparts; i++) {
        const template_item *e = &((TemplateObject *)args[0])->items[i];
        if (e->kind == ITEM_FIELD && e->as.field == varying) {
            b.varying_at[b.nvarying++] = i;
        }
    }
    st = trcap_payload_size(b.parts, b.nparts, &b.base_size);
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "the token");
        goto error;
    }
    for (size_t i = 0; i < b.count; i++) {
        PyObject *v = PyTuple_GET_ITEM(values, (Py_ssize_t)i);  /* borrowed */
        size_t escaped, payload_size = b.base_size, token_size;
        if (trcap_py_check_sid_item(v, name, (Py_ssize_t)i, args[5]) < 0
            || trcap_py_text_of(v, &b.values[i]) < 0) {
            goto error;
        }
        st = trcap_json_string_size(&b.values[i], &escaped);
        for (size_t j = 0; st == TRCAP_OK && j < b.nvarying; j++) {
            if (payload_size > SIZE_MAX - (escaped - 2)) {
                st = TRCAP_ERR_OVERFLOW;
            }
            else {
                payload_size += escaped - 2;
            }
        }
        if (st == TRCAP_OK) {
            st = trcap_token_size(state->header_b64_length, payload_size, &token_size);
        }
        if (st != TRCAP_OK) {
            trcap_py_raise_status(st, "the token");
            goto error;
        }
        if (escaped > scratch_size) {
            scratch_size = escaped;
        }
        if (payload_size > rendered_size) {
            rendered_size = payload_size;
        }
        b.tokens[i] = trcap_py_new_token(token_size);
        if (b.tokens[i] == NULL) {
            goto error;
        }
        b.made = i + 1;
    }
    b.scratch = PyMem_Malloc(scratch_size);
    b.rendered = PyMem_Malloc(rendered_size);
    if (b.scratch == NULL || b.rendered == NULL) {
        PyErr_NoMemory();
        goto error;
    }

    /* Write.  Only this call knows the new str objects, the values are held
     * by our tuple, and the key states are read-only once set: the GIL can
     * go. */
    Py_BEGIN_ALLOW_THREADS
    st = write_batch(&b, state->header_b64, state->header_b64_length, &self->key);
    Py_END_ALLOW_THREADS
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "signing the tokens");
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
    PyMem_Free(b.rendered);
    PyMem_Free(b.varying_offset);
    PyMem_Free(b.parts);
    PyMem_Free(b.varying_at);
    PyMem_Free(b.values);
    PyMem_Free(b.tokens);
    PyMem_Free(fields);
    Py_XDECREF(values);
    return result;
}
