/*
 * Capability: the hot path of twilio 4.0's documented TaskRouterCapability
 * (twilio_trcap/task_router.py subclasses it), so that a web request's
 * fresh token runs no Python frame of ours: the constructor, the three
 * permission methods and generate_token are each one C call over a Minter
 * (minter.c).  The Python class adds what is not on that path: its
 * properties, mint_many, the policy methods, allows/explain, repr.
 *
 * What the payload is made of stays in Python, beside the other
 * generations' (twilio_trcap._payload): the subclass's _SPEC class
 * attribute, read once per object by __init__, is the tuple
 *
 *     (rules, defaults, layout, policies, grants)
 *
 *   rules     the six field rules, in the order of the fields (check_fields):
 *             account_sid, workspace_sid, worker_sid, version, base_url,
 *             base_ws_url
 *   defaults  base_url's, version's and base_ws_url's defaults (str)
 *   layout    the payload's Template; policies: the default policies
 *             (Minter.create's arguments)
 *   grants    the policy templates that allow_worker_fetch_attributes,
 *             allow_worker_activity_updates and
 *             allow_task_reservation_updates append, in that order
 *
 * Every piece is checked where it is used (check_fields, Minter.create,
 * Minter.add_policy), so a subclass with a _SPEC of its own gets an
 * exception, never a crash.  An object whose __init__ has not run (made by
 * __new__ alone) refuses every method.
 */
#include "minter.h"

#include <structmember.h>  /* PyMemberDef's T_OBJECT and READONLY before 3.12 */

#define SPEC_ITEMS 5
#define NFIELDS 6
#define NGRANTS 3

/* twilio 4.0's generate_token(ttl=3600): one hour. */
#define DEFAULT_TTL 3600

typedef struct {
    PyObject_HEAD
    /* The module's state, borrowed (the object holds its type, which holds
     * the module); NULL until __init__ has run. */
    module_state *state;
    PyObject *fields;  /* a tuple of exact strs (check_fields), owned */
    PyObject *minter;  /* a Minter, owned */
    PyObject *grants;  /* the spec's grants: a tuple of NGRANTS, owned */
} CapabilityObject;

/* ---- __init__ ------------------------------------------------------------- */

/* The class's spec, checked for its shape (its items are checked where
 * they are used).  New reference. */
static PyObject *
spec_of(module_state *state, PyObject *self)
{
    PyObject *spec = PyObject_GetAttr((PyObject *)Py_TYPE(self), state->str_spec);

    if (spec == NULL) {
        return NULL;
    }
    if (!PyTuple_CheckExact(spec) || PyTuple_GET_SIZE(spec) != SPEC_ITEMS
        || !PyTuple_CheckExact(PyTuple_GET_ITEM(spec, 1))
        || PyTuple_GET_SIZE(PyTuple_GET_ITEM(spec, 1)) != 3
        || !PyTuple_CheckExact(PyTuple_GET_ITEM(spec, 4))
        || PyTuple_GET_SIZE(PyTuple_GET_ITEM(spec, 4)) != NGRANTS) {
        PyErr_Format(PyExc_TypeError,
                     "%.100s._SPEC must be a tuple (rules, defaults, layout, policies, grants)",
                     Py_TYPE(self)->tp_name);
        Py_DECREF(spec);
        return NULL;
    }
    return spec;
}

