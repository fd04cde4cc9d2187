/*
 * JSON of Python values, as json.dumps writes them (the section below says
 * exactly how), and the module functions that write it: json_value and
 * policy_json, which return it as bytes, and policy_template, which
 * returns one policy's JSON as a Template (template.c) whose url is left
 * as the caller's Template items, so that a Minter fills in its sids.
 */
#include "minter.h"

#include <math.h>
#include <string.h>

#include "buffer.h"
#include "json_reader.h"
#include "json_writer.h"

/* JSON nesting the writer allows below where it starts (a filter starts at
 * 1, json_value() at 0): deep enough for any real filter or claim, shallow
 * enough to stop a self-referencing dict early.  Not the decoder's limit,
 * TRCAP_JSON_MAX_DEPTH (64), which the module exports as MAX_JSON_DEPTH:
 * a filter sits three containers down in a payload (claims, policies,
 * policy), and with this margin every token the writer accepts is one the
 * decoder reads back (tests/test_json.py). */
#define WRITER_MAX_DEPTH 32
_Static_assert(WRITER_MAX_DEPTH + 3 <= TRCAP_JSON_MAX_DEPTH,
               "a token the writer accepts must be one the decoder reads");

/* ---------------------------------------------------------------------
 * JSON of Python values, into a growable buffer
 *
 * Equal to json.dumps(value, separators=(",", ":")) for the types it
 * accepts, which is what PyJWT writes.  Exact dicts, lists and tuples, str,
 * int and float (subclasses too: their own data and int.__repr__ /
 * float.__repr__, as the json module reads them) are read without running
 * Python code.  Like the json module's C encoder, a dict subclass is read
 * through its items() (an OrderedDict in its own order; an empty one is
 * {} without a call) and a list or tuple subclass through iteration; that
 * runs Python code, which may change or free anything, so every object
 * being written is held by a reference of our own while it is.  NaN and
 * infinities are refused: json.dumps would write NaN/Infinity, which is not
 * JSON (RFC 8259 section 6).
 *
 * With `sort_keys` (a JOSE header: PyJWT writes it with
 * json.dumps(sort_keys=True)), every object's members are written in the
 * order json's encoder gives them: list(d.items()) sorted.  The keys are
 * checked to be str first, so that the sort compares str with str (a
 * mixed dict is our "keys must be str", not a comparison's TypeError).
 * Everything else, the depth limit above all, is the payload's rule.
 */

/* The writer's state along one value: the buffer, the name errors give and
 * whether objects are written with their keys sorted. */
typedef struct {
    trcap_buffer *b;
    const char *name;
    int sort_keys;
} writer;

static int
append_bytes(trcap_buffer *b, const char *p, size_t n, const char *name)
{
    trcap_status st = trcap_buffer_append(b, p, n);
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, name);
        return -1;
    }
    return 0;
}

static int
append_json_string(trcap_buffer *b, PyObject *str, const char *name)
{
    trcap_text t;
    size_t size;
    trcap_status st;

    if (trcap_py_text_of(str, &t) < 0) {
        return -1;
    }
    st = trcap_json_string_size(&t, &size);
    if (st == TRCAP_OK) {
        st = trcap_buffer_reserve(b, size);
    }
    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, name);
        return -1;
    }
    b->length = (size_t)(trcap_json_string_write(b->data + b->length, &t) - b->data);
    return 0;
}

/* Appends str(obj) for an int or float already known to be one, as the
 * json module writes it: int.__repr__ / float.__repr__, never a subclass's. */
