"""ASGI middleware: a body-size limit enforced before anything parses the body, and an
access log that carries method, path, status and time, never a body or a query string."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

ACCESS_LOG = logging.getLogger("themes.serve.access")

Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


async def send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    """A complete JSON response sent straight through ASGI."""
    raw = json.dumps(body).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


def _too_large(limit: int, option: str) -> dict[str, str]:
    return {
        "error": f"the request body is over the limit of {limit:,} bytes; send less at once "
        f"(in batches), or start the server with a larger {option}"
    }


class BodyLimit:
    """Refuse a request whose body is over ``limit_for(path)`` bytes with 413, before
    the application reads it: by its Content-Length, else while it arrives."""

    def __init__(self, app: Any, limit_for: Callable[[str], tuple[int, str]]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit, option = self.limit_for(scope["path"])
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await send_json(send, 400, {"error": "the Content-Length header is not a number"})
                return
            if int(declared) > limit:
                await send_json(send, 413, _too_large(limit, option))
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > limit:
                await send_json(send, 413, _too_large(limit, option))
                return
            chunks.append(body)
            if not message.get("more_body"):
                break
        whole = b"".join(chunks)
        delivered = False

        async def replay() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": whole, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


def host_name(header: bytes) -> str:
    """The name of a Host header without its port ("[::1]:8765" -> "::1")."""
    value = header.decode("latin-1").strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.split(":", 1)[0]


class LocalHostOnly:
    """A server on this machine answers only requests addressed to this machine, so a web
    page elsewhere cannot reach it through a name it points at 127.0.0.1 (DNS rebinding)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = dict(scope.get("headers") or []).get(b"host", b"")
            if host_name(header) not in LOCAL_NAMES:
                await send_json(
                    send,
                    400,
                    {"error": "this server answers only requests to 127.0.0.1 or localhost"},
                )
                return
        await self.app(scope, receive, send)


class AccessLog:
    """One line per request: method, path (no query string), status, milliseconds."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 0

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            ACCESS_LOG.info(
                "%s %s %s %.0fms",
                scope["method"],
                scope["path"],
                status or 500,
                (time.perf_counter() - start) * 1000,
            )
