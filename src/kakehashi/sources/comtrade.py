"""UN Comtrade+: parse API responses (CSV or JSON) and query the data API.

Comtrade+ records (https://comtradeplus.un.org, API https://comtradeapi.un.org)
are *reported* flows: each reporter declares its imports (``flowCode`` M)
and exports (X) with each partner. Mapping to ``trade_flows``:

=====================  ====================================================
``year``               ``refYear`` (annual data only, ``freqCode`` A)
``importer/exporter``  M: importer = reporter, exporter = partner;
                       X: exporter = reporter, importer = partner
``hs6``                ``cmdCode`` (six digits only, see below)
``value_usd``          ``primaryValue`` (USD; CIF for imports, FOB for exports)
``quantity_t``         ``qty / 1000`` when ``qtyUnitCode`` is 8 (kg), else null
``hs_revision``        ``classificationCode`` H0..H6 → HS92, HS96, HS02, HS07,
                       HS12, HS17, HS22
``source``             ``"UN Comtrade <REV> reported by <ISO3>"``
=====================  ====================================================

Rows that are not six-digit bilateral country totals never enter
``trade_flows``:

* partner (or reporter) **World** (code 0) or another non-country area
  (:data:`~kakehashi.sources.areas.NON_COUNTRY_AREAS`) → :attr:`ComtradeData.world`;
* **breakdowns** of a total (by mode of transport ``motCode`` ≠ 0, customs
  procedure ``customsCode`` ≠ C00, mode of supply ``mosCode`` ≠ 0, second
  partner ``partner2Code`` ≠ 0): they would double count the total →
  :attr:`ComtradeData.excluded` with the reason;
* **HS2/HS4 aggregates** (``cmdCode`` of 2 or 4 digits, ``TOTAL``): the
  canonical table holds six-digit products only → ``excluded``;
* flows other than M and X (re-exports RX, re-imports RM, ...) → ``excluded``;
* **mirror reports**: when both partners report the same flow (USA reports
  imports from China, China reports exports to the USA) the two reports
  share the key ``(year, exporter, importer, hs6, hs_revision)``. The
  importer's report is kept (imports are recorded with more care, as customs
  collect duties on them; the same preference as the UN and CEPII mirror
  practice) and the exporter's report goes to ``excluded`` with reason
  ``mirror``. The kept row's ``source`` says who reported it.

Taiwan (490, "Other Asia, nes") is TWN. Country codes resolve through the
file's ISO columns when filled (API responses), else
:mod:`kakehashi.sources.areas` (and an optional BACI-style code table).
"""

from __future__ import annotations

import json
import math
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kakehashi import config
from kakehashi.errors import EngineError, InputError
from kakehashi.schemas import conform
from kakehashi.sources.areas import NON_COUNTRY_AREAS, clean_iso3, resolve_area_codes
from kakehashi.sources.baci import CountryCodes, code_table
from kakehashi.sources.download import USER_AGENT, http_error, network_error
from kakehashi.sources.staging import write_trade_year
from kakehashi.sources.textcsv import decode_text, read_csv_frame

COMTRADE_BASE_URL = "https://comtradeapi.un.org"
"""Host of the UN Comtrade+ API."""

DATA_PATH = "/data/v1/get/{type_code}/{freq_code}/{classification}"
"""Path of the subscription data endpoint (needs ``Ocp-Apim-Subscription-Key``)."""

KEY_HEADER = "Ocp-Apim-Subscription-Key"
"""HTTP header carrying the Comtrade+ subscription key."""

CLASSIFICATIONS: dict[str, str] = {
    "H0": "HS92", "H1": "HS96", "H2": "HS02", "H3": "HS07", "H4": "HS12", "H5": "HS17", "H6": "HS22",
}
"""Comtrade classification codes → HS revision names (as in BACI)."""

REQUIRED = ("refYear", "reporterCode", "flowCode", "partnerCode", "classificationCode", "cmdCode",
            "primaryValue")
"""Columns a Comtrade+ extract must have (others are optional)."""

_BREAKDOWNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("motCode", ("0", ""), "breakdown by mode of transport"),
    ("customsCode", ("C00", ""), "breakdown by customs procedure"),
    ("mosCode", ("0", ""), "breakdown by mode of supply"),
    ("partner2Code", ("0", ""), "breakdown by second partner"),
)

_WORLD_COLUMNS = ["year", "reporter", "flow", "partner_code", "partner", "cmd_code", "value_usd",
                  "quantity_t", "hs_revision", "source", "line"]


@dataclass
class ComtradeData:
    """A parsed Comtrade+ extract.

    Attributes
    ----------
    trade_flows
        Canonical ``trade_flows`` rows (six-digit, country to country, totals).
    world
        Rows whose partner or reporter is the World or a non-country area
        (columns: year, reporter, flow, partner_code, partner, cmd_code,
        value_usd, quantity_t, hs_revision, source, line). Never mixed into
        country rows.
    excluded
        Other rows left out, with the raw fields, the ``line`` and a ``reason``.
    origin
        The file parsed.
    """

    trade_flows: pd.DataFrame
    world: pd.DataFrame
    excluded: pd.DataFrame
    origin: str = ""

    def summary(self) -> dict[str, int]:
        """Rows per destination: trade_flows, world, and each exclusion reason."""
        out = {"trade_flows": len(self.trade_flows), "world": len(self.world)}
        if len(self.excluded):
            for reason, n in self.excluded["reason"].value_counts().sort_index().items():
                out[f"excluded: {reason}"] = int(n)
        return out


# ------------------------------------------------------------------ reading
def _records_to_frame(records: list[Any], origin: str) -> pd.DataFrame:
    if not all(isinstance(r, dict) for r in records):
        raise InputError("the 'data' list of a Comtrade response must hold objects", file=origin)

    def text(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "True" if v else "False"
        return str(v)

    cols: list[str] = []
    for r in records:
        for k in r:
            if k not in cols:
                cols.append(k)
    return pd.DataFrame({c: [text(r.get(c)) for r in records] for c in cols}, dtype=object)


def read_comtrade_frame(path: str | Path) -> tuple[pd.DataFrame, str]:
    """Read a Comtrade+ CSV or JSON response into strings; return the frame and the row unit.

    The row unit is ``"line"`` for CSV (``_line`` = line number, header = 1)
    and ``"record"`` for JSON (``_line`` = position in ``data``, from 1).
    """
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", file=path, hint="check the path")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=path) from None
    head = raw.lstrip()[:1]
    if head in (b"{", b"["):
        text = decode_text(raw, path)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON: {exc.msg} (column {exc.colno})", file=path,
                             line=exc.lineno,
                             hint="the response is truncated or damaged: query it again") from None
        except RecursionError:
            raise InputError("not valid JSON: nested too deeply", file=path) from None
        records = doc.get("data") if isinstance(doc, dict) else doc
        if not isinstance(records, list):
            err = doc.get("error") if isinstance(doc, dict) else None
            raise InputError("no 'data' list in the JSON" + (f" (API error: {err})" if err else ""),
                             file=path, hint="expected a Comtrade+ API response {\"data\": [...]}")
        if not records:
            raise InputError("the response holds no records ('data' is empty)", file=path,
                             hint="the query matched no trade: check its years, reporters and codes")
        df = _records_to_frame(records, str(path))
        df["_line"] = range(1, len(df) + 1)
        return df, "record"
    return read_csv_frame(raw, path), "line"


class _Where:
    def __init__(self, origin: str, unit: str) -> None:
        self.origin, self.unit = origin, unit

    def error(self, message: str, line: int | None, *, value: object = None,
              hint: str | None = None) -> InputError:
        if self.unit == "record" and line is not None:
            return InputError(f"record {line}: {message}", file=self.origin, value=value, hint=hint)
        return InputError(message, file=self.origin, line=line, value=value, hint=hint)


