"""What if? Scenarios from catalogued measures or written by the user, with one set of defaults.

* :func:`measure_spec`: a catalogued measure as a scenario, with the defaults
  every front end shares: :data:`~kakehashi.questions.defaults.DRAWS` draws,
  seed :data:`~kakehashi.questions.defaults.SEED`, and as base year the latest
  year of data not after the year before the measure (:func:`kakehashi.scenarios.measures.default_base_year`).
* :func:`licence_spec`: the briefing pack's scenario (the rival puts a
  workstream's goods under export licence for the importer and partner).
* :func:`scenario_spec`: either of the above, or a scenario mapping, with the
  overrides a user may give (draws, the severity of every restriction, θ).
* :func:`run`, :func:`summary`, :func:`bands_table`: results as tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from kakehashi.errors import InputError
from kakehashi.questions import defaults
from kakehashi.warehouse import Warehouse


def data_years(wh: Warehouse) -> list[int]:
    """Years of trade data in the warehouse (of the revision a question reads)."""
    from kakehashi.questions.exposure import trade_revision

    if "trade_flows" not in wh.tables():
        return []
    return sorted(trade_revision(wh)[1])


# -------------------------------------------------------------------- builders
def measure_spec(measure_id: str, *, data_years: Sequence[int], base_year: int | None = None,
                 as_of: str | None = None, draws: int = defaults.DRAWS, seed: int = defaults.SEED,
                 extra: Any = None) -> Any:
    """A catalogued measure as a validated scenario, with the shared defaults.

    :func:`kakehashi.scenarios.measures.spec_from_measure` with base year
    ``base_year`` or :func:`kakehashi.scenarios.measures.default_base_year` of the measure's year and
    ``data_years`` (the measure's own default when no data years are given);
    ``extra`` names user measures files where the library reads them.
    """
    from kakehashi.scenarios.measures import spec_from_measure

    return spec_from_measure(measure_id, base_year=base_year, as_of=as_of, draws=draws, seed=seed,
                             available_years=list(data_years) if len(data_years) else None, extra=extra)


def licence_spec(importer: Sequence[str], rival: str, partner: str | None, workstream: str, *,
                 base_year: int, revision: str, draws: int = defaults.DRAWS,
                 months: int = defaults.SCENARIO_MONTHS) -> dict[str, Any]:
    """The briefing pack's scenario as a scenario mapping: the rival puts every good of the
    workstream under export licence for the importer (and the partner) for ``months`` months,
    with the catalogue's uncertain licence severity
    (:data:`kakehashi.scenarios.measures.LICENCE_SEVERITY`, as for catalogued licensing regimes).
    """
    from kakehashi.present.labels import country_cell, country_label
    from kakehashi.scenarios.measures import LICENCE_SEVERITY

    targets = list(importer) + ([partner] if partner and partner not in importer else [])
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", f"{rival}-licence-{workstream}")
    severity = LICENCE_SEVERITY
    return {
        "name": name,
        "description": f"{country_label(rival)} puts every {workstream} good under export licence for "
                       f"{country_cell(targets)} for {months} months; the share of trade stopped is "
                       "uncertain "
                       f"(triangular {severity.low}-{severity.mode}-{severity.high}).",
        "base_year": base_year,
        "hs_revision": revision,
        "measures": [{"type": "export_restriction", "id": "licence", "exporter": rival,
                      "products": {"workstream": workstream}, "targets": targets,
                      "severity": severity.mode, "duration_months": months}],
        "uncertain": {"severity.licence": severity.model_dump(exclude_none=True)},
        "draws": draws,
        "seed": defaults.SEED,
    }


def scenario_spec(*, measure_id: str | None = None, scenario: dict[str, Any] | str | None = None,
                  data_years: Sequence[int] = (), base_year: int | None = None, draws: int | None = None,
                  severity: float | None = None, theta: float | None = None,
                  as_of: str | None = None, extra: Any = None) -> Any:
    """A validated :class:`~kakehashi.scenarios.spec.ScenarioSpec` from a measure or a mapping.

    From a catalogued measure (:func:`measure_spec`: draws default
    :data:`~kakehashi.questions.defaults.DRAWS`, base year
    :func:`~kakehashi.scenarios.measures.default_base_year`) or a scenario mapping / YAML text
    (:func:`kakehashi.scenarios.spec.parse_spec`); then the overrides (draws,
    base year of a mapping, the severity φ of every export restriction, θ) are
    applied and the result validated again.
    """
    from kakehashi.scenarios.spec import parse_spec

    if (measure_id is None) == (scenario is None):
        raise InputError("give either a catalogued measure or a scenario, not both or neither",
                         hint="send measure_id (see /api/measures) or a scenario mapping")
    if measure_id is not None:
        spec = measure_spec(measure_id, data_years=data_years, base_year=base_year, as_of=as_of,
                            draws=draws if draws is not None else defaults.DRAWS, extra=extra)
    else:
        spec = parse_spec(scenario)  # type: ignore[arg-type]
    base_override = base_year if measure_id is None else None
    if draws is None and severity is None and theta is None and base_override is None:
        return spec
    data = spec.model_dump(mode="json", exclude_none=True)
    if draws is not None:
        data["draws"] = draws
    if base_override is not None:
        data["base_year"] = base_override
    if theta is not None:
        data.setdefault("parameters", {})["theta"] = theta
    if severity is not None:
        for m in data["measures"]:
            if m.get("type") == "export_restriction":
                m["severity"] = severity
        data["uncertain"] = {k: v for k, v in data.get("uncertain", {}).items()
                             if not k.startswith("severity")}
    return parse_spec(data)


def parse_scenario_text(text: str) -> dict[str, Any]:
    """Read a scenario written as YAML into a mapping (validated later by the scenario spec)."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"the scenario is not valid YAML{where}: {getattr(exc, 'problem', exc)}",
                         hint="check indentation and quoting") from None
    if not isinstance(data, dict):
        raise InputError("a scenario must be a YAML mapping with name, base_year and measures")
    return data


