"""Key messages and recommended actions (kakehashi.questions.briefing) on hand-made SYNTHETIC tables."""

from __future__ import annotations

import pandas as pd
import pytest

from kakehashi import Warehouse
from kakehashi.questions import briefing as bq

CTX = bq.Context(importer="Japan (JPN)", rival="China (CHN)", workstream="critical-minerals", year=2023,
                 partner="India (IND)")

# SYNTHETIC screen: three products, two dependent, most severe first
SCREEN = pd.DataFrame({
    "hs6": ["111111", "222222", "333333"],
    "product_name": ["Alpha metal", "Beta oxide", "Gamma ore"],
    "dependent": [True, True, False],
    "rival_usd": [60e6, 30e6, 10e6],
    "rival_share": [0.9, 0.6, 0.2],
    "severity": [80.0, 50.0, 5.0],
})

# SYNTHETIC substitution: the world could replace Beta only, the partner nothing but Beta
SUB = SCREEN.assign(world_could_replace=[False, True, True], partner_could_replace=[False, True, False])

# SYNTHETIC scenario summary: net shortfalls of JPN (two products), and of IND (left out)
SUMMARY = pd.DataFrame({
    "importer": ["JPN", "JPN", "IND", "JPN"],
    "hs6": ["111111", "222222", "111111", "333333"],
    "product_name": ["Alpha metal", "Beta oxide", "Alpha metal", "Gamma ore"],
    "metric": ["net_shortfall_usd"] * 3 + ["direct_loss_usd"],
    "p5": [10e6, 1e6, 5e6, 1.0], "p50": [20e6, 4e6, 9e6, 2.0], "p95": [35e6, 8e6, 12e6, 3.0],
})

# SYNTHETIC portfolio products: one infeasible row that must not count
PRODUCTS = pd.DataFrame({
    "hs6": ["111111", "222222", "333333"],
    "product_name": ["Alpha metal", "Beta oxide", "Gamma ore"],
    "imports_usd": [100e6, 300e6, 50e6],
    "rival_share_before": [0.8, 0.4, 0.9],
    "rival_share_after": [0.6, 0.4, 0.9],
    "partner_share_falls": [False, True, True],
    "extra_cost_usd": [2e6, -1e6, 7e6],
    "status": ["optimal", "optimal", "infeasible"],
})


def test_screen_message_counts_and_sums_the_dependent_products() -> None:
    text = bq.screen_message(CTX, SCREEN)
    # 2 of 3 dependent; 60 m + 30 m bought from the rival; the first is 90 % from it
    assert "for 2 of the 3 critical-minerals products" in text
    assert "buying 90.0 m USD" in text
    assert "Alpha metal (111111) and Beta oxide (222222)" in text and "90% of the first" in text
    none = bq.screen_message(CTX, SCREEN.assign(dependent=False))
    assert none.startswith("None of the 3") and "100.0 m USD" in none  # 60 + 30 + 10


def test_replacement_message_says_who_could_and_who_could_not() -> None:
    text = bq.replacement_message(CTX, SUB)
    assert "in full for 1 of the 2 dependent products" in text
    assert "India (IND) alone for 1 (Beta oxide (222222))" in text
    assert "nobody could for 1 product worth 60.0 m USD" in text and "Alpha metal (111111)" in text


def test_scenario_message_sums_the_medians_of_the_importer() -> None:
    text = bq.scenario_message(CTX, SUMMARY, ["JPN"])
    assert text is not None
    # JPN net shortfalls: 20 m + 4 m (IND's and the direct loss are left out)
    assert "short of 24.0 m USD" in text and "2 products' median" in text
    assert "Alpha metal (111111): a median 20.0 m USD, 5th–95th percentile 10.0 m–35.0 m USD" in text
    assert bq.scenario_message(CTX, SUMMARY, ["KOR"]) is None