static int
append_number(trcap_buffer *b, PyObject *o, const char *name)
{
    PyObject *text = NULL;
    char *repr = NULL;
    int rc = -1;

    if (PyLong_Check(o)) {
        text = PyLong_Type.tp_repr(o);
        if (text == NULL) {
            goto error;
        }
        Py_ssize_t n;
        const char *p = PyUnicode_AsUTF8AndSize(text, &n);
        if (p == NULL || append_bytes(b, p, (size_t)n, name) < 0) {
            goto error;
        }
    }
    else {
        double v = PyFloat_AS_DOUBLE(o);
        if (!isfinite(v)) {
            PyErr_Format(PyExc_ValueError,
                         "%s: %R is not a JSON number (NaN and infinities are not allowed)",
                         name, o);
            goto error;
        }
        repr = PyOS_double_to_string(v, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
        if (repr == NULL || append_bytes(b, repr, strlen(repr), name) < 0) {
            goto error;
        }
    }
    rc = 0;

error:
    PyMem_Free(repr);
    Py_XDECREF(text);
    return rc;
}

static int append_json_value(const writer *w, PyObject *o, int depth);

static int
check_key(const writer *w, PyObject *key)
{
    if (!PyUnicode_Check(key)) {
        PyErr_Format(PyExc_TypeError, "%s: keys must be str, not %.100s",
                     w->name, Py_TYPE(key)->tp_name);
        return -1;
    }
    return 0;
}

/* One member: "key":value.  Both are held by the caller. */
static int
append_json_member(const writer *w, PyObject *key, PyObject *value, int first, int depth)
{
    if (check_key(w, key) < 0
        || (!first && append_bytes(w->b, ",", 1, w->name) < 0)
        || append_json_string(w->b, key, w->name) < 0
        || append_bytes(w->b, ":", 1, w->name) < 0
        || append_json_value(w, value, depth + 1) < 0) {
        return -1;
    }
    return 0;
}

/* An exact dict, in storage order.  A value's own items() (a dict subclass
 * inside) can change the dict: each key and value is held while written,
 * and a change of size is an error, as when iterating in Python. */
static int
append_json_dict(const writer *w, PyObject *dict, int depth)
{
    Py_ssize_t pos = 0, size = PyDict_GET_SIZE(dict);
    PyObject *key, *value;  /* borrowed, then held across the member */
    int rc, first = 1;

    while (PyDict_Next(dict, &pos, &key, &value)) {
        Py_INCREF(key);
        Py_INCREF(value);
        rc = append_json_member(w, key, value, first, depth);
        first = 0;
        Py_DECREF(key);
        Py_DECREF(value);
        if (rc < 0) {
            return -1;
        }
        if (PyDict_GET_SIZE(dict) != size) {
            PyErr_Format(PyExc_RuntimeError, "%s: a dict changed size while it was written",
                         w->name);
            return -1;
        }
    }
    return 0;
}

static int
check_item(const writer *w, PyObject *dict, PyObject *item)
{
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
        PyErr_Format(PyExc_ValueError, "%s: items() of a %.100s must give 2-tuples",
                     w->name, Py_TYPE(dict)->tp_name);
        return -1;
    }
    return 0;
}

/* A dict subclass, as json.dumps reads one: list(d.items()) of 2-tuples;
 * with sort_keys any dict, as json.dumps(sort_keys=True) reads one: that
 * list sorted, once every key is known to be a str. */
static int
append_json_items(const writer *w, PyObject *dict, int depth)
{
    /* A new reference: for an exact dict a fresh list; a subclass's
     * items() may return a list the object keeps, which its own code can
     * change while we write. */
    int exact = PyDict_CheckExact(dict);
    PyObject *items = exact ? PyDict_Items(dict) : PyMapping_Items(dict);
    int rc = -1;

    if (items == NULL) {
        return -1;
    }
    if (w->sort_keys) {
        if (!exact) {
            /* Our own copy: a kept list is not sorted in place, and no
             * code of the object's can reorder what we sorted. */
            Py_SETREF(items, PySequence_List(items));
            if (items == NULL) {
                return -1;
            }
        }
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
            PyObject *item = PyList_GET_ITEM(items, i);  /* borrowed: no Python code runs */
            if (check_item(w, dict, item) < 0 || check_key(w, PyTuple_GET_ITEM(item, 0)) < 0) {
                goto error;
            }
        }
        /* Compares str keys (a subclass's __lt__ runs, as in json.dumps);
         * list.sort() keeps the list whole whatever a comparison does. */
        if (PyList_Sort(items) < 0) {
            goto error;
        }
    }
    /* The size is read again each time: an items() list kept by the object
     * can change while a value is written. */
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *item = Py_NewRef(PyList_GET_ITEM(items, i));  /* holds key and value */
        if (check_item(w, dict, item) < 0
            || append_json_member(w, PyTuple_GET_ITEM(item, 0), PyTuple_GET_ITEM(item, 1),
                                  i == 0, depth) < 0) {
            Py_DECREF(item);
            goto error;
        }
        Py_DECREF(item);
    }
    rc = 0;

error:
    Py_DECREF(items);
    return rc;
}

