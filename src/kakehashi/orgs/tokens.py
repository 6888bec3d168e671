"""API tokens of organisations: shown once, stored as a salted scrypt hash, compared in constant time.

A token reads ``kko_<org id>_<secret>``: the organisation id (16 hex digits,
random, not derived from the name) selects the record, the secret (32 random
bytes, URL-safe base64) is checked against the stored hash. The store keeps
only ``scrypt(secret, salt)`` with a fresh 16-byte salt per token
(:func:`hashlib.scrypt`, RFC 7914, n = 2**14, r = 8, p = 1: about 16 MiB and
tens of milliseconds per check, which makes guessing from a stolen store slow)
and compares digests with :func:`hmac.compare_digest`, whose time does not
depend on where two digests first differ. A token whose id is unknown is still
hashed once against a dummy salt, so unknown and wrong tokens take the same time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "kko"
"""First part of every organisation token."""
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
SECRET_BYTES = 32

_TOKEN = re.compile(rf"^{PREFIX}_([0-9a-f]{{16}})_([A-Za-z0-9_-]{{20,64}})$")
_DUMMY_SALT = b"\x00" * SALT_BYTES


@dataclass(frozen=True)
class TokenHash:
    """What the store keeps of a token: its salt and scrypt digest (base64)."""

    salt: str
    digest: str


def new_org_id() -> str:
    """A random organisation id (16 hex digits)."""
    return secrets.token_hex(8)


def new_token(org_id: str) -> str:
    """A new token for ``org_id`` (shown to the user once, never stored)."""
    return f"{PREFIX}_{org_id}_{secrets.token_urlsafe(SECRET_BYTES)}"


def split_token(token: str) -> tuple[str, str] | None:
    """``(org id, secret)`` of a well-formed token, else ``None``."""
    m = _TOKEN.match(token.strip())
    return (m.group(1), m.group(2)) if m else None


def _scrypt(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)


def hash_token(token: str) -> TokenHash:
    """The salted scrypt hash of a token's secret (a fresh salt each call)."""
    parts = split_token(token)
    if parts is None:
        raise ValueError("not a kakehashi organisation token")
    salt = secrets.token_bytes(SALT_BYTES)
    return TokenHash(base64.b64encode(salt).decode("ascii"),
                     base64.b64encode(_scrypt(parts[1], salt)).decode("ascii"))


def verify_secret(secret: str, stored: TokenHash | None) -> bool:
    """Does ``secret`` match ``stored``? Constant-time comparison of the scrypt digests.

    ``stored=None`` (unknown organisation) hashes against a dummy salt and answers ``False``,
    taking the same time as a wrong secret.
    """
    if stored is None:
        dummy = _scrypt(secret, _DUMMY_SALT)
        hmac.compare_digest(dummy, dummy[::-1])
        return False
    expected = base64.b64decode(stored.digest)
    return hmac.compare_digest(_scrypt(secret, base64.b64decode(stored.salt)), expected)
