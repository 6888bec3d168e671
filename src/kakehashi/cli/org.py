"""Organisation workspaces (``kakehashi org ...``) and partner matching (``kakehashi match``).

Presentation only: the store is :mod:`kakehashi.orgs.store`, the answers come
from :mod:`kakehashi.questions.firms` and :mod:`kakehashi.questions.matching`.
A token is printed once, on stdout, when an organisation is added or its token
rotated; nothing an organisation uploads is ever printed except to its own
``org exposure`` command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from kakehashi.cli.common import (
    EngineOpt,
    Format,
    FormatOpt,
    OutOpt,
    WarehouseOpt,
    app,
    emit,
    note,
    open_warehouse,
    say,
)
from kakehashi.errors import InputError
from kakehashi.questions import defaults

if TYPE_CHECKING:
    from kakehashi.orgs.store import OrgStore

org_app = typer.Typer(help="Organisation workspaces: a firm's own bill of materials and exposure, encrypted "
                      "at rest (needs $KAKEHASHI_SECRET_KEY or $KAKEHASHI_SECRET_KEY_FILE).",
                      no_args_is_help=True, rich_markup_mode=None)
app.add_typer(org_app, name="org")

OrgsOpt = Annotated[Path | None, typer.Option("--orgs", help="Workspace folder (default: $KAKEHASHI_ORGS or "
                                              "./kakehashi-orgs).", show_default=False)]
NameArg = Annotated[str, typer.Argument(help="Organisation name.")]


def _store(orgs: Path | None) -> OrgStore:
    from kakehashi.orgs.store import OrgStore

    return OrgStore.open(orgs)


def _fmt_of(path: Path, fmt: str | None) -> str:
    if fmt:
        if fmt not in ("csv", "json"):
            raise InputError(f"--input-format {fmt!r} is neither csv nor json", hint="write csv or json")
        return fmt
    return "json" if path.suffix.lower() == ".json" else "csv"


def _read_upload(path: Path) -> bytes:
    from kakehashi.orgs.bom import MAX_BYTES

    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{path} has {size:,} bytes, more than {MAX_BYTES:,}",
                             hint="keep the main items, or group them by HS6 code and supplier country")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", hint="check the file name") from None


@org_app.command("keygen")
def keygen(file: Annotated[Path, typer.Argument(help="Key file to create (mode 0600; never overwritten).")]
           ) -> None:
    """Create a workspace key file (32 random bytes, base64, mode 0600)."""
    from kakehashi.orgs.crypto import KEY_FILE_ENV, create_key_file

    p = create_key_file(file)
    say(f"created key file {p} (mode 0600); set {KEY_FILE_ENV}={p} and keep a backup: "
        "without it the workspace cannot be read")


@org_app.command("add")
def add(
    name: NameArg,
    secretariat: Annotated[bool, typer.Option("--secretariat", help="A dialogue secretariat: may publish and "
                                              "read pooled releases.")] = False,
    country: Annotated[str, typer.Option("--country", help="The organisation's country (ISO3).")
                       ] = defaults.IMPORTER,
    pooled: Annotated[bool, typer.Option("--pooled", help="Opt in to the secretariat's pooled view.")
                      ] = False,
    disclose: Annotated[bool, typer.Option("--disclose", help="Opt in to showing the name to matched "
                                           "organisations that also opt in.")] = False,
    orgs: OrgsOpt = None,
) -> None:
    """Register an organisation and print its API token (once: only a hash is kept)."""
    from kakehashi.questions.request import parse_country

    code = parse_country(country, field="--country")
    org, token = _store(orgs).add(name, secretariat=secretariat, country=code, pooled=pooled,
                                  disclose=disclose)
    note(f"added {org.name}; its token is printed once below and cannot be shown again")
    say(token)


@org_app.command("set")
def set_options(
    name: NameArg,
    country: Annotated[str | None, typer.Option("--country", help="The organisation's country (ISO3).",
                                                show_default=False)] = None,
    pooled: Annotated[bool | None, typer.Option("--pooled/--no-pooled", help="Opt in to (or out of) the "
                                                "pooled view.", show_default=False)] = None,
    disclose: Annotated[bool | None, typer.Option("--disclose/--no-disclose", help="Opt in to (or out of) "
                                                  "name disclosure to matches.", show_default=False)] = None,
    orgs: OrgsOpt = None,
) -> None:
    """Change an organisation's country or opt-ins."""
    from kakehashi.questions.request import parse_country

    changes: dict[str, object] = {}
    if country is not None:
        changes["country"] = parse_country(country, field="--country")
    if pooled is not None:
        changes["pooled"] = pooled
    if disclose is not None:
        changes["disclose"] = disclose
    if not changes:
        raise InputError("nothing to change", hint="pass --country, --pooled/--no-pooled or "
                         "--disclose/--no-disclose")
    org = _store(orgs).update(name, **changes)
    say(f"{org.name}: country {org.country}, pooled {org.pooled}, disclose {org.disclose}")


