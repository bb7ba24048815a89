"""ISO 2859-1 single sampling plans for NORMAL inspection (the same tables as ANSI/ASQ
Z1.4, MIL-STD-105E and GB/T 2828.1).

:func:`plan` looks the lot size up in Table 1 (sample size code letter for the
inspection level: general I, II, III or special S-1..S-4), then the code letter and the
AQL in Table 2-A. Where Table 2-A holds an arrow instead of a plan, the arrow is
followed to the first plan below (or above) it in the same AQL column, and that plan's
code letter, sample size AND acceptance / rejection numbers are used (ISO 2859-1
10.2: the sample size comes from the new code letter, not the original one). When the
sample size equals or exceeds the lot size, every item is inspected (``sample_size`` is
the lot size, ``full`` is true) with the plan's Ac / Re.

Two cells of the printed table hold an arrow pointing off its edge: code letter A at
AQL 10 (up: there is no row above A) and R at AQL 0.015 (down: no row below R). Such
an arrow is read in the only direction that reaches a plan (A at 10 -> C's 1/2 at
n = 5; R at 0.015 -> P's 0/1 at n = 800). Both keep the sample size non-decreasing in
the lot size.

:func:`decide` says whether a sample with ``defects`` nonconforming items (or
nonconformities) accepts the lot: at most Ac accept, Re or more reject.

Errors are ``inbound_invalid``: an AQL that is not a column of Table 2-A, an unknown
inspection level, a lot size below 1, defects below 0 or above the sample."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from veriseal_inventory.inbound_errors import InboundInvalid

#: the inspection levels, in the column order of Table 1
LEVELS = ("S-1", "S-2", "S-3", "S-4", "I", "II", "III")
DEFAULT_LEVEL = "II"

#: ISO 2859-1 Table 1: (largest lot size of the range, code letters per level in the
#: order of :data:`LEVELS`); the last range has no upper bound.
_TABLE_1: tuple[tuple[int | None, str], ...] = (
    (8, "AAAAAAB"),
    (15, "AAAAABC"),
    (25, "AABBBCD"),
    (50, "ABBCCDE"),
    (90, "BBCCCEF"),
    (150, "BBCDDFG"),
    (280, "BCDEEGH"),
    (500, "BCDEFHJ"),
    (1200, "CCEFGJK"),
    (3200, "CDEGHKL"),
    (10000, "CDFGJLM"),
    (35000, "CDFHKMN"),
    (150000, "DEGJLNP"),
    (500000, "DEGJMPQ"),
    (None, "DEHKNQR"),
)

#: Table 2-A: code letter -> sample size
SAMPLE_SIZES = {
    "A": 2, "B": 3, "C": 5, "D": 8, "E": 13, "F": 20, "G": 32, "H": 50, "J": 80,
    "K": 125, "L": 200, "M": 315, "N": 500, "P": 800, "Q": 1250, "R": 2000,
}  # fmt: skip
LETTERS = tuple(SAMPLE_SIZES)

#: Table 2-A's AQL columns (percent nonconforming up to 10, nonconformities per 100
#: items throughout)
AQLS = tuple(Decimal(a) for a in (
    "0.010", "0.015", "0.025", "0.040", "0.065", "0.10", "0.15", "0.25", "0.40", "0.65",
    "1.0", "1.5", "2.5", "4.0", "6.5", "10", "15", "25", "40", "65", "100", "150", "250",
    "400", "650", "1000",
))  # fmt: skip

# Table 2-A, one row per code letter, one cell per AQL column: "Ac/Re", "v" (use the
# first plan below the arrow) or "^" (the first plan above). Typed row by row from the
# printed master table; the two off-edge arrows (A at 10, R at 0.015) are written the
# way they are read (see the module docstring).
_V14 = "v " * 14
_TABLE_2A_ROWS = {
    "A": _V14 + "0/1 v v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31",
    "B": "v " * 13 + "0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31 44/45",
    "C": "v " * 12 + "0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31 44/45 ^",
    "D": "v " * 11 + "0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31 44/45 ^ ^",
    "E": "v " * 10 + "0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22 30/31 44/45 ^ ^ ^",
    "F": "v " * 9 + "0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22" + " ^" * 6,
    "G": "v " * 8 + "0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22" + " ^" * 7,
    "H": "v " * 7 + "0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22" + " ^" * 8,
    "J": "v " * 6 + "0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22" + " ^" * 9,
    "K": "v " * 5 + "0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22" + " ^" * 10,
    "L": "v " * 4 + "0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22" + " ^" * 11,
    "M": "v " * 3 + "0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22" + " ^" * 12,
    "N": "v " * 2 + "0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22" + " ^" * 13,
    "P": "v 0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22" + " ^" * 14,
    "Q": "0/1 ^ v 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22" + " ^" * 15,
    "R": "^ ^ 1/2 2/3 3/4 5/6 7/8 10/11 14/15 21/22" + " ^" * 16,
}
_TABLE_2A = {letter: row.split() for letter, row in _TABLE_2A_ROWS.items()}
assert all(len(cells) == len(AQLS) for cells in _TABLE_2A.values())


class Decision(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"


@dataclass(frozen=True, slots=True)
class Plan:
    """A single sampling plan for one lot: inspect ``sample_size`` items, accept the
    lot with at most ``accept`` defects, reject it with ``reject`` or more.

    ``table_letter`` is the lot's code letter from Table 1, ``code_letter`` the one whose
    plan is used (they differ where Table 2-A has an arrow); ``full`` is true when the
    plan's sample would be the whole lot or more (100 % inspection)."""

    lot_size: int
    aql: Decimal
    level: str
    table_letter: str
    code_letter: str
    sample_size: int
    accept: int
    reject: int
    full: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "lot_size": self.lot_size, "aql": str(self.aql), "level": self.level,
            "table_letter": self.table_letter, "code_letter": self.code_letter,
            "sample_size": self.sample_size, "accept": self.accept, "reject": self.reject,
            "full": self.full,
        }  # fmt: skip


