"""No Greek letter faces a reader: every dashboard page and the HTML pack of every workstream.

Issue 14: the parameters of the models (the weight on cost, the severity of a restriction, the share
of spare exports that can be redirected) are named in words on the pages, in the charts and in the
packs. The letters stay in the docstrings, docs/ and the JSON field names (machine contracts), which
a reader of the dashboard or a pack does not see.

Pages are rendered in process (``_asgi.SyncClient``) on the SYNTHETIC tiny sample world. The visible
text is the HTML without ``<script>``/``<style>`` blocks, tags and attribute values, plus the text a
chart draws: the Vega-Lite spec of each dashboard chart (its ``<script type="application/json">``)
and the ``<text>`` of each SVG figure a pack embeds as a data URI.
"""

from __future__ import annotations

import base64
import html as html_lib
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _asgi import SyncClient

from kakehashi import Warehouse, catalogue
from kakehashi.present.labels import COLUMN_LABELS, GLOSSARY, PARAMETERS
from kakehashi.report.build import build_briefing

CABLES = Path(__file__).resolve().parents[1] / "fixtures" / "cables" / "good"
"""SYNTHETIC submarine-cable fixtures (``tests/fixtures/cables``)."""

GREEK = re.compile("[\u0370-\u03ff]")
"""The Greek and Coptic block (U+0370–U+03FF): φ, θ, λ, Σ, μ, …"""


def chart_strings(spec: Any) -> Iterator[str]:
    """Every string of a Vega-Lite spec (titles, axis titles, labels, data values a chart may draw)."""
    if isinstance(spec, str):
        yield spec
    elif isinstance(spec, dict):
        for v in spec.values():
            yield from chart_strings(v)
    elif isinstance(spec, list):
        for v in spec:
            yield from chart_strings(v)


def visible_text(page: str) -> str:
    """The text a reader sees on an HTML page (or pack), with the text drawn by its charts."""
    drawn: list[str] = []
    for m in re.finditer(r'<script type="application/json" id="[^"]*-spec">(.*?)</script>', page, flags=re.S):
        drawn.extend(chart_strings(json.loads(m.group(1))))
    for m in re.finditer(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", page):
        svg = base64.b64decode(m.group(1)).decode("utf-8")
        drawn.extend(re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S))
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    body = re.sub(r"<[^>]*>", " ", body)  # tags with their attribute values
    return " ".join([html_lib.unescape(body), *(html_lib.unescape(s) for s in drawn)])


def greek_in(text: str) -> list[str]:
    """Each Greek letter of ``text`` with 30 characters either side (empty when there is none)."""
    return [text[max(0, m.start() - 30): m.end() + 30] for m in GREEK.finditer(text)]


def test_visible_text_finds_letters_in_text_and_charts_but_not_in_attributes() -> None:
    spec = json.dumps({"mark": "text", "encoding": {"text": {"value": "λ=10"}}})
    svg = base64.b64encode("<svg><text x='1'>θ = 0.5</text></svg>".encode()).decode()
    page = (f'<p title="φ">severity</p><script>var θ = 1;</script><style>.μ {{}}</style>'
            f'<div class="chart" data-spec="f-spec"></div>'
            f'<script type="application/json" id="f-spec">{spec}</script>'
            f'<img src="data:image/svg+xml;base64,{svg}">')
    found = greek_in(visible_text(page))
    assert len(found) == 2 and "λ=10" in found[0] and "θ = 0.5" in found[1]
    assert greek_in(visible_text('<p title="φ">share of shipments stopped</p>')) == []


def test_labels_and_glossary_are_in_words() -> None:
    for table in (COLUMN_LABELS, {k: " ".join(v) for k, v in GLOSSARY.items()},
                  {k: " ".join(v) for k, v in PARAMETERS.items()}):
        assert {k: v for k, v in table.items() if GREEK.search(v)} == {}
    # the scenario and portfolio parameters are named by what they mean
    assert "stopped" in PARAMETERS["severity"][0] and "redirect" in PARAMETERS["theta"][0]
    assert "cost" in PARAMETERS["lam"][0]


@pytest.fixture(scope="module")
def client(tiny_warehouse: Warehouse) -> Iterator[SyncClient]:
    from kakehashi.web import create_app

    c = SyncClient(create_app(tiny_warehouse.path, max_draws=200))
    yield c
    c.close()


PAGES = (
    "/", "/importers/JPN?rival=CHN", "/importers/JPN?rival=CHN&workstream=critical-minerals",
    "/products/{hs6}?importer=JPN&rival=CHN&partner=IND", "/minerals", "/minerals/rare-earths",
    "/scenarios?importer=JPN",
    "/diversify?importer=JPN&partner=IND&coalition=AUS,USA&workstream=critical-minerals",
    "/diversify?importer=JPN&partner=IND", "/briefing?importer=JPN&partner=IND", "/glossary",
    "/match?importer=JPN&partner=IND&rival=CHN&both=1", "/search?q=rare",
    "/compare?importers=JPN,IND&rival=CHN", "/api-docs",
)
"""Every dashboard page on the tiny sample (the pages of ``test_browser_layout`` and the whole-set
diversify page; the cable page needs cable data, which the tiny sample does not hold)."""


