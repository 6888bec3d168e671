"""Read-only warehouses on object storage, against a real S3-compatible server on 127.0.0.1.

The server is moto's (``moto[server]``, a test extra), started once for this module with a bounded
wait and stopped afterwards. The warehouse is the SYNTHETIC tiny sample, ingested locally and
pushed with :func:`kakehashi.warehouse.push_warehouse`; every answer read from the bucket is
compared with the same question asked of the local folder.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from _checkout import checkout_env, kakehashi_cmd

from kakehashi.errors import EngineError, InputError
from kakehashi.storage import ObjectPath, parse_location
from kakehashi.warehouse import Warehouse, push_warehouse

pytest.importorskip("moto.server", reason="moto's server not installed: pip install 'moto[server]' "
                    "(a test extra) to run the S3-compatible test server")

STARTUP_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_env() -> Iterator[dict[str, str]]:
    """A moto S3 server on 127.0.0.1 and the AWS environment pointing at it (dummy credentials)."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the moto server exited at start-up with status {proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"the moto server did not listen on port {port} within {STARTUP_SECONDS} s")
                time.sleep(0.1)
        env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
               "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_EC2_METADATA_DISABLED": "true"}
        with pytest.MonkeyPatch.context() as mp:
            for k, v in env.items():
                mp.setenv(k, v)
            mp.delenv("AWS_PROFILE", raising=False)
            mp.delenv("AWS_SESSION_TOKEN", raising=False)
            yield env
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@pytest.fixture(scope="module")
def bucket(s3_env: dict[str, str]) -> str:
    """A new bucket on the test server (pyarrow's S3 file system, allowed to create it)."""
    import pyarrow.fs as pafs

    name = f"kakehashi-{uuid.uuid4().hex[:12]}"
    endpoint = s3_env["AWS_ENDPOINT_URL"].removeprefix("http://")
    fs = pafs.S3FileSystem(endpoint_override=endpoint, scheme="http", region="us-east-1",
                           allow_bucket_creation=True)
    fs.create_dir(name)
    return name


@pytest.fixture(scope="module")
def remote(tiny_warehouse: Warehouse, bucket: str) -> Warehouse:
    """The tiny warehouse pushed to ``s3://BUCKET/wh`` and opened there."""
    push_warehouse(tiny_warehouse, f"s3://{bucket}/wh")
    return Warehouse(f"s3://{bucket}/wh")


def _pushed(tiny_warehouse: Warehouse, bucket: str) -> tuple[Warehouse, ObjectPath]:
    """The tiny warehouse pushed to a prefix of its own (for tests that damage it)."""
    uri = f"s3://{bucket}/{uuid.uuid4().hex[:8]}"
    push_warehouse(tiny_warehouse, uri)
    wh = Warehouse(uri)
    loc = wh.path
    assert isinstance(loc, ObjectPath)
    return wh, loc


def test_locations_parse() -> None:
    assert parse_location("s3://b/wh/") == ObjectPath("s3", "b/wh")
    assert parse_location("s3a://b/wh") == ObjectPath("s3", "b/wh")
    # a URI that went through pathlib (a typed command-line option) has lost one slash
    assert parse_location(Path("s3://b/wh")) == ObjectPath("s3", "b/wh")
    assert parse_location("wh") == Path("wh")
    assert parse_location("/data/wh") == Path("/data/wh")
    assert str(ObjectPath("s3", "b/wh") / "snapshots" / "x") == "s3://b/wh/snapshots/x"
    with pytest.raises(EngineError, match="names no bucket"):
        parse_location("s3://")


def test_screen_and_substitution_equal_the_local_warehouse(tiny_warehouse: Warehouse,
                                                            remote: Warehouse) -> None:
    from kakehashi.metrics.screen import screen_frame
    from kakehashi.metrics.substitution import substitution_capacity

    assert remote.remote and remote.read_only
    assert remote.snapshot_id == tiny_warehouse.snapshot_id
    assert remote.files("trade_flows")[0].as_posix().startswith("s3://")
    local = screen_frame(tiny_warehouse, "JPN", "CHN")
    there = screen_frame(remote, "JPN", "CHN")
    assert len(local) > 0
    pd.testing.assert_frame_equal(there, local)
    local_sub = substitution_capacity(tiny_warehouse, "JPN", "CHN")
    there_sub = substitution_capacity(remote, "JPN", "CHN")
    assert len(local_sub) > 0
    pd.testing.assert_frame_equal(there_sub, local_sub)


