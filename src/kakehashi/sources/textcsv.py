"""Strict reading of the publishers' small CSV files: every byte sequence is a table or an InputError.

pandas' reader fills a short row with empty values, reads a header-only file as
an empty table and raises its own exceptions on an empty or undecodable file.
The reference files (HS nomenclature and concordance, Comtrade extracts, WGI
CSV, BACI code tables) are small, so they are read here with the standard
``csv`` module instead, with these rules:

* the text is UTF-8 (a byte-order mark is dropped), or one of the fallback
  encodings the caller names; otherwise the first undecodable byte is
  reported with its line;
* every record has as many fields as the header: a shorter row (a file cut
  inside its last line, a row with a field missing) or a longer one is an
  error naming its line;
* blank lines are skipped; a file without a header, or without a data row,
  is refused;
* the file ends with a line end, as every publisher's file does: a last row
  without one may have been cut inside a field that still parses (a number
  or a description losing its end), so it is refused.

Line numbers are physical lines of the file (1 = header), so a quoted field
spanning lines counts every line it spans.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from kakehashi.errors import InputError

__all__ = ["check_line_end", "check_widths", "decode_text", "line_of_byte", "read_csv_frame", "read_records"]


def line_of_byte(data: bytes, offset: int) -> int:
    """1-based line number of byte ``offset`` of ``data``."""
    return data.count(b"\n", 0, offset) + 1


def decode_text(data: bytes, origin: str | Path, *, fallbacks: Sequence[str] = ()) -> str:
    """Decode ``data`` as UTF-8 (BOM dropped), else each of ``fallbacks``; else raise naming the line.

    Raises
    ------
    InputError
        No encoding decodes the bytes; names the line and the byte of the
        first UTF-8 error.
    """
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        first = exc
    for enc in fallbacks:
        try:
            return data[bom:].decode(enc)
        except UnicodeDecodeError:
            continue
    at = bom + first.start
    bad = data[at:at + 1]
    raise InputError(
        f"byte 0x{bad.hex()} is not UTF-8 text", file=origin, line=line_of_byte(data, at),
        value=bad, hint="the file is damaged or in another encoding: save it as UTF-8 or download it again",
    )


def read_records(text: str, origin: str | Path) -> list[tuple[int, list[str]]]:
    """Every CSV record of ``text`` with its first physical line (blank lines skipped)."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for cells in reader:
            if cells and cells != [""]:
                rows.append((start, cells))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"malformed CSV: {exc}", file=origin, line=start,
                         hint="the file is damaged or truncated: download it again") from None
    return rows


def check_widths(rows: list[tuple[int, list[str]]], origin: str | Path, *, width: int,
                 allow_longer: bool = False) -> None:
    """Refuse a record with fewer fields than ``width`` (or more, unless ``allow_longer``)."""
    for line, cells in rows:
        if len(cells) < width or (len(cells) > width and not allow_longer):
            what = "fewer" if len(cells) < width else "more"
            raise InputError(
                f"row has {len(cells)} fields, {what} than the header's {width}", file=origin, line=line,
                hint="the file is truncated or damaged (a row cut short or a stray comma or quote): "
                "download it again",
            )


def check_line_end(data: bytes, origin: str | Path, last_line: int) -> None:
    """Refuse data whose last line has no line end (a file cut inside its last row)."""
    if data.rstrip(b" \t") and not data.rstrip(b" \t").endswith((b"\n", b"\r")):
        raise InputError(
            "the last row has no line end: the file is cut inside it", file=origin, line=last_line,
            hint="the file is truncated: download it again (a file written by hand must end with a "
            "line end)",
        )


def read_csv_frame(data: bytes, origin: str | Path, *, fallbacks: Sequence[str] = (),
                   require_rows: bool = True,
                   skip: Callable[[list[str]], bool] | None = None) -> pd.DataFrame:
    """Read a CSV with a header into a frame of strings plus ``_line`` (physical line of each row).

    Header names are stripped of spaces. Records for which ``skip(cells)`` is
    true (e.g. a publisher's footer) are left out before the checks. See the
    module documentation for the rules.

    Raises
    ------
    InputError
        Undecodable bytes, malformed quoting, a row of the wrong width,
        an empty file, no data row (when ``require_rows``), repeated column
        names.
    """
    text = decode_text(data, origin, fallbacks=fallbacks)
    rows = read_records(text, origin)
    if not rows:
        raise InputError("the file is empty", file=origin, line=1,
                         hint="the download is probably incomplete: download it again")
    header = [h.strip() for h in rows[0][1]]
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise InputError(f"column {dup!r} appears twice in the header", file=origin, line=rows[0][0],
                         hint="the header is damaged: download the file again")
    body = [r for r in rows[1:] if skip is None or not skip(r[1])]
    if require_rows and not body:
        raise InputError("the file has a header but no data rows", file=origin, line=rows[0][0] + 1,
                         hint="the file is empty or truncated: download it again")
    check_widths(body, origin, width=len(header))
    check_line_end(data, origin, rows[-1][0])
    frame = pd.DataFrame([cells for _, cells in body], columns=header, dtype=object)
    if not len(body):
        frame = pd.DataFrame({h: pd.Series([], dtype=object) for h in header})
    frame["_line"] = [line for line, _ in body]
    return frame
