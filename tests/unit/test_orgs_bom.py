"""Bill-of-materials validation: one line naming line and field; exit 2 / nothing stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from _orgs import KEY

from kakehashi.errors import InputError
from kakehashi.orgs import bom as bom_mod
from kakehashi.orgs.bom import parse_bom, parse_capabilities

COUNTRIES = {"JPN", "IND", "CHN", "VNM", "KOR"}
PRODUCTS = {"850511", "250410", "280530"}
HEADER = "item,hs6,supplier_country,annual_spend_usd,seeking_alternatives\n"


def parse(text: str, fmt: str = "csv") -> list[dict[str, object]]:
    return parse_bom(text, fmt=fmt, countries=COUNTRIES, products=PRODUCTS)


def test_good_bom_parsed() -> None:
    rows = parse(HEADER + "magnet,850511,chn,300000,yes\nmagnet,850511,VNM,700000.5,\n"
                 "graphite,250410,KOR,1e5,false\n")
    assert rows[0] == {"item": "magnet", "hs6": "850511", "supplier_country": "CHN",
                       "annual_spend_usd": 300000.0, "seeking_alternatives": True}
    assert [r["annual_spend_usd"] for r in rows] == [300000.0, 700000.5, 100000.0]
    assert [r["seeking_alternatives"] for r in rows] == [True, False, False]
    js = parse('{"rows": [{"item": "magnet", "hs6": "850511", "supplier_country": "CHN", '
               '"annual_spend_usd": 300000}]}', "json")
    assert js[0]["annual_spend_usd"] == 300000.0


@pytest.mark.parametrize(("body", "message"), [
    ("magnet,850599,CHN,1,\n", "line 2, field hs6: unknown HS6 code '850599'"),
    ("magnet,8505,CHN,1,\n", "line 2, field hs6: unknown HS6 code '8505'"),
    ("magnet,850511,XXX,1,\n", "line 2, field supplier_country: unknown ISO3 country 'XXX'"),
    ("magnet,850511,CHN,-5,\n", "line 2, field annual_spend_usd: -5 is not positive"),
    ("magnet,850511,CHN,12k,\n", "line 2, field annual_spend_usd: '12k' is not a number"),
    ("magnet,850511,CHN,nan,\n", "line 2, field annual_spend_usd: 'nan' is not a finite number"),
    ("magnet,850511,CHN,5,\nmagnet,850511,KOR,5,\nMagnet,850511,CHN,6,\n",
     "line 4, field supplier_country: duplicate row: item 'Magnet' from CHN is already on line 2"),
    ("magnet,850511,CHN,5,\nmagnet,250410,KOR,5,\n",
     "line 3, field hs6: item 'magnet' has HS6 250410 here but 850511 on line 2"),
    ("magnet,850511,CHN,5,maybe\n", "line 2, field seeking_alternatives: 'maybe' is not true or false"),
    ("magnet,850511,CHN,5,,extra\n", "line 2: more fields than the header's 5"),
])
def test_bad_line_named(body: str, message: str) -> None:
    with pytest.raises(InputError) as e:
        parse(HEADER + body)
    assert e.value.message == message
    assert e.value.hint


def test_missing_and_unknown_columns() -> None:
    with pytest.raises(InputError, match="line 1: the bill of materials has no column 'annual_spend_usd'"):
        parse("item,hs6,supplier_country\nmagnet,850511,CHN\n")
    with pytest.raises(InputError, match="line 1: the bill of materials has an unknown column 'price'"):
        parse("item,hs6,supplier_country,annual_spend_usd,price\nmagnet,850511,CHN,1,2\n")
    with pytest.raises(InputError, match="row 2, field annual_spend_usd: True is not a number"):
        parse('[{"item": "a", "hs6": "850511", "supplier_country": "CHN", "annual_spend_usd": 1},'
              ' {"item": "b", "hs6": "850511", "supplier_country": "CHN", "annual_spend_usd": true}]', "json")


def test_size_limits() -> None:
    many = HEADER + "".join(f"item{i},850511,CHN,1,\n" for i in range(bom_mod.MAX_ROWS + 1))
    with pytest.raises(InputError, match=f"more than {bom_mod.MAX_ROWS:,}"):
        parse(many)
    big = HEADER + "x" * (bom_mod.MAX_BYTES + 1)
    with pytest.raises(InputError, match=f"more than {bom_mod.MAX_BYTES:,}"):
        parse(big)


def test_capabilities() -> None:
    rows = parse_capabilities("hs6,country,annual_capacity_usd\n850511,IND,5000000\n", countries=COUNTRIES,
                              products=PRODUCTS)
    assert rows == [{"hs6": "850511", "country": "IND", "annual_capacity_usd": 5000000.0}]
    with pytest.raises(InputError, match="line 3, field country: duplicate row"):
        parse_capabilities("hs6,country,annual_capacity_usd\n850511,IND,5\n850511,IND,6\n",
                           countries=COUNTRIES, products=PRODUCTS)


def test_cli_bad_bom_exit_2_nothing_stored(tiny_warehouse: object, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import base64

    from kakehashi.cli import main
    from kakehashi.orgs.store import OrgStore

    monkeypatch.setenv("KAKEHASHI_SECRET_KEY", base64.b64encode(KEY).decode())
    monkeypatch.setenv("KAKEHASHI_ORGS", str(tmp_path / "orgs"))
    monkeypatch.setenv("KAKEHASHI_WAREHOUSE", str(tiny_warehouse.path))  # type: ignore[attr-defined]
    assert main(["org", "add", "Acme"]) == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("kko_")
    bad = tmp_path / "bom.csv"
    bad.write_text(HEADER + "magnet,850511,CHN,100,\nmagnet,850511,VNM,-1,\n")
    assert main(["org", "bom", "Acme", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bom.csv: line 3, field annual_spend_usd: -1 is not positive" in err
    store = OrgStore(tmp_path / "orgs", KEY)
    assert store.get_upload(store.get("Acme"), "bom") is None
    assert main(["org", "exposure", "Acme"]) == 2
    assert "has no bill of materials" in capsys.readouterr().err
    # without a key the workspace commands refuse and say why
    monkeypatch.delenv("KAKEHASHI_SECRET_KEY")
    assert main(["org", "list"]) == 2
    assert "no secret key" in capsys.readouterr().err
