"""Stub for the compiled core (src/glue/, over src/core/).  Private: use twilio_trcap."""

from collections.abc import Iterable
from typing import Any, final

openssl_version: str
MAX_TOKEN_LENGTH: int
MAX_HEADER_LENGTH: int
MAX_JSON_DEPTH: int

@final
class Template:
    """Payload JSON with holes: bytes are JSON text, an int k is field k of
    the Minter it is used with (a str field JSON-escaped without quotes, an
    int field in decimal).  Checked once; immutable."""

    def __new__(cls, items: tuple[bytes | int, ...], /) -> Template: ...
    @property
    def items(self) -> tuple[bytes | int, ...]: ...

_Piece = bytes | Template

@final
class Minter:
    """A keyed HS256 signer holding a capability's policies; the key lives
    only inside OpenSSL."""

    def __new__(
        cls,
        key: str | bytes,
        header: bytes = ...,
        *,
        head: _Piece = ...,
        mid: _Piece = ...,
        end: _Piece = ...,
        fields: tuple[str | int, ...] = ...,
        name: str = ...,
    ) -> Minter: ...
    @classmethod
    def for_template(
        cls,
        key: str | bytes,
        fields: tuple[str, ...],
        head: _Piece,
        policies: tuple[_Piece, ...],
        mid: _Piece,
        end: _Piece,
        name: str,
        /,
    ) -> Minter: ...
    def sign(self, *parts: bytes | int) -> str: ...
    def mint(self, *tail: bytes | int) -> str: ...
    def mint_each(
        self,
        template: Template,
        fields: tuple[str | int, ...],
        slot: int,
        values: Iterable[str],
        /,
    ) -> list[str]: ...
    def add_policy(self, fragment: bytes, /) -> None: ...
    def add_policy_template(self, template: Template, /) -> None: ...
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
