/*
 * Template, and the parts a payload is made of: payload numbers, the parts
 * of mint()'s and sign()'s arguments, the escaped fields of a Minter, and
 * the pieces (bytes or Templates) expanded into parts.  minter.h describes
 * pieces and templates.
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

/* A payload number: an int (not a bool) that fits int64. */
static int
int64_of(PyObject *o, int64_t *v)
{
    int overflow = 0;
    long long n = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (overflow) {
        PyErr_SetString(PyExc_OverflowError,
                        "a time claim does not fit a signed 64-bit integer");
        return -1;
    }
    if (n == -1 && PyErr_Occurred()) {
        return -1;
    }
    *v = (int64_t)n;
    return 0;
}

static void
bytes_part(trcap_part *part, PyObject *bytes)
{
    part->bytes = (const unsigned char *)PyBytes_AS_STRING(bytes);
    part->length = (size_t)PyBytes_GET_SIZE(bytes);
    part->number = 0;
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
            bytes_part(&parts[i], o);
        }
        else if (trcap_py_is_int(o)) {
            parts[i].bytes = NULL;
            parts[i].length = 0;
            if (int64_of(o, &parts[i].number) < 0) {
                return -1;
            }
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
 * quotes) and int (in decimal); with `text_only`, of non-empty str only.
 * Sets *out to one PyMem block holding the parts followed by the escaped
 * text they point into, and *n to the count: 0 on success (*out NULL for
 * an empty tuple: no fields, nothing to free), -1 with an exception. */
