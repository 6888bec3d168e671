"""The workspace folder: organisations, their token hashes and their encrypted uploads.

Layout of ``$KAKEHASHI_ORGS`` (default ``./kakehashi-orgs``)::

    registry.sealed            organisations (name, id, token hash, roles, opt-ins), sealed
    orgs/<id>/bom.sealed       the organisation's bill of materials, sealed
    orgs/<id>/capabilities.sealed
    releases/<date>.sealed     the secretariat's pooled releases, sealed
    .lock                      serialises writers (CLI and server)

Every file is sealed with AES-GCM (:mod:`kakehashi.orgs.crypto`), bound to its
organisation and kind, and written atomically: a temporary file of mode 0600
in the same folder, flushed and synced, then :func:`os.replace`. A reader sees
the old file or the new one, never half of one. Nothing here logs or prints.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from kakehashi.errors import InputError
from kakehashi.orgs import crypto, tokens

ORGS_ENV = "KAKEHASHI_ORGS"
"""Environment variable naming the workspace folder."""
DEFAULT_ORGS = Path("kakehashi-orgs")
"""Workspace folder when :data:`ORGS_ENV` is unset."""

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._&-]{0,63}$")
_KINDS = ("bom", "capabilities")


def orgs_path(path: str | Path | None = None) -> Path:
    """The workspace folder: ``path``, else ``$KAKEHASHI_ORGS``, else ``./kakehashi-orgs``."""
    if path is not None:
        return Path(path)
    env = os.environ.get(ORGS_ENV)
    return Path(env) if env else DEFAULT_ORGS


@dataclass(frozen=True)
class Org:
    """One registered organisation (never its token, only the token's hash)."""

    name: str
    org_id: str
    salt: str
    digest: str
    secretariat: bool = False
    country: str | None = None
    pooled: bool = False
    disclose: bool = False
    created: str = ""

    def public(self) -> dict[str, Any]:
        """What ``org list`` shows (no hash, no salt)."""
        return {"name": self.name, "id": self.org_id, "secretariat": self.secretariat,
                "country": self.country, "pooled": self.pooled, "disclose": self.disclose,
                "created": self.created}


def _mkdirs(folder: Path) -> None:
    """Create ``folder`` and its missing parents with mode 0700 (owner only)."""
    missing = []
    p = folder
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        d.mkdir(mode=0o700, exist_ok=True)


def _write_atomic(path: Path, data: bytes) -> None:
    _mkdirs(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


class OrgStore:
    """Organisations and their sealed uploads in one workspace folder.

    Parameters
    ----------
    root
        The workspace folder (created with mode 0700 on first write).
    key
        The 32-byte workspace key (:func:`kakehashi.orgs.crypto.load_key`).
    """

    def __init__(self, root: str | Path, key: bytes) -> None:
        self.root = Path(root)
        self._key = key

    @classmethod
    def open(cls, root: str | Path | None = None, env: dict[str, str] | None = None) -> OrgStore:
        """The store of ``root`` (or :func:`orgs_path`) with the key of the environment.

        Raises :class:`~kakehashi.errors.InputError` saying why when there is no usable key.
        """
        return cls(orgs_path(root), crypto.load_key(env))

    def __repr__(self) -> str:  # never show the key
        return f"OrgStore({str(self.root)!r})"

    # ----------------------------------------------------------- sealed files
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        _mkdirs(self.root)
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _read(self, path: Path, context: str) -> bytes | None:
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        return crypto.open_sealed(self._key, blob, context)

    def _write(self, path: Path, data: bytes, context: str) -> None:
        _write_atomic(path, crypto.seal(self._key, data, context))

    # ------------------------------------------------------------- registry
    def _registry(self) -> dict[str, Org]:
        raw = self._read(self.root / "registry.sealed", "registry")
        if raw is None:
            return {}
        return {o["org_id"]: Org(**o) for o in json.loads(raw)["orgs"]}

    def _save_registry(self, orgs: dict[str, Org]) -> None:
        body = json.dumps({"orgs": [asdict(o) for o in orgs.values()]}, sort_keys=True).encode("utf-8")
        self._write(self.root / "registry.sealed", body, "registry")

    def organisations(self) -> list[Org]:
        """Every organisation, by name."""
        return sorted(self._registry().values(), key=lambda o: o.name.lower())

    def get(self, name: str) -> Org:
        """The organisation called ``name`` (case-insensitive)."""
        for o in self._registry().values():
            if o.name.lower() == name.strip().lower():
                return o
        raise InputError(f"no organisation called {name!r} in the workspace",
                         hint="see 'kakehashi org list', or add it with 'kakehashi org add NAME'")

    def add(self, name: str, *, secretariat: bool = False, country: str | None = None,
            pooled: bool = False, disclose: bool = False) -> tuple[Org, str]:
        """Register an organisation; return it and its token (shown once, only its hash is kept)."""
        name = name.strip()
        if not _NAME.match(name):
            raise InputError(f"organisation name {name!r} is not allowed",
                             hint="use 1-64 letters, digits, spaces and . _ & - (starting with a letter "
                             "or digit)")
        with self._locked():
            orgs = self._registry()
            if any(o.name.lower() == name.lower() for o in orgs.values()):
                raise InputError(f"an organisation called {name!r} exists",
                                 hint="choose another name, or 'kakehashi org rotate-token' for a new token")
            org_id = tokens.new_org_id()
            token = tokens.new_token(org_id)
            h = tokens.hash_token(token)
            org = Org(name=name, org_id=org_id, salt=h.salt, digest=h.digest, secretariat=secretariat,
                      country=country, pooled=pooled, disclose=disclose,
                      created=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
            orgs[org_id] = org
            self._save_registry(orgs)
        return org, token

    def update(self, name: str, **changes: Any) -> Org:
        """Change an organisation's settings (``country``, ``pooled``, ``disclose``)."""
        allowed = {"country", "pooled", "disclose"}
        if set(changes) - allowed:
            raise InputError(f"cannot change {sorted(set(changes) - allowed)}")
        with self._locked():
            org = self.get(name)
            orgs = self._registry()
            new = replace(org, **changes)
            orgs[org.org_id] = new
            self._save_registry(orgs)
        return new

    def rotate_token(self, name: str) -> str:
        """A new token for the organisation; the old one stops working at once."""
        with self._locked():
            org = self.get(name)
            token = tokens.new_token(org.org_id)
            h = tokens.hash_token(token)
            orgs = self._registry()
            orgs[org.org_id] = replace(org, salt=h.salt, digest=h.digest)
            self._save_registry(orgs)
        return token

    def remove(self, name: str) -> Org:
        """Remove an organisation, its token and every upload."""
        with self._locked():
            org = self.get(name)
            orgs = self._registry()
            del orgs[org.org_id]
            self._save_registry(orgs)
            shutil.rmtree(self._org_dir(org.org_id), ignore_errors=True)
        return org

    def authenticate(self, token: str | None) -> Org | None:
        """The organisation whose token this is, else ``None`` (constant-time hash comparison)."""
        if not token:
            return None
        parts = tokens.split_token(token)
        if parts is None:
            return None
        org = self._registry().get(parts[0])
        stored = tokens.TokenHash(org.salt, org.digest) if org is not None else None
        return org if tokens.verify_secret(parts[1], stored) else None

    # -------------------------------------------------------------- uploads
    def _org_dir(self, org_id: str) -> Path:
        if not re.fullmatch(r"[0-9a-f]{16}", org_id):
            raise InputError("malformed organisation id")
        return self.root / "orgs" / org_id

    def put(self, org: Org, kind: str, rows: list[dict[str, Any]]) -> Path:
        """Seal and store an upload (``bom`` or ``capabilities``) of ``org``, replacing the previous one."""
        if kind not in _KINDS:
            raise InputError(f"unknown upload kind {kind!r}")
        path = self._org_dir(org.org_id) / f"{kind}.sealed"
        body = json.dumps({"rows": rows, "stored": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")},
                          sort_keys=True).encode("utf-8")
        with self._locked():
            self._write(path, body, f"{org.org_id}:{kind}")
        return path

    def get_upload(self, org: Org, kind: str) -> list[dict[str, Any]] | None:
        """The rows of ``org``'s upload of ``kind``, or ``None`` when it has none."""
        if kind not in _KINDS:
            raise InputError(f"unknown upload kind {kind!r}")
        raw = self._read(self._org_dir(org.org_id) / f"{kind}.sealed", f"{org.org_id}:{kind}")
        if raw is None:
            return None
        rows: list[dict[str, Any]] = json.loads(raw)["rows"]
        return rows

    # ------------------------------------------------------------- releases
    def put_release(self, date: str, body: dict[str, Any]) -> Path:
        """Store a dated pooled release (``YYYY-MM-DD``); a release is never overwritten."""
        dt.date.fromisoformat(date)
        path = self.root / "releases" / f"{date}.sealed"
        with self._locked():
            if path.exists():
                raise InputError(f"a release dated {date} exists; releases are never rewritten",
                                 hint="publish the next release on another date")
            self._write(path, json.dumps(body, sort_keys=True).encode("utf-8"), f"release:{date}")
        return path

    def releases(self) -> list[str]:
        """Dates of the stored releases, oldest first."""
        d = self.root / "releases"
        return sorted(p.name.removesuffix(".sealed") for p in d.glob("*.sealed")) if d.exists() else []

    def get_release(self, date: str) -> dict[str, Any]:
        """A stored release."""
        dt.date.fromisoformat(date)
        raw = self._read(self.root / "releases" / f"{date}.sealed", f"release:{date}")
        if raw is None:
            raise InputError(f"no release dated {date}", hint="see the list of releases")
        out: dict[str, Any] = json.loads(raw)
        return out
