"""Resumable, checksummed, cached downloads with a progress bar.

:func:`fetch` is the one function every ``download_*`` uses. It writes into
``<dest>.part`` and renames the file to ``dest`` only once it is complete and
verified, so ``dest`` is either absent or whole:

* **Resume.** When a ``.part`` file is left from an interrupted download,
  the request carries ``Range: bytes=<size of .part>-``. A ``206 Partial
  Content`` answer is appended; a server that ignores ranges answers ``200``
  with the whole body, and the ``.part`` file is restarted from zero. A
  connection dropped mid-body keeps the ``.part`` file and is retried (with
  a range) up to ``retries`` times; if it still fails, running the same call
  again continues where it stopped.
* **Verify.** ``size`` and ``sha256``, when given, are checked on the
  complete file; a mismatch deletes the file (it cannot be repaired by
  resuming) and raises.
* **Cache.** Without ``dest`` the file goes to
  :func:`kakehashi.config.cache_dir` (``$KAKEHASHI_CACHE`` or
  ``~/.cache/kakehashi``) under the URL's file name; a complete, verified
  file already there is returned without any network access.
* **Errors.** Every failure is a :class:`DownloadError` (an
  :class:`~kakehashi.errors.EngineError`) naming the URL, the HTTP status
  where there is one, and what to try.

Only the standard library (``urllib``) is used for HTTP.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import http.client
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from kakehashi import config
from kakehashi.errors import EngineError

CHUNK = 1 << 20
"""Bytes read from the network per iteration (1 MiB)."""

USER_AGENT = "kakehashi (+https://github.com/kakehashi)"
"""User-Agent header sent with every request."""

_OFFLINE_HINT = (
    "check the network connection or proxy (HTTPS_PROXY); you can also download the file "
    "by hand and pass its path instead"
)


class DownloadError(EngineError):
    """A download failed: network, HTTP status or verification.

    Attributes
    ----------
    url
        The URL that was requested.
    status
        The HTTP status code, or ``None`` when no HTTP answer was received.
    """

    def __init__(self, message: str, *, url: str, status: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.url = url
        self.status = status


def default_filename(url: str) -> str:
    """File name for ``url`` in the cache: the last path segment, else the host.

    Examples
    --------
    >>> default_filename("https://www.cepii.fr/DATA_DOWNLOAD/baci/data/BACI_HS17_V202501.zip")
    'BACI_HS17_V202501.zip'
    """
    parsed = urllib.parse.urlparse(url)
    name = Path(urllib.parse.unquote(parsed.path)).name
    return name or (parsed.hostname or "download")


def resolve_dest(url: str, dest: str | Path | None) -> Path:
    """Where :func:`fetch` puts ``url``: ``dest``, a file inside ``dest`` if it is a folder, or the cache."""
    if dest is None:
        return config.cache_dir() / default_filename(url)
    path = Path(dest)
    if path.is_dir():
        return path / default_filename(url)
    return path


def sha256_file(path: Path) -> str:
    """Hex SHA-256 digest of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _verify(path: Path, url: str, sha256: str | None, size: int | None) -> None:
    """Check ``path`` against ``size`` and ``sha256``; delete it and raise on mismatch."""
    if size is not None:
        got = path.stat().st_size
        if got != size:
            path.unlink(missing_ok=True)
            raise DownloadError(
                f"download of {url} has {got} bytes, expected {size}; the file was deleted",
                url=url, hint="run the download again; if it repeats, the publisher changed the file",
            )
    if sha256 is not None:
        got_hash = sha256_file(path)
        if got_hash.lower() != sha256.lower():
            path.unlink(missing_ok=True)
            raise DownloadError(
                f"sha256 mismatch for {url}: expected {sha256.lower()}, got {got_hash}; "
                "the file was deleted",
                url=url, hint="run the download again; if it repeats, the publisher changed the file "
                "(check the checksum you passed)",
            )


def _is_complete(path: Path, sha256: str | None, size: int | None) -> bool:
    if not path.is_file():
        return False
    if size is not None and path.stat().st_size != size:
        return False
    return sha256 is None or sha256_file(path).lower() == sha256.lower()


def http_error(url: str, exc: urllib.error.HTTPError) -> DownloadError:
    """Turn an HTTP error answer into a :class:`DownloadError` with a hint."""
    status = exc.code
    reason = exc.reason or http.client.responses.get(status, "")
    if status == 404:
        hint = "check the URL: the release or file name may be wrong or no longer published"
    elif status in (401, 403):
        hint = "the server refused access: check the API key or subscription"
    elif status == 429:
        hint = "too many requests: wait a while and try again"
    elif status >= 500:
        hint = "the server failed: try again later"
    else:
        hint = "check the URL and parameters"
    return DownloadError(f"download of {url} failed: HTTP {status} {reason}".rstrip(),
                         url=url, status=status, hint=hint)


def network_error(url: str, exc: BaseException) -> DownloadError:
    """Turn a connection-level failure into a :class:`DownloadError` with a hint."""
    reason: object = getattr(exc, "reason", exc)
    host = urllib.parse.urlparse(url).netloc or url
    if isinstance(reason, ConnectionRefusedError):
        what = f"connection refused by {host}"
    elif isinstance(reason, socket.gaierror):
        what = f"cannot resolve host {host} (offline?)"
    elif isinstance(reason, TimeoutError | socket.timeout):
        what = f"no answer from {host} (timed out)"
    else:
        what = f"network error talking to {host}: {reason}"
    return DownloadError(f"download of {url} failed: {what}", url=url, hint=_OFFLINE_HINT)


