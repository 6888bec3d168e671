"""The shipped example scenarios run end to end on the tiny SYNTHETIC sample world."""

from __future__ import annotations

from pathlib import Path

import pytest

from kakehashi import Warehouse
from kakehashi.scenarios.run import KEY_COLUMNS, run_scenario
from kakehashi.scenarios.spec import example_names, example_text, load_spec, parse_spec


@pytest.fixture(scope="module")
def tiny_wh(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    from kakehashi.sample import generate

    world = generate("tiny", years=[2023])
    wh = Warehouse(tmp_path_factory.mktemp("tiny"))
    wh.ingest("trade_flows", world.trade_flows_year(2023), source="kakehashi sample tiny (SYNTHETIC)")
    return wh


def _spec(tmp_path: Path, name: str, draws: int = 200):  # type: ignore[no-untyped-def]
    f = tmp_path / f"{name}.yaml"
    f.write_text(example_text(name).replace("draws: 1000", f"draws: {draws}"))
    return load_spec(f)


@pytest.mark.parametrize("name", example_names())
def test_example_runs(tmp_path: Path, tiny_wh: Warehouse, name: str) -> None:
    res = run_scenario(_spec(tmp_path, name), tiny_wh)
    t = res.table
    assert list(t.columns[:9]) == KEY_COLUMNS and len(t) > 0
    assert res.draws == 200
    assert (t.p5 <= t.p50 + 1e-9).all() and (t.p50 <= t.p95 + 1e-9).all()
    assert not t[["p5", "p50", "p95"]].isna().any().any()
    assert len(res.summary) > 0


def test_rare_earth_ban_propagates_down_the_catalogue_chain(tmp_path: Path, tiny_wh: Warehouse) -> None:
    res = run_scenario(_spec(tmp_path, "china-rare-earth-ban"), tiny_wh)
    t = res.table
    assert {0, 1}.issubset(set(t.tier))  # catalogue chain links reach downstream products
    down = t[(t.tier >= 1) & (t.metric == "supply_cut_share")]
    assert (down.p95 <= 1.0).all() and (down.p95 > 0).any()
    assert any("chain links used have no published input share: inputs assumed to be" in n for n in res.notes)
    share = t[t.metric == "net_shortfall_share"]
    assert (share.p95 <= 1.0 + 1e-12).all() and (share.p5 >= 0).all()


def test_india_tariff_stacks_on_duties_in_force(tmp_path: Path, tiny_wh: Warehouse) -> None:
    res = run_scenario(_spec(tmp_path, "us-tariff-india-stacked", draws=100), tiny_wh)
    t = res.table
    before = t[(t.metric == "tariff_before") & (t.exporter == "IND")]
    after = t[(t.metric == "tariff_after") & (t.exporter == "IND")]
    assert len(before) > 0
    # on 2026-01-01 the catalogue has the reciprocal 25 % and the Russian-oil 25 % in force for India
    non_232 = before[~before.hs6.str.startswith("87")]
    assert (non_232.p50 - 0.50).abs().max() < 1e-12
    assert ((after.p50.to_numpy() - before.p50.to_numpy()) == pytest.approx(0.25))
    assert any("US-IEEPA-IND-RUSSIAN-OIL (25%)" in n for n in res.notes)
    welfare = t[(t.metric == "welfare_change_usd") & (t.hs6 == "ALL")]
    assert welfare.p50.iloc[0] < 0


def test_workstream_and_commodity_selectors(tiny_wh: Warehouse) -> None:
    base = "name: sel\nbase_year: 2023\nparameters: {tiers: 1}\nmeasures:\n" \
           "  - type: export_restriction\n    exporter: CHN\n    products: {sel}\n"
    ws = run_scenario(parse_spec(base.replace("{sel}", "{workstream: critical-minerals}")), tiny_wh)
    com = run_scenario(parse_spec(base.replace("{sel}", "{commodity: rare-earths}")), tiny_wh)
    assert set(com.table[com.table.tier == 0].hs6) <= set(ws.table[ws.table.tier == 0].hs6)
    from kakehashi.errors import InputError

    with pytest.raises(InputError, match=r"measures\[0\]\.products: unknown workstream 'critical-mineral'"):
        run_scenario(parse_spec(base.replace("{sel}", "{workstream: critical-mineral}")), tiny_wh)
    with pytest.raises(InputError, match=r"measures\[0\]\.products: unknown mineral commodity 'rare-earth'"):
        run_scenario(parse_spec(base.replace("{sel}", "{commodity: rare-earth}")), tiny_wh)
