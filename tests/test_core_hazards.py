"""Regressions for hazards found in review of the C core: each test failed
(a crash, an over-read, a use-after-free, a secret left in memory) before
its fix in src/glue/ or src/core/jws_decode.c."""

from __future__ import annotations

import base64
import gc
import hashlib
import subprocess
import sys
import textwrap
import threading

import pytest

from twilio_trcap import _core
from twilio_trcap.errors import InvalidSignatureError


def test_template_field_index_cannot_wrap() -> None:
    # fields_needed = k + 1 wrapped for k == sys.maxsize, and a Minter with
    # no fields then read fields[sys.maxsize].
    with pytest.raises(ValueError, match="a field index must be less than"):
        _core.Template((b'{"a":"', sys.maxsize, b'"}'))
    layout = _core.Template((b'{"a":"', 3, b'"}', "tail"))
    with pytest.raises(ValueError, match="refers to field 3 of 0"):
        _core.Minter.create(_core.Key.prepare(b"k" * 32, "key"), (), layout, ())


def test_policies_survive_a_finalizer_that_replaces_them() -> None:
    # A collection started by the result list's allocation runs a __del__
    # that calls set_policies([]): policies() must read the list it started
    # with, not the replaced (freed) one.  Run in a child: gc thresholds are
    # process-wide.
    code = textwrap.dedent(
        """
        import gc
        from twilio_trcap import _core
        m = _core.Minter.create(_core.Key.prepare(b"k" * 32, "key"), (), _core.Template(("tail",)), ())
        for i in range(50):
            m.add_policy(b'{"p":%d}' % i)

        class Finalizer:
            def __del__(self):
                m.set_policies([])

        def arm():
            f = Finalizer()
            f.self = f  # cyclic garbage with a finalizer

        gc.collect()
        gc.disable()
        arm()
        gc.enable()
        gc.set_threshold(1)
        seen = m.policies()
        gc.set_threshold(700)
        print(len(seen), seen[0] == b'{"p":0}', seen[-1] == b'{"p":49}', len(m.policies()))
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["50", "True", "True", "0"]


def test_mint_each_tokens_are_unreachable_while_written() -> None:
    # While mint_each writes without the GIL, another thread walking the
    # garbage collector's objects must not find the tokens (it could read
    # them half-written, or free them under the writer).  A spy that finds
    # the result list notes whether its last token was written yet.
    n = 100_000
    minter = _core.Key.prepare(b"k" * 32, "key")
    template = _core.Template((b'{"sid":"', 0, b'"}'))
    values = tuple("WK%030d" % i for i in range(n))
    done = threading.Event()
    seen: list[str] = []

    def spy() -> None:
        while not done.is_set():
            for o in gc.get_objects():
                if type(o) is list and len(o) == n and o and type(o[-1]) is str and o[-1] not in values:
                    seen.append(o[-1][:3])
                    return

    thread = threading.Thread(target=spy)
    thread.start()
    try:
        tokens = minter.mint_each(template, ("x",), 0, values, "values", ("WK",))
    finally:
        done.set()
        thread.join()
    assert len(tokens) == n and all(t.startswith("eyJ") for t in tokens)
    assert all(prefix == "eyJ" for prefix in seen), seen  # never one half-written


def test_a_refused_signature_leaves_no_correct_mac_in_memory() -> None:
    # After the outer hash, SHA-256's state words are the MAC.  Verifying a
    # forged token must not leave the correct MAC for it behind in the
    # check's MAC context.  The MAC is computed in a child process, so
    # this one only learns a hash of it to search for.
    key = b"s3cret-key-0123456789abcdef012345"
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")
    payload = base64.urlsafe_b64encode(b'{"forged":true}').rstrip(b"=")
    forged = (header + b"." + payload + b"." + b"A" * 43).decode()
    child = textwrap.dedent(
        f"""
        import hashlib, hmac
        mac = hmac.new({key!r}, {header + b"." + payload!r}, hashlib.sha256).digest()
        words = b"".join(mac[i:i + 4][::-1] for i in range(0, 32, 4))  # as h[] sits in memory
        print(words[:8].hex(), hashlib.sha256(words).hexdigest())
        """
    )
    needle_hex, target = subprocess.check_output([sys.executable, "-c", child], text=True).split()
    needle = bytes.fromhex(needle_hex)

    chunk, overlap, largest = 16 << 20, 31, 1 << 30

    def hits() -> int:
        # Writable mappings, read in chunks.  Mappings over 1 GiB are
        # reservations, not heaps (AddressSanitizer's shadow memory, in CI's
        # sanitizer run): reading them would page in terabytes of zeros.
        count = 0
        with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
            for line in maps:
                span, perms = line.split()[:2]
                lo, hi = (int(x, 16) for x in span.split("-"))
                if "rw" not in perms or hi - lo > largest:
                    continue
                for start in range(lo, hi, chunk):
                    try:
                        mem.seek(start)
                        data = mem.read(min(chunk + overlap, hi - start))
                    except (OSError, OverflowError, ValueError):
                        break
                    i = data.find(needle)
                    while 0 <= i < chunk:
                        if hashlib.sha256(data[i:i + 32]).hexdigest() == target:
                            count += 1
                        i = data.find(needle, i + 1)
        return count

    with pytest.raises(InvalidSignatureError):
        _core.decode_jws(forged, key, ("HS256",))
    assert hits() == 0
