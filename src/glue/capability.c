/*
 * Capability: the hot path of twilio 4.0's documented TaskRouterCapability
 * (twilio_trcap/task_router.py subclasses it), so that a web request's
 * fresh token runs no Python frame of ours: the constructor, the three
 * permission methods and generate_token are each one C call over a Minter
 * (minter.c).  The Python class adds what is not on that path: its
 * properties, mint_many, the policy methods, allows/explain, repr.
 *
 * What the payload is made of stays in Python, beside the other
 * generations' (twilio_trcap._payload): the subclass's _trcap_spec class
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
 * Minter.add_policy), so a subclass with a _trcap_spec of its own gets an
 * exception, never a crash.  An object whose __init__ has not run (made by
 * __new__ alone) refuses every method.
 */
#include "minter.h"

#include <structmember.h>  /* T_OBJECT_EX, READONLY (as template.c) */

#define SPEC_ITEMS 5
#define NDEFAULTS 3
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

/* ---- arguments --------------------------------------------------------------- */

/* A method's parameters, bound as Python binds a def's: positional ones
 * first (the first `required` of them required, and at least one not),
 * then optional keyword-only ones; the messages are CPython 3.11's and
 * 3.12's (3.13 adds a "Did you mean" to a misspelt keyword, which we do
 * not), under the name the Python class's method had (`qualname`),
 * counting self as Python counts it. */
typedef struct {
    const char *qualname;
    const char *const *names;
    int positional;  /* parameters that may be given by position */
    int required;    /* the first `required` of them must be given */
    int count;       /* all parameters */
} signature;

/* Binds one keyword argument; 0, or -1 with Python's message.  The name
 * is compared by value (a str subclass's __eq__ never runs). */
static int
bind_keyword(const signature *sig, PyObject *name, PyObject *value, PyObject **values)
{
    if (!PyUnicode_Check(name)) {  /* possible only through the C API */
        PyErr_Format(PyExc_TypeError, "%s() keywords must be strings", sig->qualname);
        return -1;
    }
    if (PyUnicode_CompareWithASCIIString(name, "self") == 0) {
        /* A def's first parameter: always given, by the instance. */
        PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument 'self'",
                     sig->qualname);
        return -1;
    }
    for (int i = 0; i < sig->count; i++) {
        if (PyUnicode_CompareWithASCIIString(name, sig->names[i]) == 0) {
            if (values[i] != NULL) {
                PyErr_Format(PyExc_TypeError, "%s() got multiple values for argument '%s'",
                             sig->qualname, sig->names[i]);
                return -1;
            }
            values[i] = Py_NewRef(value);
            return 0;
        }
    }
    PyErr_Format(PyExc_TypeError, "%s() got an unexpected keyword argument '%U'", sig->qualname,
                 name);
    return -1;
}

/* Python's message for missing required arguments: 'a', 'a' and 'b', or
 * 'a', 'b', and 'c'. */
static void
raise_missing(const signature *sig, PyObject **values)
{
    PyObject *names = PyUnicode_FromString(""), *next;
    int missing = 0, done = 0;

    for (int i = 0; i < sig->required; i++) {
        missing += values[i] == NULL;
    }
    for (int i = 0; names != NULL && i < sig->required; i++) {
        if (values[i] != NULL) {
            continue;
        }
        done++;
        next = PyUnicode_FromFormat("%U%s'%s'", names,
                                    done == 1 ? "" : done < missing ? ", "
                                                   : missing == 2 ? " and " : ", and ",
                                    sig->names[i]);
        Py_SETREF(names, next);
    }
    if (names != NULL) {
        PyErr_Format(PyExc_TypeError, "%s() missing %d required positional argument%s: %U",
                     sig->qualname, missing, missing == 1 ? "" : "s", names);
        Py_DECREF(names);
    }
}

/* Releases bound values (bind's, on success: the caller's to release). */
static void
release(PyObject **values, int count)
{
    for (int i = 0; i < count; i++) {
        Py_XDECREF(values[i]);
    }
}

/* Binds a call's arguments (positional `args`, then the keywords: names
 * in `kwnames` with values after the positional ones, as vectorcall
 * passes them, or a dict `kwargs`) to values[sig->count]: strong
 * references, NULL where not given.  0, or -1 with the values released.
 * The references are ours because a keyword's value is held only by the
 * caller's dict, which Python code run later in the call (a lookup, a
 * finalizer) could clear. */
