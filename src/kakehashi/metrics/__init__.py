"""Analysis layer: pure functions that build Ibis expressions (no I/O, no printing).

Modules
-------
concentration
    Supplier shares and the Herfindahl-Hirschman index.
screen
    The dependency screen (EU 2021 / CEPII GeoDep) with persistence and severity.
substitution
    Who could replace the rival: spare exports of partner, coalition and world.
complementarity
    Balassa RCA and the WITS trade complementarity index.
minerals
    Mineral supply risk from USGS production and reserves and WGI governance.
cables
    Submarine cables (pandas): landing-station HHI, builders, owners, the country graph
    (cable-disjoint paths), chokepoints and the cut scenario.
"""