def test_no_greek_letter_on_any_dashboard_page(client: SyncClient) -> None:
    hs6 = client.get("/api/importers/JPN?rival=CHN").json()["top_dependencies"][0]["hs6"]
    found = {}
    for url in PAGES:
        r = client.get(url.format(hs6=hs6))
        assert r.status_code == 200, (url, r.text[:300])
        if hits := greek_in(visible_text(r.text)):
            found[url] = hits
    # a scenario's result page: summary, bands chart, rows and the measure's description
    for measure in ("CN-2025-18-RARE-EARTHS", "CN-2023-23-GA-GE"):
        r = client.post("/scenarios/run", data={"importer": "JPN", "measure_id": measure, "draws": "50",
                                                "severity": "", "theta": "", "base_year": ""})
        assert r.status_code in (200, 422), (measure, r.text[:300])
        if hits := greek_in(visible_text(r.text)):
            found[f"scenario {measure}"] = hits
    assert found == {}


def test_scenario_form_names_its_parameters_in_words(client: SyncClient) -> None:
    page = client.get("/scenarios?importer=JPN").text
    form = re.search(r'<form[^>]*id="scenario-form".*?</form>', page, flags=re.S)
    assert form is not None
    for key in ("severity", "theta"):
        label, help_text = PARAMETERS[key]
        field = re.search(rf'<label[^>]*>([^<]*)<span[^>]*>([^<]*)</span><input name="{key}"', form.group(0))
        assert field is not None, key  # the form's parameter names stay
        assert tuple(html_lib.unescape(t) for t in field.groups()) == (label, help_text)


@pytest.mark.parametrize("workstream", catalogue.workstreams())
def test_no_greek_letter_in_the_html_pack(tiny_warehouse: Warehouse, tmp_path: Path, workstream: str) -> None:
    path = build_briefing(tiny_warehouse, "JPN", "CHN", "IND", workstream, "html", tmp_path)
    assert greek_in(visible_text(path.read_text(encoding="utf-8"))) == []


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) not installed")
def test_no_greek_letter_in_the_pdf_pack(tiny_warehouse: Warehouse, tmp_path: Path) -> None:
    path = build_briefing(tiny_warehouse, "JPN", "CHN", "IND", "critical-minerals", "pdf", tmp_path)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Method and sources" in text  # the method notes are in the text checked
    assert greek_in(text) == []


def test_no_greek_letter_on_the_cable_page_and_ict_pack(tiny_sample_dir: Path, tmp_path: Path) -> None:
    """SYNTHETIC: the tiny sample world with the cable fixtures (as in ``test_web_map``)."""
    from kakehashi.sample import ingest_sample
    from kakehashi.sources.cables import load_cables
    from kakehashi.web import create_app

    path = tmp_path / "wh"
    wh = Warehouse(path)
    ingest_sample(wh, tiny_sample_dir)
    load_cables(wh, CABLES)
    wh.close()
    c = SyncClient(create_app(path))
    try:
        r = c.get("/cables?country=JPN&partner=IND")
        assert r.status_code == 200 and "cable" in r.text
        assert greek_in(visible_text(r.text)) == []
    finally:
        c.close()
    ro = Warehouse(path, read_only=True)
    pack = build_briefing(ro, "JPN", "CHN", "IND", "ict", "html", tmp_path)
    html = pack.read_text(encoding="utf-8")
    assert "cable" in html.lower()
    assert greek_in(visible_text(html)) == []


def test_no_greek_letter_in_the_organisation_report(tiny_warehouse: Warehouse, tmp_path: Path) -> None:
    from _orgs import KEY, bearer, client_for

    from kakehashi.orgs.store import OrgStore
    from kakehashi.web import create_app

    store = OrgStore(tmp_path / "orgs", KEY)
    _, token = store.add("Acme SYNTHETIC", country="JPN")
    app = create_app(tiny_warehouse.path)
    app.state.orgs = store
    bom = "item,hs6,supplier_country,annual_spend_usd\nZorbium coil SYNTHETIC,850760,CHN,100\n"
    with client_for(app) as client:
        r = client.post("/api/org/bom", content=bom, headers={**bearer(token), "Content-Type": "text/csv"})
        assert r.status_code == 200, r.text
        report = client.get("/api/org/report?rival=CHN", headers=bearer(token))
    assert report.status_code == 200 and "Look-through share" in report.text
    assert greek_in(visible_text(report.text)) == []
