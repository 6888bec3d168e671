"""Briefing packs (HTML and PDF) per importer, rival, partner and workstream.

Presentation only: the numbers come from :mod:`kakehashi.metrics`,
:mod:`kakehashi.scenarios` and :mod:`kakehashi.optimize`.
"""
