/*
 * Minter: a capability's payload, its policies and the Key that signs it
 * (minter.h describes the layout and the re-mint from a prepared prefix).
 */
#include "minter.h"

#include <string.h>

#include "base64url.h"

/* The header a Minter writes: the module's default when `header` is NULL
 * or None, else the encoding of `header` (JSON bytes), owned. */
static int
set_header(MinterObject *self, module_state *state, PyObject *header)
{
    size_t size;
    trcap_status st;

    if (header == NULL || header == Py_None) {
        self->header_b64 = state->header_b64;
        self->header_b64_length = state->header_b64_length;
        return 0;
    }
    if (!PyBytes_CheckExact(header)) {
        PyErr_Format(PyExc_TypeError, "header must be bytes or None, not %.100s",
                     Py_TYPE(header)->tp_name);
        return -1;
    }
    st = trcap_b64url_size((size_t)PyBytes_GET_SIZE(header), &size);
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "header");
        return -1;
    }
    self->own_header_b64 = PyMem_Malloc(size ? size : 1);
    if (self->own_header_b64 == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    (void)trcap_b64url_encode(self->own_header_b64, (const unsigned char *)PyBytes_AS_STRING(header),
                              (size_t)PyBytes_GET_SIZE(header));
    self->header_b64 = self->own_header_b64;
    self->header_b64_length = size;
    return 0;
}

PyDoc_STRVAR(Minter_create_doc,
"create(key, fields, layout, policies, header=None, /)\n--\n\n"
"A Minter signing with `key` (a Key) the payload `layout` (a Template\n"
"with one 'tail' hole and at most one 'policies' hole) over `fields` (a\n"
"tuple of str, written JSON-escaped without quotes, and int), holding\n"
"`policies` (a tuple of bytes and Templates over the same fields) in\n"
"that order, under `header` (JSON bytes; None: {\"alg\":\"HS256\",\"typ\":\"JWT\"}).\n"
"Positional only: keyword parsing costs more than the rest.");

static PyObject *
minter_new(module_state *state, PyObject *key, PyObject *fields, PyObject *layout,
           PyObject *policies, PyObject *header)
{
    MinterObject *self = NULL;
    TemplateObject *template = (TemplateObject *)layout;

    if (!Py_IS_TYPE(key, state->key_type)) {
        PyErr_Format(PyExc_TypeError, "key must be a Key, not %.100s", Py_TYPE(key)->tp_name);
        goto error;
    }
    if (!Py_IS_TYPE(layout, state->template_type)) {
        PyErr_Format(PyExc_TypeError, "layout must be a Template, not %.100s",
                     Py_TYPE(layout)->tp_name);
        goto error;
    }
    if (template->ntails != 1) {
        PyErr_SetString(PyExc_ValueError, "layout must have a 'tail' hole");
        goto error;
    }
    if (!PyTuple_Check(policies)) {
        PyErr_Format(PyExc_TypeError, "policies must be a tuple, not %.100s",
                     Py_TYPE(policies)->tp_name);
        goto error;
    }
    self = (MinterObject *)state->minter_type->tp_alloc(state->minter_type, 0);
    if (self == NULL) {
        goto error;
    }
    self->state = state;
    if (set_header(self, state, header) < 0) {
        goto error;
    }
    self->key = (KeyObject *)Py_NewRef(key);
    self->layout = (TemplateObject *)Py_NewRef(layout);
    if (trcap_py_escape_fields(fields, &self->fields, &self->nfields) < 0) {
        goto error;
    }
    if (template->fields_needed > self->nfields) {
        PyErr_Format(PyExc_ValueError, "layout refers to field %zd of %zd",
                     template->fields_needed - 1, self->nfields);
        goto error;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(policies); i++) {
        if (trcap_py_check_policy(state, PyTuple_GET_ITEM(policies, i), self->nfields,
                                  "a policy") < 0) {
            goto error;
        }
    }
    /* A copy of the tuple's storage, which is what was checked: list()
     * would call a tuple subclass's __iter__, which may give anything. */
    self->policies = PyList_New(PyTuple_GET_SIZE(policies));
    if (self->policies == NULL) {
        goto error;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(policies); i++) {
        PyList_SET_ITEM(self->policies, i, Py_NewRef(PyTuple_GET_ITEM(policies, i)));
    }
    return (PyObject *)self;

error:
    Py_XDECREF(self);
    return NULL;
}

