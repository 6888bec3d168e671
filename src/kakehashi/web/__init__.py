"""Web dashboard and REST API (presentation only).

:func:`~kakehashi.web.app.create_app` builds the FastAPI application over a
warehouse opened read-only. Every HTML page has a JSON twin under ``/api``.
"""

from kakehashi.web.app import create_app

__all__ = ["create_app"]
