"""Disruption draws for the ``shortfall`` objective (per-draw supplier availability).

A draw says which fraction of its planned supply each supplier delivers. The
default scenario is the export restriction of the scenario kernels
(:mod:`kakehashi.scenarios.restriction`): the rival cuts its exports by a
severity φ drawn with :func:`kakehashi.scenarios.montecarlo.draw` (default
uniform on [0.5, 1], 1 being a ban), so it delivers ``1 - φ``. Optionally every
other supplier is also disrupted outright, independently, with probability
``p_s = other_disruption · g_s / 10`` where ``g_s`` is its WGI-based risk on the
EU 0–10 scale (an *assumption* to make governance matter in the draws: with
``other_disruption = 0.1`` a supplier of the worst governance fails in one draw
in ten, one of the best never).
"""

from __future__ import annotations

import numpy as np

from kakehashi.errors import InputError
from kakehashi.optimize.problem import FloatArray
from kakehashi.scenarios.montecarlo import Distribution, draw

DEFAULT_SEVERITY = Distribution("uniform", low=0.5, high=1.0)
"""Severity φ of the rival's restriction in the default draws (an assumption)."""

DEFAULT_DRAWS = 200
"""Number of draws of the ``shortfall`` objective."""


def restriction_draws(
    n_suppliers: int,
    rival: int | None,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = 20261121,
    severity: Distribution = DEFAULT_SEVERITY,
    risk: FloatArray | None = None,
    other_disruption: float = 0.0,
) -> FloatArray:
    """Availability ``a[k, s]`` of each supplier in each draw (module docstring).

    Parameters
    ----------
    n_suppliers
        Number of suppliers ``n``.
    rival
        Index of the rival, or ``None`` (no restriction).
    draws
        Number of draws ``K``.
    seed
        Seed of the random generator (the same seed gives the same draws).
    severity
        Distribution of the rival's cut φ, within [0, 1].
    risk
        ``(n,)`` WGI-based risk 0–10 of each supplier (needed when
        ``other_disruption > 0``).
    other_disruption
        Failure probability of a supplier of risk 10; 0 disables the others' failures.

    Returns
    -------
    ``(K, n)`` array in [0, 1].

    Examples
    --------
    >>> a = restriction_draws(3, 0, draws=4, severity=Distribution("uniform", low=1.0, high=1.0))
    >>> a.tolist()
    [[0.0, 1.0, 1.0], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]
    """
    if draws < 1:
        raise InputError(f"draws must be at least 1, got {draws}", value=draws)
    if not 0 <= other_disruption <= 1:
        raise InputError(f"other_disruption must lie between 0 and 1, got {other_disruption}")
    rng = np.random.default_rng(seed)
    a = np.ones((draws, n_suppliers))
    if rival is not None:
        phi = np.clip(draw(severity, draws, rng), 0.0, 1.0)
        a[:, rival] = 1.0 - phi
    if other_disruption > 0:
        if risk is None:
            raise InputError("other suppliers' disruptions need their governance risk",
                             hint="pass risk= (WGI scaled 0-10) or other_disruption=0")
        p = other_disruption * np.clip(np.asarray(risk, dtype=np.float64), 0, 10) / 10.0
        fail = rng.random((draws, n_suppliers)) < p[None, :]
        if rival is not None:
            fail[:, rival] = False
        a = np.where(fail, 0.0, a)
    return a