@org_app.command("list")
def list_orgs(orgs: OrgsOpt = None, fmt: FormatOpt = Format.table, out: OutOpt = None) -> None:
    """The registered organisations (names, roles and opt-ins; never tokens)."""
    import pandas as pd

    rows = [o.public() for o in _store(orgs).organisations()]
    df = pd.DataFrame(rows, columns=["name", "id", "secretariat", "country", "pooled", "disclose", "created"])
    emit(df, fmt, out, title="Organisations", empty_message="no organisations yet: "
         "'kakehashi org add NAME' adds one", top=None)


@org_app.command("remove")
def remove(name: NameArg, orgs: OrgsOpt = None) -> None:
    """Remove an organisation, its token and all its uploads."""
    org = _store(orgs).remove(name)
    say(f"removed {org.name} and its uploads; its token no longer works")


@org_app.command("rotate-token")
def rotate_token(name: NameArg, orgs: OrgsOpt = None) -> None:
    """Issue a new token (printed once); the old one stops working at once."""
    token = _store(orgs).rotate_token(name)
    note("new token printed once below; the old token no longer works")
    say(token)


InputFormatOpt = Annotated[str | None, typer.Option("--input-format", help="csv or json (default: by the "
                                                   "file's suffix).", show_default=False)]


def _upload(name: str, file: Path, input_format: str | None, kind: str, orgs: Path | None,
            warehouse: Path | None, engine: str | None) -> None:
    """Validate an upload (``bom`` or ``capabilities``) against the warehouse and store it encrypted."""
    from kakehashi.orgs.bom import parse_bom, parse_capabilities
    from kakehashi.questions.firms import vocabulary

    parse = parse_bom if kind == "bom" else parse_capabilities
    store = _store(orgs)
    org = store.get(name)
    data = _read_upload(file)
    countries, products = vocabulary(open_warehouse(warehouse, engine))
    try:
        rows = parse(data, fmt=_fmt_of(file, input_format), countries=countries, products=products)
    except InputError as exc:
        raise InputError(f"{file}: {exc.message}", hint=exc.hint) from None
    store.put(org, kind, rows)
    what = "rows" if kind == "bom" else "capability rows"
    say(f"stored {len(rows)} {what} for {org.name} (encrypted)")


@org_app.command("bom")
def bom(
    name: NameArg,
    file: Annotated[Path, typer.Argument(help="Bill of materials: item,hs6,supplier_country,annual_spend_usd"
                                         "[,seeking_alternatives] (CSV, or JSON by its .json suffix).")],
    input_format: InputFormatOpt = None,
    orgs: OrgsOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Upload an organisation's bill of materials (validated; stored encrypted; replaces the previous one)."""
    _upload(name, file, input_format, "bom", orgs, warehouse, engine)


@org_app.command("capabilities")
def capabilities(
    name: NameArg,
    file: Annotated[Path, typer.Argument(help="Capabilities: hs6,country,annual_capacity_usd (CSV or "
                                         "JSON).")],
    input_format: InputFormatOpt = None,
    orgs: OrgsOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Upload what an organisation can supply (for firm-level matching; stored encrypted)."""
    _upload(name, file, input_format, "capabilities", orgs, warehouse, engine)


@org_app.command("exposure")
def exposure(
    name: NameArg,
    rival: Annotated[str, typer.Option("--rival", "-r", help="Rival supplier, ISO3 code.")] = defaults.RIVAL,
    partner: Annotated[str, typer.Option("--partner", "-p", help="Partner listed first among alternatives.")
                       ] = defaults.PARTNER,
    year: Annotated[int | None, typer.Option("--year", help="Base year (default: the latest of the data).",
                                             show_default=False)] = None,
    measure: Annotated[str | None, typer.Option("--measure", help="A catalogued measure id: adds the "
                                                "shortfall bands (p5/p50/p95) scaled to the firm's spend.",
                                                show_default=False)] = None,
    orgs: OrgsOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """A firm's exposure to the rival per item: direct and look-through (suppliers' own sourcing) shares,
    its suppliers' dependency flags, alternative countries, and the spend-weighted total."""
    from kakehashi.questions.firms import firm_exposure

    store = _store(orgs)
    org = store.get(name)
    rows = store.get_upload(org, "bom")
    if rows is None:
        raise InputError(f"{org.name} has no bill of materials", hint=f"upload one: kakehashi org bom "
                         f"{org.name!r} FILE")
    wh = open_warehouse(warehouse, engine)
    fe = firm_exposure(wh, rows, rival=rival, importer=org.country or defaults.IMPORTER, partner=partner,
                       year=year, measure=measure)
    for n in fe.notes:
        note(n)
    t = fe.total
    title = (f"{org.name}: exposure to {fe.rival}, {fe.year} ({fe.revision}); spend-weighted total: direct "
             f"{t['direct_rival_share']:.1%}, look-through {t['indirect_rival_share']:.1%}")
    units = {"spend_usd": "USD", "direct_rival_share": "fraction", "indirect_rival_share": "fraction",
             "total_rival_share": "fraction", "shortfall_p5_usd": "USD", "shortfall_p50_usd": "USD",
             "shortfall_p95_usd": "USD"}
    emit(fe.items, fmt, out, title=title, units=units, top=None, synthetic=fe.synthetic)
    if fmt is Format.table:
        note(f"spend-weighted firm total: direct {t['direct_rival_share']:.1%}, look-through "
             f"{t['indirect_rival_share']:.1%} of {t['spend_usd']:,.0f} USD")


@org_app.command("report")
def report(
    name: NameArg,
    rival: Annotated[str, typer.Option("--rival", "-r", help="Rival supplier, ISO3 code.")] = defaults.RIVAL,
    partner: Annotated[str, typer.Option("--partner", "-p", help="Partner listed first among alternatives.")
                       ] = defaults.PARTNER,
    year: Annotated[int | None, typer.Option("--year", help="Base year (default: the latest of the data).",
                                             show_default=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="HTML file to write (default: stdout).",
                                             show_default=False)] = None,
    orgs: OrgsOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
) -> None:
    """A self-contained CONFIDENTIAL HTML briefing of an organisation's exposure (per item and total)."""
    from kakehashi.questions.firms import firm_exposure
    from kakehashi.report.org_report import render_org_report

    store = _store(orgs)
    org = store.get(name)
    rows = store.get_upload(org, "bom")
    if rows is None:
        raise InputError(f"{org.name} has no bill of materials", hint=f"upload one: kakehashi org bom "
                         f"{org.name!r} FILE")
    wh = open_warehouse(warehouse, engine)
    fe = firm_exposure(wh, rows, rival=rival, importer=org.country or defaults.IMPORTER, partner=partner,
                       year=year)
    html = render_org_report(org.name, fe, snapshot=str(wh.snapshot_id or ""))
    if out is None:
        typer.echo(html)
        return
    try:
        out.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}", hint="choose a writable file") from None
    say(f"wrote {out} (CONFIDENTIAL: {org.name})")


