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

Users' own measures (:func:`load_catalogue`, ``catalogue(extra=path)``): YAML
files in the same schema, each with its own ``information_cutoff`` and
sources (they may also cite the bundled source keys), validated as the bundled
file is (fields, dates, HS 2022 codes, source keys) and merged into it; an id
already used by the bundled catalogue or another file is an error. Every error
names the file, the line (from the YAML node of the offending item) and the
field. Readers take the files as ``extra=`` (:func:`measures_as_of`,
:func:`get_measure`, :func:`spec_from_measure`, :func:`tariffs_in_force`);
the front ends pass ``--measures`` / ``KAKEHASHI_MEASURES`` through.

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
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
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

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$",
                    description="Letters, digits, '-', '_', '.', ':' (≤ 80), e.g. CN-2025-18-RARE-EARTHS")
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


MeasuresFiles = str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None
"""User measures files given to the readers below: one path, several, or ``None`` (bundled only)."""

BUNDLED = "bundled"
"""``origin`` of the measures shipped with the package."""

_DATE_HINT = "write dates as YYYY-MM-DD, e.g. 2026-10-01"
_CODE_HINT = ("product scopes are quoted HS 2022 chapters, headings or subheadings (2, 4 or 6 digits) "
              "of the nomenclature, e.g. \"8505\" or \"850511\"")
_TOP_FIELDS = ("information_cutoff", "sources", "measures")


@dataclass(frozen=True)
class Catalogue:
    """The parsed measures: the bundled file, plus any user files merged into it.

    ``origins`` and ``cutoffs`` name, for each user measure, the file it came
    from and that file's ``information_cutoff``; bundled measures are absent
    from both (origin :data:`BUNDLED`, cut-off :attr:`information_cutoff`).
    """

    measures: tuple[Measure, ...]
    sources: dict[str, str]
    information_cutoff: dt.date
    origins: dict[str, str] = field(default_factory=dict)
    cutoffs: dict[str, dt.date] = field(default_factory=dict)
    files: tuple[tuple[str, dt.date], ...] = ()
    """User files merged in, with their information cut-offs."""

    def origin_of(self, m: Measure) -> str:
        """The file ``m`` came from (:data:`BUNDLED` for the package's own)."""
        return self.origins.get(m.id, BUNDLED)

    def cutoff_of(self, m: Measure) -> dt.date:
        """The information cut-off of the file ``m`` came from."""
        return self.cutoffs.get(m.id, self.information_cutoff)


@dataclass(frozen=True)
class _Parsed:
    catalogue: Catalogue
    id_lines: dict[str, int]
    source_lines: dict[str, int]


@cache
def _bundled() -> Catalogue:
    text = resources.files("kakehashi.catalogue").joinpath("data/measures.yaml").read_text(encoding="utf-8")
    return parse_catalogue(text, origin="measures.yaml")


def catalogue(extra: MeasuresFiles = None) -> Catalogue:
    """The packaged catalogue (cached), with the user files ``extra`` merged in (:func:`load_catalogue`)."""
    paths = _paths(extra)
    return load_catalogue(paths) if paths else _bundled()


def _paths(extra: MeasuresFiles) -> tuple[str, ...]:
    if extra is None:
        return ()
    if isinstance(extra, str | os.PathLike):
        return (os.fspath(extra),)
    return tuple(os.fspath(p) for p in extra)


def load_catalogue(paths: Sequence[str | os.PathLike[str]]) -> Catalogue:
    """The bundled catalogue plus the measures of the user files ``paths``.

    Each file has the catalogue's schema (``information_cutoff``, ``sources``,
    ``measures``) and is validated as the bundled file is; its measures may
    cite its own source keys or the bundled ones. Results are cached per path,
    modification time and size, so an edited file is read again.

    Raises
    ------
    InputError
        A missing or unreadable file, a field error (unknown field, bad date,
        unknown HS code, ...) or a measure id already used by the bundled
        catalogue or another user file: one line naming the file, the line
        and the field.
    """
    keys = []
    for p in paths:
        path = os.fspath(p)
        try:
            st = os.stat(path)
        except OSError as exc:
            raise InputError(f"cannot read the measures file: {exc.strerror}", file=path,
                             hint="pass an existing YAML file to --measures or KAKEHASHI_MEASURES") from None
        keys.append((path, st.st_mtime_ns, st.st_size))
    return _merged(tuple(keys))


@lru_cache(maxsize=32)
def _user_file(path: str, mtime_ns: int, size: int) -> _Parsed:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(f"cannot read the measures file: {reason}", file=path,
                         hint="save the measures file as UTF-8 YAML") from None
    return _parse(text, path, known_sources=_bundled().sources)


