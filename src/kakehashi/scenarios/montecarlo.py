"""Monte-Carlo draws of uncertain scenario parameters, vectorised over draws.

Every uncertain parameter is drawn once, as a NumPy array of shape
``(draws,)``, from one seeded :class:`numpy.random.Generator`; the kernels
then broadcast these arrays against the trade arrays, so a whole run is a
handful of array operations of shape ``(draws, ...)`` and never a Python
loop over draws. Parameters are drawn in sorted name order, so the same seed
gives the same draws whatever order the scenario file lists them in.

Distributions (declared in the scenario file under ``uncertain:``)

``uniform``     ``low``, ``high``: every value in [low, high] equally likely.
``triangular``  ``low``, ``mode``, ``high``: density rising linearly from low to
                mode and falling to high.
``normal``      ``mean``, ``sd``, optional ``low``/``high``: normal truncated to
                [low, high] (``scipy.stats.truncnorm``); unbounded sides stay open.
``beta``        ``a``, ``b``, optional ``low`` (0) and ``high`` (1): a Beta(a, b)
                variable rescaled to [low, high].

A run with no uncertain parameter gives identical p5, p50 and p95.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from kakehashi.errors import ScenarioError

FloatArray = NDArray[np.float64]
DistKind = Literal["uniform", "triangular", "normal", "beta"]
DIST_KINDS: tuple[str, ...] = ("uniform", "triangular", "normal", "beta")

QUANTILES: tuple[float, float, float] = (5.0, 50.0, 95.0)
"""Percentiles reported for every output (p5, p50, p95)."""


@dataclass(frozen=True)
class Distribution:
    """A probability distribution of one uncertain parameter.

    Parameters
    ----------
    kind
        ``uniform``, ``triangular``, ``normal`` (truncated) or ``beta``.
    low, high
        Bounds (required for uniform and triangular; optional truncation for
        normal; rescaling interval for beta, default [0, 1]).
    mode
        Mode of the triangular distribution.
    mean, sd
        Mean and standard deviation of the normal before truncation.
    a, b
        Shape parameters of the beta distribution.
    """

    kind: DistKind
    low: float | None = None
    high: float | None = None
    mode: float | None = None
    mean: float | None = None
    sd: float | None = None
    a: float | None = None
    b: float | None = None

    def support(self) -> tuple[float, float]:
        """Smallest and largest value a draw can take (infinite when open)."""
        if self.kind == "beta":
            return (0.0 if self.low is None else self.low, 1.0 if self.high is None else self.high)
        lo = -np.inf if self.low is None else self.low
        hi = np.inf if self.high is None else self.high
        return (float(lo), float(hi))


def draw(dist: Distribution, n: int, rng: np.random.Generator) -> FloatArray:
    """Draw ``n`` values of ``dist`` in one vectorised call.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = draw(Distribution("uniform", low=0.1, high=0.3), 1000, rng)
    >>> bool(x.min() >= 0.1 and x.max() <= 0.3), x.shape
    (True, (1000,))
    """
    if n < 1:
        raise ScenarioError(f"draws must be at least 1, got {n}")
    if dist.kind == "uniform":
        assert dist.low is not None and dist.high is not None
        return rng.uniform(dist.low, dist.high, size=n)
    if dist.kind == "triangular":
        assert dist.low is not None and dist.high is not None and dist.mode is not None
        if dist.low == dist.high:
            return np.full(n, float(dist.low))
        return rng.triangular(dist.low, dist.mode, dist.high, size=n)
    if dist.kind == "normal":
        assert dist.mean is not None and dist.sd is not None
        if dist.sd == 0:
            return np.full(n, float(dist.mean))
        lo, hi = dist.support()
        a = (lo - dist.mean) / dist.sd
        b = (hi - dist.mean) / dist.sd
        from scipy import stats  # 0.4 s to import: only when a normal draw is made

        out = stats.truncnorm.rvs(a, b, loc=dist.mean, scale=dist.sd, size=n, random_state=rng)
        return np.asarray(out, dtype=np.float64)
    if dist.kind == "beta":
        assert dist.a is not None and dist.b is not None
        lo, hi = dist.support()
        return lo + (hi - lo) * rng.beta(dist.a, dist.b, size=n)
    raise ScenarioError(f"unknown distribution {dist.kind!r}", hint=f"use one of {', '.join(DIST_KINDS)}")


def draw_parameters(
    fixed: Mapping[str, float],
    uncertain: Mapping[str, Distribution],
    draws: int,
    seed: int | None,
) -> tuple[dict[str, FloatArray], int]:
    """Arrays of every parameter, one value per draw.

    Parameters
    ----------
    fixed
        Point values of all parameters.
    uncertain
        Distributions of the parameters that are uncertain; they replace the
        point value of the same name.
    draws
        Number of Monte-Carlo draws requested.
    seed
        Seed of the :class:`numpy.random.Generator`.

    Returns
    -------
    params, n
        ``params[name]`` has shape ``(n,)``. ``n`` is ``draws`` when any
        parameter is uncertain and 1 otherwise (a deterministic run needs one
        evaluation; its p5 = p50 = p95).
    """
    unknown = sorted(set(uncertain) - set(fixed))
    if unknown:
        raise ScenarioError(f"uncertain parameter {unknown[0]!r} has no point value",
                            hint=f"parameters are: {', '.join(sorted(fixed))}")
    n = draws if uncertain else 1
    rng = np.random.default_rng(seed)
    out: dict[str, FloatArray] = {}
    for name in sorted(fixed):
        if name in uncertain:
            out[name] = draw(uncertain[name], n, rng)
        else:
            out[name] = np.full(n, float(fixed[name]))
    return out, n


def percentiles(x: FloatArray, axis: int = 0) -> tuple[FloatArray, FloatArray, FloatArray]:
    """p5, p50 and p95 of ``x`` along ``axis`` (linear interpolation).

    Examples
    --------
    >>> p5, p50, p95 = percentiles(np.arange(101.0).reshape(101, 1))
    >>> float(p5[0]), float(p50[0]), float(p95[0])
    (5.0, 50.0, 95.0)
    """
    q = np.percentile(x, QUANTILES, axis=axis)
    return q[0], q[1], q[2]
