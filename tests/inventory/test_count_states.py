"""The stocktake machine: the table against a model written out by hand here from the
brief (open -> counting -> submitted -> approved | rejected -> counting or closed;
cancelled), and random action sequences that never reach a status outside the model."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal_inventory.count_states import (
    APPLIED,
    COUNTABLE,
    FINAL,
    CountAction,
    CountStatus,
    StocktakeTransition,
    allowed_actions,
    next_status,
)

#: The brief's machine, written independently of the table under test.
MODEL: dict[str, dict[str, str]] = {
    "open": {"count": "counting", "cancel": "cancelled"},
    "counting": {"count": "counting", "submit": "submitted", "cancel": "cancelled"},
    "submitted": {"approve": "approved", "reject": "rejected"},
    "rejected": {"count": "counting", "close": "closed"},
}
STATUSES = ("open", "counting", "submitted", "approved", "rejected", "closed", "cancelled")
ACTIONS = ("count", "submit", "approve", "reject", "close", "cancel")


def test_the_vocabulary_is_the_briefs() -> None:
    assert sorted(CountStatus) == sorted(STATUSES)
    assert sorted(CountAction) == sorted(ACTIONS)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_table_is_the_model(status: str, action: str) -> None:
    expected = MODEL.get(status, {}).get(action)
    if expected is None:
        with pytest.raises(StocktakeTransition) as caught:
            next_status(CountStatus(status), CountAction(action))
        assert caught.value.code == "stocktake_transition"
        assert caught.value.http_status == 409
    else:
        assert next_status(CountStatus(status), CountAction(action)) == expected
        assert CountAction(action) in allowed_actions(CountStatus(status))


def test_final_statuses_and_no_dead_ends() -> None:
    assert {str(s) for s in FINAL} == {"approved", "closed", "cancelled"}
    assert {str(s) for s in APPLIED} == {"approved"}
    assert {str(s) for s in COUNTABLE} == {"open", "counting", "rejected"}
    for status in STATUSES:
        reach, todo = {status}, [status]
        while todo:
            for target in MODEL.get(todo.pop(), {}).values():
                if target not in reach:
                    reach.add(target)
                    todo.append(target)
        assert reach & {"approved", "closed", "cancelled"}, status
        if CountStatus(status) in FINAL:
            assert allowed_actions(CountStatus(status)) == []


@given(st.lists(st.sampled_from(ACTIONS), max_size=30))
def test_random_sequences_follow_the_model(actions: list[str]) -> None:
    status = CountStatus.OPEN
    applied = 0
    for action in actions:
        expected = MODEL.get(str(status), {}).get(action)
        try:
            got = next_status(status, CountAction(action))
        except StocktakeTransition:
            assert expected is None  # refused exactly where the model has no arrow
            continue
        assert got == expected  # only listed transitions happen
        assert got in CountStatus
        applied += got in APPLIED
        status = got
    assert applied <= 1  # an adjustment is applied at most once per count
