"""The same analysis on a real Spark standalone cluster as on DuckDB.

The test starts a Spark standalone master and two workers on 127.0.0.1 with
PySpark's own launcher (``bin/spark-class``, the script behind Spark's
``sbin/start-master.sh`` and ``start-worker.sh``), points kakehashi at it with
``KAKEHASHI_SPARK_MASTER=spark://127.0.0.1:PORT`` in a fresh process, runs the
screen, substitution and mineral supply-risk queries there on the SYNTHETIC
tiny sample, and compares every number with the same queries on embedded
DuckDB. The cluster is stopped at the end, whatever happens.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from kakehashi.metrics.minerals import supply_risk
from kakehashi.metrics.screen import screen_frame
from kakehashi.metrics.substitution import substitution_capacity
from kakehashi.warehouse import Warehouse

pytestmark = [pytest.mark.spark, pytest.mark.cluster]

SRC = Path(__file__).resolve().parents[2] / "src"
START_TIMEOUT_S = 90.0

# the queries, written once; run here on DuckDB and in the child process on the cluster
QUERIES = """
import json, sys
from kakehashi.metrics.minerals import supply_risk
from kakehashi.metrics.screen import screen_frame
from kakehashi.metrics.substitution import substitution_capacity
from kakehashi.warehouse import Warehouse
from kakehashi.engines import spark_session

wh = Warehouse(sys.argv[1], engine="spark", read_only=True)
out = sys.argv[2]
screen_frame(wh, "JPN", "CHN").to_parquet(out + "/screen.parquet")
substitution_capacity(wh, "JPN", "CHN", partner="IND", only_dependent=False).to_parquet(
    out + "/substitution.parquet")
supply_risk(wh, commodity="rare-earths", rival="CHN").to_parquet(out + "/minerals.parquet")
sc = spark_session().sparkContext
print(json.dumps({"master": sc.master, "executors": sc._jsc.sc().getExecutorMemoryStatus().size() - 1}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spark_class() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent / "bin" / "spark-class"


def _wait_for(path: Path, text: str, proc: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            tail = path.read_text(errors="replace")[-2000:]
            raise AssertionError(f"{path.name}: process ended early:\n{tail}")
        time.sleep(0.5)
    raise AssertionError(f"{path.name}: no '{text}' within {START_TIMEOUT_S:.0f} s")


@pytest.fixture(scope="module")
def cluster(spark_available: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A standalone master and two one-core workers on 127.0.0.1; yields the master URL."""
    folder = tmp_path_factory.mktemp("spark-cluster")
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_NO_DAEMONIZE": "1"}
    env.pop("SPARK_HOME", None)
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        log = folder / "master.log"
        with open(log, "wb") as fh:
            procs.append(subprocess.Popen(
                [str(_spark_class()), "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                 "--port", str(port), "--webui-port", str(_free_port())],
                stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True))
        _wait_for(log, "I have been elected leader", procs[0], deadline)
        for i in (1, 2):
            wlog = folder / f"worker{i}.log"
            work = folder / f"work{i}"
            work.mkdir()
            with open(wlog, "wb") as fh:
                procs.append(subprocess.Popen(
                    [str(_spark_class()), "org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1",
                     "--cores", "1", "--memory", "1g", "--webui-port", str(_free_port()),
                     "--work-dir", str(work)],
                    stdout=fh, stderr=subprocess.STDOUT, env=env, start_new_session=True))
            _wait_for(wlog, "Successfully registered with master", procs[-1], deadline)
        yield url
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) > 0
    a = a.sort_values(keys, ignore_index=True)
    b = b.sort_values(keys, ignore_index=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9, atol=1e-6)


def test_screen_substitution_minerals_on_a_standalone_cluster(cluster: str, tiny_warehouse: Warehouse,
                                                              tmp_path: Path) -> None:
    env = {**os.environ, "KAKEHASHI_SPARK_MASTER": cluster, "SPARK_LOCAL_IP": "127.0.0.1",
           "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    env.pop("SPARK_HOME", None)
    done = subprocess.run([sys.executable, "-c", QUERIES, str(tiny_warehouse.path), str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=480)
    assert done.returncode == 0, done.stderr[-3000:]
    info = json.loads(done.stdout.strip().splitlines()[-1])
    assert info["master"] == cluster
    assert info["executors"] == 2  # both workers ran executors for this application

    duck = tiny_warehouse
    _same(pd.read_parquet(tmp_path / "screen.parquet"), screen_frame(duck, "JPN", "CHN"),
          ["importer", "hs6", "year"])
    _same(pd.read_parquet(tmp_path / "substitution.parquet"),
          substitution_capacity(duck, "JPN", "CHN", partner="IND", only_dependent=False), ["hs6", "year"])
    _same(pd.read_parquet(tmp_path / "minerals.parquet"), supply_risk(duck, commodity="rare-earths",
                                                                      rival="CHN"),
          ["commodity", "stage", "year"])
