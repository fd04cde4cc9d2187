/*
 * What the glue files of the minting types share (template.c, minter.c,
 * batch.c): the Template and Minter objects, and the helpers that turn
 * pieces, fields and arguments into the core's token parts (token.h).
 */
#ifndef TRCAP_GLUE_MINTER_H
#define TRCAP_GLUE_MINTER_H

#include "module.h"
#include "token.h"

/* ---------------------------------------------------------------------
 * Minter: a keyed HS256 signer that also keeps a capability's policies
 *
 * A capability token's payload is
 *
 *     head  +  policy JSON, comma-separated  +  mid  +  tail parts  +  end
 *
 * where head, mid and end are the constant claims around the policies
 * array and the time claims, and the tail (given to each mint() call)
 * holds the time claims.  The policies live here, not in Python, so that
 * adding one and minting are each a single C call made under the GIL: a
 * thread can never mint from a prepared prefix that misses a policy
 * another thread has just added.
 *
 * Pieces and templates.  head, mid, end and each policy is a piece: JSON
 * text (bytes), or a Template: bytes and ints, an int k standing for field
 * k of the Minter's `fields` (a str field is written JSON-escaped without
 * its quotes, an int field in decimal).  A capability class describes its
 * payload once, as module constants; each object escapes its fields once
 * and keeps references to the shared templates, which are expanded into
 * token parts only when a token is written.  No per-object JSON is built.
 * Escaping is per code point, so the escape of a concatenation is the
 * concatenation of the escapes, and a field may sit inside a JSON string
 * (a sid inside a URL).
 *
 * Pieces hold only exact bytes and Templates of exact bytes and ints
 * (checked on the way in): none can refer back to a Minter, so no
 * reference cycle passes through one and neither type takes part in
 * garbage collection.
 *
 * Re-minting.  The first mint after the policies change writes the token
 * from scratch (a capability minted once, the common case for a web
 * request, pays for no cache it would not use).  The second prepares the
 * prefix head + policies + mid (token.h, trcap_prepared): its encoding and
 * the HMAC state after it are kept, and every later mint copies the one
 * and resumes the other, hashing and encoding only the tail.
 */

/* Parts of a token handled without a heap allocation: the seed's fresh
 * request, six policies of about ten parts each, fits. */
#define STACK_PARTS 128

/* One item of a template: JSON text, or field `length` when bytes is NULL. */
typedef struct {
    const unsigned char *bytes;
    size_t length;
} template_entry;

/* A template compiled once: the items as a C array (views into the bytes
 * the items tuple keeps alive), so that expanding it is a plain loop and a
 * Minter checks it in O(1) (fields_needed). */
typedef struct {
    PyObject_VAR_HEAD
    PyObject *items;              /* tuple of exact bytes and exact ints, owned */
    Py_ssize_t fields_needed;     /* 1 + the largest field index; 0: none */
    template_entry entries[1];    /* Py_SIZE(self) of them */
} TemplateObject;

typedef struct {
    PyObject_HEAD
    trcap_hmac_key key;             /* prepared HMAC-SHA256 key, owned; holds the key */
    EVP_MD_CTX *run;                /* the module's scratch MAC context, borrowed */
    unsigned char *header_b64;      /* BASE64URL(header): header_inline or PyMem, owned */
    size_t header_b64_length;
    unsigned char header_inline[48];  /* room for the default header's 36 */
    PyObject *head;                 /* piece, owned */
    PyObject *mid;                  /* piece, owned */
    PyObject *end;                  /* piece, owned */
    PyObject *policies;             /* list of pieces, owned */
    /* The fields templates refer to: nfields parts, then the escaped text
     * they point into, in one PyMem block, owned (NULL when none). */
    trcap_part *fields;
    Py_ssize_t nfields;
    trcap_prepared prepared;        /* valid when prepared.text != NULL */
    int minted;                     /* a token was minted since the policies changed */
    /* The module's Template type, borrowed like `run`: the module outlives
     * every object of its types (each holds its type, which holds the
     * module). */
    PyTypeObject *template_type;
} MinterObject;

/* ---- template.c: payload numbers, parts, fields, pieces --------------- */

int trcap_py_is_int(PyObject *o);
int trcap_py_parts_from_args(PyObject *const *args, Py_ssize_t nargs, trcap_part *parts);
int trcap_py_escape_fields(PyObject *fields, int text_only, trcap_part **out, Py_ssize_t *n);
int trcap_py_check_piece(PyTypeObject *template_type, PyObject *o, Py_ssize_t nfields, const char *name);
size_t trcap_py_piece_count(PyObject *piece);
trcap_part *trcap_py_piece_parts(PyObject *piece, const trcap_part *fields, trcap_part *parts);
trcap_part *trcap_py_parts_room(trcap_part *stack, size_t n);
void trcap_py_parts_release(trcap_part *parts, trcap_part *stack);
PyObject *trcap_py_render_piece(PyObject *piece, const trcap_part *fields);

/* ---- minter.c ----------------------------------------------------------- */

PyObject *trcap_py_new_token(size_t size);

/* ---- batch.c: Minter.mint_each, listed in minter.c's methods ----------- */

PyObject *trcap_py_minter_mint_each(MinterObject *self, PyObject *const *args, Py_ssize_t nargs);
extern const char trcap_py_minter_mint_each_doc[];

#endif
