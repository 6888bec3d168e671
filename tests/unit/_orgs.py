"""Helpers of the organisation-workspace tests (SYNTHETIC data only)."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from _asgi import SyncClient

KEY = base64.b64decode("5Jv1c0Wn9gY4kq0e6QnE0m4b2mXw8K1xjv3y1Tg9zqE=")  # test key, never a real one
OTHER_KEY = os.urandom(32)


@contextmanager
def client_for(app: Any) -> Iterator[SyncClient]:
    c = SyncClient(app)
    try:
        yield c
    finally:
        c.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