def test_a_raw_query_reads_every_year_from_the_bucket(tiny_warehouse: Warehouse, remote: Warehouse) -> None:
    """Rows and value per year, against the manifest's rows and the local files read by pyarrow."""
    import pyarrow.parquet as pq

    t = remote.table("trade_flows")
    got = remote.execute(t.group_by("year").aggregate(rows=t.count(), value=t.value_usd.sum())
                         .order_by("year"))
    local = pd.concat([pq.read_table(p).to_pandas() for p in tiny_warehouse.files("trade_flows")
                       if isinstance(p, Path)])
    want = local.groupby("year").agg(rows=("value_usd", "size"), value=("value_usd", "sum")).reset_index()
    assert got["year"].tolist() == want["year"].tolist()
    assert got["rows"].tolist() == want["rows"].tolist()
    assert got["value"].tolist() == pytest.approx(want["value"].tolist(), rel=1e-12)
    entries = remote.manifest()["files"]
    assert int(got["rows"].sum()) == sum(entries[f"trade_flows/{p.name}"]["rows"]
                                         for p in remote.files("trade_flows"))


def test_status_inventory_reads_the_bucket(tiny_warehouse: Warehouse, remote: Warehouse) -> None:
    from kakehashi.questions.inventory import inventory

    there, local = inventory(remote, verify=True), inventory(tiny_warehouse)
    assert there.integrity["checked"] == "sha256" and there.integrity["problems"] == 0
    assert there.warehouse == str(remote.path)
    pd.testing.assert_frame_equal(there.tables, local.tables)
    assert there.snapshots["snapshot"].tolist() == [tiny_warehouse.snapshot_id]


def test_a_missing_object_is_a_damaged_snapshot_naming_it(tiny_warehouse: Warehouse, bucket: str) -> None:
    from kakehashi.metrics.screen import screen_frame

    wh, loc = _pushed(tiny_warehouse, bucket)
    victim = wh.files("trade_flows")[-1]
    assert isinstance(victim, ObjectPath)
    loc.filesystem.delete_file(victim.key)
    with pytest.raises(InputError) as err:
        screen_frame(wh, "JPN", "CHN")
    assert str(victim) in err.value.message and "is missing" in err.value.message
    assert err.value.hint and "re-ingest" in err.value.hint


def test_a_resized_object_is_a_damaged_snapshot_naming_it(tiny_warehouse: Warehouse, bucket: str) -> None:
    wh, loc = _pushed(tiny_warehouse, bucket)
    victim = wh.files("production")[0]
    assert isinstance(victim, ObjectPath)
    size = wh.manifest()["files"][f"production/{victim.name}"]["size"]
    fs = loc.filesystem
    with fs.open_input_stream(victim.key) as fh:
        data = fh.read()
    with fs.open_output_stream(victim.key) as out:
        out.write(data[: size - 10])
    with pytest.raises(InputError, match=f"{victim}.*is damaged: {size - 10} bytes, {size} at commit"):
        wh.table("production")


