#!/usr/bin/env python3
"""A throw-away limited-API (abi3, 3.11+) build of the extension, to measure
what abi3 would cost (docs/distribution.md, "abi3").  Not part of the build.

    python benchmarks/limited_api_probe.py OUTDIR

copies src/ to OUTDIR/src, rewrites the copy of the glue (src/glue/) for
Py_LIMITED_API=0x030b0000 and builds it into OUTDIR/lib (next to a copy
of twilio_trcap/), so that

    PYTHONPATH=OUTDIR/lib python benchmarks/bench.py --no-write

times the limited-API build, and

    python benchmarks/limited_api_probe.py OUTDIR --compare

builds it, then times the two cases the abi3 rule is about (bench.py's
fresh request and re-mint) for the installed build and the limited-API
build in alternating fresh interpreters, 12 rounds, and prints the median
of each side's per-round medians and the ratio.  The rewrite is the cheapest one that keeps
the benchmarked paths (fresh request, re-mint) correct: the limited API's
function calls for CPython's macros, the token written to a bytes buffer
and then decoded into a str (the limited API cannot write into a new
str), text read through PyUnicode_AsUTF8AndSize (ASCII) or a UCS-4 copy
(leaked: experiment only), type slots through PyType_GetSlot.  Not kept
correct: mint_many returns bytes; error messages say "object" for type
names.  Each rewrite asserts its target exists somewhere in the glue, so the
script fails loudly once src/glue/ has changed under it (written against
issue 8's branch, moved to the split glue of issue 10).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SHIM = r"""
#define PyTuple_GET_ITEM PyTuple_GetItem
#define PyTuple_GET_SIZE PyTuple_Size
#define PyList_GET_ITEM PyList_GetItem
#define PyList_GET_SIZE PyList_Size
#define PyBytes_AS_STRING PyBytes_AsString
#define PyBytes_GET_SIZE PyBytes_Size
#define PyTuple_SET_ITEM PyTuple_SetItem
#define PyList_SET_ITEM PyList_SetItem
#define PyFloat_AS_DOUBLE PyFloat_AsDouble
#define PyDict_GET_SIZE PyDict_Size
#define PyUnicode_GET_LENGTH PyUnicode_GetLength
#define PyUnicode_READ_CHAR PyUnicode_ReadChar
#define PyUnicode_AsUTF8(s) PyUnicode_AsUTF8AndSize((s), NULL)
#define PyUnicode_READY(s) 0
#define Py_SETREF(dst, src) do { PyObject *tmp_ = (PyObject *)(dst); (dst) = (src); Py_DECREF(tmp_); } while (0)
#undef PySequence_Fast_GET_SIZE
#undef PySequence_Fast_GET_ITEM
#define PySequence_Fast_GET_SIZE PySequence_Size
#define PySequence_Fast_GET_ITEM(s, i) (PyList_Check(s) ? PyList_GetItem((s), (i)) : PyTuple_GetItem((s), (i)))
static int
probe_is_ascii(PyObject *s)
{
    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(s, &n);
    if (u == NULL) {
        PyErr_Clear();
        return 0;
    }
    return n == PyUnicode_GetLength(s);
}
#define PyUnicode_IS_ASCII probe_is_ascii
#define PyUnicode_1BYTE_DATA(s) ((unsigned char *)PyBytes_AsString(s))
#define PyObject_CallOneArg(f, a) PyObject_CallFunctionObjArgs((f), (a), NULL)
/* PyType_GetModuleByDef is in the limited API from 3.13: the module of the
 * first type in the MRO that one of ours made (a Python subclass's instance
 * reaches its C base's). */
