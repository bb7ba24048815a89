"""ISO 2859-1 single sampling, normal inspection (veriseal_inventory.sampling).

Ground truth is typed by hand from published copies of the tables, never taken from the
module:

- Table 1 (sample size code letters), all levels: the ANSI/ASQC Z1.4 / MIL-STD-105E /
  ISO 2859 chart at https://pdfcoffee.com/aql-sampling-chart-pdf-free.html (the same
  rows as http://www.wisetool.com/sampling.htm).
- Plans at general level II for AQL 0.65 .. 15, arrows followed by reading the column:
  "TABLE 1-A INSPECTION LEVEL - General Level II SAMPLING PLAN - Single Normal",
  developed from MIL-STD-105E Tables I and II-A, at
  http://www.nibs.org/FMOC/DPW_AC/AC-TABLE.ASC (lot ranges, code letter, sample size,
  Re per AQL; Ac = Re - 1).
- Plans at special levels S-3 / S-4 for lots of 35,001 .. 500,000, as listed from
  ISO 2859-1:1999 by Jenkins, Peck and Fernando (PLOS, figure "Operating characteristic
  curves from ISO 2859-1:1999 ...",
  https://plos.figshare.com/articles/figure/Operating_characteristic_curves_from_ISO_2859_1_1999_for_the_lot_size_range_of_35_001_500_000_for_various_sampling_options_AQL_inspection_level_/22583454).
- Ac/Re rows of Table 2-A without arrows ("A 2 0 1 1 2 ... 30 31"):
  https://www.scribd.com/document/423570819/ANSI-Z1-4-Sampling-and-Inspection-Tables-How-to-Guide
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal_inventory import sampling
from veriseal_inventory.inbound_errors import InboundInvalid
from veriseal_inventory.sampling import Decision, decide, plan

# -- Table 1, typed from the pdfcoffee chart: lot range -> S-1 S-2 S-3 S-4 I II III -----
TABLE_1 = [
    (2, 8, "A A A A A A B"),
    (9, 15, "A A A A A B C"),
    (16, 25, "A A B B B C D"),
    (26, 50, "A B B C C D E"),
    (51, 90, "B B C C C E F"),
    (91, 150, "B B C D D F G"),
    (151, 280, "B C D E E G H"),
    (281, 500, "B C D E F H J"),
    (501, 1200, "C C E F G J K"),
    (1201, 3200, "C D E G H K L"),
    (3201, 10000, "C D F G J L M"),
    (10001, 35000, "C D F H K M N"),
    (35001, 150000, "D E G J L N P"),
    (150001, 500000, "D E G J M P Q"),
    (500001, 10**9, "D E H K N Q R"),
]
LEVELS = ["S-1", "S-2", "S-3", "S-4", "I", "II", "III"]


@pytest.mark.parametrize(("low", "high", "letters"), TABLE_1)
def test_table_1_code_letters_at_both_ends_of_each_range(low: int, high: int,
                                                         letters: str) -> None:  # fmt: skip
    for level, letter in zip(LEVELS, letters.split(), strict=True):
        assert sampling.code_letter(low, level) == letter, (low, level)
        assert sampling.code_letter(high, level) == letter, (high, level)


# -- plans typed from the nibs.org level II table (MIL-STD-105E II-A) --------------------
# (lot size, AQL, sample size, Ac, Re); an arrow cell is resolved by reading down / up
# the printed column to the first plan, whose sample size (and Ac, Re) is used.
LEVEL_II = [
    (5, "6.5", 2, 0, 1),  # A: Re 1
    (12, "4.0", 3, 0, 1),  # B: Re 1
    (12, "6.5", 2, 0, 1),  # B: up -> A (n 2) Re 1
    (12, "10", 5, 1, 2),  # B: down -> C (n 5) Re 2
    (20, "15", 5, 2, 3),  # C: Re 3
    (20, "2.5", 5, 0, 1),  # C: Re 1
    (40, "2.5", 5, 0, 1),  # D: up -> C (n 5) Re 1
    (40, "4.0", 13, 1, 2),  # D: down -> E (n 13) Re 2
    (40, "15", 8, 3, 4),  # D: Re 4
    (70, "0.65", 20, 0, 1),  # E: down -> F (n 20) Re 1
    (70, "15", 13, 5, 6),  # E: Re 6
    (100, "0.65", 20, 0, 1),  # F: Re 1
    (100, "1.0", 13, 0, 1),  # F: up -> E (n 13) Re 1
    (100, "1.5", 32, 1, 2),  # F: down -> G (n 32) Re 2
    (200, "0.65", 20, 0, 1),  # G: up -> F (n 20) Re 1
    (200, "15", 32, 10, 11),  # G: Re 11
    (400, "0.65", 80, 1, 2),  # H: down -> J (n 80) Re 2
    (400, "2.5", 50, 3, 4),  # H: Re 4
    (1000, "1.0", 80, 2, 3),  # J: Re 3
    (1000, "15", 80, 21, 22),  # J: Re 22
    (2000, "0.65", 125, 2, 3),  # K: Re 3
    (2000, "15", 80, 21, 22),  # K: up -> J (n 80) Re 22
    (5000, "4.0", 200, 14, 15),  # L: Re 15
    (5000, "6.5", 200, 21, 22),  # L: Re 22
    (5000, "10", 125, 21, 22),  # L: up -> K (n 125) Re 22
    (20000, "0.65", 315, 5, 6),  # M: Re 6
    (100000, "1.0", 500, 10, 11),  # N: Re 11
    (100000, "4.0", 315, 21, 22),  # N: up -> M (n 315) Re 22
    (100000, "6.5", 200, 21, 22),  # N: up past M's arrow -> L (n 200) Re 22
    (300000, "0.65", 800, 10, 11),  # P: Re 11
    (600000, "1.0", 1250, 21, 22),  # Q: Re 22
    (600000, "1.5", 800, 21, 22),  # Q: up -> P (n 800) Re 22
]


@pytest.mark.parametrize(("lot", "aql", "n", "ac", "re"), LEVEL_II)
def test_level_ii_plans_from_the_published_table(lot: int, aql: str, n: int, ac: int,
                                                 re: int) -> None:  # fmt: skip
    p = plan(lot, aql)
    assert (p.sample_size, p.accept, p.reject) == (n, ac, re)
    assert p.sample_size == sampling.SAMPLE_SIZES[p.code_letter]
    assert not p.full


# -- ISO 2859-1:1999 special levels, as listed in the PLOS figure ------------------------
SPECIAL = [
    ("0.65", "S-4", 80, 1, 2),
    ("0.65", "S-3", 20, 0, 1),
    ("0.40", "S-4", 125, 1, 2),
    ("0.40", "S-3", 32, 0, 1),
    ("0.25", "S-4", 50, 0, 1),
    ("0.15", "S-4", 80, 0, 1),
]


@pytest.mark.parametrize("lot", [35001, 150000, 150001, 500000])
@pytest.mark.parametrize(("aql", "level", "n", "ac", "re"), SPECIAL)
def test_special_level_plans_from_iso_2859_1_1999(lot: int, aql: str, level: str, n: int,
                                                  ac: int, re: int) -> None:  # fmt: skip
    p = plan(lot, aql, level)
    assert (p.sample_size, p.accept, p.reject) == (n, ac, re)


# -- Table 2-A rows without arrows (scribd "How To Guide"): the plans of a code letter,
# left to right, at the AQL columns where the letter has its own plan ------------------
ROW_PLANS = {
    "A": "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22 30 31",
    "B": "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22 30 31 44 45",
    "E": "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22 30 31 44 45",
    "F": "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22",
    "K": "0 1 1 2 2 3 3 4 5 6 7 8 10 11 14 15 21 22",
}


@pytest.mark.parametrize("letter", sorted(ROW_PLANS))
def test_each_letter_offers_the_published_series_of_plans(letter: str) -> None:
    numbers = [int(x) for x in ROW_PLANS[letter].split()]
    expected = list(zip(numbers[::2], numbers[1::2], strict=True))
    # a lot whose level-II letter is ``letter`` (Table 1 above), large enough that the
    # sample is never the whole lot
    lot = {"A": 8, "B": 15, "E": 90, "F": 150, "K": 3200}[letter]
    own = []
    for aql in sampling.AQLS:
        p = plan(lot, aql)
        if p.code_letter == letter and (p.accept, p.reject) not in own:
            own.append((p.accept, p.reject))
    assert own == expected


def test_a_sample_as_large_as_the_lot_means_every_item_is_inspected() -> None:
    # lot 8 at level II is letter A; AQL 0.65 is an arrow down to F (n 20) in the nibs
    # table: all 8 items are inspected with F's Ac 0 / Re 1.
    p = plan(8, "0.65")
    assert (p.table_letter, p.code_letter, p.sample_size, p.accept, p.reject, p.full) == (
        "A", "F", 8, 0, 1, True)  # fmt: skip
    assert plan(2, "0.010").sample_size == 2


def test_decide_accepts_up_to_ac_and_rejects_from_re() -> None:
    p = plan(400, "2.5")  # H: n 50, Ac 3, Re 4
    assert [decide(p, d) for d in (0, 3, 4, 50)] == [
        Decision.ACCEPT, Decision.ACCEPT, Decision.REJECT, Decision.REJECT]  # fmt: skip


@pytest.mark.parametrize(
    "call",
    [
        lambda: plan(0, "1.0"),
        lambda: plan(-5, "1.0"),
        lambda: plan(100, "0.3"),
        lambda: plan(100, "abc"),
        lambda: plan(100, "1.0", "IV"),
        lambda: plan(100, "1.0", "S-5"),
        lambda: decide(plan(100, "1.0"), -1),
        lambda: decide(plan(100, "1.0"), 14),
    ],
)
def test_bad_input_is_refused_with_a_code(call: object) -> None:
    with pytest.raises(InboundInvalid) as caught:
        call()  # type: ignore[operator]
    assert caught.value.code == "inbound_invalid"


def test_aql_and_level_spellings() -> None:
    assert plan(100, Decimal("1.00")).aql == Decimal("1.0")
    assert plan(100, "1").aql == Decimal("1.0")
    assert plan(100, "0.1", "s3").level == "S-3"
    assert plan(100, "0.1", "iii").level == "III"


# -- properties ------------------------------------------------------------------------
lots = st.integers(min_value=1, max_value=2_000_000)
aqls = st.sampled_from(sampling.AQLS)
levels = st.sampled_from(LEVELS)


@given(lots, lots, aqls, levels)
def test_sample_size_never_decreases_as_the_lot_grows(a: int, b: int, aql: Decimal,
                                                      level: str) -> None:  # fmt: skip
    small, big = sorted((a, b))
    assert plan(small, aql, level).sample_size <= plan(big, aql, level).sample_size


@given(lots, aqls, levels)
def test_re_is_ac_plus_one_and_the_sample_fits_the_lot(lot: int, aql: Decimal,
                                                        level: str) -> None:  # fmt: skip
    p = plan(lot, aql, level)
    assert p.reject == p.accept + 1
    assert 1 <= p.sample_size <= lot
    assert p.full == (p.sample_size == lot and sampling.SAMPLE_SIZES[p.code_letter] >= lot)


@given(lots, aqls, levels, st.data())
def test_decision_is_accept_exactly_up_to_ac(lot: int, aql: Decimal, level: str,
                                            data: st.DataObject) -> None:  # fmt: skip
    p = plan(lot, aql, level)
    defects = data.draw(st.integers(min_value=0, max_value=p.sample_size))
    assert (decide(p, defects) is Decision.ACCEPT) == (defects <= p.accept)
