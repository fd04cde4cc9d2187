"""Stub for the compiled core (src/glue/, over src/core/).  Private: use twilio_trcap."""

from collections.abc import Iterable
from typing import Any, final

openssl_version: str
MAX_TOKEN_LENGTH: int
MAX_HEADER_LENGTH: int
MAX_JSON_DEPTH: int

@final
class Key:
    """A prepared HMAC-SHA256 key; the key lives only inside OpenSSL.
    Immutable: Minters and threads may share one.  Public as
    twilio_trcap.Key."""

    def __new__(cls, secret: str | bytes | Key) -> Key: ...
    @classmethod
    def prepare(cls, key: object, name: str, /) -> Key: ...
    def sign(self, header: bytes, payload: bytes, /) -> str: ...
    def mint_each(
        self,
        template: Template,
        fields: tuple[str | int, ...],
        field: int,
        values: Iterable[str],
        name: str,
        prefixes: tuple[str, ...],
        /,
    ) -> list[str]: ...

_Item = bytes | int | str

@final
class Template:
    """JSON text with holes: bytes are JSON text, an int k is field k of
    the Minter it is used with (a str field JSON-escaped without quotes, an
    int field in decimal), "policies" and "tail" the holes for the
    policies and mint()'s arguments.  Checked once; immutable."""

    def __new__(cls, items: tuple[_Item, ...], /) -> Template: ...
    @property
    def items(self) -> tuple[_Item, ...]: ...

@final
class Minter:
    """A capability's payload (a layout over fields), its policies and the
    Key that signs it."""

    @classmethod
    def create(
        cls,
        key: Key,
        fields: tuple[str | int, ...],
        layout: Template,
        policies: tuple[bytes | Template, ...],
        header: bytes | None = None,
        /,
    ) -> Minter: ...
    def mint(self, *tail: bytes | int) -> str: ...
    def add_policy(self, policy: bytes | Template, /) -> None: ...
    def set_policies(self, policies: Iterable[bytes], /) -> None: ...
    def policies(self) -> list[bytes]: ...

def json_value(value: Any, name: str, sort_keys: bool = False, /) -> bytes: ...
def policy_json(
    url: str,
    method: str,
    allow: bool,
    query_filter: dict[str, Any] | None,
    post_filter: dict[str, Any] | None,
    /,
) -> bytes: ...
def policy_template(
    url: tuple[bytes | int, ...],
    method: str,
    allow: bool,
    query_filter: dict[str, Any] | None,
    post_filter: dict[str, Any] | None,
    /,
) -> Template: ...
def check_sid(value: object, name: str, prefixes: tuple[str, ...], /) -> str: ...
def check_text(value: object, name: str, /) -> str: ...
def check_fields(
    rules: tuple[tuple[str, tuple[str, ...] | None], ...], /, *values: object
) -> tuple[str, ...]: ...
def check_int(value: object, name: str, /) -> int: ...
def check_ttl(ttl: object, /) -> int: ...
def current_time(now: object, /) -> int: ...
def check_claim_time(value: int, name: str, /) -> int: ...
def expiry(ttl: object, now: object, /) -> int: ...
def decode_jws(
    token: str | bytes, key: str | bytes | Key | None, algorithms: tuple[str, ...], /
) -> tuple[dict[str, Any], dict[str, Any]]: ...