def open_url(url: str, *, headers: Mapping[str, str] | None = None, timeout: float = 60.0) -> Any:
    """Open ``url`` with ``headers``; HTTP and network failures become :class:`DownloadError`."""
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})
    try:
        return urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416:  # the caller handles "range not satisfiable"
            raise
        raise http_error(url, exc) from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        raise network_error(url, exc) from exc


class _Interrupted(Exception):
    """The body ended before its announced length (the connection was dropped)."""


_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


def _expected_total(resp: Any, offset: int) -> int | None:
    """Total file size announced by the response, when it says."""
    status = getattr(resp, "status", 200)
    if status == 206:
        m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
        if m and m.group(3) != "*":
            return int(m.group(3))
    length = resp.headers.get("Content-Length")
    if length is not None and length.isdigit():
        return offset + int(length)
    return None


@contextlib.contextmanager
def _progress_bar(enabled: bool, label: str, total: int | None, done: int) -> Iterator[Any]:
    """A rich progress bar on stderr, or a no-op when disabled or stderr is not a TTY."""
    if not (enabled and sys.stderr.isatty()):
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                  TransferSpeedColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total, completed=done)
        yield lambda n: bar.advance(task, n)


def _copy_body(resp: Any, fh: IO[bytes], expected: int | None, advance: Any) -> int:
    """Copy the response body to ``fh``; raise :class:`_Interrupted` if it ends early."""
    written = 0
    try:
        while True:
            block = resp.read(CHUNK)
            if not block:
                break
            fh.write(block)
            written += len(block)
            advance(len(block))
    except (http.client.IncompleteRead, ConnectionError, TimeoutError) as exc:
        fh.flush()
        raise _Interrupted(str(exc) or type(exc).__name__) from exc
    fh.flush()
    if expected is not None and fh.tell() < expected:
        raise _Interrupted(f"connection closed after {fh.tell()} of {expected} bytes")
    return written


def _attempt(url: str, part: Path, headers: Mapping[str, str] | None, timeout: float,
             progress: bool) -> None:
    """One request: resume ``part`` if it has bytes, append the body."""
    offset = part.stat().st_size if part.exists() else 0
    req_headers = dict(headers or {})
    if offset:
        req_headers["Range"] = f"bytes={offset}-"
    try:
        resp = open_url(url, headers=req_headers, timeout=timeout)
    except urllib.error.HTTPError as exc:  # 416: nothing left after ``offset``, or a stale .part
        m = re.match(r"bytes\s+\*/(\d+)", exc.headers.get("Content-Range", "") if exc.headers else "")
        exc.close()
        if m and int(m.group(1)) == offset:
            return  # the .part file is already complete
        part.unlink(missing_ok=True)
        raise _Interrupted("server refused the range; restarting from zero") from exc
    with resp:
        status = getattr(resp, "status", 200) or 200
        mode = "ab"
        if offset and status != 206:
            offset, mode = 0, "wb"  # the server ignored Range and sends the whole file
        elif offset:
            m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
            if m is None or int(m.group(1)) != offset:
                offset, mode = 0, "wb"
                part.unlink(missing_ok=True)
                raise _Interrupted("server answered a different range; restarting from zero")
        expected = _expected_total(resp, offset)
        with open(part, mode) as fh, _progress_bar(progress, default_filename(url), expected, offset) as adv:
            _copy_body(resp, fh, expected, adv)


def fetch(
    url: str,
    dest: str | Path | None = None,
    *,
    sha256: str | None = None,
    size: int | None = None,
    progress: bool = True,
    timeout: float = 60.0,
    headers: Mapping[str, str] | None = None,
    retries: int = 3,
    backoff: float = 1.0,
) -> Path:
    """Download ``url`` to ``dest`` (default: the cache), resuming a partial file.

    Parameters
    ----------
    url
        ``http://`` or ``https://`` URL.
    dest
        Target file, or an existing folder to put the URL's file name in;
        default :func:`kakehashi.config.cache_dir`.
    sha256, size
        Expected SHA-256 (hex) and size in bytes of the complete file; checked
        when given. A mismatch deletes the file and raises.
    progress
        Show a progress bar on stderr (never when stderr is not a terminal).
    timeout
        Seconds to wait for the server on connect and on each read.
    headers
        Extra request headers (e.g. an API key).
    retries
        How many times a dropped connection is resumed within this call.
    backoff
        Seconds before the first retry; doubled each time.

    Returns
    -------
    Path
        The complete, verified file.

    Raises
    ------
    DownloadError
        Offline, connection refused, HTTP error (names the URL and status),
        a dropped connection that did not resume, or a verification failure.

    Examples
    --------
    >>> path = fetch("https://www.cepii.fr/DATA_DOWNLOAD/baci/data/BACI_HS17_V202501.zip")  # doctest: +SKIP
    """
    target = resolve_dest(url, dest)
    if _is_complete(target, sha256, size):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    lock_path = target.with_name(target.name + ".lock")
    with open(lock_path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DownloadError(f"{target} is being downloaded by another process", url=url,
                                hint="wait for the other download to finish") from None
        try:
            _download_with_retries(url, part, headers, timeout, progress, retries, backoff)
            _verify(part, url, sha256, size)
            os.replace(part, target)
        finally:
            lock_path.unlink(missing_ok=True)
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


def _download_with_retries(url: str, part: Path, headers: Mapping[str, str] | None, timeout: float,
                           progress: bool, retries: int, backoff: float) -> None:
    delay = backoff
    for attempt in range(retries + 1):
        try:
            _attempt(url, part, headers, timeout, progress)
            return
        except _Interrupted as exc:
            if attempt == retries:
                have = part.stat().st_size if part.exists() else 0
                raise DownloadError(
                    f"download of {url} was interrupted ({exc}); {have} bytes kept in {part}",
                    url=url, hint="run the same command again to resume",
                ) from exc
            time.sleep(delay)
            delay *= 2