static int
bind(const signature *sig, PyObject *const *args, Py_ssize_t nargs, PyObject *kwnames,
     PyObject *kwargs, PyObject **values)
{
    PyObject *name, *value;
    Py_ssize_t pos = 0;

    for (int i = 0; i < sig->count; i++) {
        values[i] = NULL;
    }
    for (Py_ssize_t i = 0; i < nargs && i < sig->positional; i++) {
        values[i] = Py_NewRef(args[i]);
    }
    for (Py_ssize_t i = 0; kwnames != NULL && i < PyTuple_GET_SIZE(kwnames); i++) {
        if (bind_keyword(sig, PyTuple_GET_ITEM(kwnames, i), args[nargs + i], values) < 0) {
            goto error;
        }
    }
    /* Matching a name and taking a reference run no Python code, so the
     * dict cannot change while it is read. */
    while (kwargs != NULL && PyDict_Next(kwargs, &pos, &name, &value)) {
        if (bind_keyword(sig, name, value, values) < 0) {
            goto error;
        }
    }
    if (nargs > sig->positional) {
        /* Python counts self, and keyword-only arguments given. */
        int kwonly = 0;
        for (int i = sig->positional; i < sig->count; i++) {
            kwonly += values[i] != NULL;
        }
        if (kwonly) {
            PyErr_Format(PyExc_TypeError,
                         "%s() takes from %d to %d positional arguments but %zd positional "
                         "arguments (and %d keyword-only argument%s) were given",
                         sig->qualname, sig->required + 1, sig->positional + 1, nargs + 1,
                         kwonly, kwonly == 1 ? "" : "s");
        }
        else {
            PyErr_Format(PyExc_TypeError,
                         "%s() takes from %d to %d positional arguments but %zd were given",
                         sig->qualname, sig->required + 1, sig->positional + 1, nargs + 1);
        }
        goto error;
    }
    for (int i = 0; i < sig->required; i++) {
        if (values[i] == NULL) {
            raise_missing(sig, values);
            goto error;
        }
    }
    return 0;

error:
    release(values, sig->count);
    return -1;
}

/* ---- __init__ ------------------------------------------------------------- */

/* twilio 4.0's TaskRouterCapability(account_sid, auth_token,
 * workspace_sid, worker_sid, base_url=..., version=..., base_ws_url=...) */
enum { ACCOUNT_SID, AUTH_TOKEN, WORKSPACE_SID, WORKER_SID, BASE_URL, VERSION, BASE_WS_URL,
       NPARAMS };
static const char *const init_names[NPARAMS] = {
    "account_sid", "auth_token", "workspace_sid", "worker_sid", "base_url", "version",
    "base_ws_url",
};
static const signature init_signature = {
    "TaskRouterCapability.__init__", init_names, NPARAMS, 4, NPARAMS,
};

static void Capability_dealloc(CapabilityObject *self);

/* The module's state, from the type of a Capability or of a subclass's
 * object: up the tp_base chain, the first type with our dealloc is ours
 * (a Python subclass has subtype_dealloc): a step or two, where
 * PyType_GetModuleByDef walks the whole MRO (the mixins included), which
 * it still does for anything else. */
static module_state *
state_of(PyTypeObject *type)
{
    PyObject *module;

    for (PyTypeObject *t = type; t != NULL; t = t->tp_base) {
        if (t->tp_dealloc == (destructor)Capability_dealloc) {
            /* Ours, or a C subclass that inherited our dealloc: the
             * module says which. */
            module = PyType_GetModule(t);
            if (module != NULL && PyModule_GetDef(module) == &trcap_py_module) {
                return get_state(module);
            }
            PyErr_Clear();
            break;
        }
    }
    module = PyType_GetModuleByDef(type, &trcap_py_module);  /* raises */
    return module == NULL ? NULL : get_state(module);
}

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
        || PyTuple_GET_SIZE(PyTuple_GET_ITEM(spec, 1)) != NDEFAULTS
        || !PyTuple_CheckExact(PyTuple_GET_ITEM(spec, 4))
        || PyTuple_GET_SIZE(PyTuple_GET_ITEM(spec, 4)) != NGRANTS) {
        PyErr_Format(PyExc_TypeError,
                     "%.100s._trcap_spec must be a tuple (rules, defaults, layout, policies, "
                     "grants)", Py_TYPE(self)->tp_name);
        Py_DECREF(spec);
        return NULL;
    }
    return spec;
}