def test_same_size_damage_is_found_by_hashing_through_the_file_system(tiny_warehouse: Warehouse,
                                                                      bucket: str) -> None:
    wh, loc = _pushed(tiny_warehouse, bucket)
    victim = wh.files("governance")[0]
    assert isinstance(victim, ObjectPath)
    fs = loc.filesystem
    with fs.open_input_stream(victim.key) as fh:
        data = bytearray(fh.read())
    data[len(data) // 2] ^= 0xFF
    with fs.open_output_stream(victim.key) as out:
        out.write(bytes(data))
    assert wh.verify(full=False) == []  # sizes match: the cheap check cannot see it
    problems = wh.verify(full=True)
    assert [(p.path, p.reason) for p in problems] == [
        (victim, "is damaged: its sha256 differs from the one recorded at commit")]


def test_writing_is_refused_with_a_hint(remote: Warehouse, tiny_warehouse: Warehouse) -> None:
    with pytest.raises(EngineError) as err:
        remote.ingest("governance", remote.execute(remote.table("governance")), source="x")
    assert "object storage" in err.value.message and str(remote.path) in err.value.message
    assert err.value.hint and "ingest into a local warehouse folder" in err.value.hint
    assert "kakehashi warehouse push" in err.value.hint
    with pytest.raises(InputError, match="not on object storage"):
        push_warehouse(tiny_warehouse, "some/local/folder")


def test_push_resumes_and_writes_current_last(tiny_warehouse: Warehouse, bucket: str) -> None:
    uri = f"s3://{bucket}/resume"
    files = len(tiny_warehouse.manifest()["files"])
    first = push_warehouse(tiny_warehouse, uri)
    assert (first.uploaded, first.skipped) == (files + 2, 0)
    again = push_warehouse(tiny_warehouse, uri)
    assert (again.uploaded, again.skipped) == (2, files)  # the manifest and CURRENT only
    # a push cut before CURRENT: the snapshot's files are there, but no reader sees them
    loc = parse_location(uri)
    assert isinstance(loc, ObjectPath)
    loc.filesystem.delete_file((loc / "CURRENT").key)
    assert Warehouse(uri).snapshot_id is None


def test_cli_push_and_screen_json_in_a_subprocess(tiny_warehouse: Warehouse, bucket: str,
                                                  s3_env: dict[str, str]) -> None:
    uri = f"s3://{bucket}/cli"
    env = checkout_env(**s3_env)
    env.pop("KAKEHASHI_WAREHOUSE", None)
    pushed = subprocess.run(kakehashi_cmd("warehouse", "push", str(tiny_warehouse.path), uri),
                            capture_output=True, text=True, timeout=300, env=env)
    assert pushed.returncode == 0, pushed.stderr
    assert f"to {uri}" in pushed.stderr + pushed.stdout
    args = ("screen", "--importer", "JPN", "--rival", "CHN", "--format", "json")
    there = subprocess.run(kakehashi_cmd(*args, "--warehouse", uri), capture_output=True, text=True,
                           timeout=300, env=env)
    assert there.returncode == 0, there.stderr
    local = subprocess.run(kakehashi_cmd(*args, "--warehouse", str(tiny_warehouse.path)),
                           capture_output=True, text=True, timeout=300, env=env)
    assert local.returncode == 0, local.stderr
    rows = json.loads(there.stdout)
    assert rows and rows == json.loads(local.stdout)
    refused = subprocess.run(kakehashi_cmd("ingest", "countries", "--warehouse", uri), capture_output=True,
                             text=True, timeout=300, env=env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "object storage" in refused.stderr


def test_the_web_api_serves_a_warehouse_on_object_storage(tiny_warehouse: Warehouse,
                                                          remote: Warehouse) -> None:
    pytest.importorskip("fastapi", reason="the web extra is not installed")
    from _asgi import SyncClient

    from kakehashi.web.app import create_app

    answers = []
    for where in (str(remote.path), str(tiny_warehouse.path)):
        client = SyncClient(create_app(where))
        try:
            r = client.get("/api/screen", params={"importer": "JPN", "rival": "CHN", "year": 2022})
            assert r.status_code == 200, r.text
            answers.append(r.json())
        finally:
            client.close()
    assert answers[0]["rows"] and answers[0]["rows"] == answers[1]["rows"]


def test_the_endpoint_can_be_given_in_the_uri(tiny_warehouse: Warehouse, remote: Warehouse,
                                             s3_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    endpoint = s3_env["AWS_ENDPOINT_URL"].removeprefix("http://")
    assert isinstance(remote.path, ObjectPath)
    wh = Warehouse(f"{remote.path}?endpoint_override={endpoint}&scheme=http")
    assert wh.path == remote.path and wh.snapshot_id == tiny_warehouse.snapshot_id
    t = wh.table("countries")
    assert int(wh.execute(t.count())) == tiny_warehouse.manifest()["files"]["countries/all.parquet"]["rows"]
