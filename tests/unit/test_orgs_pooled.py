"""Pooled releases: threshold and dominance rules hold, and no suppressed cell can be recomputed."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from _orgs import KEY, bearer, client_for

from kakehashi.orgs.pooled import CHANNELS, Contribution, release_tables, sensitive
from kakehashi.orgs.store import OrgStore
from kakehashi.warehouse import Warehouse


def synthetic_contributions(seed: int) -> tuple[list[Contribution], dict[str, list[str]]]:
    """SYNTHETIC contributions: 12 HS6 codes in 3 workstreams (two codes shared), 1-7 organisations each,
    some dominated by one organisation."""
    rng = random.Random(seed)
    codes = [f"85{i:04d}" for i in range(12)]
    ws = {c: ["semiconductors"] if i < 5 else ["critical-minerals"] if i < 9 else ["clean-energy"]
          for i, c in enumerate(codes)}
    ws[codes[4]].append("clean-energy")
    ws[codes[8]].append("semiconductors")
    out = []
    for c in codes:
        n = rng.randint(1, 7)
        for j in range(n):
            big = 50.0 if (j == 0 and rng.random() < 0.3) else 1.0
            out.append(Contribution(f"org{j:02d}", c, big * rng.uniform(0, 100), big * rng.uniform(0, 100)))
    return out, ws


def published_checks(contribs: list[Contribution], ws: dict[str, list[str]], tables: dict[str, Any]) -> int:
    """Assert the rules on what an attacker sees; return how many suppressed values were tested."""
    per: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for c in contribs:
        for ch in CHANNELS:
            per[(c.hs6, ch)][c.org_id] += getattr(c, ch)
            per[(c.hs6, "total_usd")][c.org_id] += getattr(c, ch)
    tried = 0
    for w, t in tables.items():
        rows = t["rows"]
        # primary rules on every published interior cell and row total
        for r in rows:
            for col in (*CHANNELS, "total_usd"):
                if r[col] is not None:
                    contrib = per[(r["hs6"], col)]
                    assert len(contrib) >= 3
                    assert max(contrib.values()) <= 0.8 * sum(contrib.values()) + 1e-9
                    assert r[col] == pytest.approx(sum(contrib.values()))
        # try to recompute each suppressed value from its row, its column and the totals
        lines: list[list[float | None]] = []
        for r in rows:
            lines.append([r["total_usd"], *(r[ch] for ch in CHANNELS)])
        for ch in CHANNELS:
            lines.append([t["total"][ch], *(r[ch] for r in rows)])
        lines.append([t["total"]["total_usd"], *(t["total"][ch] for ch in CHANNELS)])
        lines.append([t["total"]["total_usd"], *(r["total_usd"] for r in rows)])
        for line in lines:
            hidden = sum(v is None for v in line)
            tried += hidden
            assert hidden != 1, f"{w}: a suppressed value is the difference of published ones: {line}"
    return tried


@pytest.mark.parametrize("seed", range(8))
def test_rules_and_complementary_suppression(seed: int) -> None:
    contribs, ws = synthetic_contributions(seed)
    tables = release_tables(contribs, ws)
    assert set(tables) == {"semiconductors", "critical-minerals", "clean-energy"}
    assert published_checks(contribs, ws, tables) > 0
    # a code shared by two workstreams is published or suppressed the same way in both
    shared = {"850004", "850008"}
    seen: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for t in tables.values():
        for r in t["rows"]:
            if r["hs6"] in shared:
                seen[r["hs6"]].append(tuple(r[c] for c in (*CHANNELS, "total_usd")))
    assert all(len(set(v)) == 1 for v in seen.values())


def test_something_is_published() -> None:
    """Three equal organisations in two codes: nothing sensitive, everything published."""
    contribs = [Contribution(f"o{i}", h, 10.0, 5.0) for i in range(3) for h in ("850511", "850760")]
    t = release_tables(contribs, {"850511": ["x"], "850760": ["x"]})["x"]
    assert [r["total_usd"] for r in t["rows"]] == [45.0, 45.0]
    assert t["total"] == {"direct_usd": 60.0, "look_through_usd": 30.0, "total_usd": 90.0}
    assert not sensitive({"a": 1.0, "b": 1.0, "c": 1.0})


def test_one_small_cell_forces_a_partner(tmp_path: Path) -> None:
    """One row with two contributors: its cells and total go, and in each column a second cell goes."""
    contribs = [Contribution(f"o{i}", h, 10.0 + i, 5.0 + i) for i in range(4) for h in ("850511", "850760")]
    contribs += [Contribution(f"o{i}", "280530", 3.0, 3.0) for i in range(2)]
    t = release_tables(contribs, {"850511": ["x"], "850760": ["x"], "280530": ["x"]})["x"]
    rows = {r["hs6"]: r for r in t["rows"]}
    assert rows["280530"]["total_usd"] is None and rows["280530"]["suppressed"] == ["primary"]
    assert "complementary" in rows["850511"]["suppressed"] or "complementary" in rows["850760"]["suppressed"]
    published_checks(contribs, {}, {"x": t})


def test_release_end_to_end(tiny_warehouse: Warehouse, tmp_path: Path) -> None:
    from kakehashi.questions.firms import firm_exposure
    from kakehashi.questions.pooled import build_release
    from kakehashi.web import create_app

    store = OrgStore(tmp_path / "orgs", KEY)
    boms = {  # SYNTHETIC firms
        "A": [("cells", "850760", "KOR", 300.0), ("cells", "850760", "CHN", 100.0),
              ("fa", "720299", "IDN", 50.0)],
        "B": [("cells", "850760", "IDN", 250.0), ("fa", "720299", "IND", 60.0)],
        "C": [("cells", "850760", "CHN", 280.0), ("fa", "720299", "IDN", 55.0)],
        "D": [("fat", "151620", "IDN", 999.0)],  # a code of no workstream: table "other"
    }
    for name, rows in boms.items():
        org, _ = store.add(f"Firm {name}", pooled=True)
        store.put(org, "bom", [{"item": i, "hs6": h, "supplier_country": s, "annual_spend_usd": v,
                                "seeking_alternatives": False} for i, h, s, v in rows])
    _, sec = store.add("Secretariat", secretariat=True)
    _, firm_token = store.add("Outsider")
    rel = build_release(store, tiny_warehouse, date="2026-12-01", rival="CHN")
    assert rel["organisations"] == 4 and rel["year"] == 2023
    rows = {r["hs6"]: r for t in rel["tables"].values() for r in t["rows"]}
    assert set(rel["tables"]) == {"clean-energy", "critical-minerals", "other"}
    assert rows["151620"]["total_usd"] is None and rows["151620"]["suppressed"] == ["primary"]  # one firm
    assert rel["tables"]["other"]["total"]["total_usd"] is None
    # three firms, none above 80 %: published, and equal to the sum of the firms' own exposures
    expected = 0.0
    for org in store.organisations():
        bom = store.get_upload(org, "bom") or []
        if org.pooled and bom:
            items = firm_exposure(tiny_warehouse, bom, rival="CHN", partner=None).items
            cells = items[items["hs6"] == "850760"]
            expected += float((cells["spend_usd"] * cells["total_rival_share"]).sum())
    assert rows["850760"]["total_usd"] == pytest.approx(expected)
    assert rows["850760"]["organisations"] == 3
    assert store.releases() == ["2026-12-01"]
    with pytest.raises(Exception, match="never rewritten"):
        build_release(store, tiny_warehouse, date="2026-12-01")
    app = create_app(tiny_warehouse.path)
    app.state.orgs = store
    with client_for(app) as cl:
        r = cl.get("/api/org/pooled", headers=bearer(sec))
        assert r.status_code == 200 and r.json()["release"]["date"] == "2026-12-01"
        assert "151620" in r.text and "999.0" not in r.text  # firm D's lone cell is not published
        assert cl.get("/api/org/pooled", headers=bearer(firm_token)).status_code == 403
        assert cl.get("/api/org/pooled").status_code == 401
