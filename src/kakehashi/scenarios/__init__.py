"""What-if scenarios: export restrictions and tariffs, down the product chain, with uncertainty.

Modules

``spec``         scenario files (YAML) validated by pydantic: :class:`~kakehashi.scenarios.spec.ScenarioSpec`
``measures``     the catalogue of real, dated measures and its as-of reading
``restriction``  export-restriction kernel (loss, reallocation, shortfall, chain)
``tariff``       SMART partial-equilibrium tariff kernel
``montecarlo``   vectorised draws of uncertain parameters, p5/p50/p95
``run``          :func:`~kakehashi.scenarios.run.run_scenario`: warehouse → arrays → kernels → tidy table
"""