static int
Capability_init(CapabilityObject *self, PyObject *args, PyObject *kwargs)
{
    static char *keywords[] = {"account_sid", "auth_token", "workspace_sid", "worker_sid",
                               "base_url", "version", "base_ws_url", NULL};
    /* The arguments, borrowed (NULL: an optional one not given). */
    PyObject *account_sid = NULL, *auth_token = NULL, *workspace_sid = NULL, *worker_sid = NULL;
    PyObject *base_url = NULL, *version = NULL, *base_ws_url = NULL;
    PyObject *spec = NULL, *fields = NULL, *key = NULL, *minter = NULL, *defaults;
    PyObject *module;
    module_state *state;
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    int rc = -1;

    if (kwargs == NULL && nargs >= 4 && nargs <= 7) {
        /* All positional, the common call: what the parser below would
         * take, without its per-call formatting work. */
        PyObject **given[7] = {&account_sid, &auth_token, &workspace_sid, &worker_sid,
                               &base_url, &version, &base_ws_url};
        for (Py_ssize_t i = 0; i < nargs; i++) {
            *given[i] = PyTuple_GET_ITEM(args, i);
        }
    }
    else if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOO|OOO:TaskRouterCapability",
                                          keywords, &account_sid, &auth_token, &workspace_sid,
                                          &worker_sid, &base_url, &version, &base_ws_url)) {
        goto error;
    }
    module = PyType_GetModuleByDef(Py_TYPE(self), &trcap_py_module);
    if (module == NULL) {
        goto error;
    }
    state = get_state(module);
    /* The arguments are borrowed from args and kwargs, which the caller
     * holds until we return; the spec is ours. */
    spec = spec_of(state, (PyObject *)self);
    if (spec == NULL) {
        goto error;
    }
    defaults = PyTuple_GET_ITEM(spec, 1);
    {
        /* The fields in their order (twilio_trcap._payload), each taken by
         * value by its rule; then the key, then the Minter. */
        PyObject *values[NFIELDS] = {
            account_sid, workspace_sid, worker_sid,
            version ? version : PyTuple_GET_ITEM(defaults, 1),
            base_url ? base_url : PyTuple_GET_ITEM(defaults, 0),
            base_ws_url ? base_ws_url : PyTuple_GET_ITEM(defaults, 2),
        };
        fields = trcap_py_fields_of(PyTuple_GET_ITEM(spec, 0), values, NFIELDS);
    }
    if (fields == NULL) {
        goto error;
    }
    key = trcap_py_key_of(state, auth_token, "auth_token");
    if (key == NULL) {
        goto error;
    }
    minter = trcap_py_minter_new(state, key, fields, PyTuple_GET_ITEM(spec, 2),
                                 PyTuple_GET_ITEM(spec, 3), NULL);
    if (minter == NULL) {
        goto error;
    }
    /* Everything is made: only now does the object change (a second
     * __init__ replaces the first one's state whole, or not at all). */
    self->state = state;
    Py_XSETREF(self->grants, Py_NewRef(PyTuple_GET_ITEM(spec, 4)));
    Py_XSETREF(self->fields, Py_NewRef(fields));
    Py_XSETREF(self->minter, Py_NewRef(minter));
    rc = 0;

error:
    Py_XDECREF(spec);
    Py_XDECREF(fields);
    Py_XDECREF(key);
    Py_XDECREF(minter);
    return rc;
}

/* ---- the methods ------------------------------------------------------------ */

/* The object's Minter (a new reference), or NULL with an error for an
 * object whose __init__ has not run. */
static PyObject *
minter_of(CapabilityObject *self)
{
    if (self->minter == NULL) {
        PyErr_Format(PyExc_TypeError, "this %.100s was not initialised: its __init__ has not run",
                     Py_TYPE(self)->tp_name);
        return NULL;
    }
    return Py_NewRef(self->minter);
}

