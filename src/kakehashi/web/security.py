"""ASGI middleware: security headers on every response, a request-body cap and a time limit.

All are plain ASGI wrappers (no Starlette ``BaseHTTPMiddleware``), so they
cost one dictionary update per response and do not buffer responses.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_log = logging.getLogger("kakehashi.web")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
"""Content-Security-Policy of the dashboard: only the server's own scripts and styles,
no remote sources, no inline scripts, no ``eval`` (Vega runs with its expression interpreter)."""

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
)
"""Headers added to every response, besides the Content-Security-Policy."""


class SecurityHeaders:
    """Add :data:`SECURITY_HEADERS` and a CSP to every HTTP response.

    A response that already carries a ``content-security-policy`` (the
    self-contained briefing download sets a stricter one) keeps its own.
    """

    def __init__(self, app: ASGIApp, csp: str = CONTENT_SECURITY_POLICY) -> None:
        self.app = app
        self.csp = csp.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                for key, value in SECURITY_HEADERS:
                    if key not in names:
                        headers.append((key, value))
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", self.csp))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuse request bodies larger than ``max_body`` bytes with 413.

    A declared ``Content-Length`` over the cap is refused before reading; a
    chunked body is read up to the cap and refused as soon as it passes it.
    The accepted body is then replayed to the application.
    """

    def __init__(self, app: ASGIApp, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key.lower() == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _refuse(send, 400, "invalid Content-Length header")
                    return
                if declared > self.max_body:
                    await _refuse(send, 413, self._message(declared))
                    return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_body:
                await _refuse(send, 413, self._message(size))
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replay: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

        async def replay_receive() -> Message:
            if replay:
                return replay.pop()
            return await receive()

        await self.app(scope, replay_receive, send)

    def _message(self, size: int) -> str:
        return (f"request body of {size} bytes is larger than the limit of {self.max_body} bytes; "
                "send a smaller scenario (or start the server with a larger max_body)")


class RequestTimeout:
    """Answer 503 when a request is not answered within ``seconds``.

    The deadline is also published in :data:`kakehashi.web.service.DEADLINE`,
    so a request that waits for a warehouse slot gives up at its deadline
    (503) instead of queueing, and the arrival time in
    :data:`kakehashi.web.service.ARRIVED` (also without a time limit), so that
    waiting requests get slots in the order they arrived. Work already running in a thread cannot be
    interrupted: it finishes in the background and its result is cached, so
    the same request asked again is answered from the cache. A response that
    has started (headers sent) is never cut.
    """

    def __init__(self, app: ASGIApp, seconds: float | None) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from kakehashi.web.service import ARRIVED, DEADLINE

        if not self.seconds:
            arrived = ARRIVED.set(time.monotonic())
            try:
                await self.app(scope, receive, send)
            finally:
                ARRIVED.reset(arrived)
            return

        started = False
        timed_out = False

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if timed_out:
                return  # the client already has its 503
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        now = time.monotonic()
        arrived, token = ARRIVED.set(now), DEADLINE.set(now + self.seconds)
        try:
            task = asyncio.ensure_future(self.app(scope, receive, guarded_send))  # runs in a copy of both
        finally:
            DEADLINE.reset(token)
            ARRIVED.reset(arrived)
        done, _ = await asyncio.wait({task}, timeout=self.seconds)
        if task in done or started:
            await task
            return
        timed_out = True
        task.add_done_callback(_log_late_failure)
        await _refuse(send, 503, f"the request was not answered within the limit of {self.seconds:g} s",
                      hint="retry in a moment (a repeated request is often answered from the cache), or ask "
                      "for less: fewer draws, one workstream, fewer products",
                      kind="Timeout", extra=[(b"retry-after", b"5")])


def _log_late_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        _log.warning("a request that timed out failed later: %r", task.exception())


async def _refuse(send: Send, status: int, detail: str, *, hint: str | None = None, kind: str | None = None,
                  extra: list[tuple[bytes, bytes]] | None = None) -> None:
    kind = kind or ("RequestTooLarge" if status == 413 else "BadRequest")
    body = json.dumps({"detail": detail, "hint": hint, "error": kind}).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"), *(extra or [])],
    })
    await send({"type": "http.response.body", "body": body})
