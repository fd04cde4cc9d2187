"""A local stand-in for Twilio's event bridge, the WebSocket endpoint that
Worker.js connects to (wss://event-bridge.twilio.com/v1/wschannels/AC.../WK...).

    TWILIO_AUTH_TOKEN=... python examples/event_bridge.py 8765

It accepts or refuses a connection by the token it carries, as TaskRouter
would: the token must verify with the account's auth token
(:func:`twilio_trcap.decode_token`: signature, algorithm, expiry) and its
policies must allow GET on the channel's URL (``allows``, the local model of
docs/policies.md).  A refusal closes the socket with code 4403 and the
reason.  While open, ``{"event": "token.update", "token": ...}`` replaces
the token (Worker.js's updateToken), and when the token runs out the bridge
sends ``{"event": "token.expired"}`` and closes (code 4401).

The message shapes are this stand-in's own (Twilio's real ones are not
documented); what is real is the token, checked by our decoder.  Built on
the ``websockets`` library: the event bridge is a server of its own, on its
own host, not a route of the web application.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

from websockets.sync.server import Server, ServerConnection, serve

from twilio_trcap import DecodedToken, DecodeError, decode_token

#: The public URL the stand-in answers for: policies name this one.
PUBLIC_ORIGIN = "https://event-bridge.twilio.com"
CHANNEL_PATH = "/v1/wschannels/"
#: RFC 6455 section 7.4.2: 4000-4999 are the application's close codes.
REFUSED, EXPIRED = 4403, 4401


class Refused(Exception):
    """The token does not open this channel; the message says why."""


def check(token: str, key: str, channel_url: str) -> DecodedToken:
    """The decoded token if it may listen on `channel_url`, else Refused."""
    try:
        decoded = decode_token(token, key)
    except DecodeError as exc:
        raise Refused(f"token refused: {exc}") from None
    if not decoded.allows("GET", channel_url):
        # explain() has the full story; a close reason holds 123 bytes.
        channel = channel_url.rsplit("/", 1)[-1]
        raise Refused(f"token refused: no policy allows GET on channel {channel}")
    return decoded


def _close(ws: ServerConnection, code: int, reason: str) -> None:
    # A close reason is at most 123 bytes of UTF-8 (RFC 6455 section 5.5).
    ws.close(code, reason.encode()[:123].decode(errors="ignore"))


def make_handler(key: str):  # type: ignore[no-untyped-def]
    """The connection handler for tokens signed with `key`."""

    def handler(ws: ServerConnection) -> None:
        target = urlsplit(ws.request.path if ws.request else "")
        token = parse_qs(target.query).get("token", [""])[0]
        channel_url = PUBLIC_ORIGIN + target.path
        if not target.path.startswith(CHANNEL_PATH):
            _close(ws, REFUSED, "not a channel")
            return
        try:
            decoded = check(token, key, channel_url)
        except Refused as exc:
            _close(ws, REFUSED, str(exc))
            return
        channel = target.path.rsplit("/", 1)[-1]
        ws.send(json.dumps({"event": "connected", "channel": channel}))
        expires = decoded.payload["exp"]
        while True:
            try:
                message = ws.recv(timeout=max(0.0, expires - time.time()))
            except TimeoutError:
                ws.send(json.dumps({"event": "token.expired"}))
                _close(ws, EXPIRED, "token expired")
                return
            except Exception:  # the page went away
                return
            event = json.loads(message)
            if event.get("event") != "token.update":
                continue
            try:
                decoded = check(str(event.get("token", "")), key, channel_url)
            except Refused as exc:
                _close(ws, REFUSED, str(exc))
                return
            expires = decoded.payload["exp"]
            ws.send(json.dumps({"event": "token.updated", "expires_at": expires}))

    return handler


def start(key: str, port: int = 0, host: str = "127.0.0.1") -> tuple[Server, threading.Thread]:
    """The stand-in serving in a thread; ``server.shutdown()`` stops it.
    Port 0 picks a free one: ``server.socket.getsockname()[1]``."""
    server = serve(make_handler(key), host, port)
    thread = threading.Thread(target=server.serve_forever, name="event-bridge", daemon=True)
    thread.start()
    return server, thread


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    with serve(make_handler(os.environ["TWILIO_AUTH_TOKEN"]), "127.0.0.1", port) as server:
        print(f"event bridge stand-in on ws://127.0.0.1:{port}{CHANNEL_PATH}")
        server.serve_forever()
