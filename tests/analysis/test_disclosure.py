"""The disclosure audit, tested as an attacker would: plant answers, read everything a
working group can read, solve for every hidden number over the full joint table of the
answers (tests/analysis/attacker.py), and find nothing pinned within 1..k-1 — in one
release, and across two."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from analysis.disclosure import Structure, audit
from analysis.frames import frame_from_texts
from analysis.publication import Publication, plan_publication, publish
from analysis.results import results_from_publication
from analysis.suppression import Line, settle
from survey_app.questionnaire.loader import load_questionnaire
from survey_app.questionnaire.schema import Questionnaire
from tests.analysis.attacker import Attacker, Joint, published_numbers
from tests.analysis.conftest import texts

K = 5
AUDIT_SURVEY = Path(__file__).resolve().parent / "audit_questionnaire" / "audit.yaml"
JOINT = Joint(singles={"a": ("x", "y", "z"), "b": ("x", "y", "z"), "c": ("p", "q")},
              multiples={"m": ("p", "q")})  # fmt: skip


@pytest.fixture(scope="module")
def audit_survey() -> Questionnaire:
    loaded = load_questionnaire(AUDIT_SURVEY, working_groups={"arbeit"})
    assert loaded.questionnaire is not None, loaded.problems
    return loaded.questionnaire


def release(questionnaire: Questionnaire, layers: list[list[dict[str, Any]]],
            earlier: list[Publication]) -> Publication:  # fmt: skip
    plan = plan_publication(questionnaire, groups=["arbeit", None], reference_year=2026)
    frames = [frame_from_texts(questionnaire, [(questionnaire, texts(*rows))]) for rows in layers]
    return publish(plan, frames, earlier).publication


def member_view(questionnaire: Questionnaire, publication: Publication) -> list[dict[str, Any]]:
    """Everything a member of the group reads: the results without and with each breakdown."""
    return [
        results_from_publication(
            publication, questionnaire, survey="audit", version=1, group="arbeit", by=by
        ).to_json()
        for by in (None, "a", "b", "c")
    ]


def answers(rng: random.Random, count: int, skew: float) -> list[dict[str, Any]]:
    """Respondents whose answers lean to the first choices (`skew`), so that tables mix
    large and small counts; some questions are left out."""

    def pick(choices: tuple[str, ...]) -> str | None:
        if rng.random() < 0.1:
            return None
        weights = [skew**i for i in range(len(choices))]
        return rng.choices(choices, weights)[0]

    rows = []
    for _ in range(count):
        row: dict[str, Any] = {}
        for name, choices in JOINT.singles.items():
            if (value := pick(tuple(choices))) is not None:
                row[name] = value
        ticked = [c for c in ("p", "q") if rng.random() < (0.7 if c == "p" else 0.15)]
        if ticked and rng.random() > 0.1:
            row["m"] = ticked
        rows.append(row)
    return rows


def findings_of_one_release(questionnaire: Questionnaire, rows: list[dict[str, Any]]) -> list[Any]:
    publication = release(questionnaire, [rows], [])
    attacker = Attacker(JOINT, [rows])
    hidden = {}
    for results in member_view(questionnaire, publication):
        for condition, truth in attacker.read(0, results):
            hidden[condition] = truth
    found = [attacker.pinned(c, 0, 0, truth, K) for c, truth in hidden.items() if truth > 0]
    return [f for f in found if f is not None]


def table(rows: int, columns: int) -> Structure:
    """A table of counts with its row and column totals and grand total, as a structure:
    variables are the cells; numbers the cells, then the totals."""
    cell = [(i * columns + j,) for i in range(rows) for j in range(columns)]
    row_totals = [tuple(i * columns + j for j in range(columns)) for i in range(rows)]
    column_totals = [tuple(i * columns + j for i in range(rows)) for j in range(columns)]
    numbers = (*cell, *row_totals, *column_totals, tuple(range(rows * columns)))
    r0, c0, total = rows * columns, rows * columns + rows, len(numbers) - 1
    lines = [Line(tuple(i * columns + j for j in range(columns)), r0 + i) for i in range(rows)]
    lines += [Line(tuple(i * columns + j for i in range(rows)), c0 + j) for j in range(columns)]
    lines += [Line(tuple(range(r0, c0)), total), Line(tuple(range(c0, total)), total)]
    return Structure(rows * columns, (), (), numbers, tuple(lines))


def pinned_cells(structure: Structure, counts: np.ndarray, hidden: np.ndarray, k: int) -> list[int]:
    """Hidden counts between 1 and k-1 whose every consistent value is too (SciPy's LP:
    exact for a two-way table, whose system is totally unimodular)."""
    values = structure.values(counts)
    rows, right = [], []
    for i, number in enumerate(structure.numbers):
        if not hidden[i]:
            row = np.zeros(structure.variables)
            row[list(number)] = 1
            rows.append(row)
            right.append(values[i])
    found = []
    for i, number in enumerate(structure.numbers):
        if hidden[i] and 0 < values[i] < k:
            objective = np.zeros(structure.variables)
            objective[list(number)] = 1
            low = linprog(objective, A_eq=rows or None, b_eq=right or None, bounds=(0, None))
            high = linprog(-objective, A_eq=rows or None, b_eq=right or None, bounds=(0, None))
            top = np.inf if high.status == 3 else -high.fun
            if low.fun >= 1 - 1e-9 and top <= k - 1 + 1e-9:
                found.append(i)
    return found


# Tables (4 x 4, row by row) where the rules applied line by line leave a small count
# that the whole table pins (found by searching random tables), and random tables.
KNOWN = [
    [1, 16, 23, 5, 0, 15, 0, 13, 16, 0, 14, 22, 17, 0, 15, 22],
    [8, 1, 23, 21, 17, 0, 3, 0, 0, 17, 21, 20, 6, 0, 14, 0],
    [10, 0, 22, 0, 0, 12, 1, 7, 19, 9, 0, 10, 23, 0, 7, 0],
    [0, 11, 6, 0, 22, 0, 0, 9, 11, 21, 22, 3, 9, 14, 4, 0],
]
_RANDOM = np.random.default_rng(7)
TABLES = [np.array(counts) for counts in KNOWN] + [
    _RANDOM.integers(0, 25, 16) * (_RANDOM.random(16) < 0.8) for _ in range(60)
]


def test_the_line_rules_alone_leave_small_counts_that_can_be_solved_for() -> None:
    structure = table(4, 4)
    found = 0
    for counts in KNOWN:
        values = [int(x) for x in structure.values(np.array(counts))]
        hidden = [False] * len(values)
        settle(values, hidden, structure.lines, 10)
        found += bool(pinned_cells(structure, np.array(counts), np.array(hidden), 10))

    assert found == len(KNOWN)  # what the audit is for, and what the attacker can see


def test_the_audit_leaves_no_small_count_that_can_be_solved_for() -> None:
    structure = table(4, 4)
    for counts in TABLES:
        hidden = audit(structure, [counts], [], [], 10).hidden

        assert pinned_cells(structure, counts, hidden, 10) == []


def test_a_planted_table_cannot_be_solved_for_a_small_count(audit_survey: Questionnaire) -> None:
    rows = answers(random.Random(242), 242, skew=0.25)

    assert findings_of_one_release(audit_survey, rows) == []


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=15, max_value=120),
       st.sampled_from([0.2, 0.35, 0.6]))  # fmt: skip
def test_no_hidden_count_of_one_release_is_pinned_for_any_answers(
    audit_survey: Questionnaire, seed: int, count: int, skew: float
) -> None:
    rows = answers(random.Random(seed), count, skew)

    assert findings_of_one_release(audit_survey, rows) == []


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=20, max_value=60),
       st.integers(min_value=5, max_value=30))  # fmt: skip
def test_no_count_is_pinned_across_two_releases(
    audit_survey: Questionnaire, seed: int, first: int, added: int
) -> None:
    rng = random.Random(seed)
    old, new = answers(rng, first, 0.3), answers(rng, added, 0.3)
    one = release(audit_survey, [old], [])
    two = release(audit_survey, [old, new], [one])
    attacker = Attacker(JOINT, [old, new])
    hidden: dict[tuple[Any, int], int] = {}
    published: dict[Any, list[int | None]] = {}
    for number, publication in ((0, one), (1, two)):
        for results in member_view(audit_survey, publication):
            for condition, truth in attacker.read(number, results):
                hidden[(condition, number)] = truth
    for number, publication in ((0, one), (1, two)):
        for results in member_view(audit_survey, publication):
            for condition, value in published_numbers(JOINT, results):
                published.setdefault(condition, [None, None])[number] = value

    findings = [
        attacker.pinned(condition, 0, number, truth, K)
        for (condition, number), truth in hidden.items()
        if truth > 0
    ]
    # Every count among the responses added by the second release.
    for condition in published:
        truth = attacker.truth_of(condition, [1])
        findings.append(attacker.pinned(condition, 1, 1, truth, K))

    assert [f for f in findings if f is not None] == []


def test_a_release_never_shows_a_count_that_changed_by_less_than_k(
    audit_survey: Questionnaire,
) -> None:
    rng = random.Random(7)
    old = answers(rng, 80, 0.3)
    new = [{"a": "x", "b": "x", "c": "p"}] * 3 + answers(rng, 9, 0.3)
    one = release(audit_survey, [old], [])
    two = release(audit_survey, [old, new], [one])

    for key, value in two.numbers.items():
        before = one.get(key)
        if value is not None and before is not None:
            assert value - before == 0 or value - before >= K, key


@pytest.mark.parametrize(
    ("seed", "count", "skew"), [(0, 300, 0.2), (7, 150, 0.35), (18, 150, 0.35), (21, 60, 0.3)]
)
def test_protecting_breakdown_cells_costs_no_one_way_count(
    audit_survey: Questionnaire, seed: int, count: int, skew: float
) -> None:
    # The one-way results are what every reader looks at first. The audit protects a
    # hidden cell of a breakdown with other cells where it can, so one-way counts stay
    # as the one-way rules leave them (with each of these answers, two were lost before).
    rows = answers(random.Random(seed), count, skew)
    frame = frame_from_texts(audit_survey, [(audit_survey, texts(*rows))])
    plan = plan_publication(audit_survey, groups=["arbeit", None], reference_year=2026)

    def hidden_one_way(published: Publication) -> list[str]:
        return [
            k for k, v in published.numbers.items() if k.startswith(("count|", "n|")) and v is None
        ]

    with_breakdowns = publish(plan, [frame]).publication
    one_way_alone = publish(plan.without(set(plan.pairs)), [frame]).publication

    assert hidden_one_way(with_breakdowns) == hidden_one_way(one_way_alone)
    assert findings_of_one_release(audit_survey, rows) == []


def test_a_count_worked_out_through_a_chain_is_protected_on_that_chain() -> None:
    # x0 = total - x1: the small count x0 is known from two shown numbers, found by
    # propagation (no program, so no dual values to name them). The audit hides a
    # number of that chain, the count x1, and neither the one-way total (which it keeps
    # where anything else will do) nor z, which is nearer x0 in the lines of the rules
    # but tells nothing about it.
    structure = Structure(
        variables=4,
        equalities=(),
        inequalities=(),
        numbers=((0, 1), (0,), (1,), (2,), (3,)),  # total, x0, x1, y, z
        lines=(
            Line((1,), 0, additive=False),
            Line((4,), 0, additive=False),
            Line((2,), 3, additive=False),
        ),
        kept=frozenset({0}),
    )

    report = audit(structure, [np.array([3, 40, 50, 15])], [], [], K)

    assert report.hidden.tolist() == [False, True, True, False, False]


def test_a_count_that_earlier_releases_give_away_alone_costs_the_new_one_nothing() -> None:
    # A first release (made by an older version, say) showed the total and x1, so its
    # x0 = 43 - 40 = 3 is known for good. Nothing the second release hides can change
    # that: it is reported, and the second release shows what is safe in it.
    structure = Structure(
        variables=2,
        equalities=(),
        inequalities=(),
        numbers=((0, 1), (0,), (1,)),  # total, x0, x1
        lines=(Line((1, 2), 0),),
    )
    first_hid = np.array([False, True, False])

    report = audit(structure, [np.array([3, 40]), np.array([10, 10])], [first_hid], [None], K)

    assert report.inherited == 1
    assert report.hidden.tolist() == [False, True, True]  # by the line rules alone


def test_the_same_answers_give_the_same_release(audit_survey: Questionnaire) -> None:
    rows = answers(random.Random(31), 150, 0.3)
    added = answers(random.Random(32), 20, 0.3)
    first = [release(audit_survey, [rows], []) for _ in range(2)]
    second = [release(audit_survey, [rows, added], [first[0]]) for _ in range(2)]

    assert first[0] == first[1]
    assert second[0] == second[1]


def test_responses_excluded_after_a_release_cannot_be_worked_out_from_the_next(
    audit_survey: Questionnaire,
) -> None:
    # Release 1 counts kept + excluded; release 2 counts kept + new (the excluded ones
    # were flagged as junk in between). The difference in and out is audited both ways.
    rng = random.Random(41)
    kept, excluded, new = answers(rng, 90, 0.3), answers(rng, 4, 0.3), answers(rng, 25, 0.3)
    plan = plan_publication(audit_survey, groups=["arbeit", None], reference_year=2026)
    frames = [frame_from_texts(audit_survey, [(audit_survey, texts(*rows))])
              for rows in (kept, excluded, new)]  # fmt: skip
    one = publish(plan, frames[:2], [], releases=[(0, 1)]).publication
    two = publish(plan, frames, [one], releases=[(0, 1), (0, 2)]).publication
    attacker = Attacker(JOINT, [kept, excluded, new])
    hidden = [
        (c, t, (0, 1)) for r in member_view(audit_survey, one) for c, t in attacker.read((0, 1), r)
    ]
    hidden += [
        (c, t, (0, 2)) for r in member_view(audit_survey, two) for c, t in attacker.read((0, 2), r)
    ]

    findings = [attacker.pinned(c, list(layers), None, t, K) for c, t, layers in hidden]
    for results in member_view(audit_survey, two):
        for condition, _value in published_numbers(JOINT, results):
            for layers in ([1], [2]):  # went out, came in
                truth = attacker.truth_of(condition, layers)
                findings.append(attacker.pinned(condition, layers, None, truth, K))
    assert [f for f in findings if f is not None] == []


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False))
def test_what_propagation_fixes_no_consistent_counts_could_change(rng: random.Random) -> None:
    # Propagation decides without a program that a count is known (the audit then
    # trusts it): every count it fixes must take its true value in every solution.
    from analysis.disclosure import _propagate

    size = rng.randint(1, 8)
    truth = [rng.choice([0, 0, 1, 2, 5]) for _ in range(size)]
    rows = []
    for _ in range(rng.randint(1, 8)):
        variables = rng.sample(range(size), rng.randint(1, min(size, 4)))
        coefficients = [rng.choice([1, 1, -1]) for _ in variables]
        value = sum(c * truth[v] for v, c in zip(variables, coefficients, strict=True))
        is_equation = rng.random() < 0.6 or value > 0  # the truth satisfies every row
        rows.append((tuple(variables), tuple(coefficients), is_equation))

    fixed, _reason = _propagate(rows, truth)

    a_eq, b_eq, a_ub, b_ub = [], [], [], []
    for variables, coefficients, is_equation in rows:
        row = np.zeros(size)
        for v, c in zip(variables, coefficients, strict=True):
            row[v] += c
        if is_equation:
            a_eq.append(row)
            b_eq.append(float(row @ np.array(truth)))
        else:
            a_ub.append(row)
            b_ub.append(0.0)
    for v in range(size):
        if not fixed[v]:
            continue
        for sign in (1, -1):
            objective = np.zeros(size)
            objective[v] = sign
            solved = linprog(objective, A_ub=a_ub or None, b_ub=b_ub or None,
                             A_eq=a_eq or None, b_eq=b_eq or None, bounds=(0, None))  # fmt: skip
            assert solved.status == 0
            assert abs(sign * solved.fun - truth[v]) < 1e-7


@settings(max_examples=40, deadline=None)
@given(st.randoms(use_true_random=False), st.sampled_from([(1, 2), (5, 25)]))
def test_whether_a_bound_lies_beyond_a_count_is_what_the_optimum_says(
    rng: random.Random, early: tuple[int, int]
) -> None:
    # The check of hidden numbers that the published ones determine exactly (which are
    # then shown) may answer from a feasible solution on the way to the optimum; with
    # one or two iterations at first nearly every answer takes that way.
    from analysis import disclosure

    rows, columns = rng.randint(2, 6), rng.randint(2, 6)
    truth = [rng.choice([0, 0, 1, 3, 7, 12]) for _ in range(rows * columns)]
    totals = [tuple(r * columns + c for c in range(columns)) for r in range(rows)]
    totals += [tuple(r * columns + c for r in range(rows)) for c in range(columns)]
    shown = [t for t in totals if rng.random() < 0.8]
    shown += [(v,) for v in range(rows * columns) if rng.random() < 0.3]
    relations = [(form, (1,) * len(form), True) for form in shown]
    a_eq = np.zeros((len(shown), rows * columns))
    for i, form in enumerate(shown):
        a_eq[i, list(form)] = 1
    b_eq = a_eq @ np.array(truth, dtype=float)
    known = {"A_eq": a_eq, "b_eq": b_eq} if shown else {}
    forms = [(v,) for v in range(rows * columns)] + totals
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(disclosure, "_EARLY_ITERATIONS", early)
        program = disclosure._Program(
            truth, [False] * len(truth), list(range(len(truth))), relations, [-1] * len(shown)
        )
        with program:
            for form in forms:
                value = sum(truth[v] for v in form)
                objective = np.zeros(rows * columns)
                objective[list(form)] = 1
                low = linprog(objective, bounds=(0, None), **known)
                high = linprog(-objective, bounds=(0, None), **known)
                top = np.inf if high.status == 3 else -high.fun
                assert program.beyond(form, value, maximize=True) == (top > value + 1e-6)
                assert program.beyond(form, value, maximize=False) == (low.fun < value - 1e-6)


def test_a_relation_the_true_counts_break_is_an_error_not_nothing_pinned() -> None:
    """The audit leaves out the rules that stored answers break (answers of an older
    version); should one reach a program, HiGHS would call it "unbounded or infeasible",
    which reads as no bound at all: the program refuses it instead."""
    from analysis.disclosure import AuditError, _Program

    broken = ((0, 1), (1, -1), False)  # x0 - x1 <= 0, but the counts are 2 and 0
    with pytest.raises(AuditError, match="broken by the true counts"):
        _Program(truth=[2, 0], fixed=[False, False], members=[0, 1], rows=[broken], shows=[-1])
