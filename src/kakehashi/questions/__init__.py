"""The layer that answers questions, between the library and the front ends.

The command line, the web dashboard and API, and the briefing packs all call
this package and only format what it returns, so the same question gets the
same answer through every door.

Modules
-------
defaults
    Every default of every question, documented once (light: no engine imports).
request
    The request grammar (countries, blocs such as ``JPN+IND``, HS lists, years)
    and its validators (light: no engine imports).
inventory
    What the warehouse holds (``kakehashi status``, ``/api/status``).
exposure
    Where are we exposed? The screen with names and workstreams, an importer's
    overview, one product, one mineral.
replacement
    Who could replace the rival? Substitution capacity with the *could replace*
    judgement; portfolios and frontiers under the shared defaults, with flags.
briefing
    What should a senior official take away? Key messages and recommended actions in sentences.
whatif
    What if? Scenarios from catalogued measures (shared draws, seed and base-year
    rule), the briefing's licence scenario, overrides, runs and tables.

Importing this package loads nothing heavy; import the module you need.
"""
