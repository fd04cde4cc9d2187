/*
 * Minter: a keyed HS256 signer that keeps a capability's policies
 * (minter.h describes the payload it writes and the prepared prefix of a
 * re-mint).  mint_each, its batch method, is in batch.c.
 */
#include "minter.h"

#include <string.h>

#include "base64url.h"

static const char default_header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

/* head, mid or end: a checked piece, new reference; b'' when absent. */
static PyObject *
piece_arg(MinterObject *self, PyObject *given, const char *name)
{
    if (given == NULL) {
        return PyBytes_FromStringAndSize(NULL, 0);
    }
    if (trcap_py_check_piece(self->template_type, given, self->nfields, name) < 0) {
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

    module = PyType_GetModuleByDef(type, &trcap_py_module);  /* borrowed */
    if (module == NULL) {
        goto error;
    }
    self = (MinterObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        goto error;
    }
    self->template_type = get_state(module)->template_type;
    if (fields != NULL
        && trcap_py_escape_fields(fields, text_only, &self->fields, &self->nfields) < 0) {
        goto error;
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
            if (trcap_py_check_piece(self->template_type, PyTuple_GET_ITEM(policies, i), self->nfields,
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
        trcap_py_raise_status(st, "header");
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
    if (trcap_py_prepare_key(get_state(module), key, name, &self->key) < 0) {
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

    if (trcap_py_check_nargs("for_template", nargs, 7) < 0 || trcap_py_check_str(args[6], "name") < 0) {
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
PyObject *
trcap_py_new_token(size_t size)
{
    if (size > (size_t)PY_SSIZE_T_MAX) {
        trcap_py_raise_status(TRCAP_ERR_OVERFLOW, "the token");
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
        trcap_py_raise_status(st, "the token");
        goto error;
    }
    token = trcap_py_new_token(token_size);
    if (token == NULL) {
        goto error;
    }
    st = trcap_token_write(PyUnicode_1BYTE_DATA(token), self->header_b64,
                           self->header_b64_length, parts, nparts, payload_size, &self->key,
                           self->run);
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "signing the token");
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
    trcap_part *parts = trcap_py_parts_room(stack, (size_t)nargs);
    PyObject *token = NULL;

    if (parts == NULL) {
        return NULL;
    }
    if (trcap_py_parts_from_args(args, nargs, parts) == 0) {
        token = token_from_parts(self, parts, (size_t)nargs);
    }
    trcap_py_parts_release(parts, stack);
    return token;
}

/* Parts of head + the policies joined by commas + mid. */
static size_t
prefix_count(MinterObject *self)
{
    Py_ssize_t count = PyList_GET_SIZE(self->policies);
    size_t n = trcap_py_piece_count(self->head) + trcap_py_piece_count(self->mid);
    for (Py_ssize_t i = 0; i < count; i++) {
        n += trcap_py_piece_count(PyList_GET_ITEM(self->policies, i)) + (i > 0);  /* ',' */
    }
    return n;
}

static trcap_part *
prefix_parts(MinterObject *self, trcap_part *parts)
{
    static const unsigned char comma[] = ",";
    Py_ssize_t count = PyList_GET_SIZE(self->policies);

    parts = trcap_py_piece_parts(self->head, self->fields, parts);
    for (Py_ssize_t i = 0; i < count; i++) {
        if (i) {
            parts->bytes = comma;
            parts->length = 1;
            parts->number = 0;
            parts++;
        }
        parts = trcap_py_piece_parts(PyList_GET_ITEM(self->policies, i), self->fields, parts);
    }
    return trcap_py_piece_parts(self->mid, self->fields, parts);
}

/* Builds self->prepared from head + policies + mid. */
static int
prepare_prefix(MinterObject *self)
{
    trcap_part stack[STACK_PARTS];
    size_t nparts = prefix_count(self);
    trcap_part *parts = trcap_py_parts_room(stack, nparts);
    trcap_status st;

    if (parts == NULL) {
        return -1;
    }
    (void)prefix_parts(self, parts);
    st = trcap_prepared_set(&self->prepared, self->header_b64, self->header_b64_length,
                            parts, nparts, &self->key);
    trcap_py_parts_release(parts, stack);
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "preparing the token prefix");
        return -1;
    }
    return 0;
}

/* The token for the prepared prefix + tail + end. */
static PyObject *
token_from_prepared(MinterObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    trcap_part stack[STACK_PARTS];
    size_t ntail = (size_t)nargs + trcap_py_piece_count(self->end);
    trcap_part *tail = trcap_py_parts_room(stack, ntail);
    PyObject *token = NULL;
    size_t tail_size, token_size;
    trcap_status st;

    if (tail == NULL) {
        return NULL;
    }
    if (trcap_py_parts_from_args(args, nargs, tail) < 0) {
        goto error;
    }
    (void)trcap_py_piece_parts(self->end, self->fields, tail + nargs);
    st = trcap_payload_size(tail, ntail, &tail_size);
    if (st == TRCAP_OK) {
        st = trcap_prepared_token_size(&self->prepared, tail_size, &token_size);
    }
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "the token");
        goto error;
    }
    token = trcap_py_new_token(token_size);
    if (token == NULL) {
        goto error;
    }
    st = trcap_prepared_token_write(PyUnicode_1BYTE_DATA(token), &self->prepared,
                                    tail, ntail, tail_size, &self->key, self->run);
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "signing the token");
        Py_CLEAR(token);
    }

error:
    trcap_py_parts_release(tail, stack);
    return token;
}

/* The token for head + policies + mid + tail + end, from scratch. */
static PyObject *
token_from_scratch(MinterObject *self, PyObject *const *args, Py_ssize_t nargs)
{
    trcap_part stack[STACK_PARTS];
    size_t nprefix = prefix_count(self);
    size_t nparts = nprefix + (size_t)nargs + trcap_py_piece_count(self->end);
    trcap_part *parts = trcap_py_parts_room(stack, nparts);
    PyObject *token = NULL;

    if (parts == NULL) {
        return NULL;
    }
    (void)prefix_parts(self, parts);
    if (trcap_py_parts_from_args(args, nargs, parts + nprefix) == 0) {
        (void)trcap_py_piece_parts(self->end, self->fields, parts + nprefix + nargs);
        token = token_from_parts(self, parts, nparts);
    }
    trcap_py_parts_release(parts, stack);
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
    if (trcap_py_check_piece(self->template_type, template, self->nfields, "a policy") < 0
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
        PyObject *fragment = trcap_py_render_piece(PyList_GET_ITEM(policies, i), self->fields);
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
    {"mint_each", (PyCFunction)(void (*)(void))trcap_py_minter_mint_each, METH_FASTCALL,
     trcap_py_minter_mint_each_doc},
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

PyType_Spec trcap_py_minter_spec = {
    .name = "twilio_trcap._core.Minter",
    .basicsize = sizeof(MinterObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = Minter_slots,
};
