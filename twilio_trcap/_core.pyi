"""Stub for the compiled core (src/_core.c).  Private: use twilio_trcap."""

from collections.abc import Iterable
from typing import Any

openssl_version: str
MAX_TOKEN_LENGTH: int
MAX_HEADER_LENGTH: int
MAX_JSON_DEPTH: int

class Minter:
    """A keyed HS256 signer holding a capability's policies; the key lives
    only inside OpenSSL."""

    def __new__(
        cls,
        key: str | bytes,
        header: bytes = ...,
        *,
        head: bytes = ...,
        mid: bytes = ...,
        name: str = ...,
    ) -> Minter: ...
    def sign(self, *parts: bytes | int) -> str: ...
    def mint(self, *tail: bytes | int) -> str: ...
    def add_policy(self, fragment: bytes, /) -> None: ...
    def set_policies(self, fragments: Iterable[bytes], /) -> None: ...
    def policies(self) -> list[bytes]: ...

def json_string(text: str, /) -> bytes: ...
def json_value(value: Any, name: str, /) -> bytes: ...
def policy_json(
    url: str,
    method: str,
    allow: bool,
    query_filter: dict[str, Any] | None,
    post_filter: dict[str, Any] | None,
    /,
) -> bytes: ...
def decode_jws(
    token: str | bytes, key: str | bytes | None, algorithms: tuple[str, ...], /
) -> tuple[dict[str, Any], dict[str, Any]]: ...