int
trcap_py_escape_fields(PyObject *fields, int text_only, trcap_part **out, Py_ssize_t *n)
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
        if (text_only && (!PyUnicode_Check(o) || PyUnicode_GET_LENGTH(o) == 0)) {
            /* The capability classes check again to name the argument. */
            PyErr_SetString(PyUnicode_Check(o) ? PyExc_ValueError : PyExc_TypeError,
                            "fields must be non-empty str");
            goto error;
        }
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
                parts[i].bytes = p;
                parts[i].length = t.length;
                p += t.length;
            }
            else {
                unsigned char *q = trcap_json_string_write(p, &t);
                parts[i].bytes = p + 1;  /* inside the quotes */
                parts[i].length = (size_t)(q - p) - 2;
                p = q;
            }
            parts[i].number = 0;
        }
        else {
            parts[i].bytes = NULL;
            parts[i].length = 0;
            if (int64_of(o, &parts[i].number) < 0) {
                goto error;
            }
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
    self->items = PyTuple_GetSlice(items, 0, n);
    if (self->items == NULL) {
        goto error;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyTuple_GET_ITEM(self->items, i);  /* borrowed: the tuple is ours */
        /* Exact types only: nothing in a template can refer back to a
         * Minter, so no reference cycle passes through one. */
        if (PyBytes_CheckExact(item)) {
            self->entries[i].bytes = (const unsigned char *)PyBytes_AS_STRING(item);
            self->entries[i].length = (size_t)PyBytes_GET_SIZE(item);
        }
        else if (PyLong_CheckExact(item)) {
            Py_ssize_t k = PyLong_AsSsize_t(item);
            if (k == -1 && PyErr_Occurred()) {
                goto error;
            }
            if (k < 0) {
                PyErr_Format(PyExc_ValueError, "a field index must not be negative, not %zd", k);
                goto error;
            }
            if (k >= PY_SSIZE_T_MAX) {
                /* fields_needed is k + 1, which must not wrap. */
                PyErr_Format(PyExc_ValueError, "a field index must be less than %zd, not %zd",
                             PY_SSIZE_T_MAX, k);
                goto error;
            }
            self->entries[i].bytes = NULL;
            self->entries[i].length = (size_t)k;
            if (k >= self->fields_needed) {
                self->fields_needed = k + 1;
            }
        }
        else {
            PyErr_Format(PyExc_TypeError,
                         "template items must be bytes or a field index (int), not %.100s",
                         Py_TYPE(item)->tp_name);
            goto error;
        }
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
    Py_XDECREF(self->items);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyObject *
Template_repr(TemplateObject *self)
{
    return PyUnicode_FromFormat("%s(%R)", Py_TYPE(self)->tp_name, self->items);
}

static PyMemberDef Template_members[] = {
    {"items", T_OBJECT_EX, offsetof(TemplateObject, items), READONLY,
     "The tuple of bytes and field indices the template was made from."},
    {NULL, 0, 0, 0, NULL},
};

PyDoc_STRVAR(Template_doc,
"Template(items, /)\n--\n\n"
"A payload template: `items` is a tuple of bytes (JSON text) and ints, an\n"
"int k standing for field k of the Minter it is used with (a str field is\n"
"written JSON-escaped without its quotes, an int field in decimal).\n"
"Checked and compiled once; immutable.");

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
    .basicsize = offsetof(TemplateObject, entries),
    .itemsize = sizeof(template_entry),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = Template_slots,
};

/* A piece is exact bytes or a Template.  Checks that `o` is one, and that
 * a Template needs no more than `nfields` fields. */
int
trcap_py_check_piece(PyTypeObject *template_type, PyObject *o, Py_ssize_t nfields, const char *name)
{
    if (PyBytes_CheckExact(o)) {
        return 0;
    }
    if (!Py_IS_TYPE(o, template_type)) {
        PyErr_Format(PyExc_TypeError, "%s must be bytes or a Template, not %.100s",
                     name, Py_TYPE(o)->tp_name);
        return -1;
    }
    if (((TemplateObject *)o)->fields_needed > nfields) {
        PyErr_Format(PyExc_ValueError, "%s refers to field %zd of %zd", name,
                     ((TemplateObject *)o)->fields_needed - 1, nfields);
        return -1;
    }
    return 0;
}

/* Parts a checked piece expands to. */
size_t
trcap_py_piece_count(PyObject *piece)
{
    return PyBytes_CheckExact(piece) ? 1 : (size_t)Py_SIZE(piece);
}

/* Expands a checked piece into parts (piece_count of them): bytes as views
 * borrowed from the piece, field k as fields[k].  Returns the next part. */
trcap_part *
trcap_py_piece_parts(PyObject *piece, const trcap_part *fields, trcap_part *parts)
{
    const TemplateObject *t = (const TemplateObject *)piece;
    if (PyBytes_CheckExact(piece)) {
        bytes_part(parts, piece);
        return parts + 1;
    }
    for (Py_ssize_t i = 0; i < Py_SIZE(t); i++, parts++) {
        if (t->entries[i].bytes) {
            parts->bytes = t->entries[i].bytes;
            parts->length = t->entries[i].length;
            parts->number = 0;
        }
        else {
            *parts = fields[t->entries[i].length];  /* in range: checked */
        }
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

/* The JSON text of a checked piece with `fields`, as bytes. */
PyObject *
trcap_py_render_piece(PyObject *piece, const trcap_part *fields)
{
    trcap_part stack[STACK_PARTS];
    trcap_part *parts = NULL;
    size_t nparts = trcap_py_piece_count(piece), size;
    PyObject *result = NULL;
    trcap_status st;

    if (PyBytes_CheckExact(piece)) {
        return Py_NewRef(piece);
    }
    parts = trcap_py_parts_room(stack, nparts);
    if (parts == NULL) {
        goto error;
    }
    (void)trcap_py_piece_parts(piece, fields, parts);
    st = trcap_payload_size(parts, nparts, &size);
    if (st == TRCAP_OK && size > (size_t)PY_SSIZE_T_MAX) {
        st = TRCAP_ERR_OVERFLOW;
    }
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "a policy");
        goto error;
    }
    result = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (result == NULL) {
        goto error;
    }
    (void)trcap_payload_write((unsigned char *)PyBytes_AS_STRING(result), parts, nparts);

error:
    if (parts != NULL) {
        trcap_py_parts_release(parts, stack);
    }
    return result;
}
