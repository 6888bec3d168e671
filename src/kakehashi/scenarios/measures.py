"""The catalogue of real, dated measures and its reading as of any date.

Package data ``catalogue/data/measures.yaml`` holds China's export controls
2023–2026 and US tariffs 2025–2026 on Japan, India and China, each with its
status history (announced, in force, suspended until a date, lifted, struck
down, expired), its sources (keys of the project's policy-facts reference) and
a flag: ``V`` stated in a retrieved source, ``V?`` sources disagree or only
partly cover it, ``U`` unverified.

Reading as of a date (:func:`status_as_of`): the last status entry dated on or
before the date applies; a suspension whose ``until`` date has passed, with no
later entry, reads as *in force* again with a note saying so; a measure
announced but not yet effective reads as *announced*. Dates after the
catalogue's information cut-off (early March 2026) are flagged
``after_cutoff``: later events are unknown to the catalogue.

Examples
--------
>>> import datetime as dt
>>> status_as_of(get_measure("CN-2025-57-RARE-EARTHS"), dt.date(2026, 1, 1)).status
'suspended'
>>> status_as_of(get_measure("US-IEEPA-IND-RUSSIAN-OIL"), dt.date(2026, 3, 1)).status
'lifted'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kakehashi.errors import InputError, ScenarioError, unknown_value_error
from kakehashi.scenarios import spec as sp

Status = Literal["announced", "in_force", "suspended", "lifted", "struck_down", "expired", "open", "reported"]
Flag = Literal["V", "V?", "U"]
Kind = Literal["export_control", "tariff", "technology", "framework", "end_use_ban", "extraterritorial",
               "suspension", "investigation", "de_facto", "entity_list", "exemption", "court_ruling", "other"]

ACTIVE_STATUSES: frozenset[str] = frozenset({"in_force"})
"""Statuses under which a measure applies (used for stacking tariffs)."""

LICENCE_SEVERITY = sp.DistributionSpec(dist="triangular", low=0.1, mode=0.5, high=0.9)
"""Severity assumed when a catalogued *licensing* regime (not a ban) is turned
into a scenario: how much of the trade a licence requirement stops is not
published, so the scenario draws φ from triangular(0.1, 0.5, 0.9) around a
point value of 0.5. An assumption, stated in the scenario's description."""