@app.command("match")
def match(
    importer: Annotated[str, typer.Option("--importer", "-i", help="Importer, ISO3 code.")
                        ] = defaults.IMPORTER,
    partner: Annotated[str, typer.Option("--partner", "-p", help="Partner, ISO3 code.")] = defaults.PARTNER,
    rival: Annotated[str, typer.Option("--rival", "-r", help="Rival supplier, ISO3 code.")] = defaults.RIVAL,
    workstream: Annotated[str | None, typer.Option("--workstream", help="Only this catalogue workstream.",
                                                   show_default=False)] = None,
    both: Annotated[bool, typer.Option("--both", help="Add the reverse direction (what the importer could "
                                       "supply to the partner).")] = False,
    year: Annotated[int | None, typer.Option("--year", help="Base year (default: the latest of the data).",
                                             show_default=False)] = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
    top: Annotated[int, typer.Option("--top", help="Rows shown in a table (files and --format csv|json keep "
                                     "every row).", min=1)] = defaults.TOP_ROWS,
) -> None:
    """Partner matching: where the importer depends on the rival, what the partner could supply (spare
    exports as in 'substitutes', RCA, current exports, export potential after Decreux & Spies 2016)."""
    from kakehashi.cli.common import is_synthetic
    from kakehashi.questions.matching import MATCH_UNITS, partner_match

    wh = open_warehouse(warehouse, engine)
    df = partner_match(wh, importer, partner, rival, workstream, both=both, year=year)
    title = (f"What {partner.upper()} could supply where {importer.upper()} depends on {rival.upper()}"
             + (" (and the reverse)" if both else ""))
    emit(df, fmt, out, title=title, units=MATCH_UNITS, top=top,
         empty_message=f"no product where {importer.upper()} depends on {rival.upper()}",
         synthetic=is_synthetic(wh))


@org_app.command("release")
def release(
    date: Annotated[str | None, typer.Option("--date", help="Release date YYYY-MM-DD (default: today).",
                                             show_default=False)] = None,
    rival: Annotated[str, typer.Option("--rival", "-r", help="Rival supplier, ISO3 code.")] = defaults.RIVAL,
    year: Annotated[int | None, typer.Option("--year", help="Base year (default: the latest of the data).",
                                             show_default=False)] = None,
    orgs: OrgsOpt = None,
    warehouse: WarehouseOpt = None,
    engine: EngineOpt = None,
) -> None:
    """Publish a dated pooled release for the secretariat (organisations that opted in; small and
    dominated cells suppressed, with complementary suppression)."""
    from kakehashi.questions.pooled import build_release

    store = _store(orgs)
    wh = open_warehouse(warehouse, engine)
    rel = build_release(store, wh, date=date, rival=rival, year=year)
    cells = sum(len(t["rows"]) for t in rel["tables"].values())
    say(f"release {rel['date']}: {rel['organisations']} organisations, {len(rel['tables'])} workstreams, "
        f"{cells} rows (suppressed cells shown empty)")


@org_app.command("releases")
def releases(orgs: OrgsOpt = None) -> None:
    """Dates of the stored pooled releases."""
    dates = _store(orgs).releases()
    say("\n".join(dates) if dates else "no releases yet: 'kakehashi org release' publishes one")
