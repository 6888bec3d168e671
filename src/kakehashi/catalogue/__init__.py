"""Curated, cited package data: strategic goods, chain links, USGS commodities.

CONTRACT (the data files are being curated by the metrics work):

``data/strategic_goods.csv``  workstream, hs6 (HS 2022), name, stage, flag, source
``data/chain_links.csv``      input_hs6, output_hs6, input_share, note, source
``data/usgs_commodities.csv`` usgs_code, commodity, name, stage, hs6 (space-separated), source
"""