def _numbers(df: pd.DataFrame, col: str, where: _Where, *, required: bool) -> pd.Series:
    text = df[col].astype(str).str.strip()
    num = pd.to_numeric(text.where(text != "", None), errors="coerce")
    bad = num.isna() & (text != "") | (required & (text == ""))
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        what = f"empty value in column {col}" if text.iloc[i] == "" else \
            f"{text.iloc[i]!r} in column {col} is not a number"
        raise where.error(what, int(df["_line"].iloc[i]), value=text.iloc[i], hint=f"{col} must be numeric")
    neg = num < 0
    if col in ("primaryValue", "qty") and neg.any():
        i = int(neg.to_numpy().nonzero()[0][0])
        raise where.error(f"negative value {text.iloc[i]} in column {col}", int(df["_line"].iloc[i]),
                          value=text.iloc[i], hint="trade values and quantities must be >= 0")
    return num.astype("float64")


def _codes(df: pd.DataFrame, col: str, where: _Where) -> pd.Series:
    text = df[col].astype(str).str.strip()
    bad = ~text.str.fullmatch(r"\d+")
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise where.error(f"{text.iloc[i]!r} in column {col} is not a numeric area code",
                          int(df["_line"].iloc[i]), value=text.iloc[i])
    return text.astype("int64")