static PyObject *
probe_module_by_def(PyTypeObject *type, PyModuleDef *def)
{
    PyObject *mro = PyObject_GetAttrString((PyObject *)type, "__mro__"), *found = NULL;
    for (Py_ssize_t i = 0; mro != NULL && found == NULL && i < PyTuple_Size(mro); i++) {
        PyObject *module = PyType_GetModule((PyTypeObject *)PyTuple_GetItem(mro, i));
        if (module == NULL) {
            PyErr_Clear();
        }
        else if (PyModule_GetDef(module) == def) {
            found = module;
        }
    }
    Py_XDECREF(mro);  /* the module outlives the type's MRO tuple */
    if (found == NULL && !PyErr_Occurred()) {
        PyErr_SetString(PyExc_TypeError, "no module of ours in the MRO");
    }
    return found;
}
#define PyType_GetModuleByDef probe_module_by_def
"""

TEXT_OF = """    t->data = PyUnicode_DATA(str);
    t->length = (size_t)PyUnicode_GET_LENGTH(str);
    t->width = (int)PyUnicode_KIND(str);
    return 0;"""

TEXT_OF_LIMITED = """    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(str, &n);
    if (u != NULL && n == PyUnicode_GetLength(str)) {
        t->data = u;
        t->length = (size_t)n;
        t->width = 1;
        return 0;
    }
    PyErr_Clear();
    Py_UCS4 *copy = PyUnicode_AsUCS4Copy(str);  /* leaked: experiment only */
    if (copy == NULL) {
        return -1;
    }
    t->data = copy;
    t->length = (size_t)PyUnicode_GetLength(str);
    t->width = 4;
    return 0;"""

# After each token write: the bytes buffer becomes the str.
TO_STR = """    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "signing the token");
        Py_CLEAR(token);
    }
"""
TO_STR_LIMITED = """    if (st != TRCAP_OK) {
        trcap_py_raise_status(st, "signing the token");
        Py_CLEAR(token);
    }
    else {
        PyObject *str = PyUnicode_DecodeASCII(PyBytes_AsString(token), PyBytes_Size(token), NULL);
        Py_SETREF(token, str);
    }
