"""Scenario files: YAML validated by pydantic v2.

A scenario names a base year (whose trade flows are the baseline), a list of
measures, point values of the model parameters, the uncertain ones with their
distributions, the number of Monte-Carlo draws and the seed::

    name: china-rare-earth-ban
    description: China bans rare-earth and magnet exports to everyone for a year
    base_year: 2023
    measures:
      - type: export_restriction
        id: ree-ban
        exporter: CHN
        products: {workstream: critical-minerals}   # or [280530, 850511] or {commodity: rare-earths}
        targets: all                               # or [JPN, IND] or {all_but: [USA]}
        severity: 1.0                              # φ in [0, 1]; 1 is a ban
        start: 2026-12-01
        duration_months: 12
      - type: tariff
        importer: USA
        exporters: [IND]                           # or all
        products: all                              # or HS6 list, workstream, commodity
        rate: 0.25                                 # additional ad-valorem duty (0.25 = 25 %)
        stacks: true                               # on top of duties in force on `start`
        start: 2025-08-27
    parameters:
      theta: 0.2
      sigma: 1.5
    uncertain:
      theta: {dist: uniform, low: 0.1, high: 0.3}
      severity.ree-ban: {dist: triangular, low: 0.6, mode: 0.9, high: 1.0}
    draws: 1000
    seed: 20261121

Every field error is one line naming the field (``measures[0].severity``), the
value and what is allowed, with the line of the YAML file when known.

Parameters (``parameters:``; each may also be made uncertain under ``uncertain:``)

``theta``                      share of other suppliers' third-country exports
                               that can be redirected, [0, 1] (default 0.2)
``price_elasticity``           absolute import-demand elasticity of the price
                               indicator, > 0 (default 0.5)
``default_input_share``        input share of chain links without one, [0, 1] (0.25)
``sigma``                      Armington elasticity among suppliers, ≥ 0 (1.5)
``export_supply_elasticity``   > 0 (99)
``import_demand_elasticity``   absolute value, > 0, for products the table below
                               does not cover (1.0)
``import_demand_elasticities`` table of product-specific values: a mapping
                               ``{hs6: value}``, with optional per-importer
                               mappings ``{ISO3: {hs6: value}}`` that win for
                               that importer; or, in a scenario *file* only, the
                               name of a local CSV file with columns
                               ``hs6, elasticity`` (optionally ``importer``),
                               read when the file is loaded
``tiers``                      chain tiers to propagate, 0–6 (3)

``hs_revision`` (top level, default HS22) names the HS revision of the baseline
trade flows; catalogue selections (workstreams, commodities) are converted to it
through the warehouse's concordance.

``severity`` under ``uncertain:`` applies to every export restriction;
``severity.<measure id>`` to one.

Several export restrictions on the same lane (exporter, product, importer)
combine *by time*: each runs from the month of its ``start`` (one without a
start date begins with the earliest dated restriction) for ``duration_months``;
in each month the severities of the restrictions in force that month combine
as independent cuts, ``1 − Π (1 − φ_m)``, and the USD results sum the months.
A 3-month ban next to a 12-month 50 % cut loses all the lane's trade for three
months and half of it for nine, i.e. ``(3 × 1 + 9 × 0.5) / 12`` of a year's
imports (see :func:`kakehashi.scenarios.restriction.time_combined_severity`).
Every number must be finite (no ``.nan``, ``.inf``).

Tables by name and requests from the network
--------------------------------------------
Only :func:`load_spec` (a scenario file the user names on the command line)
reads the CSV file an elasticity table names, and only a local file, never a
URL. :func:`parse_spec` refuses a table given by name unless it is called with
``allow_files=True``: a scenario that arrives over HTTP carries its tables
inline, so no request can make the server open a file or a URL.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from kakehashi.errors import InputError, close_matches
from kakehashi.scenarios import montecarlo as mc
from kakehashi.scenarios import restriction as rs
from kakehashi.scenarios import tariff as tf
from kakehashi.schemas import HS_REVISIONS

MAX_DRAWS = 100_000
"""Largest number of Monte-Carlo draws a scenario may ask for."""

MAX_TIERS = 6
"""Deepest chain propagation a scenario may ask for."""

MAX_RATE = 10.0
"""Largest additional ad-valorem duty accepted (10.0 = 1,000 %)."""

MAX_MEASURES = 100
"""Most measures one scenario may hold."""

MAX_VALUES = 200_000
"""Most values (mapping entries, list items, scalars) a scenario document may hold before validation;
counts repeated YAML aliases each time they are used, so an alias bomb is refused cheaply."""

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")

_ISO3 = re.compile(r"^[A-Z]{3}$")
_HS6 = re.compile(r"^\d{6}$")


def _iso3(value: Any) -> str:
    if not isinstance(value, str) or not _ISO3.match(value.strip().upper()):
        raise ValueError("a country must be an ISO 3166-1 alpha-3 code such as JPN, IND, CHN")
    return value.strip().upper()


def _hs6(value: Any) -> str:
    if isinstance(value, bool):
        raise ValueError("an HS code must be six digits such as 850511")
    if isinstance(value, int):
        value = f"{value:06d}"
    text = str(value).strip().replace(".", "")
    if not _HS6.match(text):
        raise ValueError("an HS code must be six digits such as 850511")
    return text


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _hs_prefix(value: Any) -> str:
    text = str(value).strip().replace(".", "")
    if isinstance(value, int) and not isinstance(value, bool) and len(text) % 2:
        text = "0" + text  # YAML integers lose the leading zero of chapters 01-09
    if not re.match(r"^\d{2}(\d{2}){0,2}$", text):
        raise ValueError("an HS prefix is a chapter (72), heading (7208) or subheading (720851); "
                         f"got {value!r}")
    return text


class ProductSpec(_Model):
    """Which products a measure covers.

    Written in the scenario file as a list of HS6 codes, a workstream name
    (``critical-minerals``), ``all`` (tariffs only), or a mapping with one of
    ``hs6: [...]``, ``workstream: name``, ``commodity: key`` (USGS commodity,
    e.g. ``rare-earths``), ``hs_prefix: [72, 7403]`` (chapters, headings) or
    ``all: true``, and optionally ``exclude: [prefixes]``.
    """

    kind: Literal["hs6", "workstream", "commodity", "hs_prefix", "all"]
    values: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if isinstance(data, ProductSpec):
            return data
        if isinstance(data, int) and not isinstance(data, bool):
            return {"kind": "hs6", "values": (_hs6(data),)}
        if isinstance(data, str):
            text = data.strip()
            if text.lower() == "all":
                return {"kind": "all"}
            if _HS6.match(text):
                return {"kind": "hs6", "values": (text,)}
            return {"kind": "workstream", "values": (text,)}
        if isinstance(data, list | tuple):
            if not data:
                raise ValueError("the product list is empty; give HS6 codes, a workstream or a commodity")
            return {"kind": "hs6", "values": tuple(_hs6(v) for v in data)}
        if isinstance(data, dict) and "kind" not in data:
            rest = {k: v for k, v in data.items() if k != "exclude"}
            raw_ex = data.get("exclude") or []
            exclude = tuple(_hs_prefix(v) for v in (raw_ex if isinstance(raw_ex, list | tuple) else [raw_ex]))
            kinds = {"hs6", "workstream", "commodity", "hs_prefix", "all"}
            if len(rest) != 1 or not set(rest) <= kinds:
                raise ValueError("write products as a list of HS6 codes, a workstream name, 'all', or one of "
                                 "{hs6: [...]}, {workstream: name}, {commodity: key}, {hs_prefix: [...]}, "
                                 "{all: true} (with an optional exclude: [...])")
            (key, val), = rest.items()
            vals = val if isinstance(val, list | tuple) else [val]
            if key == "all":
                if val is not True:
                    raise ValueError("write all: true")
                return {"kind": "all", "exclude": exclude}
            if key == "hs6":
                return {"kind": "hs6", "values": tuple(_hs6(v) for v in vals), "exclude": exclude}
            if key == "hs_prefix":
                return {"kind": "hs_prefix", "values": tuple(_hs_prefix(v) for v in vals), "exclude": exclude}
            if not isinstance(val, str) or not val.strip():
                raise ValueError(f"{key} must be a name such as "
                                 f"{'critical-minerals' if key == 'workstream' else 'rare-earths'}")
            return {"kind": key, "values": (val.strip(),), "exclude": exclude}
        return data

    def to_yaml(self) -> Any:
        """The compact form written to scenario files."""
        if self.kind == "all" and not self.exclude:
            return "all"
        if self.kind == "hs6" and not self.exclude:
            return list(self.values)
        out: dict[str, Any] = {}
        if self.kind == "all":
            out["all"] = True
        elif self.kind in ("hs6", "hs_prefix"):
            out[self.kind] = list(self.values)
        else:
            out[self.kind] = self.values[0]
        if self.exclude:
            out["exclude"] = list(self.exclude)
        return out

    def excluded(self, hs6: str) -> bool:
        """Whether ``hs6`` falls under one of the excluded prefixes."""
        return any(hs6.startswith(p) for p in self.exclude)


class TargetSpec(_Model):
    """Importers a restriction applies to: ``all``, a list, or ``{all_but: [...]}``."""

    mode: Literal["all", "only", "all_but"]
    countries: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if isinstance(data, TargetSpec):
            return data
        if isinstance(data, str):
            if data.strip().lower() == "all":
                return {"mode": "all"}
            return {"mode": "only", "countries": (_iso3(data),)}
        if isinstance(data, list | tuple):
            if not data:
                raise ValueError("the target list is empty; write 'all' or list importers")
            return {"mode": "only", "countries": tuple(_iso3(c) for c in data)}
        if isinstance(data, dict) and "mode" not in data:
            if set(data) != {"all_but"} or not isinstance(data["all_but"], list | tuple):
                raise ValueError("write targets as 'all', a list of ISO3 codes, or {all_but: [ISO3, ...]}")
            return {"mode": "all_but", "countries": tuple(_iso3(c) for c in data["all_but"])}
        return data

    def covers(self, importer: str) -> bool:
        """Whether the measure applies to ``importer``."""
        if self.mode == "all":
            return True
        if self.mode == "only":
            return importer in self.countries
        return importer not in self.countries

    def to_yaml(self) -> Any:
        """The compact form written to scenario files."""
        if self.mode == "all":
            return "all"
        if self.mode == "only":
            return list(self.countries)
        return {"all_but": list(self.countries)}


class ExportRestriction(_Model):
    """An exporter restricts exports of some products to some importers."""

    type: Literal["export_restriction"] = "export_restriction"
    id: str | None = Field(default=None, description="Short name, used in outputs and `uncertain`.")
    exporter: str
    products: ProductSpec
    targets: TargetSpec = Field(default_factory=lambda: TargetSpec(mode="all"))
    severity: float = Field(default=1.0, ge=0.0, le=1.0,
                            description="φ: share of the exporter's shipments stopped; 1 is a ban.")
    start: dt.date | None = None
    duration_months: int = Field(default=12, ge=1, le=120,
                                 description="Length of the restriction; USD results cover it. Overlapping "
                                 "restrictions combine month by month, 1 − Π(1 − φ) over those in force.")
    source_measure: str | None = Field(default=None, description="Catalogue id it was written from.")

    @field_validator("exporter", mode="before")
    @classmethod
    def _exporter(cls, v: Any) -> str:
        return _iso3(v)


class Tariff(_Model):
    """An importer puts an additional ad-valorem duty on imports from some exporters."""

    type: Literal["tariff"] = "tariff"
    id: str | None = None
    importer: str
    exporters: tuple[str, ...] | Literal["all"] = "all"
    products: ProductSpec = Field(default_factory=lambda: ProductSpec(kind="all"))
    rate: float = Field(ge=0.0, le=MAX_RATE, description="Additional duty, 0.25 = 25 %.")
    all_in: bool = Field(default=False, description="`rate` is the total duty including `base_rate` "
                         "(e.g. the US-Japan 15 % all-in rate): the duty added is max(0, rate - base_rate).")
    stacks: bool = Field(default=True, description="Add to the duties in force on `start`.")
    base_rate: float = Field(default=0.0, ge=0.0, le=MAX_RATE,
                             description="Ad-valorem duty before any catalogued measure (e.g. MFN).")
    start: dt.date | None = None
    source_measure: str | None = None

    @field_validator("importer", mode="before")
    @classmethod
    def _importer(cls, v: Any) -> str:
        return _iso3(v)

    @model_validator(mode="after")
    def _stacking_needs_a_date(self) -> Tariff:
        if self.stacks and self.start is None:
            raise ValueError("[start] a stacked tariff needs a start date: the duties in force on that date "
                             "are stacked (or write stacks: false)")
        return self

    @field_validator("exporters", mode="before")
    @classmethod
    def _exporters(cls, v: Any) -> Any:
        if isinstance(v, str):
            return "all" if v.strip().lower() == "all" else (_iso3(v),)
        if isinstance(v, list | tuple):
            if not v:
                raise ValueError("the exporter list is empty; write 'all' or list exporters")
            return tuple(_iso3(c) for c in v)
        return v


Measure = Annotated[ExportRestriction | Tariff, Field(discriminator="type")]
MEASURE_TYPES: tuple[str, ...] = ("export_restriction", "tariff")


class DistributionSpec(_Model):
    """Distribution of one uncertain parameter (see :mod:`kakehashi.scenarios.montecarlo`)."""

    dist: Literal["uniform", "triangular", "normal", "beta"]
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = Field(default=None, ge=0.0)
    a: float | None = Field(default=None, gt=0.0)
    b: float | None = Field(default=None, gt=0.0)

    @model_validator(mode="after")
    def _complete(self) -> DistributionSpec:
        need = {"uniform": ("low", "high"), "triangular": ("low", "mode", "high"),
                "normal": ("mean", "sd"), "beta": ("a", "b")}[self.dist]
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {self.dist} distribution needs {', '.join(need)}; "
                             f"missing {', '.join(missing)}")
        lo, hi = self.low, self.high
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"low {lo} is above high {hi}")
        if self.dist == "triangular" and not (lo <= self.mode <= hi):  # type: ignore[operator]
            raise ValueError(f"mode {self.mode} must lie between low {lo} and high {hi}")
        return self

    def to_distribution(self) -> mc.Distribution:
        """The kernel-side distribution."""
        return mc.Distribution(self.dist, low=self.low, high=self.high, mode=self.mode,
                               mean=self.mean, sd=self.sd, a=self.a, b=self.b)


class Parameters(_Model):
    """Point values of the model parameters (defaults documented in the kernels)."""

    theta: float = Field(default=rs.DEFAULT_THETA, ge=0.0, le=1.0)
    price_elasticity: float = Field(default=rs.DEFAULT_PRICE_ELASTICITY, gt=0.0)
    default_input_share: float = Field(default=rs.DEFAULT_INPUT_SHARE, ge=0.0, le=1.0)
    sigma: float = Field(default=tf.DEFAULT_SIGMA, ge=0.0)
    export_supply_elasticity: float = Field(default=tf.DEFAULT_EXPORT_SUPPLY_ELASTICITY, gt=0.0)
    import_demand_elasticity: float = Field(default=tf.DEFAULT_IMPORT_DEMAND_ELASTICITY, gt=0.0)
    import_demand_elasticities: dict[str, float | dict[str, float]] | None = Field(
        default=None, description="{hs6: elasticity} with optional {ISO3: {hs6: elasticity}} per importer.")
    tiers: int = Field(default=3, ge=0, le=MAX_TIERS)

    @field_validator("import_demand_elasticities", mode="before")
    @classmethod
    def _table(cls, v: Any) -> Any:
        if isinstance(v, str):  # never echo it: it may name a file or URL the caller probes for
            raise ValueError("a table given by file name is read only from a scenario file on the "
                             "command line; give the table inline as {hs6: elasticity}")
        if isinstance(v, dict):
            out: dict[str, float | dict[str, float]] = {}
            for k, val in v.items():
                if isinstance(k, str) and _ISO3.match(k.strip().upper()):
                    if not isinstance(val, dict):
                        raise ValueError(f"the table of importer {k.strip().upper()} must be a mapping "
                                         "{hs6: elasticity}")
                    out[k.strip().upper()] = {_hs6(c): _elasticity(c, e) for c, e in val.items()}
                else:
                    out[_hs6(k)] = _elasticity(k, val)
            return out
        return v


def _elasticity(code: Any, val: Any) -> float:
    """One import-demand elasticity: a finite positive number."""
    code = _hs6(code)
    if isinstance(val, bool) or not isinstance(val, int | float):
        raise ValueError(f"elasticity of {code} must be a number, got {val!r}")
    if not math.isfinite(val):
        raise ValueError(f"elasticity of {code} is {val}; it must be a finite number")
    if val <= 0:
        raise ValueError(f"elasticity of {code} is {val}; import-demand elasticities are "
                         "written as positive magnitudes (1.2, not -1.2)")
    return float(val)


#: Bounds of each uncertain parameter: (lowest, highest, lowest is allowed).
PARAMETER_BOUNDS: dict[str, tuple[float, float, bool]] = {
    "theta": (0.0, 1.0, True),
    "price_elasticity": (0.0, float("inf"), False),
    "default_input_share": (0.0, 1.0, True),
    "sigma": (0.0, float("inf"), True),
    "export_supply_elasticity": (0.0, float("inf"), False),
    "import_demand_elasticity": (0.0, float("inf"), False),
    "severity": (0.0, 1.0, True),
}


class ScenarioSpec(_Model):
    """A validated scenario (see the module docstring for the file format)."""

    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    base_year: int = Field(ge=1988, le=2100)
    hs_revision: str = Field(default="HS22", description="HS revision of the baseline trade flows.")
    measures: list[Measure] = Field(min_length=1, max_length=MAX_MEASURES)
    parameters: Parameters = Field(default_factory=Parameters)
    uncertain: dict[str, DistributionSpec] = Field(default_factory=dict)
    draws: int = Field(default=1000, ge=1, le=MAX_DRAWS)
    seed: int = Field(default=20261121, ge=0)

    @field_validator("hs_revision")
    @classmethod
    def _revision(cls, v: str) -> str:
        if v not in HS_REVISIONS:
            raise ValueError(f"{v!r} is not an HS revision; allowed: {', '.join(HS_REVISIONS)}")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", v):
            raise ValueError("a scenario name uses letters, digits, '.', '_' and '-' only "
                             "(it names output files)")
        return v

    @field_validator("measures")
    @classmethod
    def _ids(cls, measures: list[ExportRestriction | Tariff]) -> list[ExportRestriction | Tariff]:
        ids: list[str] = []
        out: list[ExportRestriction | Tariff] = []
        for i, m in enumerate(measures):
            mid = m.id or f"m{i + 1}"
            if mid in ids:
                raise ValueError(f"[{i}] two measures share the id {mid!r}; ids must be unique")
            ids.append(mid)
            out.append(m if m.id else m.model_copy(update={"id": mid}))
        return out

    @field_validator("uncertain")
    @classmethod
    def _uncertain(cls, uncertain: dict[str, DistributionSpec], info: ValidationInfo
                   ) -> dict[str, DistributionSpec]:
        if "measures" not in info.data:  # the measures failed: report their error alone
            return uncertain
        measures = info.data["measures"]
        restriction_ids = [m.id for m in measures if isinstance(m, ExportRestriction)]
        allowed = [*PARAMETER_BOUNDS, *(f"severity.{i}" for i in restriction_ids)]
        for key, d in uncertain.items():
            if key not in allowed:
                hint = close_matches(key, allowed)
                raise ValueError(f"[{key}] unknown parameter {key!r}; allowed: {', '.join(allowed)}"
                                 + (f" (did you mean {hint[0]}?)" if hint else ""))
            if key.startswith("severity") and not restriction_ids:
                raise ValueError(f"[{key}] the scenario has no export restriction")
            lo, hi, closed = PARAMETER_BOUNDS[key.split(".")[0]]
            s_lo, s_hi = d.to_distribution().support()
            if s_lo < lo or (s_lo == lo and not closed) or s_hi > hi:
                rng = f"[{lo}, {hi}]" if closed else f"({lo}, {hi}]"
                raise ValueError(f"[{key}] a {d.dist} distribution with support [{s_lo}, {s_hi}] "
                                 f"leaves the allowed range {rng}; set low/high inside it")
        return uncertain

    # ------------------------------------------------------------------ helpers
    def restrictions(self) -> list[ExportRestriction]:
        """The export-restriction measures."""
        return [m for m in self.measures if isinstance(m, ExportRestriction)]

    def tariffs(self) -> list[Tariff]:
        """The tariff measures."""
        return [m for m in self.measures if isinstance(m, Tariff)]

    def to_yaml(self) -> str:
        """The scenario as a YAML document that :func:`load_spec` reads back."""
        data = self.model_dump(mode="json", exclude_none=True)
        for m, raw in zip(self.measures, data["measures"], strict=True):
            raw["products"] = m.products.to_yaml()
            if isinstance(m, ExportRestriction):
                raw["targets"] = m.targets.to_yaml()
            elif m.exporters != "all":
                raw["exporters"] = list(m.exporters)
        if not data["uncertain"]:
            del data["uncertain"]
        return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def example_names() -> list[str]:
    """Names of the scenario files shipped with the package (``catalogue/data/scenarios``)."""
    folder = resources.files("kakehashi.catalogue").joinpath("data", "scenarios")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def example_text(name: str) -> str:
    """The YAML text of a shipped example; unknown name → InputError with close matches."""
    names = example_names()
    if name not in names:
        from kakehashi.errors import unknown_value_error

        raise unknown_value_error("example scenario", name, names)
    folder = resources.files("kakehashi.catalogue").joinpath("data", "scenarios")
    return folder.joinpath(f"{name}.yaml").read_text(encoding="utf-8")


class _Dumper(yaml.SafeDumper):
    """Block style, except lists of plain values, which are written inline."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(v, dict | list) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