@lru_cache(maxsize=32)
def _merged(keys: tuple[tuple[str, int, int], ...]) -> Catalogue:
    base = _bundled()
    measures = list(base.measures)
    sources = dict(base.sources)
    owner = {m.id: "the bundled catalogue" for m in base.measures}
    origins: dict[str, str] = {}
    cutoffs: dict[str, dt.date] = {}
    files: list[tuple[str, dt.date]] = []
    for path, mtime, size in keys:
        parsed = _user_file(path, mtime, size)
        user = parsed.catalogue
        for key, text in user.sources.items():
            if key in sources and sources[key] != text:
                used = "the bundled catalogue" if key in base.sources else "another measures file"
                raise InputError(f"field sources.{key}: the source key {key} is already used by {used} "
                                 f"for {sources[key]!r}", file=path, line=parsed.source_lines.get(key),
                                 hint="give your source a key of its own, e.g. SEC1")
            sources[key] = text
        for m in user.measures:
            if m.id in owner:
                raise InputError(f"field id: the measure id {m.id!r} is already used by {owner[m.id]}",
                                 file=path, line=parsed.id_lines.get(m.id),
                                 hint="give each measure a new id, e.g. prefixed with your organisation")
            owner[m.id] = path
            origins[m.id] = path
            cutoffs[m.id] = user.information_cutoff
            measures.append(m)
        files.append((path, user.information_cutoff))
    return Catalogue(tuple(measures), sources, base.information_cutoff, origins, cutoffs, tuple(files))


def parse_catalogue(text: str, *, origin: str = "measures.yaml",
                    known_sources: Mapping[str, str] | None = None) -> Catalogue:
    """Validate a measures file: every field, every HS code, every source key, unique ids.

    Parameters
    ----------
    text
        The file's YAML text.
    origin
        The file's name, for messages.
    known_sources
        Source keys the measures may cite besides the file's own (a user file
        may cite the bundled catalogue's keys).

    Raises
    ------
    InputError
        The first problem, as ``FILE:LINE: field NAME of measure ID: reason``
        (the line comes from the YAML node of the offending item).
    """
    return _parse(text, origin, known_sources=known_sources or {}).catalogue