static int
Capability_init(CapabilityObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *values[NPARAMS];  /* the arguments: strong references, NULL when not given */
    PyObject *spec = NULL, *fields = NULL, *key = NULL, *minter = NULL, *defaults;
    PyObject *old_fields, *old_minter, *old_grants;
    module_state *state;
    int rc = -1;

    if (bind(&init_signature, PySequence_Fast_ITEMS(args), PyTuple_GET_SIZE(args), NULL, kwargs,
             values) < 0) {
        return -1;
    }
    state = state_of(Py_TYPE(self));
    if (state == NULL) {
        goto error;
    }
    spec = spec_of(state, (PyObject *)self);  /* may run Python code: nothing is borrowed */
    if (spec == NULL) {
        goto error;
    }
    defaults = PyTuple_GET_ITEM(spec, 1);
    {
        /* The fields in their order (twilio_trcap._payload), each taken by
         * value by its rule; then the key, then the Minter. */
        PyObject *field_values[NFIELDS] = {
            values[ACCOUNT_SID], values[WORKSPACE_SID], values[WORKER_SID],
            values[VERSION] ? values[VERSION] : PyTuple_GET_ITEM(defaults, 1),
            values[BASE_URL] ? values[BASE_URL] : PyTuple_GET_ITEM(defaults, 0),
            values[BASE_WS_URL] ? values[BASE_WS_URL] : PyTuple_GET_ITEM(defaults, 2),
        };
        fields = trcap_py_fields_of(PyTuple_GET_ITEM(spec, 0), field_values, NFIELDS);
    }
    if (fields == NULL) {
        goto error;
    }
    key = trcap_py_key_of(state, values[AUTH_TOKEN], "auth_token");
    if (key == NULL) {
        goto error;
    }
    minter = trcap_py_minter_new(state, key, fields, PyTuple_GET_ITEM(spec, 2),
                                 PyTuple_GET_ITEM(spec, 3), NULL);
    if (minter == NULL) {
        goto error;
    }
    /* Everything is made: only now does the object change, all of it
     * before the old state is released (freeing it could run a
     * finalizer), so that a second __init__ replaces the first one's
     * state whole, or not at all. */
    old_fields = self->fields;
    old_minter = self->minter;
    old_grants = self->grants;
    self->state = state;
    self->fields = Py_NewRef(fields);
    self->minter = Py_NewRef(minter);
    self->grants = Py_NewRef(PyTuple_GET_ITEM(spec, 4));
    Py_XDECREF(old_fields);
    Py_XDECREF(old_minter);
    Py_XDECREF(old_grants);
    rc = 0;

error:
    release(values, NPARAMS);
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

/* generate_token(ttl=3600, attributes=None, *, now=None) */
enum { TTL, ATTRIBUTES, NOW, NGENERATE };
static const char *const generate_names[NGENERATE] = {"ttl", "attributes", "now"};
static const signature generate_signature = {
    "TaskRouterCapability.generate_token", generate_names, 2, 0, NGENERATE,
};

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
":raises OverflowError: `now` (or the clock) or ``now + ttl`` does not fit\n"
"    a signed 64-bit int.\n"
":rtype: str\n"
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
    PyObject *values[NGENERATE];  /* the arguments: strong references, NULL when not given */
    PyObject *ttl = NULL, *exp = NULL, *minter = NULL, *token = NULL;
    module_state *state = self->state;

    if (bind(&generate_signature, args, nargs, kwnames, NULL, values) < 0) {
        return NULL;
    }
    if (state == NULL) {
        (void)minter_of(self);  /* raises: not initialised */
        goto error;
    }
    if (values[ATTRIBUTES] != NULL && values[ATTRIBUTES] != Py_None
        && PyErr_WarnEx(PyExc_UserWarning,
                        "generate_token(attributes=...) is ignored, as it was in twilio 4.0",
                        1) < 0) {
        goto error;
    }
    ttl = values[TTL] != NULL ? Py_NewRef(values[TTL]) : PyLong_FromLong(DEFAULT_TTL);
    if (ttl == NULL) {
        goto error;
    }
    /* May run Python code (the clock, an argument's __index__), which may
     * re-initialise the object: the token is the object's as it is after,
     * so its Minter is read last. */
    exp = trcap_py_expiry_of(state, ttl, values[NOW] != NULL ? values[NOW] : Py_None);
    if (exp == NULL) {
        goto error;
    }
    minter = minter_of(self);
    if (minter == NULL) {
        goto error;
    }
    token = trcap_py_minter_mint(minter, &exp, 1);

error:
    release(values, NGENERATE);
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
    {"_fields", T_OBJECT_EX, offsetof(CapabilityObject, fields), READONLY,
     "The checked fields (twilio_trcap._payload's order); unset before __init__."},
    {"_minter", T_OBJECT_EX, offsetof(CapabilityObject, minter), READONLY,
     "The Minter that holds the key and the policies; unset before __init__."},
    {NULL, 0, 0, 0, NULL},
};

PyDoc_STRVAR(Capability_doc,
"Capability(account_sid, auth_token, workspace_sid, worker_sid, "
"base_url='https://taskrouter.twilio.com', version='v1', "
"base_ws_url='https://event-bridge.twilio.com/v1/wschannels')\n--\n\n"
"The C half of twilio 4.0's TaskRouterCapability: its constructor, the\n"
"three permission methods and generate_token.  Subclassed by\n"
"twilio_trcap.TaskRouterCapability, whose _trcap_spec describes the payload.");

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