# ------------------------------------------------------------------ parsing
def parse_comtrade(path: str | Path, *,
                   country_codes: CountryCodes = None,
                   ) -> ComtradeData:
    """Parse a UN Comtrade+ extract (CSV or ``{"data": [...]}`` JSON).

    Parameters
    ----------
    path
        A CSV (as downloaded from Comtrade+ or written by ``comtradeapicall``)
        or a JSON API response.
    country_codes
        Optional numeric code → ISO3 table (a BACI ``country_codes_V*.csv``
        works: BACI uses Comtrade's codes) for files whose ISO columns are empty.

    Returns
    -------
    ComtradeData
        ``trade_flows`` (canonical), ``world`` (non-country partners, kept
        apart) and ``excluded`` (with reasons). See the module docstring.

    Raises
    ------
    InputError
        Missing columns, non-numeric or negative values, unknown flow or
        classification codes, unknown country codes, monthly data, duplicate
        reports; naming the file and line (CSV) or record (JSON).
    """
    df, unit = read_comtrade_frame(path)
    origin = str(path)
    where = _Where(origin, unit)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise where.error(f"missing column(s) {', '.join(missing)}", 1 if unit == "line" else None,
                          hint=f"a Comtrade+ extract has columns {', '.join(REQUIRED)}, ...")
    if len(df) == 0:
        empty = pd.DataFrame(columns=[*REQUIRED, "line", "reason"])
        return ComtradeData(_empty_flows(), pd.DataFrame(columns=_WORLD_COLUMNS), empty, origin)
    if "freqCode" in df.columns:
        monthly = df["freqCode"].str.strip().str.upper().ne("A") & df["freqCode"].str.strip().ne("")
        if monthly.any():
            i = int(monthly.to_numpy().nonzero()[0][0])
            raise where.error(f"frequency {df['freqCode'].iloc[i]!r}: trade_flows holds annual data",
                              int(df["_line"].iloc[i]), hint="query annual data (freqCode A)")
    year = _numbers(df, "refYear", where, required=True)
    reporter = _codes(df, "reporterCode", where)
    partner = _codes(df, "partnerCode", where)
    value = _numbers(df, "primaryValue", where, required=True)
    qty = _numbers(df, "qty", where, required=False) if "qty" in df.columns else pd.Series(math.nan, df.index)
    unit_code = df["qtyUnitCode"].str.strip() if "qtyUnitCode" in df.columns else pd.Series("", df.index)
    flow = df["flowCode"].str.strip().str.upper()
    cls = df["classificationCode"].str.strip().str.upper()
    bad_cls = ~cls.isin(list(CLASSIFICATIONS))
    if bad_cls.any():
        i = int(bad_cls.to_numpy().nonzero()[0][0])
        raise where.error(f"classification {cls.iloc[i]!r} is not an HS revision (H0..H6)",
                          int(df["_line"].iloc[i]), value=cls.iloc[i],
                          hint="query the HS classification (clCode HS)")
    cmd = df["cmdCode"].str.strip()

    reason = pd.Series("", index=df.index, dtype=object)
    for col, totals, why in _BREAKDOWNS:
        if col in df.columns:
            reason = reason.where((reason != "") | df[col].str.strip().isin(totals), why)
    reason = reason.where((reason != "") | flow.isin(["M", "X"]), "flow " + flow + " (only M and X are used)")

    table = code_table(country_codes)
    iso_table = dict(table or {})
    for code_col, iso_col in (("reporterCode", "reporterISO"), ("partnerCode", "partnerISO")):
        if iso_col in df.columns:
            codes = reporter if code_col == "reporterCode" else partner
            for c, iso in zip(codes, df[iso_col], strict=True):
                code, found = int(c), clean_iso3(iso)
                if code not in NON_COUNTRY_AREAS and found is not None and code not in iso_table:
                    iso_table[code] = found
    res = resolve_area_codes(set(reporter) | set(partner), iso_table)
    is_area = reporter.isin(list(res.aggregates)) | partner.isin(list(res.aggregates))
    live = reason == ""
    unknown = (reporter.isin(res.unknown) | partner.isin(res.unknown)) & live
    if unknown.any():
        i = int(unknown.to_numpy().nonzero()[0][0])
        codes_txt = ", ".join(str(c) for c in res.unknown)
        raise where.error(
            f"unknown country code(s) {codes_txt}", int(df["_line"].iloc[i]), value=res.unknown,
            hint="pass a code table (--country-codes, e.g. BACI's country_codes_V*.csv) or use an "
            "extract with reporterISO/partnerISO filled")
    rev = cls.map(CLASSIFICATIONS)
    rep_iso = reporter.map(res.iso3)
    par_iso = partner.map(res.iso3)
    quantity_t = (qty / 1000.0).where(unit_code == "8")
    source = "UN Comtrade " + rev + " reported by " + rep_iso.fillna(reporter.astype(str))

    world_mask = live & is_area
    area_name = {**res.aggregates}
    world = pd.DataFrame({
        "year": year[world_mask].astype("int32"),
        "reporter": rep_iso[world_mask].fillna(reporter[world_mask].map(area_name)),
        "flow": flow[world_mask],
        "partner_code": partner[world_mask].astype("int32"),
        "partner": par_iso[world_mask].fillna(partner[world_mask].map(area_name)),
        "cmd_code": cmd[world_mask],
        "value_usd": value[world_mask],
        "quantity_t": quantity_t[world_mask],
        "hs_revision": rev[world_mask],
        "source": source[world_mask],
        "line": df["_line"][world_mask],
    }).reset_index(drop=True)

    country = live & ~is_area
    six = cmd.str.fullmatch(r"\d{6}")
    reason = reason.where(~country | six,
                          "HS" + cmd.str.len().astype(str) + " aggregate (six-digit codes only)")
    reason = reason.where(~(country & ~six & ~cmd.str.fullmatch(r"\d+")), "not an HS code: " + cmd)
    keep = country & six
    is_m = flow == "M"
    flows = pd.DataFrame({
        "year": year[keep].astype("int32"),
        "exporter": par_iso[keep].where(is_m[keep], rep_iso[keep]),
        "importer": rep_iso[keep].where(is_m[keep], par_iso[keep]),
        "hs6": cmd[keep],
        "value_usd": value[keep],
        "quantity_t": quantity_t[keep],
        "hs_revision": rev[keep],
        "source": source[keep],
        "_line": df["_line"][keep],
        "_m": is_m[keep],
    })
    flows, mirror_lines = _drop_mirrors(flows)
    reason = reason.where(~df["_line"].isin(mirror_lines), "mirror: importer's report kept")
    try:
        conformed = conform(flows.drop(columns="_m"), "trade_flows",
                            origin=origin if unit == "line" else None)
    except InputError as exc:
        if unit == "record":
            raise where.error(exc.message, exc.line, value=exc.value, hint=exc.hint) from None
        raise
    excluded = df[reason != ""].drop(columns="_line").assign(
        line=df["_line"][reason != ""], reason=reason[reason != ""]).reset_index(drop=True)
    return ComtradeData(conformed.to_pandas(), world, excluded, origin)


