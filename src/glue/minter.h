/*
 * What the glue files of the minting types share (key.c, template.c,
 * minter.c, batch.c): the Key, Template and Minter objects, and the helpers
 * that turn templates, fields and arguments into the core's token parts
 * (token.h).  docs/design.md ("The payload's nouns") defines the words.
 */
#ifndef TRCAP_GLUE_MINTER_H
#define TRCAP_GLUE_MINTER_H

#include "module.h"
#include "token.h"

/* ---------------------------------------------------------------------
 * Key: a prepared HMAC-SHA256 key (hmac_sha256.h), immutable once made.
 *
 * It signs a whole payload (sign) and batches (mint_each, batch.c).  A
 * Minter holds one; several Minters, and several threads, may share one,
 * since the prepared states are only read (each MAC runs in a context of
 * its own).  Public as twilio_trcap.Key: a user who holds one keeps its
 * states alive (docs/security.md); otherwise only the objects made from
 * the key hold it, and it is freed, its states wiped, with the last.
 */
typedef struct {
    PyObject_HEAD
    trcap_hmac_key key;       /* owned; OpenSSL wipes the states when freed */
} KeyObject;

/* ---------------------------------------------------------------------
 * Template: JSON text with holes, compiled once.
 *
 * A template is a tuple of items: bytes (JSON text, copied as it is), an
 * int k (field k of the Minter it is used with: a str field is written
 * JSON-escaped without its quotes, an int field in decimal), or one of the
 * two hole names "policies" (the Minter's policies, comma-separated) and
 * "tail" (the arguments of one mint() call: the time claims).  A policy's
 * template has only text and fields; a payload's (a Minter's layout) has
 * exactly one tail and at most one policies hole.
 *
 * Escaping is per code point, so the escape of a concatenation is the
 * concatenation of the escapes, and a field may sit inside a JSON string
 * (a sid inside a URL).  Templates hold only exact bytes, ints and strs
 * (checked on the way in): none can refer back to a Minter, so no
 * reference cycle passes through one.
 */
typedef enum {
    ITEM_TEXT,      /* as.text: JSON text */
    ITEM_FIELD,     /* as.field: the index of a field */
    ITEM_POLICIES,  /* the policies, comma-separated */
    ITEM_TAIL,      /* mint()'s arguments */
} item_kind;

typedef struct {
    item_kind kind;
    union {
        struct {
            const unsigned char *bytes;  /* a view into the source tuple's bytes */
            size_t length;
        } text;
        Py_ssize_t field;
    } as;
} template_item;

typedef struct {
    PyObject_VAR_HEAD
    PyObject *source;             /* the items: a tuple of exact bytes, ints and hole names, owned */
    Py_ssize_t fields_needed;     /* 1 + the largest field index; 0: none */
    Py_ssize_t npolicies;         /* policies holes */
    Py_ssize_t ntails;            /* tail holes */
    Py_ssize_t tail_at;           /* the index of the tail hole, when ntails == 1 */
    template_item items[1];       /* the items compiled, Py_SIZE(self) of them */
} TemplateObject;

/* ---------------------------------------------------------------------
 * Minter: a capability's payload, its policies and the Key that signs it.
 *
 * The payload is the layout (a Template) with the Minter's fields, its
 * policies (each exact bytes of JSON, or a Template over the same fields)
 * joined by commas in the policies hole, and mint()'s arguments in the
 * tail hole.  A capability class describes its layout and default
 * policies once, as module constants; each object escapes its fields once
 * and keeps references to the shared templates.  The policies live here,
 * not in Python, so that adding one and minting are each a single C call
 * made under the GIL: a thread can never mint from a prepared prefix that
 * misses a policy another thread has just added.
 *
 * Re-minting.  The first mint after the policies change writes the token
 * from scratch (a capability minted once, the common case for a web
 * request, pays for no cache it would not use).  The second prepares the
 * prefix, everything before the tail hole (token.h, trcap_prepared: its
 * encoding and the MAC state after it), and writes what follows the tail
 * hole out once as the suffix; every later mint copies the one, resumes
 * the MAC, and encodes and hashes only tail + suffix.  In twilio 4.0's
 * layout the tail is near the end; in 5.x's it is near the start, so the
 * suffix (policies included) is hashed again each time, but no longer
 * expanded from templates.
 */
typedef struct {
    PyObject_HEAD
    /* The module's state, borrowed: the module outlives every object of
     * its types (each holds its type, which holds the module). */
    module_state *state;
    KeyObject *key;                 /* owned */
    TemplateObject *layout;         /* owned */
    PyObject *policies;             /* list of exact bytes and Templates, owned */
    /* The fields templates refer to: nfields parts, then the escaped text
     * they point into, in one PyMem block, owned (NULL when none). */
    trcap_part *fields;
    Py_ssize_t nfields;
    /* BASE64URL(header): the module's default (borrowed, as `state`), or
     * the encoding of a header given to create() (PyMem, owned). */
    const unsigned char *header_b64;
    size_t header_b64_length;
    unsigned char *own_header_b64;  /* header_b64 when owned, else NULL */
    trcap_prepared prepared;        /* valid when prepared.text != NULL */
    unsigned char *suffix;          /* with `prepared`: the JSON after the tail, PyMem, owned */
    size_t suffix_length;
    int minted;                     /* a token was minted since the policies changed */
} MinterObject;

/* Parts of a token handled without a heap allocation: the seed's fresh
 * request, six policies of about ten parts each, fits. */
#define STACK_PARTS 128

/* ---- template.c: payload numbers, parts, fields, templates ------------- */

int trcap_py_is_int(PyObject *o);
int trcap_py_parts_from_args(PyObject *const *args, Py_ssize_t nargs, trcap_part *parts);
int trcap_py_escape_fields(PyObject *fields, trcap_part **out, Py_ssize_t *n);
int trcap_py_check_policy(module_state *state, PyObject *o, Py_ssize_t nfields, const char *name);
size_t trcap_py_policy_count(PyObject *policy);
trcap_part *trcap_py_policy_parts(PyObject *policy, const trcap_part *fields, trcap_part *parts);
trcap_part *trcap_py_parts_room(trcap_part *stack, size_t n);
void trcap_py_parts_release(trcap_part *parts, trcap_part *stack);
PyObject *trcap_py_parts_to_bytes(const trcap_part *parts, size_t nparts, const char *what);
PyObject *trcap_py_template_of(module_state *state, PyObject *items);

/* ---- key.c -------------------------------------------------------------- */

PyObject *trcap_py_refuse_pickle(PyObject *self, PyObject *ignored);
PyObject *trcap_py_signer_repr(PyObject *self);
PyObject *trcap_py_new_token(size_t size);
PyObject *trcap_py_token_from_parts(const unsigned char *header_b64, size_t header_b64_length,
                                    const trcap_part *parts, size_t nparts,
                                    const trcap_hmac_key *key);

/* ---- batch.c: Key.mint_each, listed in key.c's methods ----------------- */

PyObject *trcap_py_key_mint_each(KeyObject *self, PyObject *const *args, Py_ssize_t nargs);
extern const char trcap_py_key_mint_each_doc[];

#endif
