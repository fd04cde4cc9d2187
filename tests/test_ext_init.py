"""The compiled core: present, multi-phase initialised, no fallback."""

from __future__ import annotations

import gc
import importlib.util
import pickle
import subprocess
import sys
import weakref

import pytest

import twilio_trcap
from twilio_trcap import _core


def test_the_core_is_compiled() -> None:
    assert _core.__file__ is not None and _core.__file__.endswith((".so", ".pyd"))
    assert twilio_trcap.openssl_version.startswith("OpenSSL 3.")


def test_fresh_import_gives_a_fresh_module() -> None:
    # PEP 489: each exec of the spec builds a new module with its own state
    # and its own heap type.
    spec = importlib.util.find_spec("twilio_trcap._core")
    assert spec is not None and spec.loader is not None
    other = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other)
    assert other is not _core
    for name in ("Key", "Minter", "Template"):
        assert getattr(other, name) is not getattr(_core, name)
    header = b'{"alg":"HS256","typ":"JWT"}'
    token_a = _core.Key.prepare("k", "key").sign(header, b'{"a":1}')
    token_b = other.Key.prepare("k", "key").sign(header, b'{"a":1}')
    assert token_a == token_b
    # Each module's types check against their own module's: a Key of one
    # is not a Key of the other.
    with pytest.raises(TypeError, match="key must be a Key"):
        other.Minter.create(_core.Key.prepare("k", "key"), (), other.Template(("tail",)), ())


def test_a_module_copy_with_a_live_key_is_freed() -> None:
    # A Key holds its type, the type its module: the collector must see
    # the cycle through a module copy (a Key is tracked), or the module
    # and the prepared states would live forever.
    spec = importlib.util.find_spec("twilio_trcap._core")
    assert spec is not None and spec.loader is not None
    other = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(other)
    key = other.Key.prepare("k" * 32, "key")
    assert key.sign(b'{"alg":"HS256","typ":"JWT"}', b"{}").count(".") == 2
    gone = weakref.ref(other)
    key_type = weakref.ref(other.Key)
    del other, key
    gc.collect()
    assert gone() is None
    assert key_type() is None


def test_types_are_immutable_heap_types() -> None:
    for kind in (_core.Key, _core.Minter, _core.Template):
        with pytest.raises(TypeError):
            kind.x = None  # type: ignore[attr-defined]
        with pytest.raises(TypeError):
            type("Sub", (kind,), {})


@pytest.mark.parametrize("checkout", [False, True], ids=["copy", "checkout"])
def test_import_fails_loudly_without_the_extension(tmp_path: object, checkout: bool) -> None:
    # A copy of the Python package without the compiled module must not
    # import: there is no silent pure-Python fallback, and the message says
    # what is missing (and, in a source checkout, what to do).
    import shutil
    from pathlib import Path

    pkg = Path(twilio_trcap.__file__).parent
    root = Path(str(tmp_path))
    shutil.copytree(pkg, root / "twilio_trcap", ignore=shutil.ignore_patterns("_core*.so", "__pycache__"))
    if checkout:
        (root / "setup.py").write_text("# a source checkout\n")
    result = subprocess.run(
        [sys.executable, "-S", "-c", "import twilio_trcap"],
        cwd=str(root),
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root)},
    )
    assert result.returncode != 0
    assert "compiled core (twilio_trcap._core) cannot be imported" in result.stderr
    assert ("this is the source checkout" in result.stderr) == checkout


def test_key_and_minter_refuse_pickling() -> None:
    key = _core.Key.prepare("k", "key")
    for holder in (key, _core.Minter.create(key, (), _core.Template(("tail",)), ())):
        with pytest.raises(TypeError, match="secret key"):
            pickle.dumps(holder)