def parse_aql(value: Decimal | str | int | float) -> Decimal:
    """An AQL column of Table 2-A (``"0.65"``, ``"1"``, ``Decimal("2.50")``...);
    ``inbound_invalid`` for anything else. Floats go through their shortest text."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InboundInvalid(f"{str(value)[:20]!r} is not an AQL / 不是有效的 AQL") from None
    for aql in AQLS:
        if number == aql:
            return aql
    raise InboundInvalid(
        f"AQL {str(value)[:20]} is not in ISO 2859-1 Table 2-A (0.010 ... 1000)"
        f" / AQL {str(value)[:20]} 不在 ISO 2859-1 表 2-A 中",
        aql=str(value)[:20], allowed=[str(a) for a in AQLS],
    )  # fmt: skip


def parse_level(value: str) -> str:
    """An inspection level: ``I``, ``II``, ``III``, ``S-1`` .. ``S-4`` (case and a
    missing dash forgiven: ``s3``); ``inbound_invalid`` otherwise."""
    text = str(value).strip().upper()
    if len(text) == 2 and text[0] == "S" and text[1].isdigit():
        text = f"S-{text[1]}"
    if text not in LEVELS:
        raise InboundInvalid(
            f"inspection level {str(value)[:10]!r} is not one of {', '.join(LEVELS)}"
            f" / 检验水平须为 {', '.join(LEVELS)}",
            level=str(value)[:10], allowed=list(LEVELS),
        )  # fmt: skip
    return text


def code_letter(lot_size: int, level: str = DEFAULT_LEVEL) -> str:
    """Table 1: the sample size code letter of a lot size at an inspection level."""
    if isinstance(lot_size, bool) or not isinstance(lot_size, int) or lot_size < 1:
        raise InboundInvalid(
            f"a lot size is a whole number >= 1, not {lot_size!r} / 批量须为不小于 1 的整数",
            lot_size=str(lot_size)[:20],
        )
    column = LEVELS.index(parse_level(level))
    for upper, letters in _TABLE_1:
        if upper is None or lot_size <= upper:
            return letters[column]
    raise AssertionError("Table 1's last range is open")  # pragma: no cover


def _resolve(letter: str, column: int) -> tuple[str, int, int]:
    """Follow Table 2-A's arrows from (letter, column) to a plan: (letter, Ac, Re)."""
    row = LETTERS.index(letter)
    while True:
        cell = _TABLE_2A[LETTERS[row]][column]
        if cell == "v":
            row += 1
        elif cell == "^":
            row -= 1
        else:
            ac, re = cell.split("/")
            return LETTERS[row], int(ac), int(re)


def plan(lot_size: int, aql: Decimal | str, level: str = DEFAULT_LEVEL) -> Plan:
    """The normal-inspection single sampling plan for a lot (see the module docstring);
    ``inbound_invalid`` for an unknown AQL or level, or a lot size below 1."""
    the_aql = parse_aql(aql)
    the_level = parse_level(level)
    table_letter = code_letter(lot_size, the_level)
    used, ac, re = _resolve(table_letter, AQLS.index(the_aql))
    n = SAMPLE_SIZES[used]
    return Plan(lot_size, the_aql, the_level, table_letter, used, min(n, lot_size), ac, re,
                n >= lot_size)  # fmt: skip


def decide(the_plan: Plan, defects: int) -> Decision:
    """Accept when ``defects`` <= Ac, reject when >= Re. ``defects`` counts what was
    found in the sample: 0 .. sample size (``inbound_invalid`` otherwise)."""
    if isinstance(defects, bool) or not isinstance(defects, int):
        raise InboundInvalid("defects are a whole number / 不合格数须为整数")
    if defects < 0 or defects > the_plan.sample_size:
        raise InboundInvalid(
            f"defects are 0 to the sample size {the_plan.sample_size}, not {defects}"
            f" / 不合格数须在 0 至样本量 {the_plan.sample_size} 之间",
            defects=defects, sample_size=the_plan.sample_size,
        )  # fmt: skip
    return Decision.ACCEPT if defects <= the_plan.accept else Decision.REJECT
