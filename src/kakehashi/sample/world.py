"""The SYNTHETIC sample world: a seeded gravity model of trade plus mineral and governance tables.

Model
-----
For exporter *i*, importer *j* (≠ *i*), HS 2022 product *p* and year *t* the latent trade value is

    ln V_ijpt = ln G + α ln M_i + β ln M_j − γ ln d_ij + ln s_p + ln A_ip + ln D_jp
                + σ_pair ε_ijp + σ_year η_ijpt + σ_drift δ_ipt

with M the economic mass (about GDP), d the great-circle distance between capitals (km),
s_p the product's world trade size, A_ip the exporter's comparative advantage and D_jp the
importer's demand (both lognormal; D with the tilts of
:data:`~kakehashi.sample.parameters.IMPORT_SPECIALISATIONS`), and ε, η, δ independent
standard normal draws: ε is persistent across years, η redrawn each year, δ an (exporter,
product) drift per year. The deliberate structure of the world
(:data:`~kakehashi.sample.parameters.EXPORT_SPECIALISATIONS`: China in rare earths, magnets,
gallium, graphite, batteries and solar; Japan and Korea in chip equipment and materials; Taiwan
in chips; India in medicines; Australia, Chile and Congo in ores...) is imposed by setting A_ip of
a specialised exporter so that its share of world exports of p, apart from the yearly noise,
equals a target share (see :func:`_apply_export_shares`).

This is the structural gravity equation in its simplest log-linear form (Tinbergen 1962; Head
and Mayer 2014, *Handbook of International Economics* 4, ch. 3) with α = 1, β = 0.9, γ = 1.

A flow is reported when V_ijpt exceeds a threshold τ. τ is chosen so that the expected share of
reported cells equals the size's ``density``: with σ² = σ_pair² + σ_year² + σ_drift² and μ the
deterministic part, P(reported) = Φ((μ − ln τ)/σ), and ln τ solves mean(Φ((μ − ln τ)/σ)) =
density over a seeded sample of cells. G is then set so that the expected reported world
trade is about 4 billion USD per product, scaled by the world's share of global GDP. Reported
values are multiplied by 1.04 per year after the first (growth).

Quantities follow from unit values: q = V / (u_p · Q_ip · exp(σ_uv ζ)) with u_p the product's
unit value (USD/t), Q_ip the exporter's quality premium (lognormal) and ζ a flow-level draw;
about 2 % of quantities are not reported ("NA"), as in BACI.

Every random draw comes from a :class:`numpy.random.SeedSequence` keyed by the seed, a stream
number and (where relevant) the year and the exporter, so a year, or one exporter's flows, can
be regenerated on their own and the result does not depend on the order of generation.

Everything here is SYNTHETIC: the numbers imitate real patterns but are not observations.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd
from scipy.special import ndtr

from kakehashi.catalogue import chapter_description, strategic_goods
from kakehashi.errors import InputError, unknown_value_error
from kakehashi.sample import parameters as P

SIGMA_PAIR = 0.8
"""Persistent (exporter, importer, product) noise of ln V."""
SIGMA_YEAR = 0.25
"""Year-to-year noise of ln V."""
SIGMA_DRIFT = 0.1
"""Yearly drift of an exporter's advantage in a product."""
SIGMA_ADVANTAGE = 1.0
"""Spread of exporters' comparative advantage ln A_ip."""
SIGMA_DEMAND = 0.7
"""Spread of importers' demand ln D_jp."""
SIGMA_PRODUCT = 1.2
"""Spread of products' world trade size ln s_p (when not set in PRODUCT_SCALE)."""
SIGMA_UNIT_VALUE = 0.3
"""Spread of a product's unit value around its chapter's typical value."""
SIGMA_QUALITY = 0.25
"""Spread of an exporter's unit-value premium in a product."""
SIGMA_FLOW_UV = 0.1
"""Flow-level spread of unit values."""
QUANTITY_NA_SHARE = 0.02
"""Share of flows whose quantity is not reported."""
ALPHA, BETA, GAMMA = 1.0, 0.9, 1.0
"""Gravity elasticities: exporter mass, importer mass, distance."""
TRADE_PER_PRODUCT_USD = 4e9
"""Expected world trade of a typical product in a world covering all global GDP (USD/year)."""
WORLD_GDP_BN = 100_000.0
"""Global GDP used to scale a world that covers only part of it (billion USD)."""
GROWTH = 1.04
"""Yearly growth factor of reported values."""
CALIBRATION_CELLS = 300_000
"""Cells sampled to calibrate the threshold and the scale."""
BACKGROUND_SEED = 2022
"""Fixed seed that picks the background products (so every world seed shares them)."""

