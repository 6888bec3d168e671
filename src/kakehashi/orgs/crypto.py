"""The workspace key and encryption at rest (AES-256-GCM from ``cryptography``).

Every upload is sealed with AES-GCM (:class:`cryptography.hazmat.primitives.ciphers.aead.AESGCM`):
a fresh random 96-bit nonce per write, and associated data that bind the
ciphertext to its organisation and kind, so a file copied from one
organisation's folder to another's fails to open. The file layout is
``MAGIC (8 bytes) | nonce (12 bytes) | ciphertext+tag``.

The key is 32 random bytes, given base64-encoded either in the environment
variable :data:`KEY_ENV` or in a key file named by :data:`KEY_FILE_ENV`
(created by :func:`create_key_file` with mode 0600; a key file that group or
others may read is refused). Without a key the workspace feature refuses to
start and says why (:class:`~kakehashi.errors.InputError`).
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
from pathlib import Path

from kakehashi.errors import InputError

KEY_ENV = "KAKEHASHI_SECRET_KEY"
"""Environment variable holding the workspace key, base64 of 32 bytes."""
KEY_FILE_ENV = "KAKEHASHI_SECRET_KEY_FILE"
"""Environment variable naming a key file (base64 of 32 bytes, mode 0600)."""
KEY_BYTES = 32
"""AES-256."""
NONCE_BYTES = 12
"""96-bit GCM nonce, random per write (NIST SP 800-38D, 8.2.2)."""
MAGIC = b"KKORG\x00v1"
"""First bytes of every sealed file."""

_KEY_HINT = (f"set {KEY_ENV} to base64 of 32 random bytes, or create a key file with "
             f"'kakehashi org keygen FILE' and set {KEY_FILE_ENV}=FILE")


def _decode_key(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InputError(f"{where} is not base64", hint=_KEY_HINT) from None
    if len(key) != KEY_BYTES:
        raise InputError(f"{where} decodes to {len(key)} bytes, not {KEY_BYTES}", hint=_KEY_HINT)
    return key


def load_key(env: dict[str, str] | None = None) -> bytes:
    """The workspace key from :data:`KEY_ENV` or the key file of :data:`KEY_FILE_ENV`.

    Raises
    ------
    InputError
        When neither is set (the workspace feature then refuses to start), when
        the key is not base64 of 32 bytes, or when the key file is readable by
        group or others.
    """
    env = dict(os.environ) if env is None else env
    if env.get(KEY_ENV):
        return _decode_key(env[KEY_ENV], KEY_ENV)
    path_text = env.get(KEY_FILE_ENV)
    if not path_text:
        raise InputError("organisation workspaces are disabled: no secret key "
                         f"({KEY_ENV} and {KEY_FILE_ENV} are unset), so uploads could not be "
                         "encrypted at rest", hint=_KEY_HINT)
    path = Path(path_text)
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except OSError as exc:
        raise InputError(f"cannot read the key file named by {KEY_FILE_ENV}: {exc.strerror}",
                         hint=_KEY_HINT) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(f"the key file named by {KEY_FILE_ENV} may be read by others "
                         f"(mode {stat.S_IMODE(mode):o})", hint="chmod 600 the key file")
    return _decode_key(text, f"the key file named by {KEY_FILE_ENV}")


def create_key_file(path: str | Path) -> Path:
    """Write a new random key to ``path`` with mode 0600; refuse to overwrite a file."""
    p = Path(path)
    try:
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InputError(f"{p} exists; a key is never overwritten",
                         hint="choose another file name, or keep using the existing key") from None
    except OSError as exc:
        raise InputError(f"cannot create the key file {p}: {exc.strerror}",
                         hint="choose a writable place") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii") + "\n")
    os.chmod(p, 0o600)
    return p


def seal(key: bytes, plaintext: bytes, context: str) -> bytes:
    """AES-GCM encryption of ``plaintext`` bound to ``context`` (associated data)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(NONCE_BYTES)
    return MAGIC + nonce + AESGCM(key).encrypt(nonce, plaintext, context.encode("utf-8"))


def open_sealed(key: bytes, blob: bytes, context: str) -> bytes:
    """Decrypt what :func:`seal` wrote; refuse a wrong key, a wrong context or a modified file."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + NONCE_BYTES + 16:
        raise InputError("a workspace file is not a sealed kakehashi file",
                         hint="restore the workspace folder from a backup")
    nonce = blob[len(MAGIC):len(MAGIC) + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, blob[len(MAGIC) + NONCE_BYTES:], context.encode("utf-8"))
    except InvalidTag:
        raise InputError("a workspace file cannot be opened with this key (wrong key, or the file "
                         "was modified or moved)",
                         hint=f"use the key the workspace was created with ({KEY_ENV})") from None