# ------------------------------------------------------------------------ runs
def run(wh: Warehouse, spec: Any, extra: Any = None) -> Any:
    """Run a scenario (:func:`kakehashi.scenarios.run.run_scenario`; ``extra``: user measures files)."""
    from kakehashi.scenarios.run import run_scenario

    return run_scenario(spec, wh, measures=extra)


def summary(result: Any) -> pd.DataFrame:
    """The summary of a scenario run as a table (``ScenarioResult.summary``)."""
    s = getattr(result, "summary", None)
    if isinstance(s, pd.DataFrame):
        return s
    if isinstance(s, dict):
        return pd.DataFrame([s])
    return pd.DataFrame()


def measures(country: str | None = None, as_of: str | None = None, extra: Any = None) -> pd.DataFrame:
    """Catalogued measures as of a date, with those of the user files ``extra`` where supported
    (:func:`kakehashi.scenarios.measures.measures_as_of`)."""
    from kakehashi.scenarios.measures import measures_as_of

    return measures_as_of(as_of, country=country, extra=extra)


def runnable_measures(wh: Warehouse, country: str | None = None, as_of: str | None = None,
                      extra: Any = None) -> pd.DataFrame:
    """:func:`measures` with whether each can be simulated on this warehouse, and why not.

    A measure is runnable when it becomes a scenario (:func:`measure_spec`: it
    names goods with HS codes, and a rate for a tariff; a base year fits the
    data) and passes the checks the run makes before computing
    (:func:`kakehashi.scenarios.run.preflight`: trade flows in the base year, at
    least one of its HS codes traded then). Front ends list the runnable ones
    to pick from and show the reason for the others.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`measures`, then ``runnable`` (bool) and ``reason``
        (empty when runnable, else a phrase such as "none of its HS codes (…) is
        traded in 2023 in this warehouse").
    """
    from kakehashi.errors import KakehashiError
    from kakehashi.scenarios.measures import get_measure
    from kakehashi.scenarios.run import preflight

    df = measures(country, as_of, extra=extra).copy()
    years = data_years(wh)
    reasons: list[str] = [""] * len(df)
    specs: list[Any] = []
    where: list[int] = []
    for i, mid in enumerate(df["id"]):
        m = get_measure(str(mid), extra=extra)
        if not m.simulable():
            reasons[i] = ("names no goods with HS codes or no duty rate" if m.kind == "tariff"
                          else "names no goods with HS codes")
            continue
        try:
            specs.append(measure_spec(str(mid), data_years=years, draws=1, extra=extra))
            where.append(i)
        except KakehashiError as exc:
            reasons[i] = _reason(exc, None)
    if specs:
        if not years:
            for i in where:
                reasons[i] = "the warehouse holds no trade flows"
        else:
            for i, spec, err in zip(where, specs, preflight(specs, wh), strict=True):
                if err is not None:
                    reasons[i] = _reason(err, spec.base_year)
    df["runnable"] = [not r for r in reasons]
    df["reason"] = reasons
    return df


def _reason(exc: Any, year: int | None) -> str:
    """An error that keeps a measure from running, as a phrase after the measure's name."""
    value = getattr(exc, "value", None)
    if year is not None and isinstance(value, str) and value:
        codes = value.split(", ")
        shown = ", ".join(codes[:6]) + (f" and {len(codes) - 6} more" if len(codes) > 6 else "")
        return f"none of its HS codes ({shown}) is traded in {year} in this warehouse"
    if year is not None and isinstance(value, int):
        return f"the warehouse holds no trade flows for its base year {value}"
    return str(exc.message)


def measures_on_products(codes: list[str], countries: list[str], as_of: str | None = None,
                         extra: Any = None) -> pd.DataFrame:
    """Measures concerning ``countries`` that cover any of ``codes``, as of a date, with those of the
    user files ``extra`` (:func:`kakehashi.scenarios.measures.measures_on_products`)."""
    from kakehashi.scenarios.measures import measures_on_products as on_products

    return on_products(codes, countries, as_of, extra=extra)


METRIC_PREFERENCE: tuple[str, ...] = ("net_shortfall_usd", "direct_loss_usd", "trade_total_usd",
                                      "welfare_change_usd")
"""Metrics drawn first when present."""


def default_metric(table: pd.DataFrame) -> str | None:
    """The metric to chart first: a shortfall in USD if present, else the first metric."""
    if table.empty or "metric" not in table:
        return None
    present = list(dict.fromkeys(table["metric"].astype(str)))
    for m in METRIC_PREFERENCE:
        if m in present:
            return m
    usd = [m for m in present if m.endswith("_usd")]
    return usd[0] if usd else present[0]


def bands_table(table: pd.DataFrame, metric: str, *, top: int = 15, with_importer: bool = True,
                name_width: int | None = 32) -> pd.DataFrame:
    """The ``top`` rows of one metric, by median, labelled for a bands chart (zero rows left out);
    product names cut at ``name_width`` characters (``None``: whole, for a chart that wraps them).

    Columns ``label, importer, exporter, hs6, tier, p5, p50, p95``.
    """
    from kakehashi.scenarios.run import ALL_PRODUCTS, WORLD

    rows = table[(table["metric"] == metric) & (table["hs6"] != ALL_PRODUCTS) & (table["importer"] != WORLD)]
    rows = rows[(rows[["p5", "p50", "p95"]].abs() > 0).any(axis=1)]
    rows = rows.sort_values("p50", ascending=False, kind="stable").head(top)
    cols = [c for c in ("label", "importer", "exporter", "hs6", "tier", "p5", "p50", "p95")
            if c == "label" or c in rows]
    if rows.empty:  # every row zero: nothing to label (an empty Series would not add to text)
        return pd.DataFrame(columns=cols)
    from kakehashi.present import shorten

    name = (rows["product_name"].map(lambda n: shorten(n, name_width) if name_width else (n or ""))
            if "product_name" in rows else "")
    label = rows["hs6"].astype(str) + " " + name
    if with_importer:
        label = rows["importer"].astype(str) + " " + label
    if "tier" in rows:
        label = label + rows["tier"].map(lambda t: f" (tier {int(t)})" if pd.notna(t) and int(t) > 0 else "")
    out = rows.assign(label=label.str.strip())
    cols = [c for c in ("label", "importer", "exporter", "hs6", "tier", "p5", "p50", "p95") if c in out]
    return out[cols].reset_index(drop=True)


def headline(scenario: str, metric: str | None, bands: pd.DataFrame) -> str:
    """One sentence on a scenario's largest effect: the first row of :func:`bands_table` (largest median).

    ``"<scenario>: the largest effect is on <importer>'s <product> (HS …): <metric> of <median> in the
    median draw (<p5> to <p95> in 90 % of draws)."``; metric names read through
    :func:`kakehashi.present.labels.column_label`, values formatted in the metric's unit.

    Examples
    --------
    >>> import pandas as pd
    >>> b = pd.DataFrame({"label": ["x"], "importer": ["JPN"], "hs6": ["850511"], "p5": [1e8],
    ...                   "p50": [4.5e8], "p95": [6.6e8]})
    >>> import textwrap
    >>> print(textwrap.fill(headline("ban", "net_shortfall_usd", b), 70))
    ban: the largest effect is on Japan, HS 850511: net shortfall (USD) of
    450.0 m in the median draw (100.0 m to 660.0 m in 90 % of draws).
    """
    from kakehashi.present import fmt_num, fmt_share, fmt_usd, metric_unit
    from kakehashi.present.labels import column_label, country_label

    if metric is None or bands.empty:
        return f"{scenario}: no importer or product is affected in the results shown."
    r = bands.iloc[0]
    unit = metric_unit(metric)

    def fmt(v: object) -> str:
        return fmt_usd(v) if unit == "USD" else fmt_share(v) if unit == "share" else fmt_num(v, 3)

    who = country_label(str(r["importer"])) if "importer" in r else ""
    return (f"{scenario}: the largest effect is on {who}, HS {r['hs6']}: {column_label(metric)} of "
            f"{fmt(r['p50'])} in the median draw ({fmt(r['p5'])} to {fmt(r['p95'])} in 90 % of draws).")