"""


def rewrite(files: dict[str, str]) -> dict[str, str]:
    """The glue's files (name -> text), rewritten; each target is counted
    over all of them."""

    def sub(old: str, new: str, count: int | None = None) -> None:
        found = sum(text.count(old) for text in files.values())
        assert found and (count is None or found == count), (old, found)
        for name in files:
            files[name] = files[name].replace(old, new)

    def subn(pattern: str, new: str) -> None:
        found = 0
        for name in files:
            files[name], n = re.subn(pattern, new, files[name])
            found += n
        assert found > 0, pattern

    sub("#include <Python.h>\n", "#define Py_LIMITED_API 0x030b0000\n#include <Python.h>\n" + SHIM, 1)
    sub(TEXT_OF, TEXT_OF_LIMITED, 1)
    sub("return PyUnicode_New((Py_ssize_t)size, 127);",
        "return PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);", 1)
    sub(TO_STR, TO_STR_LIMITED, 2)
    sub("""            str = PyUnicode_New((Py_ssize_t)s->length, 127);
            if (str != NULL) {
                memcpy(PyUnicode_1BYTE_DATA(str), s->bytes, s->length);
            }""", """            str = PyUnicode_DecodeASCII((const char *)s->bytes, (Py_ssize_t)s->length, NULL);""", 1)
    sub("*p = PyUnicode_1BYTE_DATA(token);",
        "*p = (const unsigned char *)PyUnicode_AsUTF8AndSize(token, NULL);", 1)
    sub("PyLong_Type.tp_repr(o)", "PyObject_Repr(o)", 1)  # differs for int subclasses only
    subn(r"Py_TYPE\(([^()]*)\)->tp_name", '"object"')
    subn(r"((?:\w+->)*\w+)->tp_alloc\(", r"((allocfunc)PyType_GetSlot(\1, Py_tp_alloc))(")
    subn(r"((?:\w+->)*\w+)->tp_free\(", r"((freefunc)PyType_GetSlot(\1, Py_tp_free))(")
    # The sid rule reads an ASCII str's bytes: its UTF-8 is the same.
    sub("p = PyUnicode_1BYTE_DATA(sid);", "p = (const Py_UCS1 *)PyUnicode_AsUTF8AndSize(sid, NULL);", 1)
    sub("memcmp(p, PyUnicode_1BYTE_DATA(prefix), (size_t)m)",
        "memcmp(p, PyUnicode_AsUTF8AndSize(prefix, NULL), (size_t)m)", 1)
    # Nor of a type's tp_base and tp_dealloc: the C base's state through the MRO.
    sub("""    for (PyTypeObject *t = type; t != NULL; t = t->tp_base) {
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
""", "", 1)
    # The limited API has no view of a tuple's items: the C base's
    # __init__ binds its positional arguments from a copy of the first ones.
    sub("""    if (bind(&init_signature, PySequence_Fast_ITEMS(args), PyTuple_GET_SIZE(args), NULL, kwargs,
             values) < 0) {""", """    PyObject *items_[NPARAMS];
    for (Py_ssize_t i_ = 0; i_ < NPARAMS && i_ < PyTuple_Size(args); i_++) {
        items_[i_] = PyTuple_GetItem(args, i_);
    }
    if (bind(&init_signature, items_, PyTuple_Size(args), NULL, kwargs, values) < 0) {""", 1)
    return files


SAMPLE = r"""
import statistics, sys, time
sys.path.append(sys.argv[1])
import bench, twilio_trcap
again = bench.ours_minted_twice()
cases = {"fresh": bench.ours_fresh, "remint": again.generate_token}
for name, f in cases.items():
    for _ in range(2000):
        f()
    samples = []
    for _ in range(15):
        t = time.perf_counter()
        for _ in range(2000):
            f()
        samples.append((time.perf_counter() - t) / 2000 * 1e6)
    print(name, statistics.median(samples))
print("core", twilio_trcap._core.__file__)
"""


def compare(lib: Path) -> None:
    import os
    import statistics

    results: dict[str, dict[str, list[float]]] = {"full API": {}, "limited API": {}}
    for _ in range(12):
        for side, path in (("full API", None), ("limited API", lib)):
            env = dict(os.environ)
            if path is not None:
                env["PYTHONPATH"] = str(path)
            out = subprocess.run([sys.executable, "-c", SAMPLE, str(ROOT / "benchmarks")],
                                 env=env, cwd="/", capture_output=True, text=True, check=True)
            for line in out.stdout.splitlines():
                name, value = line.split()
                if name == "core":
                    assert (path is None) != ("abi3" in value), value
                    continue
                results[side].setdefault(name, []).append(float(value))
    for name in ("fresh", "remint"):
        full = statistics.median(results["full API"][name])
        limited = statistics.median(results["limited API"][name])
        print(f"{name}: full API {full:.3f} us, limited API {limited:.3f} us, "
              f"limited/full {limited / full:.3f}")


def main() -> int:
    out = Path(sys.argv[1]).resolve()
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(ROOT / "src", out / "src")
    glue = {p.name: p.read_text() for p in (out / "src" / "glue").glob("*.[ch]")}
    for name, text in rewrite(glue).items():
        (out / "src" / "glue" / name).write_text(text)
    shutil.copytree(ROOT / "twilio_trcap", out / "lib" / "twilio_trcap",
                    ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    cc = sysconfig.get_config_var("CC").split()
    target = out / "lib" / "twilio_trcap" / "_core.abi3.so"
    cmd = [*cc, "-std=c11", "-O3", "-fPIC", "-shared", "-fvisibility=hidden",
           # The limited API's Py_TYPE/Py_SIZE/Py_XDECREF take PyObject *,
           # where the full API's macros cast: warnings, not errors, here.
           "-Wno-incompatible-pointer-types", "-Wno-unused-function", "-Wno-unused-parameter",
           f"-I{out / 'src' / 'core'}", f"-I{sysconfig.get_paths()['include']}",
           *sorted(map(str, (out / "src").glob("*/*.c"))), "-lcrypto", "-o", str(target)]
    subprocess.run(cmd, check=True)
    print(target)
    if "--compare" in sys.argv[2:]:
        compare(out / "lib")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
