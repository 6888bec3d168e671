"""Defaults a senior official can act on: the dashboard's and the pack's portfolios never raise the
rival's share, and flag every product where the partner's share falls (SYNTHETIC tiny sample)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pandas as pd
import pytest
from _doors import SyncClient, web_client

from kakehashi import InputError, Warehouse
from kakehashi.questions import defaults, replacement

TOL = 1e-7
# the case: India buying semiconductors, Japan the partner, China the rival
IMP, RIV, PAR, WS = "IND", "CHN", "JPN", "semiconductors"


@pytest.fixture(scope="module")
def web(tiny_warehouse: Warehouse) -> Iterator[SyncClient]:
    with web_client(str(tiny_warehouse.path)) as c:
        yield c


def _check_products(products: pd.DataFrame) -> None:
    ok = products[products["status"] == "optimal"]
    assert len(ok) > 0
    before, after = ok["rival_share_before"].astype(float), ok["rival_share_after"].astype(float)
    assert (after <= before + TOL).all(), ok.loc[after > before + TOL, "hs6"].tolist()
    falls = ok["partner_share_after"].astype(float) < ok["partner_share_before"].astype(float) - TOL
    assert list(ok["partner_share_falls"].astype(bool)) == list(falls)


def test_dashboard_portfolio_caps_the_rival_and_flags_the_partner(web: SyncClient) -> None:
    r = web.get(f"/api/diversify?importer={IMP}&rival={RIV}&partner={PAR}&workstream={WS}")
    assert r.status_code == 200, r.text
    body = r.json()
    products = pd.DataFrame(body["products"])
    _check_products(products)
    falls = sorted(products.loc[products["partner_share_falls"].astype(bool), "hs6"].astype(str))
    assert falls, "the sample has products where the partner's share falls: the test must see one"
    assert f"falls for {len(falls)} product" in body["note"] and falls[0] in body["note"]
    page = web.get(f"/diversify?importer={IMP}&rival={RIV}&partner={PAR}&workstream={WS}")
    assert page.status_code == 200 and "partner share falls" in page.text


def test_pack_portfolio_caps_the_rival_and_flags_the_partner(
        tiny_warehouse: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> None:
    from kakehashi.report.build import build_briefing

    folder = tmp_path_factory.mktemp("pack")
    path = build_briefing(tiny_warehouse, IMP, RIV, PAR, WS, "html", folder, draws=50)
    with zipfile.ZipFile(path.with_name(path.stem + "-data.zip")) as z:
        products = pd.read_csv(io.BytesIO(z.read("portfolio-products.csv")), dtype={"hs6": str})
    _check_products(products)
    html = path.read_text(encoding="utf-8")
    assert "partner share falls" in html and "may not rise above today" in html


def test_without_the_defaults_the_rival_would_gain(tiny_warehouse: Warehouse) -> None:
    """The cap matters: with no cap, no change limit and λ = 0 (the old dashboard) China's share rises."""
    old = replacement.portfolio(tiny_warehouse, IMP, RIV, partner=PAR, products=WS, max_rival_share=None,
                                max_change=None, lam=0.0)
    assert old.products["rival_share_rises"].any()
    new = replacement.portfolio(tiny_warehouse, IMP, RIV, partner=PAR, products=WS)
    assert not new.products["rival_share_rises"].any()
    assert new.settings == {"rival_cap": "current", "max_change": defaults.MAX_CHANGE,
                            "lam": defaults.COST_WEIGHT, "min_partner_share": None, "objective": "hhi"}


def test_overrides_are_checked() -> None:
    with pytest.raises(InputError, match="neither a share nor 'current'"):
        replacement._check_settings("today", None, 0.0)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="max_change must be between 0 and 1"):
        replacement._check_settings(0.3, 1.5, 0.0)
    with pytest.raises(InputError, match=r"weight on cost \(lam\) must be zero or positive"):
        replacement._check_settings("current", 0.2, -1.0)