static PyObject *
Minter_create(PyTypeObject *type, PyObject *const *args, Py_ssize_t nargs)
{
    PyObject *module;  /* borrowed */

    if (nargs != 4 && nargs != 5) {
        PyErr_Format(PyExc_TypeError, "create() takes 4 or 5 positional arguments (%zd given)",
                     nargs);
        return NULL;
    }
    module = PyType_GetModuleByDef(type, &trcap_py_module);
    if (module == NULL) {
        return NULL;
    }
    return minter_new(get_state(module), args[0], args[1], args[2], args[3],
                               nargs == 5 ? args[4] : NULL);
}

static void
Minter_dealloc(MinterObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    /* OpenSSL frees the prepared MAC state with OPENSSL_clear_free (its
     * SHA-256 provider), wiping what the key left in it. */
    trcap_prepared_release(&self->prepared);
    PyMem_Free(self->suffix);
    PyMem_Free(self->fields);
    PyMem_Free(self->own_header_b64);
    Py_XDECREF(self->key);
    Py_XDECREF(self->layout);
    Py_XDECREF(self->policies);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

/* ---- the layout's parts --------------------------------------------------- */

/* Parts of the layout's items [from, to), the policies hole expanded to
 * the policies joined by commas.  The range holds no tail hole. */
static size_t
layout_count(MinterObject *self, Py_ssize_t from, Py_ssize_t to)
{
    size_t n = 0;
    for (Py_ssize_t i = from; i < to; i++) {
        if (self->layout->items[i].kind == ITEM_POLICIES) {
            Py_ssize_t count = PyList_GET_SIZE(self->policies);
            for (Py_ssize_t j = 0; j < count; j++) {
                n += trcap_py_policy_count(PyList_GET_ITEM(self->policies, j)) + (j > 0);  /* ',' */
            }
        }
        else {
            n++;
        }
    }
    return n;
}

static trcap_part *
layout_parts(MinterObject *self, Py_ssize_t from, Py_ssize_t to, trcap_part *parts)
{
    static const unsigned char comma[] = ",";

    for (Py_ssize_t i = from; i < to; i++) {
        const template_item *e = &self->layout->items[i];
        switch (e->kind) {
        case ITEM_TEXT:
            *parts++ = trcap_text_part(e->as.text.bytes, e->as.text.length);
            break;
        case ITEM_FIELD:
            *parts++ = self->fields[e->as.field];  /* in range: checked */
            break;
        case ITEM_POLICIES:
            for (Py_ssize_t j = 0; j < PyList_GET_SIZE(self->policies); j++) {
                if (j) {
                    *parts++ = trcap_text_part(comma, 1);
                }
                parts = trcap_py_policy_parts(PyList_GET_ITEM(self->policies, j), self->fields,
                                              parts);
            }
            break;
        case ITEM_TAIL:
            break;  /* never in the range: the callers stop at it */
        }
    }
    return parts;
}

/* ---- minting ---------------------------------------------------------------- */

/* The token for prefix + tail + suffix, from scratch. */
static PyObject *
token_from_scratch(MinterObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    trcap_part stack[STACK_PARTS];
    Py_ssize_t tail_at = self->layout->tail_at, end = Py_SIZE(self->layout);
    size_t nprefix = layout_count(self, 0, tail_at);
    size_t nparts = nprefix + (size_t)nargs + layout_count(self, tail_at + 1, end);
    trcap_part *parts = trcap_py_parts_room(stack, nparts);
    PyObject *token = NULL;

    if (parts == NULL) {
        return NULL;
    }
    (void)layout_parts(self, 0, tail_at, parts);
    if (trcap_py_parts_from_args(args, nargs, parts + nprefix) == 0) {
        (void)layout_parts(self, tail_at + 1, end, parts + nprefix + nargs);
        token = trcap_py_token_from_parts(self->header_b64, self->header_b64_length, parts,
                                          nparts, &self->key->key);
    }
    trcap_py_parts_release(parts, stack);
    return token;
}

/* Builds self->prepared from the prefix, and self->suffix. */
static int
prepare(MinterObject *self)
{
    trcap_part stack[STACK_PARTS];
    Py_ssize_t tail_at = self->layout->tail_at, end = Py_SIZE(self->layout);
    size_t nprefix = layout_count(self, 0, tail_at);
    size_t nsuffix = layout_count(self, tail_at + 1, end);
    trcap_part *parts = trcap_py_parts_room(stack, nprefix > nsuffix ? nprefix : nsuffix);
    trcap_status st;
    int rc = -1;

    if (parts == NULL) {
        goto error;
    }
    (void)layout_parts(self, tail_at + 1, end, parts);
    st = trcap_payload_size(parts, nsuffix, &self->suffix_length);
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "the token");
        goto error;
    }
    self->suffix = PyMem_Malloc(self->suffix_length ? self->suffix_length : 1);
    if (self->suffix == NULL) {
        PyErr_NoMemory();
        goto error;
    }
    (void)trcap_payload_write(self->suffix, parts, nsuffix);

    (void)layout_parts(self, 0, tail_at, parts);
    st = trcap_prepared_set(&self->prepared, self->header_b64, self->header_b64_length,
                            parts, nprefix, &self->key->key);
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "preparing the token prefix");
        goto error;
    }
    rc = 0;

