/*
 * The time rules of every API generation, in one place: an int argument
 * (check_int), a time to live (check_ttl), the clock or a given `now`
 * (current_time), a claim that a token can carry (check_claim_time), and
 * the expiry of a token minted now (expiry), which every mint runs.
 *
 * The clock is read through time.time(), looked up on the time module at
 * every read, so that freezegun and mock.patch("time.time") freeze our
 * tokens as they froze twilio's; int(time.time()) is the second, as
 * twilio computed it.  Each error names the argument: a TypeError for a
 * value that is not an int (a bool is not), a ValueError for a negative
 * ttl, an OverflowError for a time beyond a signed 64-bit int.
 */
#include "module.h"

#include <limits.h>

/* `value` as an exact int (anything with __index__ but a bool), or NULL
 * with a TypeError naming `name`.  New reference. */
static PyObject *
int_of(PyObject *value, PyObject *name)
{
    PyObject *number;

    if (PyLong_CheckExact(value)) {
        return Py_NewRef(value);
    }
    if (PyBool_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%U must be an int, not bool", name);
        return NULL;
    }
    number = PyNumber_Index(value);  /* may run the value's __index__ */
    if (number == NULL && PyErr_ExceptionMatches(PyExc_TypeError)) {
        PyErr_Clear();
        (void)trcap_py_raise_wrong_type(name, "an int", value);
    }
    return number;
}

/* A time to live in whole seconds, zero or more.  New reference. */
static PyObject *
ttl_of(module_state *state, PyObject *ttl)
{
    PyObject *seconds = int_of(ttl, state->str_ttl);
    long long value;
    int overflow;

    if (seconds == NULL) {
        return NULL;
    }
    value = PyLong_AsLongLongAndOverflow(seconds, &overflow);  /* an int: cannot fail */
    if (overflow < 0 || (overflow == 0 && value < 0)) {
        PyErr_Format(PyExc_ValueError, "ttl must be zero or more seconds, not %S", seconds);
        Py_CLEAR(seconds);
    }
    return seconds;
}

/* `now` checked, or int(time.time()) when it is None.  New reference. */
static PyObject *
time_of(module_state *state, PyObject *now)
{
    PyObject *clock, *seconds;

    if (now != Py_None) {
        return int_of(now, state->str_now);
    }
    clock = PyObject_GetAttr(state->time_module, state->str_time);
    if (clock == NULL) {
        return NULL;
    }
    seconds = PyObject_CallNoArgs(clock);
    Py_DECREF(clock);
    if (seconds == NULL) {
        return NULL;
    }
    Py_SETREF(seconds, PyNumber_Long(seconds));  /* int(time.time()) */
    return seconds;
}

/* `value` (an int) if a token can carry it as a time claim (a signed
 * 64-bit int), else NULL with an OverflowError naming `name`.  New
 * reference. */
static PyObject *
claim_time_of(PyObject *value, PyObject *name)
{
    int overflow;

    (void)PyLong_AsLongLongAndOverflow(value, &overflow);  /* an int: cannot fail */
    if (overflow) {
        PyErr_Format(PyExc_OverflowError, "%U (%S) does not fit a signed 64-bit integer", name,
                     value);
        return NULL;
    }
    return Py_NewRef(value);
}

PyObject *
trcap_py_expiry_of(module_state *state, PyObject *ttl, PyObject *now)
{
    PyObject *current = NULL, *seconds = NULL, *sum = NULL, *exp = NULL;
    long long a, b;
    int overflow_a, overflow_b;

    /* The order of the checks (now, then ttl) is what the messages of a
     * call with two bad arguments have always followed. */
    current = time_of(state, now);
    if (current == NULL) {
        goto error;
    }
    seconds = ttl_of(state, ttl);
    if (seconds == NULL) {
        goto error;
    }
    a = PyLong_AsLongLongAndOverflow(current, &overflow_a);
    b = PyLong_AsLongLongAndOverflow(seconds, &overflow_b);  /* b >= 0 */
    if (!overflow_a && !overflow_b && a <= LLONG_MAX - b) {
        exp = PyLong_FromLongLong(a + b);
    }
    else {
        sum = PyNumber_Add(current, seconds);
        if (sum != NULL) {
            exp = claim_time_of(sum, state->str_exp);
        }
    }

error:
    Py_XDECREF(current);
    Py_XDECREF(seconds);
    Py_XDECREF(sum);
    return exp;
}

/* ---- the module's functions -------------------------------------------- */

const char trcap_py_check_int_doc[] = PyDoc_STR(
"check_int(value, name, /)\n--\n\n"
"`value` as an int (anything with __index__ but a bool), or a TypeError\n"
"naming `name`.");

PyObject *
trcap_py_check_int(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (trcap_py_check_value_and_name("check_int", args, nargs) < 0) {
        return NULL;
    }
    return int_of(args[0], args[1]);
}

const char trcap_py_check_ttl_doc[] = PyDoc_STR(
"check_ttl(ttl, /)\n--\n\n"
"A time to live in whole seconds, zero or more: a TypeError for a value\n"
"that is not an int, a ValueError for a negative one.");

PyObject *
trcap_py_check_ttl(PyObject *module, PyObject *ttl)
{
    return ttl_of(get_state(module), ttl);
}

const char trcap_py_current_time_doc[] = PyDoc_STR(
"current_time(now, /)\n--\n\n"
"`now` (seconds since the epoch) checked as an int, or int(time.time())\n"
"when it is None: the clock every mint reads.");

PyObject *
trcap_py_current_time(PyObject *module, PyObject *now)
{
    return time_of(get_state(module), now);
}

const char trcap_py_check_claim_time_doc[] = PyDoc_STR(
"check_claim_time(value, name, /)\n--\n\n"
"`value` (an int) if a token can carry it as a time claim, a signed\n"
"64-bit integer; else an OverflowError naming `name`.");

PyObject *
trcap_py_check_claim_time(PyObject *Py_UNUSED(module), PyObject *const *args, Py_ssize_t nargs)
{
    if (trcap_py_check_value_and_name("check_claim_time", args, nargs) < 0) {
        return NULL;
    }
    if (!PyLong_Check(args[0])) {
        (void)trcap_py_raise_wrong_type(args[1], "an int", args[0]);
        return NULL;
    }
    return claim_time_of(args[0], args[1]);
}

const char trcap_py_expiry_doc[] = PyDoc_STR(
"expiry(ttl, now, /)\n--\n\n"
"The exp claim of a token minted at `now` (seconds since the epoch; the\n"
"clock, int(time.time()), when None) and valid for `ttl` seconds: the\n"
"one expiry rule of every API generation.  TypeError: `ttl` or `now` is\n"
"not an int (a bool is not); ValueError: `ttl` is negative;\n"
"OverflowError: the sum does not fit a signed 64-bit int (named exp).");

PyObject *
trcap_py_expiry(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (trcap_py_check_nargs("expiry", nargs, 2) < 0) {
        return NULL;
    }
    return trcap_py_expiry_of(get_state(module), args[0], args[1]);
}
