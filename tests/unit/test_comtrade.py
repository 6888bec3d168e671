"""UN Comtrade+ parser, ingest and API client (client against a local 127.0.0.1 server)."""

from __future__ import annotations

import csv
import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest
from _local_http import QuietHandler, serve

from kakehashi import InputError, Warehouse
from kakehashi.sources.comtrade import (
    ComtradeClient,
    ingest_comtrade,
    load_comtrade,
    parse_comtrade,
)
from kakehashi.sources.download import DownloadError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CSV = FIXTURES / "comtrade" / "comtrade_C_A_HS_2021-2022.csv"
JSON = FIXTURES / "comtrade" / "comtrade_C_A_HS_2021-2022.json"
CODES = FIXTURES / "baci" / "country_codes_V202301.csv"

# Expected trade_flows rows, by hand from the fixture table in fixtures/comtrade/README.md:
# (year, exporter, importer, hs6, value_usd, quantity_t = kg / 1000, hs_revision, source)
EXPECTED = {
    (2021, "CHN", "USA", "811292", 1000000.0, 2.5, "HS17", "UN Comtrade HS17 reported by USA"),
    (2021, "CHN", "JPN", "280530", 420000.0, 12.0, "HS17", "UN Comtrade HS17 reported by CHN"),
    (2021, "CHN", "TWN", "280530", 77000.0, 0.3, "HS17", "UN Comtrade HS17 reported by CHN"),
    (2022, "CHN", "IND", "850511", 123456.0, None, "HS22", "UN Comtrade HS22 reported by IND"),
}


def _flows(df: pd.DataFrame) -> set[tuple[object, ...]]:
    return {
        (int(r.year), r.exporter, r.importer, r.hs6, r.value_usd,
         None if pd.isna(r.quantity_t) else round(r.quantity_t, 9), r.hs_revision, r.source)
        for r in df.itertuples()
    }


@pytest.mark.parametrize("path", [CSV, JSON], ids=["csv", "json"])
def test_fixture_rows_go_where_documented(path: Path) -> None:
    # The CSV's ISO columns are empty: codes resolve through a BACI-style table; the JSON has ISO codes.
    data = parse_comtrade(path, country_codes=CODES if path == CSV else None)
    assert _flows(data.trade_flows) == EXPECTED
    assert sorted(zip(data.world.year, data.world.reporter, data.world.flow, data.world.partner,
                      strict=True)) == [(2021, "USA", "M", "World"), (2022, "CHN", "X", "World")]
    reasons = dict(zip(data.excluded.line, data.excluded.reason, strict=True))
    if path == JSON:
        assert reasons == {2: "mirror: importer's report kept", 5: "HS4 aggregate (six-digit codes only)",
                           6: "breakdown by mode of transport", 9: "flow RX (only M and X are used)"}
    else:
        assert reasons == {3: "mirror: importer's report kept", 6: "HS4 aggregate (six-digit codes only)",
                           7: "breakdown by mode of transport", 10: "flow RX (only M and X are used)"}
    summary = data.summary()
    assert summary["trade_flows"] == 4 and summary["world"] == 2