def test_portfolio_totals_by_hand() -> None:
    t = bq.portfolio_totals(PRODUCTS)
    assert t is not None and t.products == 2  # the infeasible row is left out
    assert t.imports_usd == pytest.approx(400e6)
    assert t.rival_share_before == pytest.approx((0.8 * 100 + 0.4 * 300) / 400)  # 0.5
    assert t.rival_share_after == pytest.approx((0.6 * 100 + 0.4 * 300) / 400)  # 0.45
    assert t.extra_cost_usd == pytest.approx(1e6) and t.extra_cost_share == pytest.approx(1 / 400)
    assert t.partner_falls == ["222222"]
    text = bq.portfolio_message(CTX, PRODUCTS)
    assert text is not None and "from 50.0% to 45.0%" in text and "extra cost of 1.0 m USD" in text
    assert "India (IND)'s share falls for 1 product (222222)" in text
    saving = bq.portfolio_message(CTX, PRODUCTS.assign(extra_cost_usd=[-2e6, -2e6, 0.0]))
    assert saving is not None and "a saving of 4.0 m USD (1.0% of the import bill" in saving


def test_key_messages_and_actions_follow_the_tables() -> None:
    msgs = bq.key_messages(CTX, SCREEN, SUB, SUMMARY, PRODUCTS, ["JPN"])
    assert len(msgs) == 4
    acts = bq.actions(CTX, SUB, SUMMARY, PRODUCTS, ["JPN"])
    assert acts[0].startswith("Build stocks or long-term contracts for Alpha metal (111111)")
    assert acts[1].startswith("Agree supply with India (IND) for Beta oxide (222222)")
    assert "licensing regime on Alpha metal (111111) and Beta oxide (222222)" in acts[2]
    # the portfolio moves (0.8 - 0.6) × 100 m = 20 m away from the rival in Alpha, nothing in Beta
    assert acts[3].startswith("Shift sourcing as the portfolio proposes, starting with Alpha metal (111111),")
    assert acts[4].startswith("Check with India (IND) the 1 product where its share would fall (222222)")
    # nothing to say without tables
    assert bq.actions(CTX, SUB.iloc[0:0], SUMMARY.iloc[0:0], PRODUCTS.iloc[0:0], ["JPN"]) == []


def test_stage_summary_puts_mine_beside_refinery(tiny_warehouse: Warehouse) -> None:
    from kakehashi.questions import exposure

    p = tiny_warehouse.table("production")
    raw = tiny_warehouse.execute(p.filter(p.commodity == "copper"))
    stages = exposure.stage_summary(tiny_warehouse, ["copper"], "CHN")
    assert sorted(stages["stage"]) == sorted(set(raw["stage"])) == ["mine", "refinery"]
    for _, row in stages.iterrows():  # the rival's share, recomputed from the raw rows of that stage and year
        part = raw[(raw["stage"] == row["stage"]) & (raw["year"] == row["year"]) & raw["quantity"].notna()]
        chn = part.loc[part["country"] == "CHN", "quantity"].sum()
        assert row["rival_share"] == pytest.approx(chn / part["quantity"].sum())
        assert row["year"] == raw.loc[raw["stage"] == row["stage"], "year"].max()


def test_bands_table_of_a_scenario_without_shortfall_is_empty() -> None:
    from kakehashi.questions.whatif import bands_table

    # SYNTHETIC: every net shortfall zero (a workstream the rival's licence does not bite on)
    table = pd.DataFrame({"metric": ["net_shortfall_usd"] * 2, "importer": ["JPN"] * 2,
                          "exporter": ["CHN"] * 2, "hs6": ["111111", "222222"], "tier": [0, 1],
                          "product_name": ["Alpha", "Beta"],
                          "p5": [0.0, 0.0], "p50": [0.0, 0.0], "p95": [0.0, 0.0]})
    out = bands_table(table, "net_shortfall_usd")
    assert out.empty
    assert list(out.columns) == ["label", "importer", "exporter", "hs6", "tier", "p5", "p50", "p95"]
