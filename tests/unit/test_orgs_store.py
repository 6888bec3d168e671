"""Organisation workspaces: tokens hashed and compared in constant time, uploads sealed at rest."""

from __future__ import annotations

import base64
import hmac
import os
import stat
from pathlib import Path

import pytest
from _orgs import KEY, OTHER_KEY

from kakehashi.errors import InputError
from kakehashi.orgs import crypto, tokens
from kakehashi.orgs.store import OrgStore

SECRET_ITEM = "Zephyrium sintered magnet rotor"  # SYNTHETIC item name that must never appear in clear
ROW = {"item": SECRET_ITEM, "hs6": "850511", "supplier_country": "VNM", "annual_spend_usd": 1234567.0,
       "seeking_alternatives": True}


def all_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def test_token_shown_once_only_hash_stored(tmp_path: Path) -> None:
    store = OrgStore(tmp_path / "orgs", KEY)
    org, token = store.add("Acme Magnets", country="JPN")
    assert token.startswith(f"kko_{org.org_id}_")
    secret = token.split("_", 2)[2]
    raw = all_bytes(tmp_path / "orgs")
    assert secret.encode() not in raw and token.encode() not in raw
    # the registry keeps the scrypt digest of the secret under a per-token salt, not the secret
    expected = base64.b64encode(__import__("hashlib").scrypt(
        secret.encode(), salt=base64.b64decode(org.salt), n=tokens.SCRYPT_N, r=tokens.SCRYPT_R,
        p=tokens.SCRYPT_P, dklen=32)).decode()
    assert org.digest == expected
    org2, token2 = store.add("Beta Corp")
    assert org2.salt != org.salt
    assert store.authenticate(token) == org
    assert store.authenticate(token2) == org2


def test_wrong_rotated_and_removed_tokens_fail(tmp_path: Path) -> None:
    store = OrgStore(tmp_path / "orgs", KEY)
    _, token = store.add("Acme")
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert store.authenticate(wrong) is None
    assert store.authenticate("") is None
    assert store.authenticate("not-a-token") is None
    assert store.authenticate(f"kko_{'0' * 16}_{token.split('_', 2)[2]}") is None  # unknown org id
    new = store.rotate_token("Acme")
    assert store.authenticate(token) is None
    assert store.authenticate(new) == store.get("Acme")
    store.remove("acme")
    assert store.authenticate(new) is None
    with pytest.raises(InputError, match="no organisation called"):
        store.get("Acme")


def test_comparison_is_constant_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """authenticate compares digests with hmac.compare_digest (the real one, spied on)."""
    store = OrgStore(tmp_path / "orgs", KEY)
    _, token = store.add("Acme")
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    assert store.authenticate(token) is not None
    assert store.authenticate(token[:-1] + ("x" if token[-1] != "x" else "y")) is None
    assert store.authenticate(f"kko_{'f' * 16}_{'a' * 43}") is None  # unknown id: still one comparison
    assert len(calls) == 3
    assert all(len(a) == len(b) == 32 for a, b in calls)


def test_upload_not_readable_without_the_key(tmp_path: Path) -> None:
    root = tmp_path / "orgs"
    store = OrgStore(root, KEY)
    org, _ = store.add("Acme")
    path = store.put(org, "bom", [ROW])
    raw = all_bytes(root)
    assert SECRET_ITEM.encode() not in raw
    assert b"850511" not in raw and b"1234567" not in raw
    assert path.read_bytes().startswith(crypto.MAGIC)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert store.get_upload(org, "bom") == [ROW]
    with pytest.raises(InputError, match="cannot be opened with this key"):
        OrgStore(root, OTHER_KEY).get_upload(org, "bom")
    # no temporary file left behind by the atomic writes
    assert not [p for p in root.rglob("*.tmp")]


def test_sealed_file_bound_to_its_organisation(tmp_path: Path) -> None:
    store = OrgStore(tmp_path / "orgs", KEY)
    a, _ = store.add("Acme")
    b, _ = store.add("Beta")
    pa = store.put(a, "bom", [ROW])
    pb = pa.parent.parent / b.org_id / "bom.sealed"
    pb.parent.mkdir(parents=True, exist_ok=True)
    pb.write_bytes(pa.read_bytes())  # A's file copied into B's folder does not open as B's
    with pytest.raises(InputError, match="cannot be opened"):
        store.get_upload(b, "bom")
    assert store.get_upload(b, "capabilities") is None


def test_refuses_to_start_without_a_key(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="organisation workspaces are disabled: no secret key") as e:
        OrgStore.open(tmp_path / "orgs", env={})
    assert "KAKEHASHI_SECRET_KEY" in str(e.value)
    with pytest.raises(InputError, match="not 32"):
        OrgStore.open(tmp_path / "orgs", env={"KAKEHASHI_SECRET_KEY": base64.b64encode(b"short").decode()})


def test_key_file_mode_0600(tmp_path: Path) -> None:
    key_file = crypto.create_key_file(tmp_path / "secret.key")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(crypto.load_key({crypto.KEY_FILE_ENV: str(key_file)})) == 32
    with pytest.raises(InputError, match="never overwritten"):
        crypto.create_key_file(key_file)
    os.chmod(key_file, 0o644)
    with pytest.raises(InputError, match="may be read by others"):
        crypto.load_key({crypto.KEY_FILE_ENV: str(key_file)})


def test_bad_names_and_duplicates(tmp_path: Path) -> None:
    store = OrgStore(tmp_path / "orgs", KEY)
    store.add("Acme")
    with pytest.raises(InputError, match="exists"):
        store.add("ACME")
    with pytest.raises(InputError, match="not allowed"):
        store.add("../etc")
    assert [o.name for o in store.organisations()] == ["Acme"]