error:
    if (rc < 0) {
        PyMem_Free(self->suffix);
        self->suffix = NULL;
    }
    if (parts != NULL) {
        trcap_py_parts_release(parts, stack);
    }
    return rc;
}

/* The token for the prepared prefix + tail + suffix. */
static PyObject *
token_from_prepared(MinterObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    trcap_part stack[STACK_PARTS];
    size_t ntail = (size_t)nargs + 1;
    trcap_part *tail = trcap_py_parts_room(stack, ntail);
    EVP_MD_CTX *run = NULL;
    PyObject *token = NULL;
    size_t tail_size, token_size;
    trcap_status st;

    if (tail == NULL) {
        return NULL;
    }
    if (trcap_py_parts_from_args(args, nargs, tail) < 0) {
        goto error;
    }
    tail[nargs] = trcap_text_part(self->suffix, self->suffix_length);
    st = trcap_payload_size(tail, ntail, &tail_size);
    if (st == TRCAP_OK) {
        st = trcap_prepared_token_size(&self->prepared, tail_size, &token_size);
    }
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "the token");
        goto error;
    }
    run = trcap_py_new_mac_context();  /* this mint's own */
    if (run == NULL) {
        goto error;
    }
    token = trcap_py_new_token(token_size);
    if (token == NULL) {
        goto error;
    }
    st = trcap_prepared_token_write(PyUnicode_1BYTE_DATA(token), &self->prepared,
                                    tail, ntail, tail_size, &self->key->key, run);
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "signing the token");
        Py_CLEAR(token);
    }

error:
    EVP_MD_CTX_free(run);  /* NULL-safe; OpenSSL wipes the MAC's state */
    trcap_py_parts_release(tail, stack);
    return token;
}

PyDoc_STRVAR(Minter_mint_doc,
"mint(*tail)\n--\n\n"
"The signed token whose payload is the layout with the fields, the\n"
"policies joined by commas, and the parts in `tail` (bytes as JSON text,\n"
"ints in decimal) in the tail hole.  From the second mint after the\n"
"policies change, the encoding of what precedes the tail and the MAC\n"
"state after it are re-used, and what follows it is written out once.");

static PyObject *
Minter_mint(PyObject *minter, PyObject *const *tail, Py_ssize_t ntail)
{
    MinterObject *self = (MinterObject *)minter;

    if (self->prepared.text != NULL) {
        return token_from_prepared(self, tail, ntail);
    }
    if (!self->minted) {
        PyObject *token = token_from_scratch(self, tail, ntail);
        self->minted = token != NULL;
        return token;
    }
    if (prepare(self) < 0) {
        return NULL;
    }
    return token_from_prepared(self, tail, ntail);
}

/* ---- policies ---------------------------------------------------------------- */

