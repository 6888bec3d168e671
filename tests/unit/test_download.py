"""sources.download.fetch against a real HTTP server on 127.0.0.1 (Range written here)."""

from __future__ import annotations

import hashlib
import os
import re
import socket
from pathlib import Path
from typing import ClassVar

import pytest
from _local_http import QuietHandler, serve

from kakehashi.errors import EngineError
from kakehashi.sources.download import DownloadError, default_filename, fetch

# Synthetic payload: 300 kB of deterministic, non-repeating bytes.
PAYLOAD = b"".join(hashlib.sha256(str(i).encode()).digest() for i in range(300_000 // 32))
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


def make_handler(payload: bytes = PAYLOAD, *, drop_first: int | None = None,
                 honour_range: bool = True) -> type[QuietHandler]:
    """Handler serving ``payload`` at /data/file.bin, 404 elsewhere.

    ``drop_first``: the first GET announces the full length but closes the
    connection after this many bytes. ``honour_range``: answer ``Range`` with
    206 (else ignore it and send 200 with everything).
    """

    class Handler(QuietHandler):
        requests: ClassVar[list[str | None]] = []  # the Range header of every GET, in order
        dropped = False

        def do_GET(self) -> None:
            cls = type(self)
            if self.path != "/data/file.bin":
                body = b"not here"
                self.send_response(404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            rng = self.headers.get("Range")
            cls.requests.append(rng)
            start = 0
            m = re.fullmatch(r"bytes=(\d+)-", rng or "")
            if m and honour_range:
                start = int(m.group(1))
                if start >= len(payload):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(payload)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(payload) - 1}/{len(payload)}")
            else:
                self.send_response(200)
            body = payload[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if drop_first is not None and not cls.dropped:
                cls.dropped = True
                self.wfile.write(body[:drop_first])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(body)

    Handler.requests = []
    return Handler


def test_full_download_with_checks(tmp_path: Path) -> None:
    handler = make_handler()
    with serve(handler) as base:
        out = fetch(f"{base}/data/file.bin", tmp_path / "f.bin", sha256=PAYLOAD_SHA,
                    size=len(PAYLOAD), progress=False, timeout=5)
        assert out.read_bytes() == PAYLOAD
        assert not (tmp_path / "f.bin.part").exists()
        # a complete, verified file is not fetched again
        again = fetch(f"{base}/data/file.bin", tmp_path / "f.bin", sha256=PAYLOAD_SHA, progress=False)
    assert again == out
    assert handler.requests == [None]


def test_default_destination_is_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAKEHASHI_CACHE", str(tmp_path / "cache"))
    with serve(make_handler()) as base:
        out = fetch(f"{base}/data/file.bin", progress=False, timeout=5)
    assert out == tmp_path / "cache" / "file.bin"
    assert out.read_bytes() == PAYLOAD
    # an existing folder as dest: the URL's file name inside it
    assert default_filename("https://host/a/b/BACI_HS17_V202501.zip?x=1") == "BACI_HS17_V202501.zip"


def test_checksum_mismatch_deletes_and_raises(tmp_path: Path) -> None:
    with serve(make_handler()) as base, pytest.raises(DownloadError, match="sha256 mismatch") as err:
        fetch(f"{base}/data/file.bin", tmp_path / "f.bin", sha256="0" * 64, progress=False, timeout=5)
    assert isinstance(err.value, EngineError)
    assert f"{base}/data/file.bin" in str(err.value)
    assert not (tmp_path / "f.bin").exists() and not (tmp_path / "f.bin.part").exists()


def test_size_mismatch_deletes_and_raises(tmp_path: Path) -> None:
    with serve(make_handler()) as base, pytest.raises(DownloadError, match=r"has 300000 bytes, expected 12;"):
        fetch(f"{base}/data/file.bin", tmp_path / "f.bin", size=12, progress=False, timeout=5)
    assert not list(tmp_path.iterdir())


def test_interrupted_download_resumes_on_next_call(tmp_path: Path) -> None:
    handler = make_handler(drop_first=100_000)
    with serve(handler) as base:
        with pytest.raises(DownloadError, match="interrupted") as err:
            fetch(f"{base}/data/file.bin", tmp_path / "f.bin", progress=False, timeout=5, retries=0)
        assert "run the same command again" in str(err.value)
        part = tmp_path / "f.bin.part"
        assert part.read_bytes() == PAYLOAD[:100_000]
        out = fetch(f"{base}/data/file.bin", tmp_path / "f.bin", sha256=PAYLOAD_SHA,
                    progress=False, timeout=5, retries=0)
    assert out.read_bytes() == PAYLOAD
    assert handler.requests == [None, "bytes=100000-"]


def test_interrupted_download_resumes_within_one_call(tmp_path: Path) -> None:
    handler = make_handler(drop_first=65_536)
    with serve(handler) as base:
        out = fetch(f"{base}/data/file.bin", tmp_path / "f.bin", sha256=PAYLOAD_SHA,
                    progress=False, timeout=5, retries=2, backoff=0.0)
    assert out.read_bytes() == PAYLOAD
    assert handler.requests == [None, "bytes=65536-"]


def test_server_ignoring_range_restarts_from_zero(tmp_path: Path) -> None:
    (tmp_path / "f.bin.part").write_bytes(b"stale bytes from an older file")
    handler = make_handler(honour_range=False)
    with serve(handler) as base:
        out = fetch(f"{base}/data/file.bin", tmp_path / "f.bin", sha256=PAYLOAD_SHA,
                    progress=False, timeout=5)
    assert out.read_bytes() == PAYLOAD
    assert handler.requests == ["bytes=30-"]


def test_complete_part_file_is_finished_without_body(tmp_path: Path) -> None:
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD)
    handler = make_handler()
    with serve(handler) as base:
        out = fetch(f"{base}/data/file.bin", tmp_path / "f.bin", sha256=PAYLOAD_SHA,
                    progress=False, timeout=5)
    assert out.read_bytes() == PAYLOAD
    assert handler.requests == [f"bytes={len(PAYLOAD)}-"]  # one ranged request, answered 416 without body


def test_404_names_url_and_status(tmp_path: Path) -> None:
    with serve(make_handler()) as base, pytest.raises(DownloadError) as err:
        fetch(f"{base}/data/nothing.zip", tmp_path / "x.zip", progress=False, timeout=5)
    msg = str(err.value)
    assert f"{base}/data/nothing.zip" in msg and "HTTP 404" in msg and "hint: check the URL" in msg
    assert err.value.status == 404
    assert not (tmp_path / "x.zip").exists()


def test_connection_refused_message(tmp_path: Path) -> None:
    with socket.socket() as s:  # find a free port, then close it: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/file.zip"
    with pytest.raises(DownloadError) as err:
        fetch(url, tmp_path / "x.zip", progress=False, timeout=5, retries=0)
    msg = str(err.value)
    assert url in msg and "connection refused" in msg and "network connection" in msg
    assert err.value.status is None


def test_unresolvable_host_says_offline(tmp_path: Path) -> None:
    url = "http://no-such-host.invalid/file.zip"  # .invalid never resolves (RFC 2606)
    with pytest.raises(DownloadError, match=r"cannot resolve host no-such-host\.invalid"):
        fetch(url, tmp_path / "x.zip", progress=False, timeout=5)


def test_download_to_existing_folder(tmp_path: Path) -> None:
    os.mkdir(tmp_path / "dl")
    with serve(make_handler()) as base:
        out = fetch(f"{base}/data/file.bin", tmp_path / "dl", progress=False, timeout=5)
    assert out == tmp_path / "dl" / "file.bin"


def test_progress_bar_on_a_terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    import sys

    from rich.progress import Progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    tasks: list[tuple[str, float | None, float]] = []
    advanced: list[float] = []
    add_task, advance = Progress.add_task, Progress.advance

    def record_task(self: Progress, description: str, **kw: object) -> object:
        tasks.append((description, kw.get("total"), kw.get("completed")))
        return add_task(self, description, **kw)

    def record_advance(self: Progress, task: object, n: float) -> None:
        advanced.append(n)
        advance(self, task, n)

    monkeypatch.setattr(Progress, "add_task", record_task)
    monkeypatch.setattr(Progress, "advance", record_advance)
    with serve(make_handler()) as base:
        out = fetch(f"{base}/data/file.bin", tmp_path / "f.bin", progress=True, timeout=5)
    assert out.read_bytes() == PAYLOAD
    capsys.readouterr()  # the bar is transient: what it drew is cleared at the end
    assert tasks == [("file.bin", len(PAYLOAD), 0)]
    assert sum(advanced) == len(PAYLOAD)
