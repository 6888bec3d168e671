"""Engine helpers: the shared local PySpark session."""

from __future__ import annotations

import os
from typing import Any

from kakehashi import config
from kakehashi.errors import EngineError

_SESSION: Any = None


def spark_session() -> Any:
    """Return the process-wide SparkSession, starting it on first use.

    The master comes from ``KAKEHASHI_SPARK_MASTER`` (default ``local[2]``).
    Shuffle partitions are kept small because kakehashi's tables are modest
    on one machine; set ``spark.sql.shuffle.partitions`` yourself on a cluster.
    """
    global _SESSION
    if _SESSION is not None:
        return _SESSION
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineError(
            "engine 'spark' needs PySpark", hint="pip install 'kakehashi[spark]' (and a Java 17 runtime)"
        ) from exc
    master = os.environ.get(config.SPARK_MASTER_ENV, "local[2]")
    try:
        _SESSION = (
            SparkSession.builder.master(master)
            .appName("kakehashi")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
    except Exception as exc:
        raise EngineError(f"could not start Spark ({master}): {exc}",
                          hint="check that Java 17 is installed and JAVA_HOME is set") from exc
    _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION
