"""Scenario files: validation, one-line errors naming field, value and what is allowed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from kakehashi.errors import InputError
from kakehashi.scenarios.spec import (
    MAX_DRAWS,
    ExportRestriction,
    ScenarioSpec,
    Tariff,
    load_spec,
    parse_spec,
)

GOOD = """\
name: test-scenario
base_year: 2023
measures:
  - type: export_restriction
    id: ban
    exporter: chn
    products: [280530, "850511"]
    targets: {all_but: [USA]}
    severity: 0.8
    start: 2026-12-01
  - type: tariff
    importer: USA
    exporters: [IND]
    rate: 0.25
    start: 2025-08-27
uncertain:
  theta: {dist: uniform, low: 0.1, high: 0.3}
  severity.ban: {dist: triangular, low: 0.5, mode: 0.9, high: 1}
"""


def test_good_file_round_trips(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text(GOOD)
    spec = load_spec(f)
    r, t = spec.measures
    assert isinstance(r, ExportRestriction) and isinstance(t, Tariff)
    assert r.exporter == "CHN" and r.products.values == ("280530", "850511")
    assert r.targets.covers("JPN") and not r.targets.covers("USA")
    assert r.start == dt.date(2026, 12, 1) and r.duration_months == 12
    assert t.id == "m2" and t.exporters == ("IND",) and t.products.kind == "all" and t.stacks
    assert spec.draws == 1000 and spec.parameters.sigma == 1.5
    assert parse_spec(spec.to_yaml()) == spec


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("severity: 0.8", "severity: 1.5",
         r"s\.yaml:9: measures\[0\]\.severity: 1\.5 is not allowed; "
         r"input should be less than or equal to 1$"),
        ("severity: 0.8", "severty: 0.8",
         r"s\.yaml:9: measures\[0\]\.severty: unknown field 'severty' .*did you mean: severity"),
        ("type: tariff", "type: tarif",
         r"s\.yaml:11: measures\[1\]\.type: unknown measure type 'tarif'.*did you mean: tariff"),
        ("exporter: chn", "exporter: CHINA",
         r"s\.yaml:6: measures\[0\]\.exporter: a country must be an ISO 3166-1 alpha-3 code"),
        ("theta: {dist", "thetta: {dist",
         r"s\.yaml:17: uncertain\.thetta: unknown parameter 'thetta'.*did you mean theta"),
        ("low: 0.1, high: 0.3", "low: 0.1",
         r"uncertain\.theta: a uniform distribution needs low, high; missing high"),
        ("name: test-scenario", f"name: test-scenario\ndraws: {MAX_DRAWS + 1}",
         r"s\.yaml:2: draws: 100001 is not allowed; input should be less than or equal to 100000"),
        ("rate: 0.25", "rate: -0.25",
         r"measures\[1\]\.rate: -0\.25 is not allowed; .*greater than or equal to 0"),
        ("theta: {dist: uniform, low: 0.1, high: 0.3}", "theta: {dist: normal, mean: 0.2, sd: 0.1}",
         r"uncertain\.theta: a normal distribution .* leaves the allowed range \[0\.0, 1\.0\]"),
        ("severity.ban:", "severity.bann:", r"uncertain\.severity\.bann: unknown parameter.*severity\.ban"),
        ("targets: {all_but: [USA]}", "targets: {all_except: [USA]}",
         r"measures\[0\]\.targets: write targets as"),
        ("start: 2026-12-01", "start: 2026-13-01", r"cannot read a value: month must be in 1\.\.12"),
        ("  - type: tariff", "  - typ: tariff", r"measures\[1\]: a measure needs 'type'"),
        ("id: ban", "id: m2", r"measures\[1\]: two measures share the id 'm2'"),
        ("    start: 2025-08-27\n", "",
         r"s\.yaml:11: measures\[1\]\.start: a stacked tariff needs a start date"),
        ("products: [280530", "products: [2805301",
         r"measures\[0\]\.products: an HS code must be six digits"),
    ],
)
def test_field_errors_are_one_line(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    f = tmp_path / "s.yaml"
    f.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(InputError, match=expected) as info:
        load_spec(f)
    assert "\n" not in str(info.value)
    assert "and 1 more" not in str(info.value)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("parameters:\n  sigma: -1\n", r"parameters\.sigma: -1 is not allowed"),
        ("parameters:\n  export_supply_elasticity: 0\n",
         r"parameters\.export_supply_elasticity: 0 is not allowed"),
        ("parameters:\n  import_demand_elasticities: {850511: -1.2}\n",
         r"elasticity of 850511 is -1\.2; .*positive magnitudes"),
    ],
)
def test_negative_elasticities_refused(extra: str, expected: str) -> None:
    with pytest.raises(InputError, match=expected):
        parse_spec(GOOD + extra)


def test_product_forms() -> None:
    base = {"name": "p", "base_year": 2023}
    forms: dict[str | int, tuple[str, tuple[str, ...]]] = {
        "critical-minerals": ("workstream", ("critical-minerals",)),
        "all": ("all", ()),
        "850511": ("hs6", ("850511",)),
        80300: ("hs6", ("080300",)),  # YAML integers lose the leading zero; restored
    }
    for given, want in forms.items():
        spec = ScenarioSpec.model_validate({**base, "measures": [
            {"type": "tariff", "importer": "USA", "rate": 0.1, "stacks": False, "products": given}]})
        assert (spec.measures[0].products.kind, spec.measures[0].products.values) == want
    spec = parse_spec("name: p\nbase_year: 2023\nmeasures:\n  - type: export_restriction\n"
                      "    exporter: CHN\n    products: {commodity: rare-earths}\n")
    assert spec.measures[0].products.kind == "commodity"


def test_not_a_mapping_and_bad_yaml() -> None:
    with pytest.raises(InputError, match="must be a YAML mapping"):
        parse_spec("- just a list\n")
    with pytest.raises(InputError, match=r"x\.yaml:2: not valid YAML"):
        parse_spec("name: a\n  bad: [\n", origin="x.yaml")
    with pytest.raises(InputError, match="not found"):
        load_spec("/nonexistent/scenario.yaml")


def test_shipped_examples_validate(tmp_path: Path) -> None:
    from kakehashi.scenarios.spec import example_names, example_text

    names = example_names()
    assert {"china-rare-earth-ban", "us-tariff-india-stacked", "ga-ge-squeeze-japan-india"} <= set(names)
    for name in names:
        f = tmp_path / f"{name}.yaml"
        f.write_text(example_text(name))
        spec = load_spec(f)
        assert spec.name == name and spec.uncertain and spec.draws == 1000
    with pytest.raises(InputError, match="did you mean: china-rare-earth-ban"):
        example_text("china-rare-earth-bans")


def test_scenario_file_that_is_not_utf8(tmp_path: Path) -> None:
    from kakehashi.scenarios.spec import load_spec

    path = tmp_path / "bin.yaml"
    path.write_bytes(b"\x00\xff\xfe name: x\n")
    with pytest.raises(InputError, match="not UTF-8 text") as err:
        load_spec(path)
    assert err.value.file == str(path)


def test_inline_elasticity_tables_round_trip_and_refuse_bad_values() -> None:
    text = GOOD + "parameters:\n  import_demand_elasticities: {280530: 1.5, jpn: {'850511': 0.8}}\n"
    spec = parse_spec(text)
    assert spec.parameters.import_demand_elasticities == {"280530": 1.5, "JPN": {"850511": 0.8}}
    assert parse_spec(spec.to_yaml()) == spec
    for table, expected in (("{JPN: 1.2}", r"the table of importer JPN must be a mapping"),
                            ("{280530: .inf}", r"elasticity of 280530 is inf; it must be a finite number"),
                            ("eps.csv", r"a table given by file name or URL is not accepted here")):
        with pytest.raises(InputError, match=expected):
            parse_spec(GOOD + f"parameters:\n  import_demand_elasticities: {table}\n")


def test_table_file_errors_name_the_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "eps.csv").write_text("hs6,elasticity,importer\n280530,1.5,\n850511,nan,JPN\n")
    f = tmp_path / "s.yaml"
    f.write_text(GOOD + "parameters:\n  import_demand_elasticities: eps.csv\n")
    with pytest.raises(InputError, match=r"eps\.csv:3: elasticity nan of 850511 must be a finite positive"):
        load_spec(f)
    (tmp_path / "eps.csv").write_text("code,value\n280530,1.5\n")
    with pytest.raises(InputError, match=r"eps\.csv: needs columns hs6 and elasticity"):
        load_spec(f)
    f.write_text(GOOD + "parameters:\n  import_demand_elasticities: missing.csv\n")
    with pytest.raises(InputError, match=r"cannot read .*missing\.csv"):
        load_spec(f)