# Random-stream numbers (part of every SeedSequence key)
_S_PRODUCT, _S_ADV, _S_DEMAND, _S_UV, _S_QUALITY, _S_CALIB = 1, 2, 3, 4, 5, 6
_S_PAIR, _S_YEAR, _S_DRIFT, _S_MINERALS, _S_WGI = 7, 8, 9, 10, 11

SOURCE_TRADE = "SYNTHETIC kakehashi sample world (BACI format, HS22)"
"""Source label of every synthetic trade flow (and of the products table's ingest)."""
SOURCE_MINERALS = "SYNTHETIC kakehashi sample world (USGS MCS format)"
"""Source label of synthetic production, reserves and world totals."""
SOURCE_GOVERNANCE = "SYNTHETIC kakehashi sample world (WGI format)"
"""Source label of the synthetic governance indicators (in the ingest log)."""
WGI_INDICATORS: tuple[str, ...] = ("va", "pv", "ge", "rq", "rl", "cc")
"""WGI indicators: voice and accountability, political stability, government effectiveness,
regulatory quality, rule of law, control of corruption."""


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *key]))


# ------------------------------------------------------------------------------------- products
@functools.cache
def hs22_codes() -> tuple[str, ...]:
    """All HS 2022 six-digit codes (5,612), from the package's code list.

    Examples
    --------
    >>> codes = hs22_codes()
    >>> len(codes), codes[0], "850511" in codes
    (5612, '010121', True)
    """
    text = resources.files("kakehashi.sample").joinpath("hs22_codes.txt").read_text("utf-8")
    codes: list[str] = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, *tails = line.split()
        codes.extend(head + t for t in tails)
    return tuple(codes)


def strategic_codes() -> tuple[str, ...]:
    """HS 2022 codes of the strategic-goods catalogue (sorted, unique, valid in HS 2022).

    From :func:`kakehashi.catalogue.strategic_goods` (every workstream).
    """
    valid = set(hs22_codes())
    return tuple(sorted({str(c) for c in strategic_goods()["hs6"] if str(c) in valid}))


def product_codes(size: str) -> tuple[str, ...]:
    """Products of a world of ``size``: the strategic codes plus a fixed draw of others (sorted)."""
    spec = _size(size)
    strategic = strategic_codes()
    others = np.array(sorted(set(hs22_codes()) - set(strategic)))
    pick = _rng(BACKGROUND_SEED).permutation(len(others))[: spec.n_background]
    return tuple(sorted([*strategic, *others[pick].tolist()]))


def _size(size: str) -> P.SizeParams:
    try:
        return P.SIZES[size]
    except KeyError:
        err = unknown_value_error("sample size", size, P.SIZES)
        guess = f" ({err.hint})" if "mean" in str(err.hint) else ""
        raise InputError(err.message, value=size, hint=f"use one of {', '.join(P.SIZES)}{guess}") from None


def expected_rows(size: str, years: Sequence[int] = P.DEFAULT_YEARS) -> int:
    """Expected number of trade-flow rows of a world of ``size`` over ``years``.

    By construction (the threshold is calibrated on it) this is
    ``density × n_countries × (n_countries − 1) × n_products`` per year.

    Examples
    --------
    >>> 9_000_000 < expected_rows("baci", [2022]) < 11_000_000
    True
    """
    spec = _size(size)
    cells = spec.n_countries * (spec.n_countries - 1) * len(product_codes(size))
    return round(spec.density * cells * len(years))


