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
 * ttl or a clock that reads NaN, an OverflowError for a time beyond a
 * signed 64-bit int.
 *
 * Every time a token carries is a signed 64-bit int, which is what the
 * core writes and what our decoder (and RFC 7519's NumericDate as most
 * readers take it) reads back.  The minting time is checked where it is
 * read, in time_of, whether given as `now` or read from the clock: it
 * becomes `nbf` (Jwt.GENERATE) and part of an Access Token's `jti` as
 * well as the base of `exp`, so no later claim needs its own check of it.
 * A fixed `nbf` or `valid_until` is checked when it is set
 * (check_claim_time), and `exp = now + ttl` when it is summed (expiry).
 */
#include "module.h"

#include <limits.h>
#include <math.h>

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

/* An OverflowError: `name` (`value`, an exact int, read `from`) does not
 * fit a signed 64-bit integer.  The value is shown in decimal unless int's
 * conversion limit (sys.set_int_max_str_digits) refuses it: the error is
 * still ours, naming `name`, not the limit's.  Returns NULL. */
static PyObject *
raise_beyond_int64(PyObject *name, PyObject *value, const char *from)
{
    PyObject *digits = PyObject_Str(value);  /* an exact int: runs no Python code */

    if (digits == NULL) {
        if (!PyErr_ExceptionMatches(PyExc_ValueError)) {
            return NULL;
        }
        PyErr_Clear();
        PyErr_Format(PyExc_OverflowError,
                     "%U (a number too long to write%s) does not fit a signed 64-bit integer",
                     name, from);
        return NULL;
    }
    PyErr_Format(PyExc_OverflowError, "%U (%U%s) does not fit a signed 64-bit integer", name,
                 digits, from);
    Py_DECREF(digits);
    return NULL;
}

/* `value` (an exact int) if a token can carry it as a time (a signed
 * 64-bit int), else NULL with an OverflowError naming `name`.  Steals
 * `value`: the callers hand over the int they made. */
static PyObject *
int64_time_steal(PyObject *value, PyObject *name, const char *from)
{
    int overflow;

    if (value == NULL) {
        return NULL;
    }
    (void)PyLong_AsLongLongAndOverflow(value, &overflow);  /* an int: cannot fail */
    if (overflow) {
        (void)raise_beyond_int64(name, value, from);
        Py_CLEAR(value);
    }
    return value;
}

/* `now` checked, or int(time.time()) when it is None: either way a signed
 * 64-bit int, named `now` when it is not.  New reference. */
static PyObject *
time_of(module_state *state, PyObject *now)
{
    PyObject *clock, *seconds;

    if (now != Py_None) {
        return int64_time_steal(int_of(now, state->str_now), state->str_now, "");
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
    if (PyFloat_Check(seconds)) {
        /* int() of these says "cannot convert float NaN to integer",
         * naming nothing; the value is known, so no repr need run. */
        double d = PyFloat_AS_DOUBLE(seconds);
        if (isnan(d) || isinf(d)) {
            if (isnan(d)) {
                PyErr_SetString(PyExc_ValueError,
                                "now (time.time() returned nan) is not a number of seconds");
            }
            else {
                PyErr_Format(PyExc_OverflowError,
                             "now (time.time() returned %s) does not fit a signed 64-bit integer",
                             d > 0 ? "inf" : "-inf");
            }
            Py_DECREF(seconds);
            return NULL;
        }
    }
    Py_SETREF(seconds, PyNumber_Long(seconds));  /* int(time.time()) */
    return int64_time_steal(seconds, state->str_now, ", from time.time()");
}

PyObject *
trcap_py_expiry_of(module_state *state, PyObject *ttl, PyObject *now)
{
    PyObject *current = NULL, *seconds = NULL, *exp = NULL;
    long long a, b;
    int overflow;

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
    a = PyLong_AsLongLong(current);  /* fits: time_of checked it */
    b = PyLong_AsLongLongAndOverflow(seconds, &overflow);  /* b >= 0 */
    if (!overflow && a <= LLONG_MAX - b) {
        exp = PyLong_FromLongLong(a + b);
    }
    else {
        exp = int64_time_steal(PyNumber_Add(current, seconds), state->str_exp, "");
    }

error:
    Py_XDECREF(current);
    Py_XDECREF(seconds);
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
"when it is None: the clock every mint reads.  TypeError: `now` is not\n"
"an int; ValueError: the clock read NaN; OverflowError: the time does\n"
"not fit a signed 64-bit int (named now).");

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
    /* An exact copy of an int subclass (no __index__ runs on an int), so
     * that none of the subclass's methods (__str__ in the message) runs. */
    return int64_time_steal(PyNumber_Index(args[0]), args[1], "");
}

const char trcap_py_expiry_doc[] = PyDoc_STR(
"expiry(ttl, now, /)\n--\n\n"
"The exp claim of a token minted at `now` (seconds since the epoch; the\n"
"clock, int(time.time()), when None) and valid for `ttl` seconds: the\n"
"one expiry rule of every API generation.  TypeError: `ttl` or `now` is\n"
"not an int (a bool is not); ValueError: `ttl` is negative (or the\n"
"clock read NaN); OverflowError: `now` (named now) or the sum (named exp)\n"
"does not fit a signed 64-bit int.");

PyObject *
trcap_py_expiry(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (trcap_py_check_nargs("expiry", nargs, 2) < 0) {
        return NULL;
    }
    return trcap_py_expiry_of(get_state(module), args[0], args[1]);
}