# ----------------------------------------------------------------------- loading

def load_spec(path: str | Path) -> ScenarioSpec:
    """Read and validate a scenario file (the command line's door).

    An elasticity table given by name is read here, from a local CSV file
    (relative names are relative to the scenario file); a URL is refused.

    Raises
    ------
    InputError
        The file is missing, is not YAML, or a field is wrong; the message
        names the file, the line, the field, the value and what is allowed.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(f"scenario file {p} not found",
                         hint="write one (see 'kakehashi scenario from-measure') or check the path")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start}): {exc.reason}", file=p,
                         hint="a scenario is a YAML text file; save it as UTF-8") from None
    return parse_spec(text, origin=p, allow_files=True)


def parse_spec(source: str | dict[str, Any], *, origin: str | Path | None = None,
               allow_files: bool = False) -> ScenarioSpec:
    """Validate a scenario given as YAML text or an already-parsed mapping.

    Parameters
    ----------
    source
        YAML text or a mapping.
    origin
        The file the text came from, for messages (and, with ``allow_files``,
        the folder relative table names are read from).
    allow_files
        Read an elasticity table given by file name (a local file only). False
        (the default, and always for requests over the network): a table given
        by name is an :class:`InputError` that says nothing of the target, and
        no file or URL is opened.
    """
    text = source if isinstance(source, str) else None
    if isinstance(source, str):
        try:
            data = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise InputError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=origin,
                             line=mark.line + 1 if mark else None,
                             hint="check indentation and quoting") from None
        except (ValueError, TypeError) as exc:  # e.g. a date such as 2026-13-01
            raise InputError(f"cannot read a value: {exc}", file=origin,
                             hint="dates are written YYYY-MM-DD") from None
    else:
        data = source
    if not isinstance(data, dict):
        raise InputError("a scenario file must be a YAML mapping with name, base_year and measures",
                         file=origin)
    check_size(data, origin=origin)
    data = _inline_tables(data, text=text, origin=origin, allow_files=allow_files)
    try:
        return ScenarioSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, data, text=text, origin=origin) from None


def check_size(data: Any, *, limit: int = MAX_VALUES, origin: str | Path | None = None) -> None:
    """Refuse a document with more than ``limit`` values (aliases counted at each use).

    The walk stops at the limit, so its cost is bounded whatever the input.
    """
    stack = [data]
    seen = 0
    while stack:
        node = stack.pop()
        seen += 1
        if seen > limit:
            raise InputError(f"the scenario holds more than {limit:,} values", file=origin,
                             hint="a scenario lists measures and parameters; select products by "
                             "workstream, commodity or HS prefix rather than listing thousands of codes")
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)


_TABLE_FIELD = "parameters.import_demand_elasticities"


def _inline_tables(data: dict[str, Any], *, text: str | None, origin: str | Path | None,
                   allow_files: bool) -> dict[str, Any]:
    """``data`` with an elasticity table given by file name replaced by its content (or refused)."""
    params = data.get("parameters")
    if not isinstance(params, dict) or not isinstance(params.get("import_demand_elasticities"), str):
        return data
    name = params["import_demand_elasticities"]
    line = _yaml_line(text, ("parameters", "import_demand_elasticities"))
    if not allow_files:  # say nothing of the target: whether it exists, what it holds
        raise InputError(f"{_TABLE_FIELD}: a table given by file name or URL is not accepted here",
                         file=origin, line=line,
                         hint="give the table inline, e.g. {850511: 1.2, 280530: 0.8}, optionally with "
                         "per-importer tables such as JPN: {850511: 0.9}")
    if _URL.match(name.strip()):
        raise InputError(f"{_TABLE_FIELD}: {name!r} is a URL; tables are read from local files only",
                         file=origin, line=line,
                         hint="download the CSV and name the local file, or give the table inline")
    path = Path(name)
    if not path.is_absolute() and origin is not None:
        path = Path(origin).parent / path
    table = read_elasticity_table(path)
    return {**data, "parameters": {**params, "import_demand_elasticities": table}}


def read_elasticity_table(path: Path) -> dict[str, float | dict[str, float]]:
    """Read a CSV of import-demand elasticities (columns ``hs6, elasticity``, optionally ``importer``).

    Rows without an importer give the generic ``{hs6: value}``; rows with one
    give ``{ISO3: {hs6: value}}``, which wins for that importer.

    Raises
    ------
    InputError
        The file cannot be read, lacks a column, or holds a value that is not a
        finite positive number (the message names the file and line).
    """
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
    except OSError as exc:
        raise InputError(f"{_TABLE_FIELD}: cannot read {path}: {exc.strerror}",
                         hint="give a CSV with columns hs6, elasticity (optionally importer)") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", file=path,
                         hint="save the table as UTF-8 CSV") from None
    header = [c.strip() for c in rows[0]] if rows else []
    if not {"hs6", "elasticity"} <= set(header):
        raise InputError("needs columns hs6 and elasticity", file=path,
                         hint="optionally an importer column (ISO3) for country-specific values")
    col = {name: header.index(name) for name in ("hs6", "elasticity", "importer") if name in header}
    out: dict[str, Any] = {}
    for k, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise InputError(f"{len(row)} fields where the header has {len(header)}", file=path, line=k)
        raw = row[col["elasticity"]].strip()
        try:
            value = float(raw)
        except ValueError:
            raise InputError(f"elasticity {raw!r} is not a number", file=path, line=k, value=raw) from None
        code = row[col["hs6"]].strip().zfill(6)
        if not _HS6.match(code):
            raise InputError(f"{code!r} is not a six-digit HS code", file=path, line=k, value=code)
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"elasticity {value} of {code} must be a finite positive number (a magnitude)",
                             file=path, line=k, value=value, hint="write 1.2 for an elasticity of -1.2")
        imp = row[col["importer"]].strip().upper() if "importer" in col else ""
        if not imp:
            out[code] = value
        elif _ISO3.match(imp):
            out.setdefault(imp, {})[code] = value
        else:
            raise InputError(f"importer {imp!r} is not an ISO3 code", file=path, line=k, value=imp)
    return out


def _loc_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _clean_loc(loc: tuple[Any, ...], data: Any) -> tuple[Any, ...]:
    """Drop pydantic's union-tag and validator parts from an error location."""
    out: list[Any] = []
    node = data
    for part in loc:
        if isinstance(part, str) and isinstance(node, dict) and part not in node and (
            part in MEASURE_TYPES or part.startswith(("function-", "tagged-union"))
        ):
            continue
        if isinstance(part, str) and "[" in part:  # e.g. 'function-after[...]'
            continue
        out.append(part)
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            node = None
    return tuple(out)