static int
append_json_value(const writer *w, PyObject *o, int depth)
{
    trcap_buffer *b = w->b;
    const char *name = w->name;

    if (depth > WRITER_MAX_DEPTH) {
        PyErr_Format(PyExc_ValueError,
                     "%s is nested more than %d levels deep (or contains itself)",
                     name, WRITER_MAX_DEPTH);
        return -1;
    }
    if (o == Py_None) {
        return append_bytes(b, "null", 4, name);
    }
    if (o == Py_True) {
        return append_bytes(b, "true", 4, name);
    }
    if (o == Py_False) {
        return append_bytes(b, "false", 5, name);
    }
    if (PyUnicode_Check(o)) {
        return append_json_string(b, o, name);
    }
    if (PyLong_Check(o) || PyFloat_Check(o)) {
        return append_number(b, o, name);
    }
    if (PyDict_Check(o)) {
        if (append_bytes(b, "{", 1, name) < 0) {
            return -1;
        }
        /* json's encoder writes an empty dict, subclass or not, as {}
         * without calling items(). */
        if (PyDict_GET_SIZE(o) != 0
            && (PyDict_CheckExact(o) && !w->sort_keys ? append_json_dict(w, o, depth)
                                                      : append_json_items(w, o, depth)) < 0) {
            return -1;
        }
        return append_bytes(b, "}", 1, name);
    }
    if (PyList_Check(o) || PyTuple_Check(o)) {
        /* o itself when exact, else list(o) as json's encoder makes it
         * (PySequence_Fast): a subclass's own __iter__ decides. */
        PyObject *seq = PySequence_Fast(o, "a JSON array");
        int rc = -1;
        if (seq == NULL) {
            return -1;
        }
        if (append_bytes(b, "[", 1, name) < 0) {
            goto done;
        }
        /* The size is read again each time, as json's encoder does: an
         * items() inside may change the list. */
        for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(seq); i++) {
            PyObject *item = Py_NewRef(PySequence_Fast_GET_ITEM(seq, i));
            int failed = (i && append_bytes(b, ",", 1, name) < 0)
                         || append_json_value(w, item, depth + 1) < 0;
            Py_DECREF(item);
            if (failed) {
                goto done;
            }
        }
        rc = append_bytes(b, "]", 1, name);
    done:
        Py_DECREF(seq);
        return rc;
    }
    PyErr_Format(PyExc_TypeError,
                 "%s must hold only JSON values (dict, list, tuple, str, int, "
                 "float, bool or None), not %.100s",
                 name, Py_TYPE(o)->tp_name);
    return -1;
}

static PyObject *
buffer_to_bytes(trcap_buffer *b)
{
    return PyBytes_FromStringAndSize((const char *)b->data, (Py_ssize_t)b->length);
}

/* ---------------------------------------------------------------------
 * Module functions
 */

const char trcap_py_json_value_doc[] = PyDoc_STR(
"json_value(value, name, sort_keys=False, /)\n--\n\n"
"JSON of a dict, list, tuple, str, int, float, bool or None, as\n"
"json.dumps(value, separators=(',', ':'), sort_keys=sort_keys) writes it,\n"
"as bytes.  `name` is the argument named in error messages.  A JOSE\n"
"header is written with sort_keys=True, as PyJWT writes it; the rules are\n"
"the payload's (str keys, no NaN, a depth limit).");

PyObject *
trcap_py_json_value(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    trcap_buffer b = TRCAP_BUFFER_INIT;
    writer w = {&b, NULL, 0};
    PyObject *result = NULL;

    if (nargs != 2 && nargs != 3) {
        PyErr_Format(PyExc_TypeError,
                     "json_value() takes 2 or 3 positional arguments (%zd given)", nargs);
        goto error;
    }
    if (trcap_py_check_str(args[1], "name") < 0) {
        goto error;
    }
    if (nargs == 3) {
        if (!PyBool_Check(args[2])) {
            PyErr_Format(PyExc_TypeError, "sort_keys must be bool, not %.100s",
                         Py_TYPE(args[2])->tp_name);
            goto error;
        }
        w.sort_keys = args[2] == Py_True;
    }
    w.name = PyUnicode_AsUTF8(args[1]);
    if (w.name == NULL || append_json_value(&w, args[0], 0) < 0) {
        goto error;
    }
    result = buffer_to_bytes(&b);

error:
    trcap_buffer_release(&b);
    return result;
}

/* An absent filter (None) is written as {} as in every twilio generation. */
static int
append_filter(trcap_buffer *b, PyObject *filter, const char *name)
{
    if (filter == Py_None) {
        return append_bytes(b, "{}", 2, name);
    }
    if (!PyDict_Check(filter)) {
        PyErr_Format(PyExc_TypeError, "%s must be a dict or None, not %.100s",
                     name, Py_TYPE(filter)->tp_name);
        return -1;
    }
    writer w = {b, name, 0};  /* a filter's keys in its own order, as twilio wrote them */
    return append_json_value(&w, filter, 1);
}