def _variant(tmp_path: Path, line: int, **changes: str) -> Path:
    """The CSV fixture with fields of one line (1-based, header = 1) changed."""
    with open(CSV, newline="") as fh:
        rows = list(csv.DictReader(fh))
        fields = list(rows[0])
    rows[line - 2].update(changes)
    out = tmp_path / "variant.csv"
    with open(out, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return out


@pytest.mark.parametrize(("line", "changes", "message"), [
    (4, {"primaryValue": "-5"}, r"negative value -5 in column primaryValue"),
    (8, {"primaryValue": "lots"}, r"'lots' in column primaryValue is not a number"),
    (9, {"qty": "12kg"}, r"'12kg' in column qty is not a number"),
    (4, {"classificationCode": "S4"}, r"classification 'S4' is not an HS revision"),
    (4, {"partnerCode": "999"}, r"unknown country code\(s\) 999"),
    (4, {"freqCode": "M"}, r"frequency 'M': trade_flows holds annual data"),
    (4, {"reporterCode": "842", "flowCode": "M", "partnerCode": "156", "cmdCode": "811292"},
     r"duplicate key"),
])
def test_bad_rows_name_file_and_line(tmp_path: Path, line: int, changes: dict[str, str],
                                     message: str) -> None:
    path = _variant(tmp_path, line, **changes)
    with pytest.raises(InputError, match=message) as err:
        parse_comtrade(path, country_codes=CODES)
    assert err.value.file == str(path)
    assert err.value.line == line


def test_json_errors_name_the_record(tmp_path: Path) -> None:
    doc = json.loads(JSON.read_text())
    doc["data"][2]["primaryValue"] = -1.0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(InputError, match=r"bad\.json: record 3: negative value -1\.0 in column primaryValue"):
        parse_comtrade(bad)


def test_missing_column_and_api_error_json(tmp_path: Path) -> None:
    df = pd.read_csv(CSV, dtype=str, keep_default_na=False).drop(columns=["primaryValue"])
    df.to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(InputError, match=r"x\.csv:1: missing column\(s\) primaryValue"):
        parse_comtrade(tmp_path / "x.csv")
    (tmp_path / "e.json").write_text(json.dumps({"error": "Invalid period", "data": None}))
    with pytest.raises(InputError, match="API error: Invalid period"):
        parse_comtrade(tmp_path / "e.json")


def test_ingest_writes_flows_and_keeps_other_rows(tmp_path: Path) -> None:
    wh = Warehouse(tmp_path / "wh")
    result = load_comtrade(wh, [CSV, JSON], country_codes=CODES)  # same records twice: written once
    assert result.rows == 4 and result.duplicates_across_files == 4
    assert result.world_rows == 4 and result.years == [2021, 2022]
    df = wh.execute(wh.table("trade_flows"))
    assert _flows(df) == EXPECTED
    before = wh.snapshot_id
    bad = _variant(tmp_path, 4, primaryValue="-1")
    with pytest.raises(InputError):
        ingest_comtrade(wh, [CSV, bad], country_codes=CODES)
    assert wh.snapshot_id == before


def test_conflicting_files_are_refused(tmp_path: Path) -> None:
    other = _variant(tmp_path, 2, primaryValue="2000000.0")
    with pytest.raises(InputError, match=r"CHN → USA, 811292 HS17 2021 has different values"):
        load_comtrade(Warehouse(tmp_path / "wh"), [CSV, other], country_codes=CODES)


# ------------------------------------------------------------------ client
class ApiHandler(QuietHandler):
    """Comtrade-like data endpoint: one record per (period, cmdCode) asked."""

    script: ClassVar[list[int]] = []  # statuses to answer before the normal answers
    calls: ClassVar[list[str]] = []
    keys: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        cls = type(self)
        cls.calls.append(self.path)
        cls.keys.append(self.headers.get("Ocp-Apim-Subscription-Key"))
        if cls.script:
            status = cls.script.pop(0)
            body = b'{"error": "busy"}'
            self.send_response(status)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        url = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(url.query)
        data = [
            {"refYear": int(p), "freqCode": "A", "reporterCode": 392, "reporterISO": "JPN", "flowCode": "M",
             "partnerCode": 156, "partnerISO": "CHN", "classificationCode": "H6", "cmdCode": c,
             "primaryValue": 1000.0 + int(p), "qtyUnitCode": 8, "qty": 2000.0, "motCode": 0,
             "customsCode": "C00", "partner2Code": 0, "mosCode": "0"}
            for p in q["period"][0].split(",") for c in q["cmdCode"][0].split(",")
        ]
        body = json.dumps({"count": len(data), "data": data, "error": ""}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def api() -> Iterator[str]:
    ApiHandler.script, ApiHandler.calls, ApiHandler.keys = [], [], []
    with serve(ApiHandler) as base:
        yield base


def test_query_builder_chunks_codes_and_periods() -> None:
    client = ComtradeClient(key="k", base_url="https://comtradeapi.un.org", max_codes=2, max_periods=12)
    queries = client.queries(reporters=[392, 699], partners=[0, 156], years=range(2010, 2024),
                             codes=["280530", "850511", "811292"])
    assert len(queries) == 4  # 14 years → 12 + 2; 3 codes → 2 + 1
    url = client.url(queries[0])
    assert url.startswith("https://comtradeapi.un.org/data/v1/get/C/A/HS?")
    params = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    assert params["reporterCode"] == ["392,699"] and params["partnerCode"] == ["0,156"]
    assert params["period"] == [",".join(str(y) for y in range(2010, 2022))]
    assert params["cmdCode"] == ["280530,850511"] and params["flowCode"] == ["M,X"]
    assert params["motCode"] == ["0"] and params["customsCode"] == ["C00"] and params["partner2Code"] == ["0"]


def test_missing_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMTRADE_API_KEY", raising=False)
    client = ComtradeClient(base_url="http://127.0.0.1:9")
    with pytest.raises(InputError, match="no UN Comtrade API key") as err:
        client.get_records(years=[2023], codes=["280530"])
    assert "COMTRADE_API_KEY" in (err.value.hint or "")
    assert client.requests == 0


def test_key_from_environment_sent_as_header(api: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMTRADE_API_KEY", "secret-123")
    records = ComtradeClient(base_url=api).get_records(years=[2023], codes=["280530"])
    assert len(records) == 1
    assert ApiHandler.keys == ["secret-123"]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retries_then_succeeds(api: str, status: int) -> None:
    ApiHandler.script = [status, status]
    waits: list[float] = []
    client = ComtradeClient(key="k", base_url=api, max_retries=3, sleep=waits.append)
    records = client.get_records(years=[2023], codes=["280530"])
    assert len(records) == 1
    assert client.requests == 3 and waits == [0.0, 0.0]  # Retry-After: 0 respected


def test_retries_exhausted_name_url_and_status(api: str) -> None:
    ApiHandler.script = [429] * 5
    client = ComtradeClient(key="k", base_url=api, max_retries=2, sleep=lambda s: None)
    with pytest.raises(DownloadError, match="HTTP 429") as err:
        client.get_records(years=[2023], codes=["280530"])
    assert api in str(err.value) and client.requests == 3


def test_exponential_backoff_without_retry_after() -> None:
    from kakehashi.sources.comtrade import _retry_delay

    assert _retry_delay(None, 4.0) == 4.0
    assert _retry_delay("7", 4.0) == 7.0
    assert _retry_delay("soon", 2.0) == 2.0


def test_full_answers_are_split_and_pages_joined(api: str) -> None:
    client = ComtradeClient(key="k", base_url=api, max_records=3, max_codes=10)
    records = client.get_records(years=[2021, 2022], codes=["280530", "850511"], reporters=[392])
    # 2 years × 2 codes = 4 records: the first answer (4 ≥ 3) is split by period into two calls of 2
    assert sorted((r["refYear"], r["cmdCode"]) for r in records) == [
        (2021, "280530"), (2021, "850511"), (2022, "280530"), (2022, "850511")]
    assert len(ApiHandler.calls) == 3


def test_client_get_parses(api: str, tmp_path: Path) -> None:
    client = ComtradeClient(key="k", base_url=api)
    out = client.download(tmp_path / "q.json", years=[2022, 2023], codes=["280530"])
    data = parse_comtrade(out)
    assert sorted(data.trade_flows.value_usd) == [3022.0, 3023.0]
    assert set(data.trade_flows.exporter) == {"CHN"} and set(data.trade_flows.importer) == {"JPN"}
    assert client.get(years=[2022], codes=["280530"]).trade_flows.quantity_t.tolist() == [2.0]


# --------------------------------------------------------------- real data
def test_all_real_comtrade_extracts_load(shared_data: Path, tmp_path: Path) -> None:
    folder = shared_data / "comtrade-critical-minerals"
    files = sorted(folder.glob("*.csv"))
    assert len(files) == 8
    codes = shared_data / "baci-sample" / "country_codes_V202201.csv"
    total_rows = 0
    for f in files:
        with open(f, newline="") as fh:
            raw = list(csv.DictReader(fh))
        data = parse_comtrade(f, country_codes=codes)
        # every raw row goes to exactly one destination
        assert len(data.trade_flows) + len(data.world) + len(data.excluded) == len(raw)
        # World rows are exactly the raw rows with partner 0 and totals only
        world_raw = [r for r in raw if r["partnerCode"] == "0" and r["motCode"] == "0"]
        assert len(data.world) == len(world_raw)
        assert not data.trade_flows.empty or all(len(r["cmdCode"]) != 6 or r["partnerCode"] == "0"
                                                 for r in raw if r["motCode"] == "0")
        total_rows += len(raw)
    # Gallium: USA imports from China 2023 (primaryValue, qty kg), checked against the raw line
    g = parse_comtrade(folder / "gallium_trade_data.csv", country_codes=codes).trade_flows
    row = g[(g.year == 2023) & (g.importer == "USA") & (g.exporter == "CHN")]
    assert row.value_usd.tolist() == [32791847.0] and row.quantity_t.round(3).tolist() == [225.397]
    assert row.source.tolist() == ["UN Comtrade HS22 reported by USA"]
    wh = Warehouse(tmp_path / "wh")
    result = load_comtrade(wh, files, country_codes=codes)
    assert result.rows > 0 and total_rows == 720
    # Without a code table the numeric codes resolve through ISO 3166 (sources.countries): same rows.
    plain = parse_comtrade(folder / "lithium_trade_data.csv")
    with_table = parse_comtrade(folder / "lithium_trade_data.csv", country_codes=codes)
    pd.testing.assert_frame_equal(plain.trade_flows, with_table.trade_flows)
    assert set(plain.trade_flows.importer) | set(plain.trade_flows.exporter) == {"AUS", "CHN", "USA"}
