"""FUZZ: every parser is total over its input (issue 12). Find it with ``-m fuzz`` or ``-k fuzz``.

A seeded mutator (byte flips, truncations, inserted bytes, deleted and duplicated lines; see
``_fuzz.py``) runs over the fixtures of every publisher format and, when present, small slices of
the real files in the shared data folder. Every outcome must be a load that passes the schema (no
null where it is forbidden, finite numbers within each column's bounds) or an InputError naming the
file; never another exception. A file cut inside a line must not load numbers that differ from the
uncut file's. 150 mutations per source, a few seconds each; ``python tests/unit/_fuzz.py 2000`` runs
a bigger measurement outside the suite.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from _fuzz import Tally, cases, mutate, run

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("KAKEHASHI_SHARED_DATA", REPO.parent / "shared" / "data"))

SOURCES = ("baci", "comtrade", "usgs", "wgi", "hs")
PER_SOURCE = 150
SEED = 20261130


@pytest.mark.fuzz
@pytest.mark.parametrize("source", SOURCES)
def test_fuzz_parser_is_total(source: str, tmp_path: Path) -> None:
    chosen = [c for c in cases(SHARED_DATA if SHARED_DATA.is_dir() else None) if c.source == source]
    assert chosen, source
    tally = Tally()
    each = max(1, PER_SOURCE // len(chosen))
    for case in chosen:
        run(case, each, SEED, tmp_path, tally)
    assert tally.mutations == each * len(chosen)
    assert tally.loads + tally.input_errors + len(tally.other) == tally.mutations
    assert tally.other == []  # no exception other than InputError
    assert tally.bad_loads == []  # no load that breaks the schema's rules or bounds
    assert tally.silent_wrong == []  # no file cut inside a line loading other numbers
    assert tally.input_errors > 0 and tally.loads > 0  # the mutations do reach both outcomes


def test_fuzz_mutator_is_seeded_and_changes_the_bytes() -> None:
    data = b"t,i,j,k,v,q\n2021,4,392,90500,1.5,NA\n2021,4,699,90500,12.25,NA\n"
    assert [mutate(data, random.Random(s)) for s in range(20)] == [mutate(data, random.Random(s))
                                                                  for s in range(20)]
    outs = [mutate(data, random.Random(s)) for s in range(200)]
    changed = [m for m, _ in outs if m != data]
    assert len(changed) >= 190  # a flip may write the byte already there; little else leaves it whole
    kinds = {op for _, what in outs for op in what.split("+")}
    assert kinds == {"flip", "truncate_mid_line", "truncate_line_end", "insert", "delete_line",
                     "duplicate_line"}
