/*
 * Template, and the parts a payload is made of: payload numbers, the parts
 * of mint()'s arguments, the escaped fields of a Minter, and policies
 * (bytes or Templates) expanded into parts.  minter.h describes templates.
 */
#include "minter.h"

#include <string.h>

#include <structmember.h>

#include "json_writer.h"

int
trcap_py_is_int(PyObject *o)
{
    return PyLong_Check(o) && !PyBool_Check(o);
}

/* A payload number: an int (not a bool) that fits int64; `what` names it
 * in the error. */
static int
int64_of(PyObject *o, const char *what, int64_t *v)
{
    int overflow = 0;
    long long n = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) {
        PyErr_Format(PyExc_OverflowError, "%s does not fit a signed 64-bit integer", what);
        return -1;
    }
    if (n == -1 && PyErr_Occurred()) {
        return -1;
    }
    *v = (int64_t)n;
    return 0;
}

/* Parts of a payload from Python: bytes are JSON text, ints are numbers
 * written in decimal.  Fills `parts` (nargs long) with views borrowed from
 * the arguments. */
int
trcap_py_parts_from_args(PyObject *const *args, Py_ssize_t nargs, trcap_part *parts)
{
    for (Py_ssize_t i = 0; i < nargs; i++) {
        PyObject *o = args[i];
        if (PyBytes_Check(o)) {
            parts[i] = trcap_text_part((const unsigned char *)PyBytes_AS_STRING(o),
                                       (size_t)PyBytes_GET_SIZE(o));
        }
        else if (trcap_py_is_int(o)) {
            int64_t number;
            if (int64_of(o, "a number of the tail", &number) < 0) {
                return -1;
            }
            parts[i] = trcap_number_part(number);
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
 * quotes) and int (in decimal).  The capability classes have checked each
 * against its argument's rule before (a sid, a URL), naming the argument.
 * Sets *out to one PyMem block holding the parts followed by the escaped
 * text they point into, and *n to the count: 0 on success (*out NULL for
 * an empty tuple: no fields, nothing to free), -1 with an exception. */
int
trcap_py_escape_fields(PyObject *fields, trcap_part **out, Py_ssize_t *n)
{
    trcap_part *parts = NULL;
    unsigned char *p;
    size_t text_size = 0, head_size, size;
    uint64_t plain = 0;  /* bit i: field i needs no escape (the first 64) */
    Py_ssize_t count;
    trcap_status st = TRCAP_OK;
    int rc = -1;

    *out = NULL;
    *n = 0;
    if (!PyTuple_Check(fields)) {
        PyErr_Format(PyExc_TypeError, "fields must be a tuple, not %.100s",
                     Py_TYPE(fields)->tp_name);
        goto error;
    }
    count = PyTuple_GET_SIZE(fields);
    if (count == 0) {
        rc = 0;
        goto error;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *o = PyTuple_GET_ITEM(fields, i);  /* borrowed */
        trcap_text t;
        if (PyUnicode_Check(o)) {
            if (trcap_py_text_of(o, &t) < 0) {
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
                trcap_py_raise_status(st, "a field");
                goto error;
            }
            text_size += size;
        }
        else if (!trcap_py_is_int(o)) {
            PyErr_Format(PyExc_TypeError, "fields must be str or int, not %.100s",
                         Py_TYPE(o)->tp_name);
            goto error;
        }
    }
    head_size = (size_t)count * sizeof(trcap_part);
    if (text_size > (size_t)PY_SSIZE_T_MAX - head_size) {
        trcap_py_raise_status(TRCAP_ERR_OVERFLOW, "the fields");
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
            (void)trcap_py_text_of(o, &t);  /* ready: measured above */
            if (i < 64 && (plain >> i & 1)) {
                memcpy(p, t.data, t.length);
                parts[i] = trcap_text_part(p, t.length);
                p += t.length;
            }
            else {
                unsigned char *q = trcap_json_string_write(p, &t);
                parts[i] = trcap_text_part(p + 1, (size_t)(q - p) - 2);  /* inside the quotes */
                p = q;
            }
        }
        else {
            int64_t number;
            if (int64_of(o, "a field", &number) < 0) {
                goto error;
            }
            parts[i] = trcap_number_part(number);
        }
    }
    *out = parts;  /* now owned by the caller */
    parts = NULL;
    *n = count;
    rc = 0;

error:
    PyMem_Free(parts);
    return rc;
}

/* ---- templates ---------------------------------------------------------- */

/* Compiles item `item` of a template into `e`. */
static int
compile_item(TemplateObject *self, PyObject *item, Py_ssize_t i, template_item *e)
{
    /* Exact types only: nothing in a template can refer back to a Minter,
     * so no reference cycle passes through one. */
    if (PyBytes_CheckExact(item)) {
        e->kind = ITEM_TEXT;
        e->as.text.bytes = (const unsigned char *)PyBytes_AS_STRING(item);
        e->as.text.length = (size_t)PyBytes_GET_SIZE(item);
    }
    else if (PyLong_CheckExact(item)) {
        Py_ssize_t k = PyLong_AsSsize_t(item);
        if (k == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (k < 0) {
            PyErr_Format(PyExc_ValueError, "a field index must not be negative, not %zd", k);
            return -1;
        }
        if (k >= PY_SSIZE_T_MAX) {
            /* fields_needed is k + 1, which must not wrap. */
            PyErr_Format(PyExc_ValueError, "a field index must be less than %zd, not %zd",
                         PY_SSIZE_T_MAX, k);
            return -1;
        }
        e->kind = ITEM_FIELD;
        e->as.field = k;
        if (k >= self->fields_needed) {
            self->fields_needed = k + 1;
        }
    }
    else if (PyUnicode_CheckExact(item) && PyUnicode_CompareWithASCIIString(item, "policies") == 0) {
        e->kind = ITEM_POLICIES;
        self->npolicies++;
    }
    else if (PyUnicode_CheckExact(item) && PyUnicode_CompareWithASCIIString(item, "tail") == 0) {
        e->kind = ITEM_TAIL;
        self->ntails++;
        self->tail_at = i;
    }
    else {
        PyErr_Format(PyExc_TypeError,
                     "template items must be bytes, a field index (int), 'policies' or "
                     "'tail', not %.100R", item);
        return -1;
    }
    return 0;
}

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
    self->source = PyTuple_GetSlice(items, 0, n);
    if (self->source == NULL) {
        goto error;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        /* borrowed: the tuple is ours */
        if (compile_item(self, PyTuple_GET_ITEM(self->source, i), i, &self->items[i]) < 0) {
            goto error;
        }
    }
    if (self->npolicies > 1 || self->ntails > 1) {
        PyErr_SetString(PyExc_ValueError,
                        "a template has at most one 'policies' and one 'tail' hole");
        goto error;
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
    Py_XDECREF(self->source);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *
Template_repr(TemplateObject *self)
{
    return PyUnicode_FromFormat("%s(%R)", Py_TYPE(self)->tp_name, self->source);
}

static PyMemberDef Template_members[] = {
    {"items", T_OBJECT_EX, offsetof(TemplateObject, source), READONLY,
     "The tuple of bytes, field indices and hole names the template was made from."},
    {NULL, 0, 0, 0, NULL},
};

PyDoc_STRVAR(Template_doc,
"Template(items, /)\n--\n\n"
"JSON text with holes: `items` is a tuple of bytes (JSON text), ints (an\n"
"int k stands for field k of the Minter it is used with: a str field is\n"
"written JSON-escaped without its quotes, an int field in decimal) and\n"
"the hole names 'policies' (the Minter's policies, comma-separated) and\n"
"'tail' (mint()'s arguments), each at most once.  Checked and compiled\n"
"once; immutable.");

static PyType_Slot Template_slots[] = {
    {Py_tp_new, Template_new},
    {Py_tp_dealloc, Template_dealloc},
    {Py_tp_repr, Template_repr},
    {Py_tp_members, Template_members},
    {Py_tp_doc, (void *)Template_doc},
    {0, NULL},
};

PyType_Spec trcap_py_template_spec = {
    .name = "twilio_trcap._core.Template",
    .basicsize = offsetof(TemplateObject, items),
    .itemsize = sizeof(template_item),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = Template_slots,
};

/* A new Template of `items` (borrowed), as Template(items). */
PyObject *
trcap_py_template_of(module_state *state, PyObject *items)
{
    return PyObject_CallOneArg((PyObject *)state->template_type, items);
}

/* ---- policies: exact bytes, or a Template of text and fields ------------ */

/* Checks that `o` is a policy whose Template needs no more than `nfields`
 * fields; `name` says what it is in the message. */
int
trcap_py_check_policy(module_state *state, PyObject *o, Py_ssize_t nfields, const char *name)
{
    const TemplateObject *t = (const TemplateObject *)o;

    if (PyBytes_CheckExact(o)) {
        return 0;
    }
    if (!Py_IS_TYPE(o, state->template_type)) {
        PyErr_Format(PyExc_TypeError, "%s must be bytes or a Template, not %.100s",
                     name, Py_TYPE(o)->tp_name);
        return -1;
    }
    if (t->npolicies != 0 || t->ntails != 0) {
        PyErr_Format(PyExc_ValueError, "%s must have no 'policies' or 'tail' hole", name);
        return -1;
    }
    if (t->fields_needed > nfields) {
        PyErr_Format(PyExc_ValueError, "%s refers to field %zd of %zd", name,
                     t->fields_needed - 1, nfields);
        return -1;
    }
    return 0;
}

/* Parts a checked policy expands to. */
size_t
trcap_py_policy_count(PyObject *policy)
{
    return PyBytes_CheckExact(policy) ? 1 : (size_t)Py_SIZE(policy);
}

/* Expands a checked policy into parts (policy_count of them): text as
 * views borrowed from the policy, field k as fields[k].  Returns the next
 * part. */
trcap_part *
trcap_py_policy_parts(PyObject *policy, const trcap_part *fields, trcap_part *parts)
{
    const TemplateObject *t = (const TemplateObject *)policy;
    if (PyBytes_CheckExact(policy)) {
        *parts = trcap_text_part((const unsigned char *)PyBytes_AS_STRING(policy),
                                 (size_t)PyBytes_GET_SIZE(policy));
        return parts + 1;
    }
    for (Py_ssize_t i = 0; i < Py_SIZE(t); i++, parts++) {
        const template_item *e = &t->items[i];
        /* A checked policy holds text and fields only, in range. */
        *parts = e->kind == ITEM_TEXT ? trcap_text_part(e->as.text.bytes, e->as.text.length)
                                       : fields[e->as.field];
    }
    return parts;
}

/* A part array of `n`: `stack` when it fits, else from PyMem. */
trcap_part *
trcap_py_parts_room(trcap_part *stack, size_t n)
{
    trcap_part *parts = n <= STACK_PARTS ? stack : PyMem_New(trcap_part, n);
    if (parts == NULL) {
        PyErr_NoMemory();
    }
    return parts;
}

void
trcap_py_parts_release(trcap_part *parts, trcap_part *stack)
{
    if (parts != stack) {
        PyMem_Free(parts);
    }
}

/* The JSON text of `parts`, as bytes; `what` names it in an error. */
PyObject *
trcap_py_parts_to_bytes(const trcap_part *parts, size_t nparts, const char *what)
{
    PyObject *result = NULL;
    size_t size;
    trcap_status st;

    st = trcap_payload_size(parts, nparts, &size);
    if (st == TRCAP_OK && size > (size_t)PY_SSIZE_T_MAX) {
        st = TRCAP_ERR_OVERFLOW;
    }
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, what);
        goto error;
    }
    result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (result == NULL) {
        goto error;
    }
    (void)trcap_payload_write((unsigned char *)PyBytes_AS_STRING(result), parts, nparts);

error:
    return result;
}