# ---------------------------------------------------------------------------------- trade model
def _haversine_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Great-circle distances between all pairs of points (km, Earth radius 6,371 km)."""
    la, lo = np.radians(lat), np.radians(lon)
    dlat = la[:, None] - la[None, :]
    dlon = lo[:, None] - lo[None, :]
    h = np.sin(dlat / 2) ** 2 + np.cos(la)[:, None] * np.cos(la)[None, :] * np.sin(dlon / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


@dataclass(frozen=True)
class FlowChunk:
    """Trade flows of one exporter in one year, as integer-coded arrays.

    ``importer`` and ``product`` index :attr:`TradeModel.iso3` and :attr:`TradeModel.hs6`;
    ``value_usd`` is whole USD (BACI's thousand USD with three decimals); ``quantity_kg`` is
    whole kilograms (BACI's tonnes with three decimals), −1 where not reported.
    """

    year: int
    exporter: int
    importer: np.ndarray
    product: np.ndarray
    value_usd: np.ndarray
    quantity_kg: np.ndarray

    def __len__(self) -> int:
        return len(self.importer)


@dataclass(frozen=True, eq=False)
class TradeModel:
    """The calibrated gravity model of one synthetic world (see the module docstring)."""

    seed: int
    iso3: tuple[str, ...]
    hs6: tuple[str, ...]
    log_base: np.ndarray = field(repr=False)
    log_size: np.ndarray = field(repr=False)
    log_adv: np.ndarray = field(repr=False)
    log_demand: np.ndarray = field(repr=False)
    log_uv: np.ndarray = field(repr=False)
    log_quality: np.ndarray = field(repr=False)
    log_tau: float
    first_year: int

    @property
    def sigma(self) -> float:
        """Total spread of the random part of ln V."""
        return math.sqrt(SIGMA_PAIR**2 + SIGMA_YEAR**2 + SIGMA_DRIFT**2)

    def mu(self, exporter: int) -> np.ndarray:
        """Deterministic part of ln V for ``exporter``: importers × products."""
        out: np.ndarray = (self.log_base[exporter][:, None] + self.log_size[None, :]
                           + self.log_adv[exporter][None, :] + self.log_demand)
        return out

    def expected_flows(self, exporter: int) -> float:
        """Expected number of reported flows of ``exporter`` in a year: Σ_j,p Φ((μ − ln τ)/σ)."""
        p = ndtr((self.mu(exporter) - self.log_tau) / self.sigma)
        p[exporter, :] = 0.0
        return float(p.sum())

    def _drift(self, year: int) -> np.ndarray:
        z: np.ndarray = _rng(self.seed, _S_DRIFT, year).standard_normal(self.log_adv.shape)
        return z

    def year_chunks(self, year: int, exporters: Sequence[int] | None = None) -> Iterator[FlowChunk]:
        """Generate the flows of ``year``, one exporter at a time (in the model's country order).

        Rows come out sorted by exporter, importer and product when the countries and products
        of the model are sorted (as :func:`generate` makes them).
        """
        drift = self._drift(year)
        growth = GROWTH ** (year - self.first_year)
        n_c, n_p = len(self.iso3), len(self.hs6)
        for i in range(n_c) if exporters is None else exporters:
            pair = _pair_noise(self.seed, self.iso3[i], (n_c, n_p))
            yr = _rng(self.seed, _S_YEAR, year, _country_key(self.iso3[i]))
            logv = self.mu(i)
            logv += SIGMA_PAIR * pair
            logv += SIGMA_YEAR * yr.standard_normal((n_c, n_p))
            logv += SIGMA_DRIFT * drift[i][None, :]
            keep = logv > self.log_tau
            keep[i, :] = False
            jj, pp = np.nonzero(keep)
            lv = logv[jj, pp]
            value = np.maximum(np.rint(np.exp(lv) * growth), 1.0).astype(np.int64)
            log_unit = (self.log_uv[pp] + self.log_quality[i, pp]
                        + SIGMA_FLOW_UV * yr.standard_normal(len(pp)))
            kg = np.maximum(np.rint(value / np.exp(log_unit) * 1000.0), 1.0).astype(np.int64)
            kg[yr.random(len(pp)) < QUANTITY_NA_SHARE] = -1
            yield FlowChunk(year, i, jj.astype(np.int32), pp.astype(np.int32), value, kg)


@functools.cache
def _country_index() -> dict[str, P.CountryParams]:
    return {c.iso3: c for c in P.COUNTRIES}


def _country_key(iso3: str) -> int:
    return _country_index()[iso3].baci_code


def _world_countries(size: str) -> list[P.CountryParams]:
    """Countries of a world of ``size``, sorted by BACI code (the order of BACI files)."""
    chosen = P.COUNTRIES[: _size(size).n_countries]
    return sorted(chosen, key=lambda c: c.baci_code)


def _apply_demand_tilts(log_demand: np.ndarray, iso3: Sequence[str], hs6: Sequence[str]) -> None:
    ci = {c: k for k, c in enumerate(iso3)}
    pi = {c: k for k, c in enumerate(hs6)}
    for t in P.IMPORT_SPECIALISATIONS:
        if t.country in ci:
            log_demand[ci[t.country], [pi[h] for h in t.hs6 if h in pi]] += math.log(t.factor)


def export_shares(iso3: Sequence[str], hs6: Sequence[str]) -> dict[int, dict[int, float]]:
    """Target export shares of the world's tilted (product index → country index → share).

    Raises
    ------
    ValueError
        If the shares of one product add up to 0.95 or more (a parameter error).
    """
    ci = {c: k for k, c in enumerate(iso3)}
    pi = {c: k for k, c in enumerate(hs6)}
    out: dict[int, dict[int, float]] = {}
    for t in P.EXPORT_SPECIALISATIONS:
        if t.country not in ci:
            continue
        for h in t.hs6:
            if h in pi:
                out.setdefault(pi[h], {})[ci[t.country]] = t.share
    for p, shares in out.items():
        if sum(shares.values()) >= 0.95:
            raise ValueError(f"export shares of {hs6[p]} add up to {sum(shares.values()):.2f}")
    return out


def _pair_noise(seed: int, iso3: str, shape: tuple[int, int]) -> np.ndarray:
    """The persistent noise ε_ijp of exporter ``iso3`` (importers × products)."""
    z: np.ndarray = _rng(seed, _S_PAIR, _country_key(iso3)).standard_normal(shape)
    return z


def _apply_export_shares(log_adv: np.ndarray, log_base: np.ndarray, log_demand: np.ndarray,
                         iso3: Sequence[str], hs6: Sequence[str], seed: int) -> None:
    """Set tilted exporters' advantage so their world-export shares hit the targets.

    Exports of i in p, up to a factor common to all exporters and apart from the yearly noise,
    are X_i = A_ip · Σ_j exp(ln base_ij + ln D_jp + σ_pair ε_ijp) (the persistent noise ε is
    known when the model is built). With O = Σ of X over untilted exporters and S the sum of
    target shares s_k, tilted exporter k gets X_k = s_k · O / (1 − S).
    """
    targets = export_shares(iso3, hs6)
    if not targets:
        return
    cols = sorted(targets)
    n_c, n_p = log_adv.shape
    reach = np.empty((n_c, len(cols)))
    for i in range(n_c):
        eps = _pair_noise(seed, iso3[i], (n_c, n_p))[:, cols]
        reach[i] = np.logaddexp.reduce(log_base[i][:, None] + log_demand[:, cols] + SIGMA_PAIR * eps,
                                       axis=0)
    for c, p in enumerate(cols):
        shares = targets[p]
        tilted = np.zeros(n_c, dtype=bool)
        tilted[list(shares)] = True
        untilted = float(np.exp(log_adv[~tilted, p] + reach[~tilted, c]).sum())
        total_share = sum(shares.values())
        for k, s in shares.items():
            log_adv[k, p] = math.log(s * untilted / (1 - total_share)) - reach[k, c]


def build_model(size: str, seed: int = P.DEFAULT_SEED, first_year: int = P.DEFAULT_YEARS[0]) -> TradeModel:
    """Draw and calibrate the trade model of a world of ``size`` (fast; no flows generated)."""
    spec = _size(size)
    countries = _world_countries(size)
    hs6 = product_codes(size)
    iso3 = tuple(c.iso3 for c in countries)
    n_c, n_p = len(iso3), len(hs6)
    mass = np.log([c.gdp_bn for c in countries])
    dist = np.maximum(_haversine_km(np.array([c.lat for c in countries]),
                                    np.array([c.lon for c in countries])), 100.0)
    log_base = ALPHA * mass[:, None] + BETA * mass[None, :] - GAMMA * np.log(dist)
    np.fill_diagonal(log_base, -np.inf)

    log_size = SIGMA_PRODUCT * _rng(seed, _S_PRODUCT).standard_normal(n_p)
    for k, code in enumerate(hs6):
        if code in P.PRODUCT_SCALE:
            log_size[k] = math.log(P.PRODUCT_SCALE[code])
    log_adv = SIGMA_ADVANTAGE * _rng(seed, _S_ADV).standard_normal((n_c, n_p))
    log_demand = SIGMA_DEMAND * _rng(seed, _S_DEMAND).standard_normal((n_c, n_p))
    _apply_demand_tilts(log_demand, iso3, hs6)
    _apply_export_shares(log_adv, log_base, log_demand, iso3, hs6, seed)

    uv_noise = SIGMA_UNIT_VALUE * _rng(seed, _S_UV).standard_normal(n_p)
    log_uv = np.array([
        math.log(P.UNIT_VALUE[c]) if c in P.UNIT_VALUE else math.log(P.CHAPTER_UNIT_VALUE[c[:2]]) + z
        for c, z in zip(hs6, uv_noise, strict=True)
    ])
    log_quality = SIGMA_QUALITY * _rng(seed, _S_QUALITY).standard_normal((n_c, n_p))

    # calibrate the threshold (density) and the scale (world trade) on a sample of cells
    cells = n_c * (n_c - 1) * n_p
    if cells <= CALIBRATION_CELLS:  # every cell: the threshold is exact
        ii, jj, pp = (a.ravel() for a in np.meshgrid(np.arange(n_c), np.arange(n_c), np.arange(n_p),
                                                     indexing="ij"))
        off = ii != jj
        ii, jj, pp = ii[off], jj[off], pp[off]
    else:
        rng = _rng(seed, _S_CALIB)
        ii = rng.integers(0, n_c, CALIBRATION_CELLS)
        jj = rng.integers(0, n_c - 1, CALIBRATION_CELLS)
        jj = jj + (jj >= ii)
        pp = rng.integers(0, n_p, CALIBRATION_CELLS)
    mu = log_base[ii, jj] + log_size[pp] + log_adv[ii, pp] + log_demand[jj, pp]
    sigma = math.sqrt(SIGMA_PAIR**2 + SIGMA_YEAR**2 + SIGMA_DRIFT**2)
    log_tau = _solve_threshold(mu, sigma, spec.density)
    kept_value = np.exp(mu + sigma**2 / 2) * ndtr((mu + sigma**2 - log_tau) / sigma)
    expected_total = float(kept_value.mean()) * cells
    coverage = sum(c.gdp_bn for c in countries) / WORLD_GDP_BN
    offset = math.log(TRADE_PER_PRODUCT_USD * n_p * coverage / expected_total)
    return TradeModel(seed=seed, iso3=iso3, hs6=hs6, log_base=log_base + offset, log_size=log_size,
                      log_adv=log_adv, log_demand=log_demand, log_uv=log_uv, log_quality=log_quality,
                      log_tau=log_tau + offset, first_year=first_year)


def _solve_threshold(mu: np.ndarray, sigma: float, density: float) -> float:
    """Solve mean(Φ((μ − t)/σ)) = density for t by bisection (the mean decreases in t)."""
    lo, hi = float(mu.min()) - 10 * sigma, float(mu.max()) + 10 * sigma
    for _ in range(60):
        mid = (lo + hi) / 2
        if float(ndtr((mu - mid) / sigma).mean()) > density:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# ---------------------------------------------------------------------------- minerals, WGI
def _round_sig(x: float, digits: int) -> float:
    """Round ``x`` to ``digits`` significant figures (USGS publishes rounded numbers)."""
    if x <= 0:
        return 0.0
    return float(round(x, digits - 1 - math.floor(math.log10(x))))


def production_years(years: Sequence[int]) -> tuple[int, ...]:
    """Years of the USGS-style tables: the last two of ``years`` (one MCS edition covers two)."""
    return tuple(sorted(years)[-2:])


@dataclass(frozen=True)
class MineralSeries:
    """One synthetic USGS-style series: levels by country and year, plus "Other countries"."""

    params: P.MineralParams
    years: tuple[int, ...]
    production: dict[str, list[float]]
    other: list[float]
    world: list[float]
    reserves: dict[str, float]
    reserves_other: float | None
    reserves_world: float | None


def mineral_series(iso3: Sequence[str], years: Sequence[int], seed: int) -> list[MineralSeries]:
    """Draw every :data:`~kakehashi.sample.parameters.MINERALS` series for the world's countries.

    Each listed producer's level is multiplied by exp(N(0, 0.08)) per year and rounded to two
    significant figures; producers absent from the world join "Other countries"; the world
    total is the rounded sum (three significant figures), as USGS publishes it.
    """
    present = set(iso3)
    pyears = production_years(years)
    out = []
    for k, m in enumerate(P.MINERALS):
        rng = _rng(seed, _S_MINERALS, k)
        prod: dict[str, list[float]] = {}
        other = [float(m.other)] * len(pyears)
        for country, level in m.producers.items():
            draws = level * np.exp(0.08 * rng.standard_normal(len(pyears)))
            vals = [_round_sig(float(v), 2) for v in draws]
            if country in present:
                prod[country] = vals
            else:
                other = [o + v for o, v in zip(other, vals, strict=True)]
        other = [_round_sig(o, 2) for o in other]
        for country in m.reserves or {}:  # reserve holders without production: rows of 0
            if country in present and country not in prod:
                prod[country] = [0.0] * len(pyears)
        world = [_round_sig(sum(v[t] for v in prod.values()) + other[t], 3) for t in range(len(pyears))]
        reserves: dict[str, float] = {}
        r_other: float | None = None
        r_world: float | None = None
        if m.reserves is not None:
            r_other = float(m.reserves_other or 0.0)
            for country, level in m.reserves.items():
                val = _round_sig(level * float(np.exp(0.05 * rng.standard_normal())), 2)
                if country in present:
                    reserves[country] = val
                else:
                    r_other += val
            r_other = _round_sig(r_other, 2)
            r_world = _round_sig(sum(reserves.values()) + r_other, 2)
        out.append(MineralSeries(m, pyears, prod, other, world, reserves, r_other, r_world))
    return out


def _mineral_frames(series: Sequence[MineralSeries]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Canonical production, reserves and world_totals of the series, in metric tons.

    As the USGS parser files them: country rows in ``production``/``reserves``; the
    "World total" rows in ``world_totals`` (stage ``reserves`` for reserves) and the
    "Other countries" rows there too, with the stage suffixed ``:other-countries``.
    """
    prod_rows, res_rows, world_rows = [], [], []
    for s in series:
        m, f = s.params, s.params.factor
        for t, year in enumerate(s.years):
            for country, vals in s.production.items():
                prod_rows.append((year, country, m.commodity, m.stage, vals[t] * f, m.unit))
            world_rows.append((year, m.commodity, m.stage, s.world[t] * f, m.unit))
            world_rows.append((year, m.commodity, f"{m.stage}:other-countries", s.other[t] * f, m.unit))
        if s.reserves_world is not None and s.reserves_other is not None:
            ryear = s.years[-1]
            for country, val in s.reserves.items():
                res_rows.append((ryear, country, m.commodity, val * f, m.unit))
            world_rows.append((ryear, m.commodity, "reserves", s.reserves_world * f, m.unit))
            world_rows.append((ryear, m.commodity, "reserves:other-countries", s.reserves_other * f, m.unit))
    production = pd.DataFrame(prod_rows,
                              columns=["year", "country", "commodity", "stage", "quantity", "unit"])
    production["source"] = SOURCE_MINERALS
    reserves = pd.DataFrame(res_rows, columns=["year", "country", "commodity", "quantity", "unit"])
    reserves["source"] = SOURCE_MINERALS
    world = pd.DataFrame(world_rows, columns=["year", "commodity", "stage", "quantity", "unit"])
    world["source"] = SOURCE_MINERALS
    for df in (production, reserves, world):
        df["year"] = df["year"].astype("int32")
    return production, reserves, world


def governance_wide(countries: Sequence[P.CountryParams], years: Sequence[int], seed: int) -> pd.DataFrame:
    """Synthetic WGI in the World Bank's wide layout (code, countryname, year, vae, vas, ...).

    For each indicator k: estimate = level_c + 0.3·N(0,1) (persistent) + 0.05·N(0,1) (yearly),
    clipped to [−2.5, 2.5] and written with six decimals; standard error 0.15–0.30; number of
    sources 4–12; percentile rank among the world's countries, with its 90 % interval ±8 points.
    """
    rng = _rng(seed, _S_WGI)
    n = len(countries)
    level = np.array([c.governance for c in countries])
    persistent = 0.3 * rng.standard_normal((n, len(WGI_INDICATORS)))
    frames = []
    for year in sorted(years):
        yearly = 0.05 * rng.standard_normal((n, len(WGI_INDICATORS)))
        est = np.clip(level[:, None] + persistent + yearly, -2.5, 2.5).round(6)
        df = pd.DataFrame({"code": [c.wgi_code for c in countries],
                           "countryname": [c.wgi_name for c in countries],
                           "year": year})
        for k, ind in enumerate(WGI_INDICATORS):
            e = est[:, k]
            rank = (pd.Series(e).rank(method="average").to_numpy() - 0.5) / n * 100
            df[f"{ind}e"] = e
            df[f"{ind}s"] = (0.15 + 0.15 * rng.random(n)).round(6)
            df[f"{ind}n"] = rng.integers(4, 13, n)
            df[f"{ind}r"] = rank.round(6)
            df[f"{ind}l"] = np.clip(rank - 8, 0, 100).round(6)
            df[f"{ind}u"] = np.clip(rank + 8, 0, 100).round(6)
        frames.append(df)
    return pd.concat(frames, ignore_index=True).sort_values(["code", "year"], ignore_index=True)


def _governance_long(wide: pd.DataFrame, countries: Sequence[P.CountryParams]) -> pd.DataFrame:
    to_iso3 = {c.wgi_code: c.iso3 for c in countries}
    rows = []
    for ind in WGI_INDICATORS:
        part = pd.DataFrame({"year": wide["year"].astype("int32"),
                             "country": wide["code"].map(to_iso3),
                             "indicator": ind,
                             "value": wide[f"{ind}e"].astype(float)})
        rows.append(part)
    return pd.concat(rows, ignore_index=True).sort_values(
        ["year", "country", "indicator"], ignore_index=True)


# ------------------------------------------------------------------------------------- world
@dataclass(eq=False)
class SampleWorld:
    """A generated SYNTHETIC world: canonical tables plus the model that makes its trade flows.

    Trade flows are produced on demand (:meth:`trade_flows_year`, :attr:`trade_flows`) so that
    a ``baci``-size world (about 10 million rows a year) can be streamed year by year.
    """

    size: str
    seed: int
    years: tuple[int, ...]
    model: TradeModel = field(repr=False)
    countries: pd.DataFrame = field(repr=False)
    products: pd.DataFrame = field(repr=False)
    production: pd.DataFrame = field(repr=False)
    reserves: pd.DataFrame = field(repr=False)
    world_totals: pd.DataFrame = field(repr=False)
    governance: pd.DataFrame = field(repr=False)
    governance_wide: pd.DataFrame = field(repr=False)
    minerals: list[MineralSeries] = field(repr=False)
    synthetic: bool = True

    def chunks(self, year: int, exporters: Sequence[str] | None = None) -> Iterator[FlowChunk]:
        """Integer-coded flows of ``year`` per exporter (optionally only ``exporters``, ISO3)."""
        if year not in self.years:
            raise InputError(f"year {year} is not in this sample world ({self.years[0]}-{self.years[-1]})",
                             value=year, hint="generate the world with years=... including it")
        idx = None
        if exporters is not None:
            pos = {c: k for k, c in enumerate(self.model.iso3)}
            for e in exporters:
                if e not in pos:
                    raise unknown_value_error("country of this sample world", e, pos)
            idx = sorted(pos[e] for e in exporters)
        return self.model.year_chunks(year, idx)

    def trade_flows_year(self, year: int, exporters: Sequence[str] | None = None) -> pd.DataFrame:
        """Canonical ``trade_flows`` rows of one year."""
        return self._frame([*self.chunks(year, exporters)], year)

    @functools.cached_property
    def trade_flows(self) -> pd.DataFrame:
        """Canonical ``trade_flows`` of all years (for ``baci`` size prefer :meth:`chunks`)."""
        return pd.concat([self.trade_flows_year(y) for y in self.years], ignore_index=True)

    def _frame(self, chunks: Sequence[FlowChunk], year: int) -> pd.DataFrame:
        iso3 = np.array(self.model.iso3, dtype=object)
        hs6 = np.array(self.model.hs6, dtype=object)
        def cat(arrays: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype=dtype)

        exp_ = cat([np.full(len(c), c.exporter) for c in chunks], np.intp)
        imp = cat([c.importer for c in chunks], np.intp)
        prod = cat([c.product for c in chunks], np.intp)
        value = cat([c.value_usd for c in chunks], np.float64)
        kg = cat([c.quantity_kg for c in chunks], np.float64)
        qty = np.where(kg < 0, np.nan, kg / 1000.0)
        return pd.DataFrame({
            "year": np.full(len(imp), year, dtype=np.int32),
            "exporter": pd.array(iso3[exp_], dtype="str"),
            "importer": pd.array(iso3[imp], dtype="str"),
            "hs6": pd.array(hs6[prod], dtype="str"),
            "value_usd": value,
            "quantity_t": qty,
            "hs_revision": "HS22",
            "source": SOURCE_TRADE,
        })


def _product_names() -> dict[str, str]:
    goods = strategic_goods()
    return {str(h): str(n) for h, n in zip(goods["hs6"], goods["name"], strict=True)}


_SECTIONS: tuple[tuple[int, str], ...] = (
    (5, "I"), (14, "II"), (15, "III"), (24, "IV"), (27, "V"), (38, "VI"), (40, "VII"), (43, "VIII"),
    (46, "IX"), (49, "X"), (63, "XI"), (67, "XII"), (70, "XIII"), (71, "XIV"), (83, "XV"), (85, "XVI"),
    (89, "XVII"), (92, "XVIII"), (93, "XIX"), (96, "XX"), (97, "XXI"),
)
"""HS sections by their last chapter (WCO, Harmonized System nomenclature)."""


def hs_section(hs6: str) -> str:
    """HS section (Roman numeral) of a code, from its chapter.

    Examples
    --------
    >>> hs_section("850511"), hs_section("010121"), hs_section("970110")
    ('XVI', 'I', 'XXI')
    """
    chapter = int(hs6[:2])
    return next(sec for last, sec in _SECTIONS if chapter <= last)


def product_description(hs6: str, names: dict[str, str]) -> str:
    """Description written to the sample's product-code file.

    The sample ships no HS texts: a catalogue code keeps its catalogue name, any other code is named
    by its HS chapter (:func:`kakehashi.catalogue.chapter_description`). ``kakehashi ingest hs``
    replaces these descriptions with the nomenclature's own.

    Examples
    --------
    >>> product_description("850511", {"850511": "Permanent magnets"})
    'Permanent magnets'
    >>> product_description("060220", {})
    'Goods of chapter 06 (live trees and other plants), HS 0602.20'
    """
    if hs6 in names:
        return names[hs6]
    return chapter_description(hs6)


def generate(size: str = "tiny", seed: int = P.DEFAULT_SEED,
             years: Sequence[int] | None = None) -> SampleWorld:
    """Generate a deterministic SYNTHETIC sample world.

    Parameters
    ----------
    size
        ``tiny`` (12 countries, ~150 products; tests), ``small`` (40 countries, ~1,100 products;
        quick start) or ``baci`` (100 countries, 5,000 products, ~10 million flows a year).
    seed
        Random seed; the same seed gives identical tables and files.
    years
        Years of trade flows (default 2021–2023). Production covers the last two of them.

    Returns
    -------
    SampleWorld
        Canonical tables (``trade_flows`` produced lazily), all labelled SYNTHETIC.

    Examples
    --------
    >>> w = generate("tiny")
    >>> w.synthetic, len(w.model.iso3), w.years
    (True, 12, (2021, 2022, 2023))
    """
    years_t = tuple(sorted(set(P.DEFAULT_YEARS if years is None else years)))
    if not years_t:
        raise InputError("no years given for the sample world", hint="pass e.g. --years 2021-2023")
    for y in years_t:
        if not 1990 <= y <= 2100:
            raise InputError(f"implausible year {y} for the sample world", value=y,
                             hint="years must be between 1990 and 2100")
    model = build_model(size, seed, years_t[0])
    countries = _world_countries(size)
    series = mineral_series(model.iso3, years_t, seed)
    production, reserves, world_totals = _mineral_frames(series)
    wide = governance_wide(countries, years_t, seed)
    names = _product_names()
    products = pd.DataFrame({
        "hs6": list(model.hs6),
        "hs_revision": "HS22",
        "description": [product_description(h, names) for h in model.hs6],
        "hs4": [h[:4] for h in model.hs6],
        "section": [hs_section(h) for h in model.hs6],
    })
    country_df = pd.DataFrame({
        "iso3": [c.iso3 for c in countries],
        "iso2": [c.iso2 for c in countries],
        "baci_code": [c.baci_code for c in countries],
        "name": [c.baci_name for c in countries],
    })
    return SampleWorld(size=size, seed=seed, years=years_t, model=model, countries=country_df,
                       products=products, production=production, reserves=reserves,
                       world_totals=world_totals, governance=_governance_long(wide, countries),
                       governance_wide=wide, minerals=series)