_PREFIX = re.compile(r"^\d{2}(\d{2}){0,2}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StatusEntry(_Model):
    """One dated status of a measure."""

    date: dt.date | None = Field(description="None: in effect before any date the sources give.")
    status: Status
    until: dt.date | None = None
    rate: float | None = Field(default=None, ge=0.0)
    all_in: bool = False
    exporter_rates: dict[str, float] = Field(default_factory=dict)
    all_in_exporters: tuple[str, ...] = ()
    sources: tuple[str, ...] = Field(min_length=1)
    flag: Flag = "V"
    note: str = ""


class Measure(_Model):
    """A catalogued measure (see ``catalogue/data/measures.yaml``)."""

    id: str
    issuer: str
    authority: str
    number: str
    title: str
    kind: Kind
    instrument: str
    exporter: str | None = None
    targets: tuple[str, ...] | Literal["all"] = "all"
    importer: str | None = None
    exporters: tuple[str, ...] | Literal["all"] = "all"
    items: str = ""
    products: tuple[str, ...] | Literal["all"] = ()
    products_unverified: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    severity: float | None = Field(default=None, ge=0.0, le=1.0)
    announced: dt.date | None
    effective: dt.date | None
    history: tuple[StatusEntry, ...] = Field(min_length=1)
    sources: tuple[str, ...] = Field(min_length=1)
    flag: Flag
    note: str = ""

    @field_validator("products", "products_unverified", "exclude")
    @classmethod
    def _codes(cls, v: Any) -> Any:
        if v == "all":
            return v
        for code in v:
            if not _PREFIX.match(code):
                raise ValueError(f"{code!r} is not an HS chapter, heading or six-digit code")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Measure:
        dates = [e.date for e in self.history if e.date is not None]
        if dates != sorted(dates):
            raise ValueError(f"{self.id}: status history is not in date order")
        if self.kind == "tariff" and self.importer is None:
            raise ValueError(f"{self.id}: a tariff needs an importer")
        if self.kind == "export_control" and self.exporter is None:
            raise ValueError(f"{self.id}: an export control needs an exporter")
        unknown = set(self.products_unverified) - set(self.products if self.products != "all" else ())
        if unknown:
            raise ValueError(f"{self.id}: products_unverified lists codes not in products: {sorted(unknown)}")
        return self

    # ------------------------------------------------------------------ scope
    def covers_product(self, hs6: str) -> bool:
        """Whether the measure's product scope includes ``hs6`` (prefix match, minus exclusions)."""
        if any(hs6.startswith(p) for p in self.exclude):
            return False
        if self.products == "all":
            return True
        return any(hs6.startswith(p) for p in self.products)

    def covers_exporter(self, iso3: str) -> bool:
        """Whether imports from ``iso3`` are covered (tariffs, investigations)."""
        return self.exporters == "all" or iso3 in self.exporters

    def covers_target(self, iso3: str) -> bool:
        """Whether exports to ``iso3`` are covered (export controls)."""
        return self.targets == "all" or iso3 in self.targets

    def countries(self) -> set[str]:
        """Every country the measure names (issuer, exporter, importer, targets, exporters)."""
        out = {self.issuer}
        for c in (self.exporter, self.importer):
            if c:
                out.add(c)
        for group in (self.targets, self.exporters):
            if group != "all":
                out.update(group)
        return out

    def affects(self, iso3: str) -> bool:
        """Whether the measure names ``iso3`` or applies to it (all targets, all exporters)."""
        if iso3 in self.countries():
            return True
        if self.importer is not None:  # importer-side: tariffs, exemptions, investigations, rulings
            return self.exporters == "all"
        return self.targets == "all"

    def simulable(self) -> bool:
        """Whether the measure can become a scenario (goods with HS codes, and a rate for tariffs)."""
        if self.kind in ("export_control", "de_facto"):
            return self.products not in ((), "all")
        if self.kind == "tariff":
            return bool(self.products) and any(e.rate is not None for e in self.history)
        return False


@dataclass(frozen=True)
class StatusAsOf:
    """A measure's state on a date."""

    status: str
    since: dt.date | None
    until: dt.date | None
    rate: float | None
    all_in: bool
    exporter_rates: dict[str, float]
    all_in_exporters: tuple[str, ...]
    flag: str
    note: str
    after_cutoff: bool

    @property
    def active(self) -> bool:
        """Whether the measure applies on the date."""
        return self.status in ACTIVE_STATUSES

    def rate_for(self, exporter: str) -> tuple[float, bool]:
        """(rate, all_in) applied to imports from ``exporter``."""
        rate = self.exporter_rates.get(exporter, self.rate if self.rate is not None else 0.0)
        if exporter in self.exporter_rates:
            return rate, exporter in self.all_in_exporters
        return rate, self.all_in


@dataclass(frozen=True)
class Catalogue:
    """The parsed measures file."""

    measures: tuple[Measure, ...]
    sources: dict[str, str]
    information_cutoff: dt.date


@cache
def catalogue() -> Catalogue:
    """Load and validate the packaged catalogue (cached)."""
    text = resources.files("kakehashi.catalogue").joinpath("data/measures.yaml").read_text(encoding="utf-8")
    return parse_catalogue(text, origin="measures.yaml")


def parse_catalogue(text: str, *, origin: str = "measures.yaml") -> Catalogue:
    """Validate a measures file: every measure, every source key, unique ids."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or "measures" not in data or "sources" not in data:
        raise InputError("a measures file is a mapping with information_cutoff, sources and measures",
                         file=origin)
    sources = {str(k): str(v) for k, v in data["sources"].items()}
    out: list[Measure] = []
    for i, raw in enumerate(data["measures"]):
        try:
            m = Measure.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(p) for p in err["loc"])
            raise InputError(f"measures[{i}] ({raw.get('id', '?')}): {where}: {err['msg']}",
                             file=origin) from None
        keys = set(m.sources).union(*(e.sources for e in m.history))
        missing = sorted(keys - set(sources))
        if missing:
            raise InputError(f"measure {m.id} cites unknown source keys {missing}", file=origin)
        out.append(m)
    ids = [m.id for m in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InputError(f"duplicate measure ids {dupes}", file=origin)
    return Catalogue(tuple(out), sources, data["information_cutoff"])


def load_measures() -> list[Measure]:
    """All catalogued measures."""
    return list(catalogue().measures)


def get_measure(measure_id: str) -> Measure:
    """The measure called ``measure_id``; unknown → InputError with close matches."""
    for m in catalogue().measures:
        if m.id == measure_id:
            return m
    upper = measure_id.upper()
    for m in catalogue().measures:
        if m.id.upper() == upper:
            return m
    raise unknown_value_error("measure", measure_id, [m.id for m in catalogue().measures])


def _as_date(value: dt.date | str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"cannot read the date {value!r}", value=value, hint="write YYYY-MM-DD") from None


def status_as_of(measure: Measure, date: dt.date | str) -> StatusAsOf | None:
    """The state of ``measure`` on ``date``; None before its first dated entry."""
    d = _as_date(date)
    cutoff = catalogue().information_cutoff
    entries = [e for e in measure.history if e.date is None or e.date <= d]
    if not entries:
        return None
    last = entries[-1]
    status: str = last.status
    note = last.note
    until = last.until
    since = last.date
    if status == "suspended" and until is not None and d >= until:
        status = "in_force"
        since = until
        note = (f"suspension ended {until.isoformat()} (unless extended: the catalogue has no information "
                f"after {cutoff.isoformat()})")
        until = None
    if status == "in_force" and measure.effective is not None and d < measure.effective:
        status = "announced"
    rated = [e for e in entries if e.rate is not None]
    r = rated[-1] if rated else None
    return StatusAsOf(
        status=status,
        since=since,
        until=until,
        rate=r.rate if r else None,
        all_in=r.all_in if r else False,
        exporter_rates=dict(r.exporter_rates) if r else {},
        all_in_exporters=r.all_in_exporters if r else (),
        flag=last.flag if last.flag != "V" else measure.flag,
        note=note,
        after_cutoff=d > cutoff,
    )


def _scope_text(m: Measure) -> str:
    if m.products == "all":
        text = "all goods"
    elif not m.products:
        text = "-"
    else:
        text = " ".join(m.products)
    if m.exclude:
        text += f" (excl. {len(m.exclude)} codes/prefixes)"
    return text


def measures_as_of(date: dt.date | str | None = None, country: str | None = None) -> pd.DataFrame:
    """The catalogue as of ``date`` (default today), optionally for one country.

    Parameters
    ----------
    date
        Reading date (``datetime.date`` or ``YYYY-MM-DD``).
    country
        ISO3 code; keeps measures that name it (issuer, exporter, importer,
        target, exporter subject to a tariff) or apply to every country.

    Returns
    -------
    pandas.DataFrame
        One row per measure announced by ``date``: id, issuer, kind, title,
        exporter, importer, targets, products, rate, status, since, until,
        active, flag, after_cutoff, sources, note. Sorted by issuer and date.
    """
    d = _as_date(date)
    code = country.strip().upper() if country else None
    cat = catalogue()
    if code is not None:
        known = set().union(*(m.countries() for m in cat.measures))
        if code not in known and not re.match(r"^[A-Z]{3}$", code):
            raise unknown_value_error("country", code, sorted(known))
    rows: list[dict[str, Any]] = []
    for m in cat.measures:
        if code is not None and not m.affects(code):
            continue
        st = status_as_of(m, d)
        if st is None:
            continue
        rows.append({
            "id": m.id,
            "issuer": m.issuer,
            "kind": m.kind,
            "title": m.title,
            "exporter": m.exporter or ("all" if m.exporters == "all" else ",".join(m.exporters)),
            "importer": m.importer or ("all" if m.targets == "all" else ",".join(m.targets)),
            "products": _scope_text(m),
            "rate": st.rate if m.kind == "tariff" else None,
            "status": st.status,
            "since": st.since.isoformat() if st.since else "unknown",
            "until": st.until.isoformat() if st.until else None,
            "active": st.active,
            "flag": st.flag,
            "after_cutoff": st.after_cutoff,
            "sources": " ".join(m.sources),
            "note": st.note or m.note,
        })
    cols = ["id", "issuer", "kind", "title", "exporter", "importer", "products", "rate", "status", "since",
            "until", "active", "flag", "after_cutoff", "sources", "note"]
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values(["issuer", "since", "id"], kind="stable").reset_index(drop=True)


def tariffs_in_force(date: dt.date | str, importer: str, *, exclude_ids: tuple[str, ...] = ()
                     ) -> list[tuple[Measure, StatusAsOf]]:
    """Tariff measures of ``importer`` in force on ``date`` with a rate (for stacking)."""
    out = []
    for m in catalogue().measures:
        if m.kind != "tariff" or m.importer != importer or m.id in exclude_ids or not m.products:
            continue
        st = status_as_of(m, date)
        if st is not None and st.active and st.rate is not None:
            out.append((m, st))
    return out


def measure_start(measure: Measure) -> dt.date | None:
    """The date a measure took (or takes) effect: ``effective``, else ``announced``."""
    return measure.effective or measure.announced


def default_base_year(measure: Measure | str, available_years: Iterable[int]) -> int:
    """The base year of a catalogued measure's scenario: the latest year of data not after the year before it.

    ``max{y ∈ available_years : y ≤ start.year − 1}`` with ``start`` the
    measure's effective date (else its announcement). The year before the
    measure is the last year its trade flows are not yet affected by it; when
    the data end earlier, the latest year they hold is the closest unaffected
    baseline. A measure without a date uses the latest year.

    Parameters
    ----------
    measure
        A :class:`Measure` or its catalogue id.
    available_years
        Years of trade flows in the warehouse (any order, repeats allowed).

    Raises
    ------
    InputError
        No year of data is on or before the year before the measure (or no data at all).

    Examples
    --------
    A measure of 2025 (CN-2025-18-RARE-EARTHS, effective 4 April 2025):

    >>> default_base_year("CN-2025-18-RARE-EARTHS", [2021, 2022, 2023])
    2023
    >>> default_base_year("CN-2025-18-RARE-EARTHS", range(2021, 2026))
    2024
    """
    m = get_measure(measure) if isinstance(measure, str) else measure
    years = sorted({int(y) for y in available_years})
    if not years:
        raise InputError(f"measure {m.id}: the warehouse holds no trade flows to use as base year",
                         hint="ingest trade data first, e.g. 'kakehashi ingest sample'")
    start = measure_start(m)
    if start is None:
        return years[-1]
    fit = [y for y in years if y <= start.year - 1]
    if not fit:
        raise InputError(f"measure {m.id} starts on {start.isoformat()}, but the trade data begin in "
                         f"{years[0]}: no year of data before the measure to use as base year",
                         value=years[0],
                         hint=f"ingest trade data for {start.year - 1} or earlier, or pass a base year "
                              f"explicitly (available: {', '.join(map(str, years))})")
    return fit[-1]


def spec_from_measure(measure_id: str, *, base_year: int | None = None,
                      as_of: dt.date | str | None = None, draws: int = 1000,
                      seed: int = 20261121,
                      available_years: Iterable[int] | None = None) -> sp.ScenarioSpec:
    """A scenario that simulates one catalogued measure.

    Export controls become an export restriction (a ban has severity 1; a
    licensing regime the uncertain severity :data:`LICENCE_SEVERITY`); tariffs
    become a stacked tariff at the rate in force on ``as_of`` (default: the
    latest rate in the history).

    Parameters
    ----------
    measure_id
        Catalogue id, e.g. ``CN-2025-18-RARE-EARTHS``.
    base_year
        Year of the baseline trade flows. Default: with ``available_years``,
        :func:`default_base_year` (the latest year of data not after the year
        before the measure); without, the year before the measure took effect.
    as_of
        Date whose rate is used for a tariff whose rate changed over time.
    draws, seed
        Monte-Carlo draws and seed of the scenario.
    available_years
        Years of trade flows in the warehouse, used to choose the default base year.

    Raises
    ------
    InputError
        Unknown measure (with close matches); no year of ``available_years``
        fits the measure (see :func:`default_base_year`).
    ScenarioError
        The measure covers no goods (technology, entity list, court ruling ...).
    """
    m = get_measure(measure_id)
    if not m.simulable():
        raise ScenarioError(
            f"measure {m.id} ({m.kind.replace('_', ' ')}) names no goods with HS codes"
            + (" or no rate" if m.kind == "tariff" else "") + " and cannot be simulated",
            hint="pick an export control or tariff from 'kakehashi measures list'")
    start = measure_start(m)
    if base_year is not None:
        year = base_year
    elif available_years is not None:
        year = default_base_year(m, available_years)
    else:
        year = (start.year - 1) if start else dt.date.today().year - 1
    flags = f"catalogue flag {m.flag}"
    if m.products_unverified:
        flags += f"; HS codes unverified (U): {' '.join(m.products_unverified)}"
    uncertain: dict[str, sp.DistributionSpec] = {}
    slug = re.sub(r"[^a-z0-9]+", "-", m.id.lower()).strip("-")
    if m.kind in ("export_control", "de_facto"):
        assert m.exporter is not None and m.products != "all"
        ban = m.instrument == "ban" or m.severity == 1.0
        severity = m.severity if m.severity is not None else (1.0 if ban else LICENCE_SEVERITY.mode or 0.5)
        note = "" if ban or m.severity is not None else (
            " Severity of a licensing regime is not published: φ ~ triangular(0.1, 0.5, 0.9), an assumption.")
        if not ban and m.severity is None:
            uncertain[f"severity.{slug}"] = LICENCE_SEVERITY
        codes = [c for c in m.products if len(c) == 6]
        measure: sp.ExportRestriction | sp.Tariff = sp.ExportRestriction(
            id=slug, exporter=m.exporter,
            products=sp.ProductSpec(kind="hs6", values=tuple(codes)),
            targets=sp.TargetSpec(mode="all") if m.targets == "all"
            else sp.TargetSpec(mode="only", countries=tuple(m.targets)),
            severity=severity, start=start, duration_months=12, source_measure=m.id)
        desc = f"{m.title} ({m.authority} {m.number}); {flags}.{note}"
    else:
        assert m.importer is not None
        rated = [e for e in m.history if e.rate is not None and (as_of is None or e.date is None
                                                                  or e.date <= _as_date(as_of))]
        if not rated:
            raise ScenarioError(f"measure {m.id} has no rate on or before {as_of}",
                                hint=f"use a date after {m.history[0].date}")
        entry = rated[-1]
        if m.products == "all":
            products = sp.ProductSpec(kind="all", exclude=m.exclude)
        elif all(len(c) == 6 for c in m.products):
            products = sp.ProductSpec(kind="hs6", values=tuple(m.products), exclude=m.exclude)
        else:
            products = sp.ProductSpec(kind="hs_prefix", values=tuple(m.products), exclude=m.exclude)
        measure = sp.Tariff(
            id=slug, importer=m.importer,
            exporters="all" if m.exporters == "all" else tuple(m.exporters),
            products=products, rate=entry.rate or 0.0, all_in=entry.all_in, stacks=True,
            start=entry.date or start, source_measure=m.id)
        extra = ""
        if entry.exporter_rates:
            extra = " Exporter-specific rates not modelled: " + ", ".join(
                f"{k} {v:.0%}" for k, v in entry.exporter_rates.items()) + "."
        desc = f"{m.title} ({m.authority} {m.number}) at {entry.rate:.0%}; {flags}.{extra}"
    return sp.ScenarioSpec(name=slug, description=desc, base_year=year, measures=[measure],
                           uncertain=uncertain, draws=draws, seed=seed)