/* Appends grant `which` of the spec. */
static PyObject *
grant(CapabilityObject *self, Py_ssize_t which)
{
    PyObject *minter = minter_of(self), *policy;
    int rc;

    if (minter == NULL) {
        return NULL;
    }
    /* Our own references for the call: nothing in it runs Python code,
     * but the object may be re-initialised by whoever runs next. */
    policy = Py_NewRef(PyTuple_GET_ITEM(self->grants, which));
    rc = trcap_py_minter_add(minter, policy);
    Py_DECREF(policy);
    Py_DECREF(minter);
    if (rc < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(allow_worker_fetch_attributes_doc,
"allow_worker_fetch_attributes($self, /)\n--\n\n"
"Allows GET on the Worker: Worker.js may fetch its attributes.");

static PyObject *
allow_worker_fetch_attributes(CapabilityObject *self, PyObject *Py_UNUSED(ignored))
{
    return grant(self, 0);
}

PyDoc_STRVAR(allow_worker_activity_updates_doc,
"allow_worker_activity_updates($self, /)\n--\n\n"
"Allows POST on the Worker with an ``ActivitySid``: Worker.js may change\n"
"the Worker's Activity.");

static PyObject *
allow_worker_activity_updates(CapabilityObject *self, PyObject *Py_UNUSED(ignored))
{
    return grant(self, 1);
}

PyDoc_STRVAR(allow_task_reservation_updates_doc,
"allow_task_reservation_updates($self, /)\n--\n\n"
"Allows POST on every Task's subresources with a ``ReservationStatus``:\n"
"Worker.js may accept or reject reservations.");

static PyObject *
allow_task_reservation_updates(CapabilityObject *self, PyObject *Py_UNUSED(ignored))
{
    return grant(self, 2);
}

/* generate_token's arguments, (ttl=3600, attributes=None, *, now=None),
 * parsed as Python would parse them: the values are borrowed from the
 * call, NULL where not given.  Keyword names are compared as str values
 * (PyUnicode_Compare runs no method of a str subclass). */
static int
generate_args(module_state *state, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
              PyObject *values[3])
{
    PyObject *names[3] = {state->str_ttl, state->str_attributes, state->str_now};
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);

    values[0] = values[1] = values[2] = NULL;
    if (nargs > 2) {
        PyErr_Format(PyExc_TypeError,
                     "generate_token() takes at most 2 positional arguments (%zd given)", nargs);
        return -1;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        values[i] = args[i];
    }
    for (Py_ssize_t i = 0; i < nkw; i++) {
        PyObject *name = PyTuple_GET_ITEM(kwnames, i);
        int at = -1;
        for (int j = 0; j < 3 && at < 0; j++) {
            if (name == names[j] || PyUnicode_Compare(name, names[j]) == 0) {
                at = j;
            }
        }
        if (at < 0) {
            if (!PyErr_Occurred()) {
                PyErr_Format(PyExc_TypeError,
                             "generate_token() got an unexpected keyword argument '%U'", name);
            }
            return -1;
        }
        if (values[at] != NULL) {
            PyErr_Format(PyExc_TypeError,
                         "generate_token() got multiple values for argument '%U'", names[at]);
            return -1;
        }
        values[at] = args[nargs + i];
    }
    return 0;
}

PyDoc_STRVAR(generate_token_doc,
"generate_token($self, /, ttl=3600, attributes=None, *, now=None)\n--\n\n"
"The signed token (a str): HS256, expiring ``ttl`` seconds from now.\n"
"\n"
":param ttl: seconds the token is valid for; 3600 (one hour) by default.\n"
":param attributes: accepted for compatibility and ignored, as twilio\n"
"    4.0 ignored it (a ``UserWarning`` says so).\n"
":param now: the time to mint at, in seconds since the epoch; the\n"
"    current time by default (for tests and reproducible tokens).\n"
":raises TypeError: `ttl` or `now` is not an int (a bool is not).\n"
":raises ValueError: `ttl` is negative.\n"
":raises OverflowError: ``now + ttl`` does not fit a signed 64-bit int.\n"
"\n"
"Claims, in this order: ``version``, ``friendly_name``, ``policies``,\n"
"``iss``, ``exp``, ``account_sid``, ``channel``, ``worker_sid``,\n"
"``workspace_sid``.  Minting again is cheap: from the second token\n"
"on, the core re-uses the encoded claims before ``exp`` and the\n"
"signature state after them until the policies change.");

static PyObject *
generate_token(CapabilityObject *self, PyObject *const *args, Py_ssize_t nargs,
               PyObject *kwnames)
{
    PyObject *values[3], *ttl = NULL, *exp = NULL, *minter = NULL, *token = NULL;
    module_state *state = self->state;

    if (state == NULL) {
        (void)minter_of(self);  /* raises: not initialised */
        goto error;
    }
    if (generate_args(state, args, PyVectorcall_NARGS(nargs), kwnames, values) < 0) {
        goto error;
    }
    if (values[1] != NULL && values[1] != Py_None
        && PyErr_WarnEx(PyExc_UserWarning,
                        "generate_token(attributes=...) is ignored, as it was in twilio 4.0",
                        1) < 0) {
        goto error;
    }
    ttl = values[0] != NULL ? Py_NewRef(values[0]) : PyLong_FromLong(DEFAULT_TTL);
    if (ttl == NULL) {
        goto error;
    }
    /* May run Python code (the clock, an argument's __index__), which may
     * re-initialise the object: its Minter is read after. */
    exp = trcap_py_expiry_of(state, ttl, values[2] != NULL ? values[2] : Py_None);
    if (exp == NULL) {
        goto error;
    }
    minter = minter_of(self);
    if (minter == NULL) {
        goto error;
    }
    token = trcap_py_minter_mint(minter, &exp, 1);

error:
    Py_XDECREF(ttl);
    Py_XDECREF(exp);
    Py_XDECREF(minter);
    return token;
}

/* ---- the type ------------------------------------------------------------- */

static int
Capability_traverse(CapabilityObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->fields);
    Py_VISIT(self->minter);
    Py_VISIT(self->grants);
    return 0;
}

