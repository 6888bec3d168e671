"""Where a warehouse's files are read from: a local folder, or object storage (read-only).

A warehouse location is a :class:`pathlib.Path` (a local or shared file
system) or an :class:`ObjectPath` (``s3://bucket/prefix``). The functions here
read either kind; the warehouse's readers call them and nothing else touches
object storage. Writing stays local (a snapshot is committed by an atomic
rename, which object stores lack): :func:`upload` copies a committed local file
to object storage, for :func:`kakehashi.warehouse.push_warehouse`.

Object storage is reached through ``pyarrow.fs`` (``FileSystem.from_uri``),
configured by the AWS SDK's standard environment: ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_REGION`` or
``AWS_DEFAULT_REGION``, ``AWS_PROFILE``, and ``AWS_ENDPOINT_URL`` for an
S3-compatible server (MinIO, Ceph, a test server); the endpoint may also be
given in the URI, ``s3://bucket/wh?endpoint_override=host:port&scheme=http``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from kakehashi.errors import EngineError

if TYPE_CHECKING:
    import pyarrow.fs as pafs

OBJECT_SCHEMES: tuple[str, ...] = ("s3", "s3a")
"""URI schemes read as object storage (``s3a`` is Hadoop's name for the same S3 locations)."""

_URI = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*):/+(?P<rest>.*)")
_BLOCK = 1 << 20


@dataclass(frozen=True)
class ObjectPath:
    """A location on object storage: ``s3://bucket/key``, with the few ``Path`` operations a reader uses.

    Parameters
    ----------
    scheme
        ``s3`` (``s3a`` is normalised to it).
    key
        Bucket and key without a leading or trailing slash, e.g. ``bucket/wh/CURRENT``.
    query
        The URI's query string (``endpoint_override=...&scheme=http``), passed on to ``pyarrow.fs``.

    Examples
    --------
    >>> p = ObjectPath("s3", "bucket/wh")
    >>> str(p / "CURRENT"), (p / "snapshots" / "a.parquet").name, str(p.parent)
    ('s3://bucket/wh/CURRENT', 'a.parquet', 's3://bucket')
    """

    scheme: str
    key: str
    query: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.scheme}://{self.key}"

    def __truediv__(self, other: str | PurePosixPath) -> ObjectPath:
        rest = str(other).strip("/")
        return ObjectPath(self.scheme, f"{self.key}/{rest}" if rest else self.key, self.query)

    @property
    def name(self) -> str:
        """Last component of the key."""
        return self.key.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        """File extension of the last component (``.parquet``), or ``""``."""
        return PurePosixPath(self.name).suffix

    @property
    def parent(self) -> ObjectPath:
        """The location one level up (the bucket is the top)."""
        head = self.key.rsplit("/", 1)[0] if "/" in self.key else self.key
        return ObjectPath(self.scheme, head, self.query)

    def relative_to(self, other: ObjectPath) -> PurePosixPath:
        """Key of this location below ``other``; ``ValueError`` when it is not below it."""
        if self.scheme != other.scheme or not self.key.startswith(other.key + "/"):
            raise ValueError(f"{self} is not below {other}")
        return PurePosixPath(self.key[len(other.key) + 1:])

    def as_posix(self) -> str:
        """The URI, as :meth:`pathlib.PurePath.as_posix` gives a path."""
        return str(self)

    @property
    def uri(self) -> str:
        """The URI with its query string, as ``pyarrow.fs.FileSystem.from_uri`` takes it."""
        return f"{self}?{self.query}" if self.query else str(self)

    @property
    def spark_uri(self) -> str:
        """The location for Spark's Hadoop S3 connector (``s3a://``)."""
        return f"s3a://{self.key}"

    @property
    def filesystem(self) -> pafs.FileSystem:
        """The ``pyarrow.fs`` file system holding this location (one per bucket and query)."""
        bucket = self.key.split("/", 1)[0]
        return _filesystem(self.scheme, bucket, self.query)


Location = Path | ObjectPath
"""A warehouse file or folder: local (``Path``) or on object storage (``ObjectPath``)."""


def parse_location(value: str | Path) -> Location:
    """Read a warehouse location: ``s3://bucket/prefix`` is object storage, anything else a local path.

    A URI that went through :class:`pathlib.Path` (as a command-line option typed as a path does)
    has lost a slash (``s3:/bucket/wh``); it is read as the URI it was.

    Examples
    --------
    >>> parse_location("s3://bucket/wh/"), parse_location(Path("s3://bucket/wh"))
    (ObjectPath(scheme='s3', key='bucket/wh', query=''), ObjectPath(scheme='s3', key='bucket/wh', query=''))
    >>> parse_location("wh")
    PosixPath('wh')
    """
    text = str(value)
    m = _URI.fullmatch(text)
    if m is None or m["scheme"].lower() not in OBJECT_SCHEMES:
        return Path(value)
    rest, _, query = m["rest"].partition("?")
    key = rest.strip("/")
    if not key:
        raise EngineError(f"warehouse {text} names no bucket", hint="give it as s3://BUCKET/PREFIX")
    return ObjectPath("s3", key, query)


def is_remote(location: Location) -> bool:
    """True for a location on object storage."""
    return isinstance(location, ObjectPath)


