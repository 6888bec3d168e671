"""Sourcing portfolios and stockpiles: build → solve → read back.

* :mod:`~kakehashi.optimize.problem` — problems as arrays, effective bounds, the HiGHS model;
* :mod:`~kakehashi.optimize.feasibility` — why a problem has no solution, in words;
* :mod:`~kakehashi.optimize.solve` — HiGHS and the exact water-filling path;
* :mod:`~kakehashi.optimize.readback` — shares, risks and costs from a solver's answer;
* :mod:`~kakehashi.optimize.portfolio` — portfolios from the warehouse, coalitions, frontiers;
* :mod:`~kakehashi.optimize.stockpile` — stock that bridges a disruption.
"""

from kakehashi.optimize.problem import OBJECTIVES, PortfolioProblem, build_model, share_bounds
from kakehashi.optimize.readback import PortfolioSolution
from kakehashi.optimize.solve import Infeasible, InfeasibleError, solve, solve_many

__all__ = [
    "OBJECTIVES",
    "Infeasible",
    "InfeasibleError",
    "PortfolioProblem",
    "PortfolioSolution",
    "build_model",
    "share_bounds",
    "solve",
    "solve_many",
]