def _yaml_line(text: str | None, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the YAML node at ``loc`` (or of its deepest existing parent)."""
    if text is None:
        return None
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        nxt = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(part):
                    nxt = v
                    line = k.start_mark.line + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            nxt = node.value[part]
        node = nxt
    if node is not None:
        line = node.start_mark.line + 1
    return line


_ALL_FIELDS = sorted({*ScenarioSpec.model_fields, *ExportRestriction.model_fields, *Tariff.model_fields,
                      *Parameters.model_fields, *DistributionSpec.model_fields})


def validation_error(exc: ValidationError, data: Any, *, text: str | None = None,
                     origin: str | Path | None = None) -> InputError:
    """Turn pydantic's error list into one line: field, value, what is allowed."""
    errors = exc.errors()
    err = errors[0]
    loc = _clean_loc(tuple(err["loc"]), data)
    field = _loc_text(loc) or "scenario"
    value = err.get("input")
    kind = err["type"]
    msg = str(err["msg"]).removeprefix("Value error, ")
    keyed = re.match(r"^\[([^\]]+)\] ", msg)
    if keyed:  # a validator of a list or mapping names the element at fault
        key = keyed.group(1)
        loc = (*loc, int(key) if key.isdigit() else key)
        field = _loc_text(loc)
        msg = msg[keyed.end():]
        value = None
    hint: str | None = None
    if kind == "extra_forbidden":
        name = str(loc[-1]) if loc else "?"
        parent = _loc_text(loc[:-1]) or "the scenario"
        matches = close_matches(name, _ALL_FIELDS)
        message = f"{field}: unknown field {name!r} in {parent}"
        hint = f"did you mean: {', '.join(matches)}?" if matches else "remove it"
    elif kind == "missing":
        message = f"{field}: required field is missing"
    elif kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag", value)
        matches = close_matches(str(tag), MEASURE_TYPES)
        message = f"{field}.type: unknown measure type {tag!r}; allowed: {', '.join(MEASURE_TYPES)}"
        hint = f"did you mean: {', '.join(matches)}?" if matches else None
    elif kind == "union_tag_not_found":
        message = f"{field}: a measure needs 'type', one of {', '.join(MEASURE_TYPES)}"
    elif kind == "literal_error":
        message = f"{field}: {value!r} is not allowed; {msg[0].lower() + msg[1:]}"
    elif isinstance(value, dict | list) or kind in ("value_error", "assertion_error"):
        message = f"{field}: {msg}"
    else:
        message = f"{field}: {value!r} is not allowed; {msg[0].lower() + msg[1:]}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})"
    return InputError(message, file=origin, line=_yaml_line(text, loc), value=value, hint=hint)
