"""Shared fixtures.

Real public data live in ``shared/data`` beside the repository (or where
``KAKEHASHI_SHARED_DATA`` points); tests that need them skip with a clear
reason when the folder is absent. They are never copied into the repository.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kakehashi.warehouse import Warehouse

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Compiled query templates stay in memory during the tests (they count compilations per process and
# must not write to the user's cache); tests of the disk cache turn it on in a temporary folder.
os.environ["KAKEHASHI_QUERY_CACHE"] = "off"


def _shared_data_dir() -> Path:
    env = os.environ.get("KAKEHASHI_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


SHARED_DATA = _shared_data_dir()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of real publisher files; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real reference data not found at {SHARED_DATA} "
            "(set KAKEHASHI_SHARED_DATA to the shared/data folder to run this test)"
        )
    return SHARED_DATA


def _java_available() -> bool:
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))


@pytest.fixture(scope="session")
def spark_available() -> None:
    """Skip unless PySpark and a Java runtime are present."""
    pytest.importorskip("pyspark", reason="PySpark not installed (pip install 'kakehashi[spark]')")
    if not _java_available():
        pytest.skip("no Java runtime for PySpark (install openjdk-17-jre-headless)")


@pytest.fixture(scope="session")
def tiny_sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The SYNTHETIC tiny sample world written in the publishers' raw formats (session-wide)."""
    from kakehashi.sample import write_sample

    return write_sample("tiny", tmp_path_factory.mktemp("tiny-sample") / "sample")


@pytest.fixture(scope="session")
def tiny_warehouse(tiny_sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """A read-only warehouse holding the SYNTHETIC tiny sample world (HS22, 2021-2023, 12 countries).

    Built by parsing the raw files of ``tiny_sample_dir`` with the sources parsers
    (``kakehashi.sample.ingest_sample``), as a user's ``kakehashi ingest sample`` does.
    """
    from kakehashi.sample import ingest_sample

    path = tmp_path_factory.mktemp("tiny-warehouse") / "wh"
    wh = Warehouse(path)
    ingest_sample(wh, tiny_sample_dir)
    wh.close()
    return Warehouse(path, read_only=True)


ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]
"""Every engine the canonical queries run on; tests parametrised over them run once per engine."""


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """The query engine of a test run on every engine (Spark skips without PySpark and Java)."""
    if request.param == "spark":
        request.getfixturevalue("spark_available")
    return str(request.param)

