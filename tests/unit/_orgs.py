"""Helpers of the organisation-workspace tests (SYNTHETIC data only)."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

KEY = base64.b64decode("5Jv1c0Wn9gY4kq0e6QnE0m4b2mXw8K1xjv3y1Tg9zqE=")  # test key, never a real one
OTHER_KEY = os.urandom(32)


class SyncClient:
    """A synchronous facade over httpx.AsyncClient on an ASGI app (as in test_web.py)."""

    def __init__(self, app: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kw))

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


@contextmanager
def client_for(app: Any) -> Iterator[SyncClient]:
    c = SyncClient(app)
    try:
        yield c
    finally:
        c.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