class _Loader(yaml.SafeLoader):
    """Safe YAML loader that leaves dates as text, so a bad date is a field error with its line."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _node_at(node: yaml.Node | None, loc: Sequence[Any], *, key: bool = False) -> yaml.Node | None:
    """The YAML node at ``loc`` under ``node`` (its key node with ``key=True``), as deep as it exists."""
    for i, part in enumerate(loc):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == str(part):
                    node = k if key and i == len(loc) - 1 else v
                    break
            else:
                return node
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            return node
    return node


def _line(node: yaml.Node | None, loc: Sequence[Any] = (), *, key: bool = False) -> int | None:
    found = _node_at(node, loc, key=key)
    return found.start_mark.line + 1 if found is not None else None


def _field_name(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@cache
def _hs22_prefixes() -> frozenset[str]:
    """Chapters, headings and subheadings of HS 2022 (the package's list, ``sample/hs22_codes.txt``)."""
    text = resources.files("kakehashi.sample").joinpath("hs22_codes.txt").read_text(encoding="utf-8")
    out: set[str] = set()
    for row in text.splitlines():
        if not row or row.startswith("#"):
            continue
        head, *tails = row.split()
        out.update((head[:2], head, *(head + t for t in tails)))
    return frozenset(out)


def _check_codes(raw: dict[str, Any], node: yaml.Node | None, label: str, origin: str) -> None:
    """Every code of a product scope is quoted text and a chapter, heading or subheading of HS 2022."""
    known = _hs22_prefixes()
    for name in ("products", "products_unverified", "exclude"):
        values = raw.get(name)
        if not isinstance(values, list):
            continue
        for i, code in enumerate(values):
            if isinstance(code, str) and code in known:
                continue
            if isinstance(code, str) and _PREFIX.match(code):
                reason = f"unknown HS code {code!r}: not in the HS 2022 nomenclature"
            elif isinstance(code, int):
                reason = f"HS code {code} is a number: quote it (\"{code}\") so leading zeros are kept"
            else:
                reason = f"{code!r} is not an HS chapter, heading or six-digit code"
            raise InputError(f"field {name}[{i}] of {label}: {reason}", file=origin,
                             line=_line(node, (name, i)), value=code, hint=_CODE_HINT)


def _parse(text: str, origin: str, *, known_sources: Mapping[str, str]) -> _Parsed:
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", file=origin,
                         line=mark.line + 1 if mark is not None else None,
                         hint="check indentation and quoting") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict) or "measures" not in data:
        raise InputError("a measures file is a mapping with information_cutoff, sources and measures",
                         file=origin, line=1, hint="see 'User measures' in the README for an example")
    for name in data:
        if name not in _TOP_FIELDS:
            raise InputError(f"field {name}: unknown field", file=origin, line=_line(root, (name,), key=True),
                             hint=f"a measures file has the fields {', '.join(_TOP_FIELDS)}")
    if "information_cutoff" not in data:
        raise InputError("field information_cutoff is missing", file=origin, line=1,
                         hint="add 'information_cutoff: YYYY-MM-DD', the date up to which the file is known")
    try:
        cutoff = dt.date.fromisoformat(str(data["information_cutoff"]))
    except ValueError:
        raise InputError(f"field information_cutoff: cannot read the date {data['information_cutoff']!r}",
                         file=origin, line=_line(root, ("information_cutoff",)), hint=_DATE_HINT) from None
    raw_sources = data.get("sources") or {}
    if not isinstance(raw_sources, dict):
        raise InputError("field sources: a mapping of source keys to what they refer to", file=origin,
                         line=_line(root, ("sources",)), hint="write e.g. 'sources: {S1: mofcom.gov.cn ...}'")
    sources = {str(k): str(v) for k, v in raw_sources.items()}
    source_lines = {str(k): _line(root, ("sources", str(k)), key=True) or 1 for k in raw_sources}
    raw_measures = data["measures"]
    if not isinstance(raw_measures, list):
        raise InputError("field measures: a list of measures", file=origin, line=_line(root, ("measures",)),
                         hint="write each measure as an item '- id: ...' under 'measures:'")
    citable = set(sources) | set(known_sources)
    out: list[Measure] = []
    id_lines: dict[str, int] = {}
    for i, raw in enumerate(raw_measures):
        node = _node_at(root, ("measures", i))
        if not isinstance(raw, dict):
            raise InputError(f"field measures[{i}]: a measure is a mapping of fields", file=origin,
                             line=_line(node), hint="see 'User measures' in the README for an example")
        label = f"measure {raw.get('id', f'measures[{i}]')}"
        _check_codes(raw, node, label, origin)
        try:
            m = Measure.model_validate(raw)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = [p for p in err["loc"] if isinstance(p, int) or "[" not in str(p)]
            if err["type"] == "extra_forbidden":
                model = StatusEntry if loc and loc[0] == "history" else Measure
                raise InputError(f"field {_field_name(loc)} of {label}: unknown field", file=origin,
                                 line=_line(node, loc, key=True), value=loc[-1] if loc else None,
                                 hint=f"fields: {', '.join(model.model_fields)}") from None
            is_date = "date" in err["type"] or (loc and str(loc[-1]) in ("date", "until", "announced",
                                                                         "effective"))
            msg = err["msg"]
            if is_date and isinstance(err.get("input"), str):
                reason = (err.get("ctx") or {}).get("error")
                msg = f"cannot read the date {err['input']!r}" + (f" ({reason})" if reason else "")
            raise InputError(f"field {_field_name(loc) or 'measure'} of {label}: {msg}",
                             file=origin, line=_line(node, loc),
                             hint=_DATE_HINT if is_date else "see the fields of measures.yaml") from None
        keys = set(m.sources).union(*(e.sources for e in m.history))
        missing = sorted(keys - citable)
        if missing:
            where: tuple[str | int, ...] = ("sources",) if set(m.sources) & set(missing) else ()
            if not where:
                k = next(k for k, e in enumerate(m.history) if set(e.sources) & set(missing))
                where = ("history", k, "sources")
            raise InputError(f"field {_field_name(where)} of measure {m.id}: measure {m.id} cites unknown "
                             f"source keys {missing}", file=origin, line=_line(node, where),
                             hint="list every source key under 'sources:' (or cite a key of the bundled "
                             "catalogue)")
        if m.id in id_lines:
            raise InputError(f"field id: duplicate measure id {m.id!r} (first at line {id_lines[m.id]})",
                             file=origin, line=_line(node, ("id",)), hint="give each measure its own id")
        id_lines[m.id] = _line(node, ("id",)) or 1
        out.append(m)
    return _Parsed(Catalogue(tuple(out), sources, cutoff), id_lines, source_lines)


def load_measures(extra: MeasuresFiles = None) -> list[Measure]:
    """All catalogued measures (with those of the user files ``extra``)."""
    return list(catalogue(extra).measures)


def get_measure(measure_id: str, *, extra: MeasuresFiles = None) -> Measure:
    """The measure called ``measure_id`` (bundled or in the user files ``extra``);
    unknown → InputError with close matches."""
    cat = catalogue(extra)
    for m in cat.measures:
        if m.id == measure_id:
            return m
    upper = measure_id.upper()
    for m in cat.measures:
        if m.id.upper() == upper:
            return m
    raise unknown_value_error("measure", measure_id, [m.id for m in cat.measures])


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


