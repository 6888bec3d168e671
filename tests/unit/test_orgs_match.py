"""Partner matching: export potential by hand on a three-country fixture; agreement with substitutes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from kakehashi.orgs.matching import firm_matches
from kakehashi.questions.matching import MATCH_COLUMNS, partner_match
from kakehashi.warehouse import Warehouse

# SYNTHETIC three-country world, 2023, USD: (exporter, importer, hs6) -> value
FLOWS = {
    ("CHN", "JPN", "850511"): 80.0,
    ("IND", "JPN", "850511"): 20.0,
    ("CHN", "IND", "850511"): 30.0,
    ("IND", "CHN", "850511"): 10.0,
    ("JPN", "CHN", "280530"): 50.0,
    ("IND", "JPN", "280530"): 40.0,
    ("CHN", "IND", "280530"): 200.0,
    ("JPN", "IND", "280530"): 25.0,
}


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    rows = [{"year": 2023, "exporter": e, "importer": i, "hs6": k, "value_usd": v, "quantity_t": None,
             "hs_revision": "HS22", "source": "hand-made SYNTHETIC test data"}
            for (e, i, k), v in FLOWS.items()]
    w = Warehouse(tmp_path_factory.mktemp("match3") / "wh")
    w.ingest("trade_flows", pd.DataFrame(rows), source="hand-made SYNTHETIC test data")
    return w


def s(pred: object) -> float:
    return sum(v for key, v in FLOWS.items() if pred(*key))  # type: ignore[operator]


def hand(importer: str, partner: str, hs6: str) -> dict[str, float]:
    """Export potential and its inputs, summed from FLOWS with plain Python."""
    x_pk = s(lambda e, i, k: e == partner and k == hs6)
    x_wk = s(lambda e, i, k: k == hs6)
    m_mk = s(lambda e, i, k: i == importer and k == hs6)
    actual = s(lambda e, i, k: e == partner and i == importer and k == hs6)
    x_p = s(lambda e, i, k: e == partner)
    x_pm = s(lambda e, i, k: e == partner and i == importer)
    m_m = s(lambda e, i, k: i == importer)
    x_w = s(lambda e, i, k: True)
    ti = (x_pm / x_p) / (m_m / x_w)
    ep = x_pk / x_wk * m_mk * ti
    rca = (x_pk / x_p) / (x_wk / x_w)
    spare = s(lambda e, i, k: e == partner and i != importer and k == hs6)
    return {"export_potential_usd": ep, "unrealised_potential_usd": max(0.0, ep - actual),
            "partner_exports_to_importer_usd": actual, "partner_rca": rca, "partner_spare_usd": spare}


def test_export_potential_by_hand(three: Warehouse) -> None:
    df = partner_match(three, "JPN", "IND", "CHN", both=True)
    assert list(df.columns) == list(MATCH_COLUMNS)
    # JPN depends on CHN only for 850511; IND only for 280530 (the reverse direction)
    assert df[["importer", "partner", "hs6"]].values.tolist() == [["JPN", "IND", "850511"],
                                                                 ["IND", "JPN", "280530"]]
    for r in df.itertuples(index=False):
        h = hand(r.importer, r.partner, r.hs6)
        for col, val in h.items():
            assert getattr(r, col) == pytest.approx(val, rel=1e-12), col
    fwd = df.iloc[0]
    assert fwd.rival_usd == 80.0
    # worked numbers: TI = (60/70)/(140/455); EP = 30/140 * 100 * TI
    assert fwd.export_potential_usd == pytest.approx(30 / 140 * 100 * (60 / 70) / (140 / 455))
    assert fwd.unrealised_potential_usd == pytest.approx(fwd.export_potential_usd - 20)


def test_match_agrees_with_substitutes(tiny_warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from kakehashi.cli import main

    monkeypatch.setenv("KAKEHASHI_WAREHOUSE", str(tiny_warehouse.path))
    assert main(["substitutes", "-i", "JPN", "-r", "CHN", "-p", "IND", "--format", "json"]) == 0
    sub = pd.DataFrame(json.loads(capsys.readouterr().out))
    assert main(["match", "--importer", "JPN", "--partner", "IND", "--rival", "CHN", "--format", "json"]) == 0
    m = pd.DataFrame(json.loads(capsys.readouterr().out))
    both = sub.merge(m, on="hs6", suffixes=("_sub", "_match"))
    assert len(both) == len(m) == len(sub) > 5
    assert (both["partner_spare_usd_sub"] == both["partner_spare_usd_match"]).all()
    # and the unrealised potential is never negative, never above the potential
    assert (m["unrealised_potential_usd"] >= 0).all()
    assert (m["unrealised_potential_usd"] <= m["export_potential_usd"] + 1e-6).all()


def test_firm_matches_names_only_when_both_opt_in() -> None:
    bom = [{"item": "magnet", "hs6": "850511", "supplier_country": "CHN", "annual_spend_usd": 5.0,
            "seeking_alternatives": True},
           {"item": "wire", "hs6": "854411", "supplier_country": "CHN", "annual_spend_usd": 5.0,
            "seeking_alternatives": False}]
    caps = [{"hs6": "850511", "country": "IND", "annual_capacity_usd": 9.0},
            {"hs6": "854411", "country": "IND", "annual_capacity_usd": 9.0}]
    others = [({"name": "Open Ltd", "country": "IND", "disclose": True}, caps),
              ({"name": "Quiet Ltd", "country": "IND", "disclose": False}, caps),
              ({"name": "Same Country KK", "country": "JPN", "disclose": True}, caps)]
    named = firm_matches({"name": "Acme", "country": "JPN", "disclose": True}, bom, others)
    assert [r["counterpart"] for r in named] == ["Open Ltd", "a registered supplier in IND"]
    assert {r["item"] for r in named} == {"magnet"}
    hidden = firm_matches({"name": "Acme", "country": "JPN", "disclose": False}, bom, others)
    assert [r["counterpart"] for r in hidden] == ["a registered supplier in IND"] * 2


def test_match_cli_empty_and_bad(three: Warehouse, capsys: pytest.CaptureFixture[str],
                                 tmp_path: Path) -> None:
    from kakehashi.cli import main

    assert main(["match", "-w", str(three.path), "--importer", "CHN", "--partner", "IND",
                 "--rival", "JPN"]) == 0
    assert "no product where CHN depends on JPN" in capsys.readouterr().out
    assert main(["match", "-w", str(three.path), "--importer", "JPX"]) == 2
