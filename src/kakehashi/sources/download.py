"""Resumable, checksummed, cached downloads with a progress bar.

CONTRACT (implemented by the sources work): ``fetch`` is the one function every
``download_*`` uses.
"""

from __future__ import annotations

from pathlib import Path


def fetch(
    url: str,
    dest: Path | None = None,
    *,
    sha256: str | None = None,
    size: int | None = None,
    progress: bool = True,
    timeout: float = 60.0,
) -> Path:
    """Download ``url`` to ``dest`` (default: the cache), resuming a partial file.

    Returns the path of the complete, verified file.
    """
    raise NotImplementedError("sources.download.fetch is being built")