def status_as_of(measure: Measure, date: dt.date | str, *,
                 cutoff: dt.date | None = None) -> StatusAsOf | None:
    """The state of ``measure`` on ``date``; None before its first dated entry.

    ``cutoff`` is the information cut-off of the file the measure comes from
    (default: the bundled catalogue's; see :meth:`Catalogue.cutoff_of`).
    """
    d = _as_date(date)
    if cutoff is None:
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


def measures_as_of(date: dt.date | str | None = None, country: str | None = None, *,
                   extra: MeasuresFiles = None) -> pd.DataFrame:
    """The catalogue as of ``date`` (default today), optionally for one country.

    Parameters
    ----------
    date
        Reading date (``datetime.date`` or ``YYYY-MM-DD``).
    country
        ISO3 code; keeps measures that name it (issuer, exporter, importer,
        target, exporter subject to a tariff) or apply to every country.
    extra
        User measures files merged into the bundled catalogue (:func:`load_catalogue`).

    Returns
    -------
    pandas.DataFrame
        One row per measure announced by ``date``: id, issuer, kind, title,
        exporter, importer, targets, products, rate, status, since, until,
        active, flag, after_cutoff (the date is after the information cut-off
        of the measure's file), sources, note, origin (``bundled`` or the user
        file). Sorted by issuer and date.
    """
    d = _as_date(date)
    code = country.strip().upper() if country else None
    cat = catalogue(extra)
    if code is not None:
        known = set().union(*(m.countries() for m in cat.measures))
        if code not in known and not re.match(r"^[A-Z]{3}$", code):
            raise unknown_value_error("country", code, sorted(known))
    rows: list[dict[str, Any]] = []
    for m in cat.measures:
        if code is not None and not m.affects(code):
            continue
        st = status_as_of(m, d, cutoff=cat.cutoff_of(m))
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
            "origin": cat.origin_of(m),
        })
    cols = ["id", "issuer", "kind", "title", "exporter", "importer", "products", "rate", "status", "since",
            "until", "active", "flag", "after_cutoff", "sources", "note", "origin"]
    df = pd.DataFrame(rows, columns=cols)
    return df.sort_values(["issuer", "since", "id"], kind="stable").reset_index(drop=True)


def measures_on_products(codes: Sequence[str], countries: Sequence[str],
                         date: dt.date | str | None = None, *, extra: MeasuresFiles = None) -> pd.DataFrame:
    """Measures as of ``date`` that concern ``countries`` and cover any of the HS 2022 ``codes``.

    The rows of :func:`measures_as_of` whose measure names one of ``countries``
    or applies to every country (:meth:`Measure.affects`) and whose product
    scope covers at least one code (:meth:`Measure.covers_product`, prefixes
    and exclusions applied); measures without goods (technology, entity lists)
    are left out.
    """
    cat = catalogue(extra)
    keep = {m.id for m in cat.measures
            if any(m.affects(c) for c in countries) and any(m.covers_product(h) for h in codes)}
    df = measures_as_of(date, extra=extra)
    return df[df["id"].isin(keep)].reset_index(drop=True)


def tariffs_in_force(date: dt.date | str, importer: str, *, exclude_ids: tuple[str, ...] = (),
                     extra: MeasuresFiles = None) -> list[tuple[Measure, StatusAsOf]]:
    """Tariff measures of ``importer`` in force on ``date`` with a rate (for stacking)."""
    out = []
    cat = catalogue(extra)
    for m in cat.measures:
        if m.kind != "tariff" or m.importer != importer or m.id in exclude_ids or not m.products:
            continue
        st = status_as_of(m, date, cutoff=cat.cutoff_of(m))
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
                      seed: int = 20261121, available_years: Iterable[int] | None = None,
                      extra: MeasuresFiles = None) -> sp.ScenarioSpec:
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
    extra
        User measures files in which ``measure_id`` may also be found.

    Raises
    ------
    InputError
        Unknown measure (with close matches); no year of ``available_years``
        fits the measure (see :func:`default_base_year`).
    ScenarioError
        The measure covers no goods (technology, entity list, court ruling ...).
    """
    m = get_measure(measure_id, extra=extra)
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
            " Severity of a licensing regime (the share of shipments it stops) is not published: drawn "
            "between 0.1 and 0.9, most likely 0.5 (triangular), an assumption.")
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
    try:
        return sp.ScenarioSpec(name=slug, description=desc, base_year=year, measures=[measure],
                               uncertain=uncertain, draws=draws, seed=seed)
    except ValidationError as exc:  # a base year, draws or seed out of range: one line naming the field
        raise sp.validation_error(exc, {"base_year": year, "draws": draws, "seed": seed}) from None