/* The policies changed: the prepared prefix and suffix no longer hold. */
static void
policies_changed(MinterObject *self)
{
    trcap_prepared_release(&self->prepared);
    PyMem_Free(self->suffix);
    self->suffix = NULL;
    self->suffix_length = 0;
    self->minted = 0;
}

PyDoc_STRVAR(Minter_add_policy_doc,
"add_policy(policy, /)\n--\n\n"
"Appends one policy: its JSON (bytes, as from policy_json) or its\n"
"Template over this Minter's fields.");

static PyObject *
Minter_add_policy(PyObject *minter, PyObject *policy)
{
    MinterObject *self = (MinterObject *)minter;
    if (trcap_py_check_policy(self->state, policy, self->nfields, "a policy") < 0
        || PyList_Append(self->policies, policy) < 0) {
        return NULL;
    }
    policies_changed(self);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(Minter_set_policies_doc,
"set_policies(policies, /)\n--\n\n"
"Replaces every policy with those of an iterable of bytes (policy JSON).");

static PyObject *
Minter_set_policies(MinterObject *self, PyObject *policies)
{
    PyObject *list = PySequence_List(policies);  /* new: our own copy */
    if (list == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(list); i++) {
        PyObject *policy = PyList_GET_ITEM(list, i);  /* borrowed */
        if (!PyBytes_CheckExact(policy)) {
            PyErr_Format(PyExc_TypeError, "a policy must be bytes, not %.100s",
                         Py_TYPE(policy)->tp_name);
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
"A new list of the policies' JSON (bytes), in token order.");

static PyObject *
Minter_policies(MinterObject *self, PyObject *Py_UNUSED(ignored))
{
    /* Our own reference to the list we read: allocating the result can run
     * a collection, and a finalizer may call set_policies(), which replaces
     * (and would otherwise free) self->policies under the loop. */
    PyObject *policies = Py_NewRef(self->policies);
    Py_ssize_t count = PyList_GET_SIZE(policies);
    PyObject *result = PyList_New(count);
    trcap_part stack[STACK_PARTS];

    if (result == NULL) {
        goto error;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *policy = PyList_GET_ITEM(policies, i), *json;  /* borrowed, new */
        size_t nparts = trcap_py_policy_count(policy);
        trcap_part *parts = trcap_py_parts_room(stack, nparts);
        if (parts == NULL) {
            Py_CLEAR(result);
            goto error;
        }
        (void)trcap_py_policy_parts(policy, self->fields, parts);
        json = trcap_py_parts_to_bytes(parts, nparts, "a policy");
        trcap_py_parts_release(parts, stack);
        if (json == NULL) {
            Py_CLEAR(result);
            goto error;
        }
        PyList_SET_ITEM(result, i, json);  /* reference moved to result */
    }

error:
    Py_DECREF(policies);
    return result;
}

static PyMethodDef Minter_methods[] = {
    {"create", (PyCFunction)(void (*)(void))Minter_create, METH_FASTCALL | METH_CLASS,
     Minter_create_doc},
    {"mint", (PyCFunction)(void (*)(void))Minter_mint, METH_FASTCALL, Minter_mint_doc},
    {"add_policy", (PyCFunction)Minter_add_policy, METH_O, Minter_add_policy_doc},
    {"set_policies", (PyCFunction)Minter_set_policies, METH_O, Minter_set_policies_doc},
    {"policies", (PyCFunction)Minter_policies, METH_NOARGS, Minter_policies_doc},
    {"__reduce__", trcap_py_refuse_pickle, METH_NOARGS, NULL},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(Minter_doc,
"A capability's payload (a layout Template over fields), its policies and\n"
"the Key that signs it; made by Minter.create().");

static PyType_Slot Minter_slots[] = {
    {Py_tp_dealloc, Minter_dealloc},
    {Py_tp_repr, trcap_py_signer_repr},
    {Py_tp_methods, Minter_methods},
    {Py_tp_doc, (void *)Minter_doc},
    {0, NULL},
};

PyType_Spec trcap_py_minter_spec = {
    .name = "twilio_trcap._core.Minter",
    .basicsize = sizeof(MinterObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE | Py_TPFLAGS_DISALLOW_INSTANTIATION,
    .slots = Minter_slots,
};