def _empty_flows() -> pd.DataFrame:
    from kakehashi.schemas import schema

    return schema("trade_flows").arrow_schema().empty_table().to_pandas()


def _drop_mirrors(flows: pd.DataFrame) -> tuple[pd.DataFrame, set[int]]:
    """Keep the importer's report where both partners reported the same flow."""
    key = ["year", "exporter", "importer", "hs6", "hs_revision"]
    both = flows.groupby(key)["_m"].transform(lambda s: s.any() and not s.all())
    mirror = both & ~flows["_m"]
    return flows[~mirror], set(int(x) for x in flows.loc[mirror, "_line"])


# ------------------------------------------------------------------- ingest
@dataclass
class ComtradeIngest:
    """What :func:`load_comtrade` wrote and left apart."""

    rows: int = 0
    years: list[int] = field(default_factory=list)
    world_rows: int = 0
    excluded: dict[str, int] = field(default_factory=dict)
    duplicates_across_files: int = 0


def load_comtrade(wh: Any, paths: Sequence[str | Path] | str | Path, *,
                  country_codes: CountryCodes = None,
                  ) -> ComtradeIngest:
    """Parse Comtrade+ extracts and write their ``trade_flows`` rows in one transaction.

    Rows repeated identically in several files (overlapping queries) are
    written once; the same key with different values in two files is an
    error. Existing rows of the same years are kept unless a new row has
    their key (Comtrade extracts are partial, so nothing else is replaced).
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    out = ComtradeIngest()
    parts = []
    for p in paths:
        data = parse_comtrade(p, country_codes=country_codes)
        parts.append(data.trade_flows.assign(_origin=str(p)))
        out.world_rows += len(data.world)
        for k, v in data.summary().items():
            if k.startswith("excluded: "):
                why = k.removeprefix("excluded: ")
                out.excluded[why] = out.excluded.get(why, 0) + v
    allrows = pd.concat(parts, ignore_index=True) if parts else _empty_flows().assign(_origin="")
    key = ["year", "exporter", "importer", "hs6", "hs_revision"]
    dedup = allrows.drop_duplicates(subset=[*key, "value_usd", "quantity_t", "source"])
    out.duplicates_across_files = len(allrows) - len(dedup)
    clash = dedup[dedup.duplicated(subset=key, keep=False)]
    if len(clash):
        first = clash.iloc[0]
        files = sorted(set(clash[(clash[key] == first[key]).all(axis=1)]["_origin"]))
        raise InputError(
            f"the flow {first.exporter} → {first.importer}, {first.hs6} {first.hs_revision} {first.year} "
            f"has different values in {' and '.join(files)}",
            hint="ingest one of the files, or check that they come from the same Comtrade release")
    flows = dedup.drop(columns="_origin")
    origin = ", ".join(str(p) for p in paths)
    with wh.transaction() as tx:
        for year, part in flows.groupby("year", sort=True):
            table = conform(part.reset_index(drop=True), "trade_flows", origin=origin)
            sources = sorted(set(part["source"]))
            label = sources[0] if len(sources) == 1 else f"UN Comtrade ({len(sources)} reporters/revisions)"
            out.rows += write_trade_year(tx, table, int(str(year)), source=label, source_prefix=None,
                                         origin=origin)
            out.years.append(int(str(year)))
    return out


def ingest_comtrade(wh: Any, paths: Sequence[str | Path] | str | Path, *,
                    country_codes: CountryCodes = None) -> int:
    """Parse Comtrade+ extracts and write them to ``wh`` in one transaction; return the rows written."""
    return load_comtrade(wh, paths, country_codes=country_codes).rows


# ------------------------------------------------------------------- client
def _chunks(values: Sequence[str], size: int) -> list[list[str]]:
    if not values:
        return [[]]
    return [list(values[i:i + size]) for i in range(0, len(values), size)]


def _as_list(values: str | int | Iterable[str | int] | None) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str | int):
        values = [values]
    return [str(v).strip() for v in values if str(v).strip()]


@dataclass
class ComtradeQuery:
    """One request to the data endpoint (a chunk of a larger query)."""

    reporters: list[str]
    partners: list[str]
    periods: list[str]
    codes: list[str]
    flows: list[str]
    type_code: str = "C"
    freq_code: str = "A"
    classification: str = "HS"

    def params(self) -> dict[str, str]:
        """Query-string parameters, comma-joined lists as the API expects."""
        p = {
            "reporterCode": ",".join(self.reporters),
            "partnerCode": ",".join(self.partners),
            "period": ",".join(self.periods),
            "cmdCode": ",".join(self.codes),
            "flowCode": ",".join(self.flows),
            "partner2Code": "0",
            "customsCode": "C00",
            "motCode": "0",
            "includeDesc": "true",
        }
        return {k: v for k, v in p.items() if v}


class ComtradeClient:
    """Client of the UN Comtrade+ data API with chunking, paging and retries.

    Parameters
    ----------
    key
        Subscription key; default ``$COMTRADE_API_KEY``. Sent as the
        ``Ocp-Apim-Subscription-Key`` header. A free key is available at
        https://comtradedeveloper.un.org.
    base_url
        API host (tests point it at a local server).
    max_retries
        Retries of a request answered 429 (rate limit) or 5xx, waiting
        ``Retry-After`` seconds when the server says, else ``backoff * 2**n``.
    max_codes, max_periods
        Commodity codes and periods per request: longer lists are split into
        several requests (the API limits periods to 12 per call and the URL
        length in practice).
    max_records
        Row limit of one answer (100,000 for subscription keys). An answer
        that reaches it may be truncated, so its chunk is split in two and
        asked again.
    timeout, backoff
        Seconds per request, and before the first retry.

    Examples
    --------
    >>> client = ComtradeClient()                                        # doctest: +SKIP
    >>> data = client.get(reporters=[392, 699], partners=[0, 156],       # doctest: +SKIP
    ...                   years=[2022, 2023], codes=["280530", "850511"])
    """

    def __init__(self, key: str | None = None, base_url: str = COMTRADE_BASE_URL, max_retries: int = 5, *,
                 max_codes: int = 50, max_periods: int = 12, max_records: int = 100_000,
                 timeout: float = 60.0, backoff: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.key = key if key is not None else os.environ.get(config.COMTRADE_KEY_ENV) or None
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.max_codes = max_codes
        self.max_periods = max_periods
        self.max_records = max_records
        self.timeout = timeout
        self.backoff = backoff
        self.sleep = sleep
        self.requests = 0

    # -- queries
    def queries(self, *, reporters: str | int | Iterable[str | int] | None = None,
                partners: str | int | Iterable[str | int] | None = None,
                years: str | int | Iterable[str | int] | None = None,
                codes: str | Iterable[str] | None = None, flows: str | Iterable[str] = ("M", "X"),
                classification: str = "HS", freq: str = "A") -> list[ComtradeQuery]:
        """Split a query into requests of at most ``max_codes`` codes and ``max_periods`` periods."""
        periods = _as_list(years)
        if not periods:
            raise InputError("a Comtrade query needs at least one year", hint="pass years=[2023]")
        code_list = _as_list(codes)
        return [
            ComtradeQuery(_as_list(reporters), _as_list(partners), p, c, _as_list(flows), "C", freq,
                          classification)
            for p in _chunks(periods, self.max_periods) for c in _chunks(code_list, self.max_codes)
        ]

    def url(self, query: ComtradeQuery) -> str:
        """Full URL of one request."""
        path = DATA_PATH.format(type_code=query.type_code, freq_code=query.freq_code,
                                classification=query.classification)
        return f"{self.base_url}{path}?{urllib.parse.urlencode(query.params(), safe=',')}"

    # -- requests
    def _headers(self) -> dict[str, str]:
        if not self.key:
            raise InputError(
                "no UN Comtrade API key",
                hint=f"set {config.COMTRADE_KEY_ENV} to your Comtrade+ subscription key (free at "
                "https://comtradedeveloper.un.org) or pass key=",
            )
        return {KEY_HEADER: self.key, "Accept": "application/json", "User-Agent": USER_AGENT}

    def request_json(self, url: str) -> dict[str, Any]:
        """GET ``url`` and decode the JSON, retrying on 429 and 5xx with exponential backoff."""
        headers = self._headers()
        delay = self.backoff
        for attempt in range(self.max_retries + 1):
            self.requests += 1
            req = urllib.request.Request(url, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    body = resp.read()
                break
            except urllib.error.HTTPError as exc:
                retry_after = exc.headers.get("Retry-After") if exc.headers else None
                exc.close()
                if (exc.code == 429 or exc.code >= 500) and attempt < self.max_retries:
                    self.sleep(_retry_delay(retry_after, delay))
                    delay *= 2
                    continue
                err = http_error(url, exc)
                if exc.code in (401, 403):
                    err.hint = f"the key was refused: check {config.COMTRADE_KEY_ENV}"
                raise err from exc
            except (urllib.error.URLError, OSError) as exc:
                raise network_error(url, exc) from exc
        try:
            doc = json.loads(body)
        except json.JSONDecodeError as exc:
            raise EngineError(f"Comtrade answered {url} with invalid JSON: {exc}") from exc
        if not isinstance(doc, dict):
            raise EngineError(f"Comtrade answered {url} with unexpected JSON (not an object)")
        if doc.get("error"):
            raise EngineError(f"Comtrade refused {url}: {doc['error']}", hint="check the query parameters")
        return doc

    def fetch_records(self, query: ComtradeQuery, *, depth: int = 0) -> list[dict[str, Any]]:
        """Records of one request; a full answer (``max_records``) is split and asked again."""
        doc = self.request_json(self.url(query))
        data = doc.get("data") or []
        if len(data) < self.max_records:
            return list(data)
        halves = _split(query)
        if halves is None or depth > 20:
            raise EngineError(
                f"Comtrade returned {len(data)} records for {self.url(query)}, the maximum for one call; "
                "the answer is probably truncated",
                hint="ask for fewer reporters or partners at once")
        return [r for half in halves for r in self.fetch_records(half, depth=depth + 1)]

    def get_records(self, **query: Any) -> list[dict[str, Any]]:
        """All records of a query (see :meth:`queries` for the arguments), chunked and de-paged."""
        return [r for q in self.queries(**query) for r in self.fetch_records(q)]

    def download(self, out: str | Path, **query: Any) -> Path:
        """Save all records of a query as ``{"data": [...]}`` JSON (readable by :func:`parse_comtrade`)."""
        records = self.get_records(**query)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        tmp.write_text(json.dumps({"count": len(records), "data": records}), encoding="utf-8")
        os.replace(tmp, out)
        return out

    def get(self, *, country_codes: Mapping[int, str | None] | None = None, **query: Any) -> ComtradeData:
        """Query the API and parse the answer (see :meth:`queries` and :func:`parse_comtrade`)."""
        import tempfile

        with tempfile.TemporaryDirectory(prefix="kakehashi-comtrade-") as tmp:
            path = self.download(Path(tmp) / "comtrade.json", **query)
            return parse_comtrade(path, country_codes=country_codes)


def _retry_delay(retry_after: str | None, default: float) -> float:
    """Seconds to wait: ``Retry-After`` (seconds) when given and sane, else ``default``."""
    if retry_after:
        try:
            return min(max(float(retry_after), 0.0), 300.0)
        except ValueError:
            pass
    return default


def _split(query: ComtradeQuery) -> list[ComtradeQuery] | None:
    """Split a query in two along its longest list (periods, codes, reporters, partners)."""
    for name in ("periods", "codes", "reporters", "partners"):
        values = getattr(query, name)
        if len(values) > 1:
            mid = len(values) // 2
            a, b = (ComtradeQuery(**{**query.__dict__, name: part}) for part in (values[:mid], values[mid:]))
            return [a, b]
    return None
