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
"""
