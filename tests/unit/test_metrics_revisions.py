"""One analysis revision, one source per year, coverage: real BACI files and hand-made cases.

Real files (skipped when ``shared/data`` is absent): the complete BACI HS17 2024 file of 30
critical-material codes and the BACI HS92 2021 extract of two exporters (ZAF, AFG), with the UN HS
concordance. Hand-made rows are SYNTHETIC.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _realdata import BACI24, CODES24, mixed_warehouse

from kakehashi.errors import InputError
from kakehashi.warehouse import Warehouse

SRC = "hand-made test data (SYNTHETIC)"


# ------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def wh24(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The complete 2024 file alone, no concordance: analyses run in its own revision, HS17."""
    from kakehashi.sources.baci import load_baci

    wh = Warehouse(tmp_path_factory.mktemp("baci24") / "wh")
    load_baci(wh, [shared_data / BACI24], country_codes=shared_data / CODES24)
    return wh


@pytest.fixture(scope="module")
def wh_mixed(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """HS92 2021 extract + HS17 2024 file + the UN concordance (ingested once for the module)."""
    return mixed_warehouse(shared_data, tmp_path_factory.mktemp("mixed") / "wh")


def raw_screen(shared_data: Path, importer: str, rival: str) -> pd.DataFrame:
    """The screen computed from the raw CSV with pandas (independently of the library)."""
    raw = pd.read_csv(shared_data / BACI24, dtype={"k": str})
    codes = pd.read_csv(shared_data / CODES24, dtype=str, keep_default_na=False)
    iso = dict(zip(codes["country_code"].astype(int), codes["country_iso3"], strict=True))
    iso[490] = "TWN"  # BACI's "Other Asia, nes" (S19)
    df = pd.DataFrame({"exporter": raw["i"].map(iso), "importer": raw["j"].map(iso),
                       "hs6": raw["k"].str.zfill(6), "v": raw["v"] * 1000.0})
    world = df.groupby(["hs6", "exporter"])["v"].sum()
    wsum = world.groupby("hs6").sum()
    whhi = (world.pow(2).groupby("hs6").sum() / wsum.pow(2))
    wn = (world > 0).groupby("hs6").sum()
    own = df[df["exporter"] == importer].groupby("hs6")["v"].sum()
    rows = []
    for k, g in df[df["importer"] == importer].groupby("hs6"):
        sup = g.groupby("exporter")["v"].sum()
        total = sup.sum()
        if total <= 0:
            continue
        sh = sup / total
        top = sorted(sup.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        exp = float(own.get(k, 0.0))
        hhi_m, hhi_w = float((sh**2).sum()), float(whhi[k])
        rival_share = float(sh.get(rival, 0.0))
        rows.append({
            "hs6": k, "imports_usd": total, "import_hhi": hhi_m, "top_supplier": top,
            "top_share": float(sh[top]), "rival_usd": float(sup.get(rival, 0.0)), "rival_share": rival_share,
            "world_export_hhi": hhi_w, "exports_usd": exp,
            "import_export_ratio": total / exp if exp > 0 else np.nan,
            "dependent": hhi_m > 0.4 and hhi_w > 0.4 and total > exp,
            "severity": 100 * rival_share * hhi_m * hhi_w * max(0.0, 1 - exp / total),
            "world_exporters": int(wn[k]),
        })
    return pd.DataFrame(rows).sort_values("hs6").reset_index(drop=True)


# ------------------------------------------------------------ real: 2024 file
@pytest.mark.parametrize("importer", ["JPN", "IND"])
def test_screen_equals_a_computation_from_the_raw_file(wh24: Warehouse, shared_data: Path,
                                                       importer: str) -> None:
    from kakehashi.metrics.screen import screen_frame

    got = screen_frame(wh24, importer, "CHN").sort_values("hs6").reset_index(drop=True)
    want = raw_screen(shared_data, importer, "CHN")
    assert len(want) > 20
    assert got["hs6"].tolist() == want["hs6"].tolist()
    assert set(got["hs_revision"]) == {"HS17"} and not got["converted"].any()  # no concordance: own revision
    assert (got["year"] == 2024).all()
    for col in ["top_supplier", "dependent", "world_exporters"]:
        assert got[col].tolist() == want[col].tolist(), col
    for col in ["imports_usd", "import_hhi", "top_share", "rival_usd", "rival_share", "world_export_hhi",
                "exports_usd", "import_export_ratio", "severity"]:
        np.testing.assert_allclose(got[col].astype(float), want[col].astype(float), rtol=1e-9, err_msg=col)


def test_readme_facts_of_the_2024_file(wh24: Warehouse) -> None:
    from kakehashi.metrics.screen import screen_frame

    df = screen_frame(wh24, "JPN", "CHN").set_index("hs6")
    assert round(df.at["810411", "imports_usd"] / 1e6, 1) == 55.3
    assert round(df.at["810411", "rival_share"] * 100, 1) == 98.0
    assert round(df.at["850511", "imports_usd"] / 1e6, 1) == 568.8
    assert df.at["850511", "top_supplier"] == "PHL"


def test_complete_file_gives_no_coverage_warning(wh24: Warehouse) -> None:
    from kakehashi.metrics.coverage import coverage_warnings, reporting_countries, sources_by_year
    from kakehashi.metrics.flows import plan_trade

    assert coverage_warnings(wh24) == []
    rep = reporting_countries(wh24, plan_trade(wh24))
    assert rep[["exporters", "importers"]].values.tolist() == [[182, 215]]  # as the data README says
    src = sources_by_year(wh24)
    assert src[["year", "source", "hs_revisions", "rows"]].values.tolist() == [
        [2024, "CEPII BACI HS17 V202601", "HS17", 21723]]


# ------------------------------------------------- real: two revisions, one screen
def test_one_screen_over_hs92_2021_and_hs17_2024_in_hs22(wh_mixed: Warehouse) -> None:
    from kakehashi.metrics.screen import screen_frame

    df = screen_frame(wh_mixed, "JPN", "CHN")
    assert sorted(set(df["year"])) == [2021, 2024]
    assert set(df["hs_revision"]) == {"HS22"}
    assert df["converted"].all()  # neither file is in HS22
    magnets = df[(df["hs6"] == "850511") & (df["year"] == 2024)]
    assert round(float(magnets["imports_usd"].iloc[0]) / 1e6, 1) == 568.8
    mg = df[(df["hs6"] == "810411") & (df["year"] == 2024)].iloc[0]
    assert round(mg["imports_usd"] / 1e6, 1) == 55.3 and round(mg["rival_share"] * 100, 1) == 98.0
    # 2021 holds only what ZAF and AFG sold: two exporters at most per product
    assert df.loc[df["year"] == 2021, "world_exporters"].max() <= 2


def test_conversion_conserves_each_years_value(wh_mixed: Warehouse) -> None:
    from kakehashi.metrics.flows import analysis_flows, plan_trade

    plan = plan_trade(wh_mixed)
    assert plan.revision == "HS22" and plan.converted_years == [2021, 2024]
    t = wh_mixed.table("trade_flows")
    before = wh_mixed.execute(t.group_by("year").aggregate(v=t.value_usd.sum())).set_index("year")["v"]
    f = analysis_flows(wh_mixed, plan)
    after = wh_mixed.execute(f.group_by("year").aggregate(v=f.value_usd.sum())).set_index("year")["v"]
    np.testing.assert_allclose(after.sort_index().to_numpy(), before.sort_index().to_numpy(), rtol=1e-9)


def test_the_extract_warns_and_the_complete_year_does_not(wh_mixed: Warehouse) -> None:
    from kakehashi.metrics.coverage import coverage_warnings

    warnings = coverage_warnings(wh_mixed, [2021, 2024])
    assert len(warnings) == 1
    assert warnings[0].startswith("Trade of 2021 (CEPII BACI HS92 V202301) covers only 2 exporters")
    assert "dependency flag cannot be read" in warnings[0]
    assert coverage_warnings(wh_mixed, [2024]) == []


def test_cli_prints_the_warning_on_stderr(wh_mixed: Warehouse, capsys: pytest.CaptureFixture[str]) -> None:
    from kakehashi.cli import main

    assert main(["screen", "-w", str(wh_mixed.path), "-i", "JPN", "-r", "CHN", "--years", "2021",
                 "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert "warning: Trade of 2021" in err and "warning" not in out
    assert main(["screen", "-w", str(wh_mixed.path), "-i", "JPN", "-r", "CHN", "--years", "2024",
                 "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    assert "warning" not in err
    header = out.splitlines()[0].split(",")
    assert {"world_exporters", "hs_revision", "converted"} <= set(header)


def test_hs92_revision_screen_and_in_scope_rule_on_the_real_concordance(wh_mixed: Warehouse) -> None:
    from kakehashi.metrics.concordance import select_products

    hs22 = select_products("semiconductors")
    hs92 = select_products("semiconductors", revision="HS92", wh=wh_mixed)
    # following every n:n link took 27 codes to 257, with scrap (7204) and plastics (ch. 39)
    assert len(hs92) < 60
    assert not [c for c in hs92 if c.startswith(("39", "7204", "7404"))]
    # codes that keep their number since 1992 stay in scope (diodes, doped silicon wafers)
    assert {"854110", "381800"} <= set(hs92) & set(hs22)


def test_revision_without_concordance_names_the_file_to_ingest(wh24: Warehouse) -> None:
    from kakehashi.metrics.screen import screen_frame

    with pytest.raises(InputError, match="cannot be converted to HS22") as exc:
        screen_frame(wh24, "JPN", "CHN", revision="HS22")
    assert "kakehashi ingest concordance HS_consolidated_comtrade_concordances.csv" in str(exc.value.hint)


# ---------------------------------------------------------- hand-made cases
def _conc(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    from kakehashi.sources.hs import concordance_from_pairs

    return concordance_from_pairs(pd.DataFrame(rows, columns=["from_revision", "from_hs6", "to_revision",
                                                              "to_hs6"]))


def _flows(rows: list[tuple[int, str, str, str, float, str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{"year": y, "exporter": e, "importer": i, "hs6": k, "value_usd": v,
                          "quantity_t": None, "hs_revision": r, "source": s} for y, e, i, k, v, r, s in rows])


def test_value_conservation_and_converted_flag_on_a_hand_made_concordance(tmp_path: Path) -> None:
    from kakehashi.metrics.flows import analysis_flows, plan_trade

    # SYNTHETIC: HS17 111111 splits into HS22 222222 and 333333 (1:n), 444444 keeps its number
    conc = _conc([("HS17", "111111", "HS22", "222222"), ("HS17", "111111", "HS22", "333333"),
                  ("HS17", "444444", "HS22", "444444")])
    flows = _flows([(2023, "CHN", "JPN", "111111", 90.0, "HS17", SRC), (2023, "KOR", "JPN", "444444", 10.0,
                                                                       "HS17", SRC),
                    (2024, "CHN", "JPN", "222222", 40.0, "HS22", SRC)])
    wh = Warehouse(tmp_path / "wh")
    with wh.transaction() as tx:
        tx.write("hs_concordance", conc, source=SRC)
        tx.write("trade_flows", flows, source=SRC)
    plan = plan_trade(wh)
    assert plan.revision == "HS22" and plan.converted_years == [2023]
    got = wh.execute(analysis_flows(wh, plan)).sort_values(["year", "hs6"]).reset_index(drop=True)
    assert got[["year", "hs6", "value_usd", "converted"]].values.tolist() == [
        [2023, "222222", 45.0, True], [2023, "333333", 45.0, True], [2023, "444444", 10.0, True],
        [2024, "222222", 40.0, False]]
    assert got["value_usd"].sum() == flows["value_usd"].sum()  # sum before = sum after
    only = wh.execute(analysis_flows(wh, plan, products=["333333"]))
    assert only[["hs6", "value_usd"]].values.tolist() == [["333333", 45.0]]


def test_in_scope_rule_uses_the_weights(tmp_path: Path) -> None:
    from kakehashi.metrics.concordance import convert_codes

    # SYNTHETIC: HS17 A splits into HS22 X, Y, Z (1/3 each); HS17 B merges into X
    conc = _conc([("HS17", "100000", "HS22", "900001"), ("HS17", "100000", "HS22", "900002"),
                  ("HS17", "100000", "HS22", "900003"), ("HS17", "200000", "HS22", "900001")])
    wh = Warehouse(tmp_path / "wh")
    wh.ingest("hs_concordance", conc, source=SRC)
    # selecting X only: A sends 1/3 of its value there (out of scope), B all of it (in scope)
    assert convert_codes(["900001"], "HS22", "HS17", wh) == ["200000"]
    # X and Y: 2/3 of A's value maps to the selection
    assert convert_codes(["900001", "900002"], "HS22", "HS17", wh) == ["100000", "200000"]
    assert convert_codes(["900001"], "HS22", "HS17", wh, min_share=0.3) == ["100000", "200000"]


def test_pooled_targets_take_nothing_from_codes_with_other_targets() -> None:
    from kakehashi.sources.hs import POOLED_TARGET_SOURCES

    # SYNTHETIC: a waste code W gathers parts of 21 codes; each also keeps its own number
    n = POOLED_TARGET_SOURCES + 1
    rows = [("HS17", f"{100000 + i}", "HS22", f"{100000 + i}") for i in range(n)]
    rows += [("HS17", f"{100000 + i}", "HS22", "854999") for i in range(n)]
    rows += [("HS17", "854800", "HS22", "854999")]  # the old waste code: its only target is the pool
    conc = _conc(rows).set_index(["from_hs6", "to_hs6"])["weight"]
    assert conc[("100000", "100000")] == 1.0 and conc[("100000", "854999")] == 0.0
    assert conc[("854800", "854999")] == 1.0
    # below the limit, the equal split
    small = _conc([("HS17", "100000", "HS22", "100000"), ("HS17", "100000", "HS22", "854999")])
    assert small["weight"].tolist() == [0.5, 0.5]


def test_one_source_per_year_by_precedence(tmp_path: Path) -> None:
    from kakehashi.metrics.coverage import sources_by_year
    from kakehashi.metrics.screen import screen_frame

    baci, ct = "CEPII BACI HS22 V202601", "UN Comtrade HS22 reported by JPN"
    flows = _flows([(2023, "CHN", "JPN", "850511", 80.0, "HS22", baci), (2023, "VNM", "JPN", "850511", 20.0,
                                                                      "HS22", baci),
                    (2023, "KOR", "JPN", "850511", 50.0, "HS22", ct),
                    (2024, "CHN", "JPN", "850511", 30.0, "HS22", ct)])
    wh = Warehouse(tmp_path / "wh")
    wh.ingest("trade_flows", flows, source=SRC)
    src = sources_by_year(wh)
    assert src[["year", "source", "set_aside"]].values.tolist() == [
        [2023, baci, "UN Comtrade"], [2024, "UN Comtrade", ""]]
    df = screen_frame(wh, "JPN", "CHN").set_index("year")
    assert df.at[2023, "imports_usd"] == 100.0  # BACI's rows only, never BACI + Comtrade
    assert df.at[2024, "imports_usd"] == 30.0
    flipped = screen_frame(wh, "JPN", "CHN", precedence=["UN Comtrade"]).set_index("year")
    assert flipped.at[2023, "imports_usd"] == 50.0 and flipped.at[2023, "rival_usd"] == 0.0
    assert sources_by_year(wh, precedence=["UN Comtrade"])["source"].tolist() == ["UN Comtrade"] * 2


def test_only_the_years_read_must_reach_the_revision(tmp_path: Path) -> None:
    from kakehashi.metrics.screen import screen_frame

    # SYNTHETIC: 2021 in HS22, 2024 in HS17, no concordance
    flows = _flows([(2021, "CHN", "JPN", "850511", 80.0, "HS22", SRC), (2024, "CHN", "JPN", "850511", 90.0,
                                                                       "HS17", SRC)])
    wh = Warehouse(tmp_path / "wh")
    wh.ingest("trade_flows", flows, source=SRC)
    df = screen_frame(wh, "JPN", "CHN", years=[2021])
    assert df[["year", "imports_usd", "hs_revision"]].values.tolist() == [[2021, 80.0, "HS22"]]
    assert screen_frame(wh, "JPN", "CHN", years=[2024], revision="HS17")["imports_usd"].tolist() == [90.0]
    # without a concordance the requested year's own revision is used; 2021 (HS22) is not read
    alone = screen_frame(wh, "JPN", "CHN", years=[2024])
    assert alone[["year", "hs_revision", "persistent"]].values.tolist() == [[2024, "HS17", False]]
    with pytest.raises(InputError, match="trade of 2024 is held in HS17 and cannot be converted to HS22"):
        screen_frame(wh, "JPN", "CHN")


def test_dataset_ranking_between_baci_releases_and_other_sources() -> None:
    from kakehashi.metrics.flows import choose_datasets

    inv = pd.DataFrame({
        "year": [2021] * 5, "rows": 1, "hs_revision": ["HS92", "HS17", "HS17", "HS22", "HS22"],
        "source": ["CEPII BACI HS92 V202301", "CEPII BACI HS17 V202401", "CEPII BACI HS17 V202601",
                   "UN Comtrade HS22 reported by USA", "SYNTHETIC other"]})
    used, revs, aside = choose_datasets(inv)[2021]
    # BACI first; among BACI datasets the newest revision, then the newest release
    assert (used, revs) == ("CEPII BACI HS17 V202601", ["HS17"])
    assert aside == ["CEPII BACI HS17 V202401", "CEPII BACI HS92 V202301", "UN Comtrade", "SYNTHETIC other"]
    assert choose_datasets(inv, ["SYNTHETIC"])[2021][0] == "SYNTHETIC other"
