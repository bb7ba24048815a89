"""Weighing diversion evidence (veriseal_territories.evidence): pure functions, checked
against an oracle written here and with properties over random observations."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veriseal_territories.evidence import (
    Level,
    Observation,
    ScanClass,
    Tally,
    ToleranceInvalid,
    Tolerances,
    assess,
    classify,
)

TOL = Tolerances()


def obs(
    unit: int,
    witness: str,
    km: float = 100.0,
    days: float = 10.0,
    w: float = 1.0,
    place: str = "CN-ZJ",
) -> Observation:
    return Observation((1, unit), witness, w, km, days, place)


def test_one_sighting_is_never_an_alert_by_default() -> None:
    """A tourist's scan far away looks exactly like one unit of a diverted case."""
    assert assess([obs(1, "device:a", km=1500)], TOL).level is None
    # the same person scanning the whole case is still one witness
    assert assess([obs(i, "device:a") for i in range(12)], TOL).level is None


def test_levels_grow_with_units_and_witnesses() -> None:
    two = assess([obs(1, "device:a"), obs(2, "device:b")], TOL)
    assert (two.level, two.units, two.witnesses) == (Level.SUSPECTED, 2, 2)
    four = assess([obs(i, f"device:{i}") for i in range(4)], TOL)
    assert four.level is Level.STRONG and four.score == 4.0


def test_near_border_and_stale_sightings_count_half() -> None:
    near = [obs(1, "device:a", km=3), obs(2, "device:b", km=3)]  # border shoppers
    assert assess(near, TOL).level is None
    assert assess([*near, obs(3, "device:c", km=3), obs(4, "device:d", km=3)], TOL).level is (
        Level.SUSPECTED
    )
    stale = [obs(1, "device:a", days=800), obs(2, "device:b", days=800)]
    assert assess(stale, TOL).score == 1.0


def test_tourists_scatter_diverted_goods_cluster() -> None:
    """Units seen in different markets (tourists) do not add up; one market's do."""
    scattered = [obs(1, "device:a", place="CN-BJ"), obs(2, "device:b", place="CN-SC")]
    a = assess(scattered, TOL)
    assert (a.level, a.units, a.score) == (None, 2, 0.0)
    clustered = [*scattered, obs(3, "device:c", place="CN-SC")]
    b = assess(clustered, TOL)
    assert (b.level, b.units, b.score, b.witnesses) == (Level.SUSPECTED, 3, 2.0, 2)


def test_a_unit_counts_once_with_its_best_sighting() -> None:
    seen = [obs(1, "device:a", km=3), obs(1, "device:b", km=300), obs(1, "device:c")]
    a = assess(seen, TOL)
    assert (a.units, a.score, a.level) == (1, 1.0, None)


def test_tolerances_are_validated_and_old_settings_load() -> None:
    with pytest.raises(ToleranceInvalid):
        Tolerances(ip_weight=2).check()
    with pytest.raises(ToleranceInvalid):
        Tolerances(suspect_score=5, strong_score=4).check()
    old = Tolerances.load({"buffer_km": 12, "retired_setting": 3})
    assert old.buffer_km == 12 and old.suspect_score == TOL.suspect_score


def test_weights_and_discs_by_source() -> None:
    assert TOL.weigh("gps", 30) == (1.0, pytest.approx(5.03))
    assert TOL.weigh("gps", 5000) == (0.0, 0.0)  # coarser than max_gps_accuracy_m
    weight, radius = TOL.weigh("ip", 120_000)
    assert weight == TOL.ip_weight and radius == pytest.approx(125.0)


@pytest.mark.parametrize(
    ("role", "channel", "scanner", "holder", "expected"),
    [
        ("consumer", "web", None, "/1/4/", ScanClass.SALE),
        ("inspector", "handheld", "/1/", "/1/4/", ScanClass.INSPECTION),
        ("brand_admin", "web", "/1/", "/1/4/", ScanClass.INSPECTION),
        ("distributor", "handheld", "/1/4/", "/1/4/9/", ScanClass.OWN_LINE),  # a return
        ("retailer", "web", "/1/4/9/", "/1/4/", ScanClass.OWN_LINE),
        ("distributor", "handheld", "/1/5/", "/1/4/9/", ScanClass.OTHER_DEALER),
        ("unknown", "handheld", None, "/1/4/", ScanClass.OWN_LINE),
    ],
)
def test_who_scanned(
    role: str, channel: str, scanner: str | None, holder: str, expected: ScanClass
) -> None:
    assert classify(role, channel, scanner, holder) is expected


observations = st.lists(
    st.builds(
        Observation,
        st.tuples(st.just(1), st.integers(0, 20)),
        st.sampled_from([f"device:{c}" for c in "abcdef"]),
        st.sampled_from([0.0, 0.5, 1.0, 2.0]),
        st.floats(0, 3000),
        st.floats(0, 2000),
        st.sampled_from(["", "CN-ZJ", "CN-BJ"]),
    ),
    max_size=30,
)
RANK = {None: 0, Level.SUSPECTED: 1, Level.STRONG: 2}


@given(observations, observations)
def test_more_evidence_never_lowers_the_level(
    first: list[Observation], more: list[Observation]
) -> None:
    a, b = assess(first, TOL), assess([*first, *more], TOL)
    assert b.score >= a.score - 1e-9 and b.witnesses >= a.witnesses
    assert RANK[b.level] >= RANK[a.level]


@given(observations)
def test_assessment_matches_an_oracle(seen: list[Observation]) -> None:
    markets: dict[str, dict[tuple[int, int], float]] = {}
    witnesses: dict[str, set[str]] = {}
    for o in seen:
        s = o.weight * (0.5 if o.km_outside < 20 else 1) * (0.5 if o.days_held > 365 else 1)
        if s > 0:
            best = markets.setdefault(o.place, {})
            best[o.unit] = max(best.get(o.unit, 0.0), s)
            witnesses.setdefault(o.place, set()).add(o.witness)
    score = max(
        (sum(b.values()) for p, b in markets.items() if len(witnesses[p]) >= 2), default=0.0
    )
    expected = None
    if score >= 4 - 1e-9:
        expected = Level.STRONG
    elif score >= 2 - 1e-9:
        expected = Level.SUSPECTED
    got = assess(seen, TOL)
    assert got.level == expected
    assert got.units == len({u for b in markets.values() for u in b})
    assert got.score == pytest.approx(score)


@given(
    st.lists(
        st.builds(
            Observation,
            st.tuples(st.integers(1, 2), st.integers(0, 20)),
            st.sampled_from([f"device:{c}" for c in "abcdef"]),
            st.floats(0, 2),  # any weight: sums that are not exact in binary too
            st.floats(0, 3000),
            st.floats(0, 2000),
            st.sampled_from(["", "CN-ZJ", "CN-BJ"]),
        ),
        max_size=40,
    )
)
def test_a_tally_read_after_each_sighting_equals_weighing_them_all_again(
    seen: list[Observation],
) -> None:
    """The consumer keeps a consignment's tally as its evidence grows; read after any
    sighting it must say exactly what weighing every sighting so far says."""
    tally = Tally(TOL)
    for n, o in enumerate(seen, 1):
        tally.add(o)
        assert tally.result() == assess(seen[:n], TOL)