/* What follows a policy's url: its method, allow and filters, then '}'.
 * args are policy_json's from the method on. */
static int
append_policy_rest(trcap_buffer *b, PyObject *const *args)
{
    if (trcap_py_check_str(args[0], "method") < 0) {
        return -1;
    }
    if (!PyBool_Check(args[1])) {
        PyErr_Format(PyExc_TypeError, "allow must be bool, not %.100s",
                     Py_TYPE(args[1])->tp_name);
        return -1;
    }
    if (append_bytes(b, ",\"method\":", 10, "policy") < 0
        || append_json_string(b, args[0], "method") < 0
        || (args[1] == Py_True
                ? append_bytes(b, ",\"allow\":true", 13, "policy")
                : append_bytes(b, ",\"allow\":false", 14, "policy")) < 0
        || append_bytes(b, ",\"query_filter\":", 16, "policy") < 0
        || append_filter(b, args[2], "query_filter") < 0
        || append_bytes(b, ",\"post_filter\":", 15, "policy") < 0
        || append_filter(b, args[3], "post_filter") < 0
        || append_bytes(b, "}", 1, "policy") < 0) {
        return -1;
    }
    return 0;
}

const char trcap_py_policy_json_doc[] = PyDoc_STR(
"policy_json(url, method, allow, query_filter, post_filter, /)\n--\n\n"
"JSON of one policy: url, method, allow, query_filter, post_filter in that\n"
"order (twilio's), compact, as bytes.  The filters are dicts or None.");

PyObject *
trcap_py_policy_json(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    trcap_buffer b = TRCAP_BUFFER_INIT;
    PyObject *result = NULL;

    if (trcap_py_check_nargs("policy_json", nargs, 5) < 0
        || trcap_py_check_str(args[0], "url") < 0) {
        goto error;
    }
    if (append_bytes(&b, "{\"url\":", 7, "policy") < 0
        || append_json_string(&b, args[0], "url") < 0
        || append_policy_rest(&b, args + 1) < 0) {
        goto error;
    }
    result = buffer_to_bytes(&b);

error:
    trcap_buffer_release(&b);
    return result;
}

const char trcap_py_policy_template_doc[] = PyDoc_STR(
"policy_template(url, method, allow, query_filter, post_filter, /)\n--\n\n"
"The Template of one policy whose url is `url`, a tuple of Template items\n"
"(bytes of JSON string content, and field indices): policy_json's layout\n"
"with the url's items in place of its escaped text.");

PyObject *
trcap_py_policy_template(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    static const char url_key[] = "{\"url\":\"";
    trcap_buffer b = TRCAP_BUFFER_INIT;
    PyObject *items = NULL, *result = NULL;
    Py_ssize_t n;

    if (trcap_py_check_nargs("policy_template", nargs, 5) < 0) {
        goto error;
    }
    if (!PyTuple_CheckExact(args[0])) {
        PyErr_Format(PyExc_TypeError, "url must be a tuple of template items, not %.100s",
                     Py_TYPE(args[0])->tp_name);
        goto error;
    }
    /* The closing quote of the url, then the rest. */
    if (append_bytes(&b, "\"", 1, "policy") < 0 || append_policy_rest(&b, args + 1) < 0) {
        goto error;
    }
    n = PyTuple_GET_SIZE(args[0]);
    items = PyTuple_New(n + 2);
    if (items == NULL) {
        goto error;
    }
    /* Each PyTuple_SET_ITEM moves a new reference into `items` (a NULL
     * slot is fine for the tuple's deallocation). */
    PyTuple_SET_ITEM(items, 0, PyBytes_FromStringAndSize(url_key, sizeof url_key - 1));
    if (PyTuple_GET_ITEM(items, 0) == NULL) {
        goto error;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyTuple_SET_ITEM(items, i + 1, Py_NewRef(PyTuple_GET_ITEM(args[0], i)));
    }
    PyTuple_SET_ITEM(items, n + 1, buffer_to_bytes(&b));
    if (PyTuple_GET_ITEM(items, n + 1) == NULL) {
        goto error;
    }
    /* Template() checks the url's items (bytes and field indices only: a
     * policy has no holes, which Minter checks when it is added). */
    result = trcap_py_template_of(get_state(module), items);

error:
    trcap_buffer_release(&b);
    Py_XDECREF(items);
    return result;
}