static int
Capability_clear(CapabilityObject *self)
{
    Py_CLEAR(self->fields);
    Py_CLEAR(self->minter);
    Py_CLEAR(self->grants);
    return 0;
}

static void
Capability_dealloc(CapabilityObject *self)
{
    PyTypeObject *tp = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    (void)Capability_clear(self);
    tp->tp_free((PyObject *)self);
    Py_DECREF(tp);
}

static PyMethodDef Capability_methods[] = {
    {"allow_worker_fetch_attributes", (PyCFunction)allow_worker_fetch_attributes, METH_NOARGS,
     allow_worker_fetch_attributes_doc},
    {"allow_worker_activity_updates", (PyCFunction)allow_worker_activity_updates, METH_NOARGS,
     allow_worker_activity_updates_doc},
    {"allow_task_reservation_updates", (PyCFunction)allow_task_reservation_updates, METH_NOARGS,
     allow_task_reservation_updates_doc},
    {"generate_token", (PyCFunction)(void (*)(void))generate_token,
     METH_FASTCALL | METH_KEYWORDS, generate_token_doc},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Capability_members[] = {
    {"_fields", T_OBJECT, offsetof(CapabilityObject, fields), READONLY,
     "The checked fields (twilio_trcap._payload's order); None before __init__."},
    {"_minter", T_OBJECT, offsetof(CapabilityObject, minter), READONLY,
     "The Minter that holds the key and the policies; None before __init__."},
    {NULL, 0, 0, 0, NULL},
};

PyDoc_STRVAR(Capability_doc,
"Capability(account_sid, auth_token, workspace_sid, worker_sid, "
"base_url='https://taskrouter.twilio.com', version='v1', "
"base_ws_url='https://event-bridge.twilio.com/v1/wschannels')\n--\n\n"
"The C half of twilio 4.0's TaskRouterCapability: its constructor, the\n"
"three permission methods and generate_token.  Subclassed by\n"
"twilio_trcap.TaskRouterCapability, whose _SPEC describes the payload.");

static PyType_Slot Capability_slots[] = {
    {Py_tp_init, Capability_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_dealloc, Capability_dealloc},
    {Py_tp_traverse, Capability_traverse},
    {Py_tp_clear, Capability_clear},
    {Py_tp_methods, Capability_methods},
    {Py_tp_members, Capability_members},
    {Py_tp_doc, (void *)Capability_doc},
    {0, NULL},
};

PyType_Spec trcap_py_capability_spec = {
    .name = "twilio_trcap._core.Capability",
    .basicsize = sizeof(CapabilityObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC
             | Py_TPFLAGS_IMMUTABLETYPE,
    .slots = Capability_slots,
};