@lru_cache(maxsize=16)
def _filesystem(scheme: str, bucket: str, query: str) -> pafs.FileSystem:
    import pyarrow as pa
    import pyarrow.fs as pafs

    uri = f"{scheme}://{bucket}" + (f"?{query}" if query else "")
    try:
        fs, _ = pafs.FileSystem.from_uri(uri)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise EngineError(f"cannot reach object storage at {uri}: {exc}",
                          hint="set AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and, for a "
                          "server other than AWS, AWS_ENDPOINT_URL") from None
    return fs


def _remote_error(location: ObjectPath, exc: Exception) -> EngineError:
    return EngineError(f"cannot read {location}: {exc}",
                       hint="check the bucket, the credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) "
                       "and the endpoint (AWS_ENDPOINT_URL)")


def read_head(location: Location, limit: int) -> bytes:
    """The first ``limit`` bytes of a file; ``FileNotFoundError`` when it is not there."""
    if isinstance(location, Path):
        with open(location, "rb") as fh:
            return fh.read(limit)
    try:
        with location.filesystem.open_input_stream(location.key) as fh:
            data: bytes = fh.read(limit)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise _remote_error(location, exc) from None
    return data


def read_text(location: Location) -> str:
    """A whole text file (UTF-8); ``FileNotFoundError`` when it is not there."""
    if isinstance(location, Path):
        return location.read_text(encoding="utf-8")
    try:
        with location.filesystem.open_input_stream(location.key) as fh:
            data: bytes = fh.read()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise _remote_error(location, exc) from None
    return data.decode("utf-8")


def is_dir(location: Location) -> bool:
    """True when the folder (or, on object storage, the key prefix) exists."""
    if isinstance(location, Path):
        return location.is_dir()
    import pyarrow.fs as pafs

    try:
        return bool(location.filesystem.get_file_info(location.key).type == pafs.FileType.Directory)
    except OSError as exc:
        raise _remote_error(location, exc) from None


def list_dirs(location: Location) -> list[str]:
    """Names of the folders directly in ``location``, sorted (``[]`` when it is not there)."""
    if isinstance(location, Path):
        try:
            return sorted(p.name for p in location.iterdir() if p.is_dir())
        except OSError:
            return []
    import pyarrow.fs as pafs

    try:
        found = location.filesystem.get_file_info(pafs.FileSelector(location.key, allow_not_found=True))
    except OSError as exc:
        raise _remote_error(location, exc) from None
    return sorted(i.base_name for i in found if i.type == pafs.FileType.Directory)


@dataclass(frozen=True)
class FileStat:
    """Size of a file and, on a local file system, its modification time (``None`` on object storage)."""

    size: int
    mtime_ns: int | None


def stat_files(root: Location, rels: list[str]) -> dict[str, FileStat | None]:
    """Size (and local modification time) of each file ``root/rel``; ``None`` for a missing file.

    On object storage this is one listing of ``root`` (a few requests), not one request per file.
    """
    if isinstance(root, Path):
        out: dict[str, FileStat | None] = {}
        for rel in rels:
            try:
                st = (root / rel).stat()
            except (FileNotFoundError, NotADirectoryError):
                out[rel] = None
                continue
            out[rel] = FileStat(st.st_size, st.st_mtime_ns) if (root / rel).is_file() else None
        return out
    import pyarrow.fs as pafs

    try:
        listed = root.filesystem.get_file_info(pafs.FileSelector(root.key, recursive=True,
                                                                 allow_not_found=True))
    except OSError as exc:
        raise _remote_error(root, exc) from None
    prefix = root.key + "/"
    sizes = {i.path[len(prefix):]: int(i.size) for i in listed
             if i.type == pafs.FileType.File and i.path.startswith(prefix)}
    return {rel: FileStat(sizes[rel], None) if rel in sizes else None for rel in rels}


def sha256(location: Location) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks (through ``pyarrow.fs`` on object storage)."""
    h = hashlib.sha256()
    if isinstance(location, Path):
        with open(location, "rb") as fh:
            while block := fh.read(_BLOCK):
                h.update(block)
        return h.hexdigest()
    try:
        with location.filesystem.open_input_stream(location.key) as fh:
            while block := fh.read(_BLOCK):
                h.update(block)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise _remote_error(location, exc) from None
    return h.hexdigest()


def parquet_rows(location: Location) -> int:
    """Row count of a Parquet file, from its footer."""
    import pyarrow.parquet as pq

    if isinstance(location, Path):
        return int(pq.read_metadata(location).num_rows)
    with location.filesystem.open_input_file(location.key) as fh:
        return int(pq.read_metadata(fh).num_rows)


def upload(src: Path, dst: ObjectPath) -> None:
    """Copy local file ``src`` to ``dst`` on object storage (one object, written whole)."""
    try:
        with open(src, "rb") as fh, dst.filesystem.open_output_stream(dst.key) as out:
            while block := fh.read(8 * _BLOCK):
                out.write(block)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise EngineError(f"cannot write {dst}: {exc}",
                          hint="check the bucket, the credentials and the endpoint (AWS_ENDPOINT_URL); "
                          "the copy's CURRENT is unchanged") from None
