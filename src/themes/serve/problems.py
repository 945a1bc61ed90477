"""Errors as JSON: one line saying what was expected and how to fix it, never the text sent.

FastAPI's own validation answer quotes the input it refused; these handlers replace
it with the field's place and the type expected.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from themes.errors import ThemesError

LOG = logging.getLogger("themes.serve")

_TYPES = {
    "string_type": "a string",
    "int_type": "a whole number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


class ApiError(Exception):
    """A refused request: its status and a one-line message (no complaint text)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# Names pydantic adds to a place for the branches of a union ("reference.str").
_BRANCHES = {"str", "int", "bool", "float", "list", "none", "dict"}


def _place(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [p for p in loc if p != "body"]
    while len(parts) > 1 and parts[-1] in _BRANCHES:
        parts.pop()
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the body"


def describe_validation(errors: list[dict[str, Any]]) -> str:
    """What is wrong with a request body, from pydantic's errors, without their input."""
    first = errors[0] if errors else {}
    kind = str(first.get("type", ""))
    place = _place(first.get("loc", ()))
    if kind == "json_invalid":
        return 'the body is not valid JSON; send a JSON object, e.g. {"text": "..."}'
    if kind == "missing":
        return f"{place} is missing; the API page at /docs shows the body expected"
    if place == "the body" and kind in _TYPES:
        return "the body must be a JSON object sent as Content-Type: application/json"
    if kind in _TYPES:
        return f"{place} must be {_TYPES[kind]}; fix the request and send it again"
    if kind == "string_too_short":
        return f"{place} is empty; send the text to classify"
    if kind in ("too_long", "string_too_long"):
        return f"{place} is too long; send less at once"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{place} is not valid ({kind}){more}; see the API page at /docs"


def install(app: FastAPI) -> None:
    """Register the JSON error handlers on ``app``."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"error": describe_validation(list(exc.errors()))}, status_code=422)

    @app.exception_handler(ApiError)
    async def _refused(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": exc.message}, status_code=exc.status)

    @app.exception_handler(ThemesError)
    async def _user(_request: Request, exc: ThemesError) -> JSONResponse:
        # The library's messages name rows and columns, never quote text.
        from themes.serve.reviews import ReviewConflict

        status = 409 if isinstance(exc, ReviewConflict) else 422
        return JSONResponse({"error": str(exc)}, status_code=status)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        return JSONResponse({"error": message}, status_code=exc.status_code)


class CatchAll:
    """A failure inside a route becomes a 500 JSON answer; only the exception's type is
    logged, since its message or traceback may hold a text."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        started = False

        async def sending(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            LOG.error(
                "internal error on %s %s: %s",
                scope.get("method"),
                scope.get("path"),
                type(exc).__name__,
            )
            if started or scope["type"] != "http":
                return
            from themes.serve.limits import send_json

            await send_json(
                send,
                500,
                {"error": "internal error; the server log names its type (no text is logged)"},
            )
