"""The disclosure audit: can a small count be worked out from everything published?

The second step of suppression (the first is `analysis.suppression.settle`). The input
is abstract, so this module knows nothing of questionnaires:

- a `Structure`: count *variables* (every count is >= 0), the linear relations that hold
  for every data set (e.g. the cells of a breakdown row add up to the one-way count of
  that choice), the published *numbers* (each the sum of some variables) and the
  *lines* of the suppression rules;
- *layers*: the true values of the variables for the responses of the first release,
  then for the responses added by each later release (a release holds the responses of
  the one before plus new ones), so release m's numbers are sums over layers 0..m;
- which numbers earlier releases hid.

What the attacker knows is then a linear system: every number shown in any release
fixes a sum of variables. The audit asks, for each *protected quantity*, the smallest
and the largest value it can take in that system:

- every hidden number of every release whose true value is not 0: its range must not
  lie within 1..k-1, and it must not be exactly determined (so is every number the
  structure marks `unpublished`: counts no page shows but an attacker could work out);
- every difference of a number between two releases (the count among the responses
  that arrived in between) whose true value is between 1 and k-1: its range must reach
  0 or k.

Where a quantity fails, the newest release hides one more number (the number itself if
the newest release shows it; else the smallest shown number its bounds rest on: the
rows that carry a program's optimum, then those that fixed its unknowns by propagation,
nearest first; else the smallest non-zero shown number of a line it belongs to, the
first on ties; the structure's `kept` numbers, the one-way results, only where nothing
else is found), the line rules run again, and the
failures and the newly hidden numbers are checked again. Hiding a number only removes
an equation, so a quantity that passed keeps passing: each round checks only what may
have changed.

Speed comes from three things: numbers determined by others are found by propagation
(a row with one unknown, or a shown zero) without any program; the rest falls apart
into independent components (usually one breakdown table each), solved separately; and
a component's program is built once and re-solved with a new objective from the last
basis (HiGHS through `highspy`, its own Python interface: SciPy's `linprog` wraps the
same solver but rebuilds the model on every call, about ten times slower here).
A linear optimum that is fractional is confirmed with the integer program (the attacker
knows that counts are whole numbers). Where only an optimum's value counts, not which
optimal solution is found (whether a hidden number is exactly determined), the primal
method goes on from the last basis, and a feasible solution clearly beyond the true
value answers before the optimum is reached; everywhere else the solutions themselves
decide what is hidden, so those programs are solved exactly as they always were.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt

from analysis.suppression import Line, settle

__all__ = ["AuditError", "AuditReport", "Row", "Structure", "audit", "sparse_tables"]

Row = tuple[tuple[int, ...], tuple[int, ...]]
"""A linear relation: variable indexes and their coefficients."""

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_EPSILON = 1e-6
_MOVED = 1e-3
"""How far beyond a value a feasible solution must put a quantity to prove, whatever the
solver's tolerances, that its optimum lies beyond it (see `_Program.beyond`)."""
_DUAL_SIMPLEX = 1
_PRIMAL_SIMPLEX = 4
"""Values of HiGHS's `simplex_strategy` option: the dual method (its default), the primal."""
_NO_LIMIT = 2**31 - 1
_EARLY_ITERATIONS = (5, 25)
"""The iteration limits of `_Program.beyond`'s first tries before it runs to the end."""
MIP_NODES = 200
"""Most branch-and-bound nodes of one integer program; past it the audit takes the safe
side. A count, not a time, so that the same answers give the same release on any
machine under any load."""
STUBBORN = 3
"""After this many rounds in which the same quantity failed, a later release hides every
number of the nearest step its bounds rest on, not only the smallest, or, with nothing
to follow, every number within one more line of it each round. Measured on a second
release of 1,000 + 200 demo newcomer responses with every group: 218 rounds and 213 s
instead of over 20 minutes (stopped) as failures bounced from one route to the next;
208 of the 274 one-way numbers hidden (25 in the first release), 1,024 numbers
published. A costly release, but one that ends: a better choice of what to hide is
open work."""
PINNED_ALONE = 40
"""Up to this many quantities of a component left by the sums are proven one by one."""
DETERMINED_ROUNDS = 8
DETERMINED_ALONE = 50
"""At most this many numbers >= k per audit are checked one by one for being exactly
determined (to show them, as the attacker knows them anyway); any left over stay hidden,
which is only cautious. A count, not a time: the same answers give the same release."""


class AuditError(RuntimeError):
    """The audit could not make a release safe (a bug, never an expected outcome)."""


@dataclass(frozen=True)
class Structure:
    """What a publication is made of, independent of the data.

    `equalities` hold as `sum(coefficient * variable) == 0`, `inequalities` as `<= 0`, for
    every data set; `numbers[i]` lists the variables whose sum is published number i;
    `lines` are the lines of the suppression rules over the numbers.
    """

    variables: int
    equalities: tuple[Row, ...]
    inequalities: tuple[Row, ...]
    numbers: tuple[tuple[int, ...], ...]
    lines: tuple[Line, ...]
    tables: tuple[tuple[int, ...], ...] = ()
    """The cells of each table: a table that is mostly hidden anyway is hidden whole (its
    margins stay as the rules leave them)."""
    kept: frozenset[int] = frozenset()
    """Numbers the audit hides to protect another only when nothing else near it can
    be: the one-way results, which every reader looks at first and which are the
    margins of many tables at once (see `_to_hide`)."""
    unpublished: frozenset[int] = frozenset()
    """Numbers the newest release never shows, there only to be protected: counts an
    attacker could work out from the shown ones (e.g. the respondents who did not tick a
    choice). Each is a protected quantity wherever its true value is small, as a hidden
    number is; the line rules treat it as shown until they hide it, so that a small one
    makes them hide what it could be worked out from, and a large one nothing. (What an
    earlier release showed of them is the caller's to say, in its published masks.)"""

    def values(self, counts: IntArray) -> IntArray:
        """The published numbers of a data set whose variables have the values `counts`."""
        flat = np.fromiter((v for number in self.numbers for v in number), dtype=np.int64)
        starts = np.cumsum([0, *(len(number) for number in self.numbers[:-1])])
        return np.add.reduceat(counts[flat], starts) if len(self.numbers) else flat


@dataclass
class AuditReport:
    """The outcome: which numbers of the newest release are hidden, and the work done."""

    hidden: BoolArray
    rounds: int = 0
    programs: int = 0
    seconds: float = 0.0
    protected: int = 0
    inherited: int = 0
    """Small counts that earlier releases pin on their own (a proof that uses none of
    the newest release's numbers): no hiding in it can help, so it is published, and
    the count says how many (see `_Solver.inherited`)."""


def audit(
    structure: Structure,
    layers: Sequence[IntArray],
    earlier_hidden: Sequence[BoolArray | None],
    earlier_published: Sequence[BoolArray | None],
    k: int,
    releases: Sequence[tuple[int, ...]] | None = None,
) -> AuditReport:
    """The hidden numbers of the newest release.

    `releases[m]` lists the layers release m counts; by default release m counts layers
    0..m (each release adds responses). With responses excluded after a release, a later
    release leaves out the layer that holds them, and the audit protects both what came
    in and what went out between any two releases.

    `earlier_hidden[m]` and `earlier_published[m]` describe release m < newest: which
    numbers it hid and which it published at all (None: every number; numbers a release
    did not have, such as those of a question added later, are neither).

    A hidden number that the published ones determine exactly is shown in the end when
    it is 0 or at least k: the attacker knows it anyway, and a "·" would only mislead.
    The structure's `unpublished` numbers are never shown (hidden in the report).
    """
    started = time.perf_counter()
    members = (
        list(releases)
        if releases is not None
        else [tuple(range(m + 1)) for m in range(len(layers))]
    )
    newest = len(members) - 1
    stacked = np.stack(layers)
    values = [structure.values(stacked[list(own)].sum(axis=0)) for own in members]
    hidden = [False] * len(structure.numbers)
    current = [int(x) for x in values[newest]]
    shown_before = [
        _shown_mask(earlier_hidden[m], earlier_published[m], len(structure.numbers))
        for m in range(newest)
    ]
    added = [
        structure.values(stacked[sorted(set(members[newest]) - set(own))].sum(axis=0))
        for own in members[:newest]
    ]
    unpublished = structure.unpublished

    def concealed() -> list[bool]:
        """What the newest release does not show: hidden, or never published."""
        return [is_hidden or i in unpublished for i, is_hidden in enumerate(hidden)]

    _settle_with_differences(current, added, shown_before, hidden, structure, k)
    pending = _small_quantities(structure, stacked, members, shown_before, concealed(), k)
    report = AuditReport(hidden=np.zeros(len(structure.numbers), dtype=bool))
    report.protected = len(pending)
    lines_of = _lines_of(structure)
    system = _System(structure, layers, members, shown_before)
    alone: dict[_Quantity, bool] = {}
    tries: Counter[_Quantity] = Counter()
    while True:
        report.rounds += 1
        not_shown = concealed()
        solver = _Solver(system.with_newest(not_shown), k)
        failures = solver.pinned(pending)
        report.programs += solver.programs
        inherited = solver.inherited | _pinned_without_newest(
            system,
            [q for q in failures if q in solver.pinning and not any(solver.pinning[q])],
            k,
            alone,
        )
        report.inherited += sum(1 for q in failures if q in inherited)
        failures = [q for q in failures if q not in inherited]
        if not failures:
            break
        for q in failures:
            # A first release converges without (measured: 1,960 demo responses hid 15
            # one-way numbers with it, 5 without), so only later ones escalate.
            tries[q] += 1 if newest else 0
        chosen = {
            m
            for q in failures
            for m in _pinning(
                solver.pinning.get(q), not_shown, current, structure.kept, every=tries[q] > STUBBORN
            )
            or _to_hide(
                q.number, not_shown, current, lines_of, structure.kept, max(0, tries[q] - STUBBORN)
            )
        }
        for number in sorted(chosen):
            hidden[number] = True
        _settle_with_differences(current, added, shown_before, hidden, structure, k)
        pending = failures
    solver.programs = 0
    published = [(i, is_hidden) for i, is_hidden in enumerate(hidden) if i not in unpublished]
    for number in solver.determined(
        [i for i, is_hidden in published if is_hidden and current[i] >= k],
        [i for i, is_hidden in published if is_hidden and current[i] == 0],
    ):
        hidden[number] = False
    report.programs += solver.programs
    report.hidden = np.array(concealed(), dtype=bool)
    report.seconds = time.perf_counter() - started
    return report


def _pinned_without_newest(
    system: _System, quantities: list[_Quantity], k: int, known: dict[_Quantity, bool]
) -> set[_Quantity]:
    """Those of `quantities` that are pinned even if the newest release showed nothing:
    no hiding in it can free them (each is checked once; `known` keeps the answers).
    For failures that name no number of the newest release but whose proof is not one
    (an integer program decided them, so dual values say nothing)."""
    unknown = [q for q in quantities if q not in known]
    if unknown:
        newest_rows = system.rows, system.shows
        solver = _Solver(system.with_newest([True] * len(system.structure.numbers)), k)
        # Only what is proven: an integer program that ran out of nodes says "pinned"
        # to be safe, which here would mean giving up on protecting the count.
        pinned = set(solver.pinned(unknown)) & solver.proven
        system.rows, system.shows = newest_rows
        known.update({q: q in pinned for q in unknown})
    return {q for q in quantities if known[q]}


def sparse_tables(structure: Structure, values: IntArray, k: int) -> list[int]:
    """The tables (indexes into `structure.tables`) of which the first step of suppression
    shows no count but zeros (see `_hide_sparse_tables`)."""
    current = [int(x) for x in values]
    hidden = [False] * len(current)
    changed = True
    while changed:
        changed = bool(settle(current, hidden, structure.lines, k))
        changed |= _hide_sparse_tables(current, hidden, structure.tables)
    return [
        t
        for t, cells in enumerate(structure.tables)
        if all(hidden[i] or current[i] == 0 for i in cells)
    ]


def _hide_sparse_tables(
    values: Sequence[int], hidden: list[bool], tables: Sequence[tuple[int, ...]]
) -> bool:
    """Hide every cell of a table whose hidden cells hold most of its answers, or are
    more than two thirds of its non-zero cells: what is left says little, and picking
    partners cell by cell in such a table costs many rounds of the audit. True if
    anything was hidden."""
    changed = False
    for cells in tables:
        nonzero = [i for i in cells if values[i] > 0]
        covered = [i for i in nonzero if hidden[i]]
        mass = sum(values[i] for i in covered)
        if 2 * mass > sum(values[i] for i in nonzero) or 3 * len(covered) > 2 * len(nonzero):
            for i in cells:
                if not hidden[i]:
                    hidden[i] = True
                    changed = True
    return changed


def _settle_with_differences(
    current: list[int],
    added: Sequence[IntArray],
    shown_before: Sequence[BoolArray],
    hidden: list[bool],
    structure: Structure,
    k: int,
) -> None:
    """The line rules on the newest release, and on what it added to each earlier one
    (a number hidden in either release is hidden there): what the difference must hide,
    the newest release hides. Until nothing changes. The audit then finds few failures,
    and each costs a round."""
    lines, tables = structure.lines, structure.tables
    differences = [[int(x) for x in values] for values in added]
    changed = True
    while changed:
        changed = bool(settle(current, hidden, lines, k))
        changed |= _hide_sparse_tables(current, hidden, tables)
        for m, difference in enumerate(differences):
            in_difference = [h or not s for h, s in zip(hidden, shown_before[m], strict=True)]
            for number in settle(difference, in_difference, lines, k):
                if not hidden[number]:
                    hidden[number] = True
                    changed = True


def _shown_mask(hidden: BoolArray | None, published: BoolArray | None, size: int) -> BoolArray:
    shown = np.ones(size, dtype=bool) if published is None else published.copy()
    if hidden is not None:
        shown &= ~hidden
    return shown


@dataclass(frozen=True)
class _Quantity:
    """A protected quantity: the sum of `numbers[number]` over `layers`, whose true value
    is `truth`."""

    number: int
    layers: tuple[int, ...]
    truth: int


def _small_quantities(
    structure: Structure,
    stacked: IntArray,
    members: Sequence[tuple[int, ...]],
    shown_before: Sequence[BoolArray],
    hidden: list[bool],
    k: int,
) -> list[_Quantity]:
    """Hidden small numbers of every release, and, between any two releases, small counts
    of the responses one of them has and the other not (came in, or went out)."""
    newest = len(members) - 1
    quantities: list[_Quantity] = []
    hidden_now = np.array(hidden, dtype=bool)

    def small(layers: tuple[int, ...], among: npt.NDArray[np.bool_] | None) -> None:
        if not layers:
            return
        values = structure.values(stacked[list(layers)].sum(axis=0))
        chosen = (values > 0) & (values < k)
        if among is not None:
            chosen &= among
        for i in np.flatnonzero(chosen).tolist():
            quantities.append(_Quantity(i, layers, int(values[i])))

    for m, own in enumerate(members):
        small(own, hidden_now if m == newest else ~shown_before[m])
    for a in range(newest):
        for b in range(a + 1, newest + 1):
            small(tuple(sorted(set(members[b]) - set(members[a]))), None)
            small(tuple(sorted(set(members[a]) - set(members[b]))), None)
    return quantities


_Relation = tuple[tuple[int, ...], tuple[int, ...], bool]
"""(variables, coefficients, is_equation). Equations hold for the true values, so their
right side is implied (the sum of coefficient * truth); inequalities are `<= 0`."""

_Item = tuple[_Quantity, tuple[int, ...]]
"""A quantity and the variables it sums."""


class _System:
    """The attacker's linear system over the variables of every layer: the structure
    per layer, and per release each shown number as the sum of its variables over the
    layers up to that release. Only the newest release's rows change between rounds."""

    def __init__(
        self,
        structure: Structure,
        layers: Sequence[IntArray],
        members: Sequence[tuple[int, ...]],
        shown_before: Sequence[BoolArray],
    ) -> None:
        self.structure = structure
        self.size = structure.variables
        self.layers = len(layers)
        self.members = members
        self.truth: list[int] = np.concatenate(layers).tolist()
        self.base: list[_Relation] = []
        for layer in range(self.layers):
            offset = layer * self.size
            truth = layers[layer]
            for variables, coefficients in structure.equalities:
                self.base.append((tuple(v + offset for v in variables), coefficients, True))
            for variables, coefficients in structure.inequalities:
                # A rule of the questionnaire that the stored answers break (an older
                # version did not have it) is no knowledge: left out.
                if (
                    sum(c * int(truth[v]) for v, c in zip(variables, coefficients, strict=True))
                    <= 0
                ):
                    self.base.append((tuple(v + offset for v in variables), coefficients, False))
        for release, shown in enumerate(shown_before):
            self.base += [self._shown_row(i, release) for i in np.flatnonzero(shown).tolist()]
        self.rows: list[_Relation] = self.base
        self.shows: list[int] = [-1] * len(self.base)
        """Per row of `rows`: the newest release's number it shows, or -1."""

    def _shown_row(self, number: int, release: int) -> _Relation:
        variables = self.form(number, self.members[release])
        return variables, (1,) * len(variables), True

    def form(self, number: int, layers: Sequence[int]) -> tuple[int, ...]:
        """The variables of a number summed over `layers`."""
        own = self.structure.numbers[number]
        return tuple(v + layer * self.size for layer in layers for v in own)

    @property
    def newest(self) -> tuple[int, ...]:
        """The layers of the newest release."""
        return self.members[-1]

    def with_newest(self, hidden: Sequence[bool]) -> _System:
        newest = len(self.members) - 1
        shown = [i for i, is_hidden in enumerate(hidden) if not is_hidden]
        self.rows = self.base + [self._shown_row(i, newest) for i in shown]
        self.shows = [-1] * len(self.base) + shown
        return self


class _Solver:
    """Bounds of quantities in one system: propagation first, then one program per
    component, solved for a sum of many quantities at once where one solution settles
    them all, and for one quantity alone where it does not."""

    def __init__(self, system: _System, k: int) -> None:
        self.system = system
        self.k = k
        self.fixed, self.reason = _propagate(system.rows, system.truth)
        self.programs = 0
        self.pinning: dict[_Quantity, list[set[int]]] = {}
        """Per failure: the newest release's shown numbers its bounds rest on, nearest
        first (see `_explain`)."""
        self.proven: set[_Quantity] = set()
        """Failures proven pinned (not merely left over, or unsure)."""
        self.inherited: set[_Quantity] = set()
        """Failures proven (by propagation, or by linear optima whose dual values are
        the proof) without any row of the newest release: earlier releases and the
        relations pin them alone. Measured on a second release of 1,200 demo newcomer
        responses (1,000 + 200, every group): a count of 2 that the first release never
        published as a number (its table was withheld as mostly hidden) but whose
        margins it did; the audit spent over 100 rounds hiding numbers that could not
        change that."""

    def pinned(self, quantities: list[_Quantity]) -> list[_Quantity]:
        """The quantities whose every possible value lies within 1..k-1."""
        failures: list[_Quantity] = []
        items: list[_Item] = []
        for quantity in quantities:
            form = self.system.form(quantity.number, quantity.layers)
            if all(self.fixed[v] for v in form):
                failures.append(quantity)  # determined, and its true value is small
                self._note(quantity, self._explain(form, []), certain=True)
                self.proven.add(quantity)
            else:
                items.append((quantity, form))
        k = self.k
        for program, group in self._programs(items):
            with program:
                # A solution where a quantity is 0 or >= k clears it; sums first.
                rest = program.clear(group, lambda value, _truth: value <= 0, maximize=False)
                rest = program.clear(rest, lambda value, _truth: value >= k, maximize=True)
                if len(rest) > PINNED_ALONE:
                    # What sums of many could not clear is nearly always pinned (measured:
                    # 321 of about 340 in a second release of 10,000); proving each would
                    # cost two programs. Counted as pinned: the newest release hides more.
                    failures += [quantity for quantity, _form in rest]
                    rest = []
                for quantity, form in rest:
                    # Unsure (an integer program ran out of time) counts as pinned.
                    if program.reaches(form, maximize=False, threshold=0, unsure=False):
                        continue
                    floor, certain, proven = program.binding(), program.certain, program.proven
                    if not program.reaches(form, maximize=True, threshold=k, unsure=False):
                        failures.append(quantity)
                        steps = self._explain(form, floor + program.binding())
                        self._note(quantity, steps, certain=certain and program.certain)
                        if proven and program.proven:
                            self.proven.add(quantity)
                self.programs += program.solved
        return failures

    def _note(self, quantity: _Quantity, steps: list[set[int]], *, certain: bool) -> None:
        self.pinning[quantity] = steps
        if certain and not any(steps):
            self.inherited.add(quantity)

    def _explain(
        self, form: tuple[int, ...], binding: list[tuple[int, _Relation]]
    ) -> list[set[int]]:
        """The newest release's shown numbers that the bounds of `form` rest on, in
        steps: the rows that carry the linear optimum (`binding`), then the rows that
        fixed (by propagation) a variable of the quantity or of a row already named,
        one step further out each time.

        The program sees a variable fixed by propagation as a constant, so its dual
        values never name what fixed it; measured on a second release of 1,200 demo
        newcomer responses (1,000 + 200, group arbeit), the optimum rested on a one-way
        total alone for three counts of the responses in between, while what pinned
        them was a chain of shown counts, and the audit took 64 rounds hiding numbers
        elsewhere. Following the chain: 15 rounds instead of 64, 297 programs instead
        of 713, 17.5 s instead of 39.7 s, and 45 of the 114 one-way numbers hidden
        instead of 61."""
        rows, shows, reason, fixed = self.system.rows, self.system.shows, self.reason, self.fixed
        steps = [{number for number, _row in binding if number >= 0}]
        seen_rows: set[int] = set()
        seen: set[int] = set()
        frontier = {v for v in form if fixed[v]} | {
            v for _number, row in binding for v in row[0] if fixed[v]
        }
        while frontier:
            seen |= frontier
            found = {reason[v] for v in frontier} - seen_rows
            seen_rows |= found
            steps.append({shows[r] for r in found if shows[r] >= 0})
            frontier = {v for r in found for v in rows[r][0] if fixed[v]} - seen
        return steps

    def determined(self, numbers: list[int], zeros: list[int]) -> list[int]:
        """The numbers (of the newest release) whose value the system fixes exactly:
        among `numbers` by propagation or linear programs, among `zeros` (whose hiding
        protects nothing and reveals nothing) by propagation alone.

        A number is reported when its linear minimum and maximum are both its value,
        which integers cannot widen; any other solution (also a fractional one) that
        moves it keeps it hidden. Mistakes can only keep a number hidden, never show one
        that was not known."""
        newest = self.system.newest
        found = [
            number
            for number in zeros
            if all(self.fixed[v] for v in self.system.form(number, newest))
        ]
        items = []
        for number in numbers:
            form = self.system.form(number, newest)
            if all(self.fixed[v] for v in form):
                found.append(number)
            else:
                truth = sum(self.system.truth[v] for v in form)
                items.append((_Quantity(number, newest, truth), form))
        alone = DETERMINED_ALONE
        for program, group in self._programs(items):
            with program:
                rest = program.movable(group)[:alone]
                alone -= len(rest)
                for quantity, form in rest:
                    if program.beyond(form, quantity.truth, maximize=True):
                        continue
                    if program.beyond(form, quantity.truth, maximize=False):
                        continue
                    found.append(quantity.number)
                self.programs += program.solved
        return found

    def _programs(self, items: list[_Item]) -> Iterator[tuple[_Program, list[_Item]]]:
        """A program per component of the unknowns, with the items that fall in it."""
        if not items:
            return
        fixed = self.fixed
        rows = self.system.rows
        root = _components(rows, fixed, [form for _q, form in items])
        by_component: dict[int, list[_Item]] = defaultdict(list)
        for quantity, form in items:
            first_free = next(v for v in form if not fixed[v])
            by_component[root(first_free)].append((quantity, form))
        rows_of: dict[int, list[_Relation]] = defaultdict(list)
        shows_of: dict[int, list[int]] = defaultdict(list)
        for row, shows in zip(rows, self.system.shows, strict=True):
            unknown = next((v for v in row[0] if not fixed[v]), None)
            if unknown is not None:
                component = root(unknown)
                if component in by_component:
                    rows_of[component].append(row)
                    shows_of[component].append(shows)
        members: dict[int, list[int]] = defaultdict(list)
        for v, is_fixed in enumerate(fixed):
            if not is_fixed:
                component = root(v)
                if component in by_component:
                    members[component].append(v)
        for component, group in by_component.items():
            program = _Program(
                self.system.truth,
                fixed,
                members[component],
                rows_of[component],
                shows_of[component],
            )
            yield program, group


def _propagate(rows: Sequence[_Relation], truth: Sequence[int]) -> tuple[list[bool], list[int]]:
    """Variables whose value the system determines without optimising: the one unknown
    of an equation, and every unknown of a relation that can only hold with all of them
    0 (unknowns of one sign that must sum to 0, or to at most 0). With, per variable,
    the relation that fixed it (-1 if none).

    Each relation keeps counts of its unknowns (all, positive, negative), the true sum of
    its unknowns and the true value of its known part, updated as variables become
    known, so a relation is looked at again only when one of its variables changes and
    costs nothing for the others (rescanning each relation made a later release's rounds
    quadratic in the length of its relations). The rules only ever fix more, and the true
    counts satisfy every relation, so the order of work does not change the outcome."""
    size = len(truth)
    fixed = [False] * size
    reason = [-1] * size
    occurrences: list[list[tuple[int, int]]] = [[] for _ in range(size)]
    unknown: list[int] = []
    positive: list[int] = []
    negative: list[int] = []
    unknown_truth: list[int] = []
    known_part: list[int] = []
    equation: list[bool] = []
    for r, (variables, coefficients, is_equation) in enumerate(rows):
        for v, c in zip(variables, coefficients, strict=True):
            occurrences[v].append((r, c))
        unknown.append(len(variables))
        positive.append(sum(1 for c in coefficients if c > 0))
        negative.append(sum(1 for c in coefficients if c < 0))
        unknown_truth.append(sum(truth[v] for v in variables))
        known_part.append(0)
        equation.append(is_equation)

    def ready(r: int) -> bool:
        count = unknown[r]
        if count == 0:
            return False
        if equation[r]:
            if count == 1:
                return True
            # The unknowns sum to what their true values sum to.
            return (positive[r] == count or negative[r] == count) and unknown_truth[r] == 0
        # sum(unknowns) <= -(the known part)
        return positive[r] == count and known_part[r] == 0

    queue = [r for r in range(len(rows)) if ready(r)]
    while queue:
        r = queue.pop()
        if not ready(r):
            continue
        for v in rows[r][0]:
            if fixed[v]:
                continue
            fixed[v] = True
            reason[v] = r
            value = truth[v]
            for other, c in occurrences[v]:
                unknown[other] -= 1
                if c > 0:
                    positive[other] -= 1
                elif c < 0:
                    negative[other] -= 1
                unknown_truth[other] -= value
                known_part[other] += c * value
                if ready(other):
                    queue.append(other)
    return fixed, reason


def _components(
    rows: Sequence[_Relation], fixed: Sequence[bool], forms: Sequence[tuple[int, ...]]
) -> Callable[[int], int]:
    """The component of each unknown (as a function): unknowns that share a relation or
    a protected quantity are in one component (union-find)."""
    parent = list(range(len(fixed)))

    def find(v: int) -> int:
        root = v
        while parent[root] != root:
            root = parent[root]
        while parent[v] != root:
            parent[v], v = root, parent[v]
        return root

    def join(variables: tuple[int, ...]) -> None:
        first = -1
        for v in variables:
            if fixed[v]:
                continue
            if first < 0:
                first = find(v)
                continue
            other = find(v)
            if other != first:
                parent[other] = first

    for row in rows:
        join(row[0])
    for form in forms:
        join(form)
    return find


_highs_lock = threading.Lock()
_highs_started = False


@contextlib.contextmanager
def _quiet_start() -> Iterator[None]:
    """HiGHS prints a banner to the process's stdout when the first solver of a process
    is made, before any option can silence it; `survey-app results` writes JSON there."""
    global _highs_started
    with _highs_lock:
        if _highs_started:
            yield
            return
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "wb") as devnull:
                os.dup2(devnull.fileno(), 1)
                yield
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            _highs_started = True


class _Program:
    """The linear program of one component, built once, re-solved per objective."""

    def __init__(
        self,
        truth: Sequence[int],
        fixed: Sequence[bool],
        members: list[int],
        rows: list[_Relation],
        shows: list[int],
    ) -> None:
        self.truth = truth
        self.fixed = fixed
        self.column = {v: j for j, v in enumerate(members)}
        starts, indexes, coefficients = [0], [], []
        lower: list[float] = []
        upper: list[float] = []
        for variables, row_coefficients, equation in rows:
            known = 0
            side = 0
            for v, c in zip(variables, row_coefficients, strict=True):
                if fixed[v]:
                    known += c * truth[v]
                else:
                    indexes.append(self.column[v])
                    coefficients.append(c)
                    side += c * truth[v]
            starts.append(len(indexes))
            if equation:
                # Equations hold for the true values: the unknowns' side equals theirs.
                lower.append(side)
                upper.append(side)
            else:
                # Inequalities are <= 0: the unknowns' side is at most -(the fixed part).
                if side + known > 0:
                    # The true counts must be a solution (`_System` leaves out the rules
                    # the stored answers break); HiGHS reports an infeasible program as
                    # "unbounded or infeasible", which would read as nothing pinned.
                    raise AuditError("a relation of the audit is broken by the true counts")
                lower.append(-highspy.kHighsInf)
                upper.append(-known)
        size = len(members)
        model = highspy.HighsLp()
        model.num_col_ = size
        model.num_row_ = len(lower)
        model.col_cost_ = np.zeros(size)
        model.col_lower_ = np.zeros(size)
        model.col_upper_ = np.full(size, highspy.kHighsInf)
        model.row_lower_ = np.array(lower, dtype=float)
        model.row_upper_ = np.array(upper, dtype=float)
        model.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        model.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        model.a_matrix_.index_ = np.array(indexes, dtype=np.int32)
        model.a_matrix_.value_ = np.array(coefficients, dtype=float)
        with _quiet_start():
            self.highs = highspy.Highs()  # type: ignore[no-untyped-call]
        self.highs.setOptionValue("output_flag", False)
        # One thread: the same answers give the same solutions, hence the same release.
        self.highs.setOptionValue("threads", 1)
        self.highs.passModel(model)
        self.size = size
        self.cost = np.zeros(size)
        self.solution = np.zeros(size)
        self.maximize = False
        self.objective = 0.0
        self.solved = 0
        self.rows = rows
        self.certain = False
        """Whether the last `reaches` that said no was decided by the linear optimum
        (whose dual values are then its proof), not by an integer program."""
        self.proven = False
        """Whether the last `reaches` that said no proved it (by the linear optimum or
        an integer program run to its end), rather than ran out of nodes (unsure)."""
        self.shows = shows
        """Per row: the newest release's number it shows, or -1 (see `binding`)."""
        self.duals = np.zeros(0)

    def __enter__(self) -> _Program:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.highs.clear()

    def value(self, form: tuple[int, ...]) -> float:
        """The value of `form` in the last solution."""
        return float(
            sum(self.truth[v] if self.fixed[v] else self.solution[self.column[v]] for v in form)
        )

    def clear(
        self,
        items: list[_Item],
        settled: Callable[[float, int], bool],
        *,
        maximize: bool,
        integral: bool = True,
    ) -> list[_Item]:
        """Optimise the sum of the items' forms; drop every item whose value in the
        optimal solution settles it (only if that solution is integral, when `integral`),
        and repeat while that drops any. The rest."""
        remaining = items
        while remaining:
            self._objective([form for _q, form in remaining], maximize=maximize)
            if not self._solve():
                if not np.isfinite(self.objective):
                    return remaining
                # One integer program (any integer solution it finds will do) settles
                # what would otherwise cost one per item.
                if integral and self._solve_integer() is None:
                    return remaining
            left = [(q, f) for q, f in remaining if not settled(self.value(f), q.truth)]
            if len(left) == len(remaining):
                return remaining
            remaining = left
        return remaining

    def movable(self, items: list[_Item]) -> list[_Item]:
        """The items that no solution found moves off their true value: optimise random
        positive combinations of what is left (up, then down, ...) until one moves
        nothing. A few programs settle most items; the rest are checked one by one."""
        weights = np.random.default_rng(0)  # the same release from the same answers
        remaining = items
        for attempt in range(DETERMINED_ROUNDS):
            if not remaining:
                break
            shares = weights.uniform(0.5, 1.5, len(remaining))
            self._objective([f for _q, f in remaining], maximize=attempt % 2 == 0, weights=shares)
            self._solve()
            if not np.isfinite(self.objective):
                continue
            left = [(q, f) for q, f in remaining if abs(self.value(f) - q.truth) <= _EPSILON]
            if len(left) == len(remaining) and attempt > 0:
                break
            remaining = left
        return remaining

    def reaches(
        self, form: tuple[int, ...], *, maximize: bool, threshold: int, unsure: bool
    ) -> bool:
        """Whether some integer solution makes `form` at least (`maximize`) or at most
        `threshold`. The linear optimum decides when it falls short (integers cannot do
        better) or is itself integral; otherwise the integer program, for at most
        `MIP_NODES`: if it neither finds such a solution nor proves there is none,
        the answer is `unsure` (the caller's safe side)."""
        self._objective([form], maximize=maximize)
        constant = sum(self.truth[v] for v in form if self.fixed[v])
        integral = self._solve()
        self.certain = self.proven = True
        if not self._beyond(constant + self.objective, threshold, maximize):
            return False  # the dual values of this optimum prove it (see `binding`)
        self.certain = False
        if integral or not np.isfinite(self.objective):
            # Unbounded: the true (integer) counts plus a whole multiple of the ray.
            return True
        outcome = self._solve_integer()
        if outcome is None:
            self.proven = False
            return unsure
        found, proven = outcome
        if found and self._beyond(constant + self.value_free(), threshold, maximize):
            return True
        self.proven = proven
        return False if proven else unsure

    def binding(self) -> list[tuple[int, _Relation]]:
        """The rows that carry the last linear optimum (a non-zero dual value), each with
        the newest release's number it shows (or -1): hiding one of those numbers removes
        what proved that bound."""
        return [
            (self.shows[r], self.rows[r])
            for r in np.flatnonzero(np.abs(self.duals) > _EPSILON).tolist()
        ]

    def beyond(self, form: tuple[int, ...], value: int, *, maximize: bool) -> bool:
        """Whether the linear optimum of `form` lies beyond `value` (above it when
        maximizing, else below) by more than `_EPSILON`.

        Only the optimum's value counts here, not which optimal solution is found, so:
        - by the primal simplex method: after a new objective the last basis is still
          feasible, and the primal method goes on from it where the default (dual) one
          starts nearly afresh (measured on the component of a second release of 10,000
          + 200 demo newcomer responses, group arbeit, 5,926 unknowns: 10 to 180
          iterations instead of about 2,300);
        - a few iterations at a time at first: a feasible solution on the way that is
          already clearly beyond `value` (by `_MOVED`) answers yes without the optimum."""
        self._objective([form], maximize=maximize)
        constant = sum(self.truth[v] for v in form if self.fixed[v])
        highs = self.highs
        highs.setOptionValue("simplex_strategy", _PRIMAL_SIMPLEX)
        try:
            for limit in _EARLY_ITERATIONS:
                highs.setOptionValue("simplex_iteration_limit", limit)
                highs.run()
                self.solved += 1
                if highs.getModelStatus() != highspy.HighsModelStatus.kIterationLimit:
                    self._outcome()
                    break
                if highs.getInfo().primal_solution_status != highspy.kSolutionStatusFeasible:
                    continue
                here = constant + self.cost @ np.asarray(highs.getSolution().col_value)
                if (here - value if maximize else value - here) > _MOVED:
                    return True
            else:
                highs.setOptionValue("simplex_iteration_limit", _NO_LIMIT)
                self._solve()
        finally:
            highs.setOptionValue("simplex_iteration_limit", _NO_LIMIT)
            highs.setOptionValue("simplex_strategy", _DUAL_SIMPLEX)
        optimum = constant + self.objective
        return optimum > value + _EPSILON if maximize else optimum < value - _EPSILON

    @staticmethod
    def _beyond(value: float, threshold: int, maximize: bool) -> bool:
        return value >= threshold - _EPSILON if maximize else value <= threshold + _EPSILON

    def value_free(self) -> float:
        """The objective of the last solution (without the fixed part)."""
        return float(self.cost @ self.solution)

    def _objective(
        self,
        forms: list[tuple[int, ...]],
        *,
        maximize: bool,
        weights: npt.NDArray[np.float64] | None = None,
    ) -> None:
        cost = np.zeros(self.size)
        for position, form in enumerate(forms):
            weight = 1.0 if weights is None else float(weights[position])
            for v in form:
                if not self.fixed[v]:
                    cost[self.column[v]] += weight
        changed = np.flatnonzero(cost != self.cost).astype(np.int32)
        if len(changed):
            self.highs.changeColsCost(len(changed), changed, cost[changed])
        self.cost = cost
        sense = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
        self.highs.changeObjectiveSense(sense)
        self.maximize = maximize

    def _solve_integer(self) -> tuple[bool, bool] | None:
        """Solve the current objective in integers within `MIP_NODES` nodes:
        (an integer solution is in `solution`, it is proven optimal), or None if the
        time ran out without one."""
        highs = self.highs
        every = np.arange(self.size, dtype=np.int32)
        integer = np.full(self.size, highspy.HighsVarType.kInteger)
        highs.changeColsIntegrality(self.size, every, integer)
        highs.setOptionValue("mip_max_nodes", MIP_NODES)
        try:
            highs.run()
            self.solved += 1
            status = highs.getModelStatus()
            solution = np.asarray(highs.getSolution().col_value)
            if len(solution) != self.size or not np.all(np.isfinite(solution)):
                return None
            if np.any(np.abs(solution - np.round(solution)) > _EPSILON):
                return None
            self.solution = np.round(solution)
            return True, status == highspy.HighsModelStatus.kOptimal
        finally:
            highs.setOptionValue("mip_max_nodes", 2**31 - 1)
            continuous = np.full(self.size, highspy.HighsVarType.kContinuous)
            highs.changeColsIntegrality(self.size, every, continuous)

    def _solve(self) -> bool:
        """Run; whether the optimum (in `objective` and `solution`) is integral.
        Unbounded: `objective` is +-inf and nothing is integral."""
        self.highs.run()
        self.solved += 1
        return self._outcome()

    def _outcome(self) -> bool:
        """`_solve` after the run."""
        highs = self.highs
        status = highs.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            solution = highs.getSolution()
            self.solution = np.asarray(solution.col_value)
            self.duals = np.asarray(solution.row_dual)
            self.objective = float(highs.getInfo().objective_function_value)
            if np.all(np.abs(self.solution - np.round(self.solution)) < _EPSILON):
                self.solution = np.round(self.solution)
                self.objective = float(round(self.objective))
                return True
            return False
        if status in (
            highspy.HighsModelStatus.kUnbounded,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        ):
            self.objective = np.inf if self.maximize else -np.inf
            return False
        # The true counts satisfy every row, so the program is never infeasible.
        raise AuditError(f"the linear program of a component ended with {status}")


def _lines_of(structure: Structure) -> dict[int, list[Line]]:
    lines_of: dict[int, list[Line]] = defaultdict(list)
    for line in structure.lines:
        for number in (*line.cells, line.total):
            lines_of[number].append(line)
    return lines_of


def _pinning(
    steps: list[set[int]] | None,
    hidden: list[bool],
    values: list[int],
    kept: frozenset[int],
    *,
    every: bool = False,
) -> list[int]:
    """What the newest release hides for a failure: the smallest non-zero shown number
    outside `kept` among those its bounds rest on, from the nearest step that has one;
    if they are all in `kept`, the same among those (the failure rests on one-way
    results alone: numbers anywhere else would not free it); none: the caller looks
    near the failing number instead, see `_to_hide`. Measured on 1,500 demo newcomer
    responses (k = 10), with the bounds of programs alone: 13 rounds instead of 18, and
    6,685 hidden numbers of 15,753 instead of 8,754, with the same one-way counts
    shown. With `every` (a failure that came back more than `STUBBORN` rounds: each
    number hidden was replaced by another route), all of them."""
    for excluded in (kept, frozenset()):
        for numbers in steps or ():
            found = [m for m in numbers if not hidden[m] and values[m] > 0 and m not in excluded]
            if found:
                return sorted(found) if every else [min(found, key=lambda m: (values[m], m))]
    return []


def _to_hide(
    number: int,
    hidden: list[bool],
    values: list[int],
    lines_of: dict[int, list[Line]],
    kept: frozenset[int] = frozenset(),
    radius: int = 0,
) -> list[int]:
    """What the newest release hides next for a failing quantity of `number`: the number
    itself if shown; else in each of its lines the smallest non-zero shown number (first
    in order on ties); if its lines have none, the smallest one step further out, and
    so on. Numbers in `kept` only where nothing else is found at any distance.

    Any choice is safe (the next round checks the failure again); the choice decides
    how much is lost. Measured on 1,500 demo responses of the newcomer survey (k = 10),
    where the lines of a failing breakdown cell were hidden whole: hiding the smallest
    number of *every* line one step out, margins included, hid 108 of the 235 one-way
    counts; the smallest one outside `kept` leaves the 18 the one-way rules hide."""
    if not hidden[number]:
        return [number]
    if radius:
        # A failure that keeps coming back with nothing to follow (an integer program
        # decided it): every non-zero shown number within `radius` lines of it, a line
        # further each round, outside `kept` where there are any.
        around = _within(number, radius, lines_of)
        for excluded in (kept, frozenset()):
            found = [m for m in around if not hidden[m] and values[m] > 0 and m not in excluded]
            if found:
                return sorted(found)
    for allowed in (lambda m: m not in kept, lambda _m: True):
        chosen = _near(number, hidden, values, lines_of, allowed)
        if chosen:
            return chosen
    shown = [m for m in range(len(hidden)) if not hidden[m]]
    if shown:
        # Nothing non-zero is left near it: a shown zero or a number elsewhere.
        return [min(shown, key=lambda m: (values[m], m))]
    raise AuditError(f"nothing left to hide for number {number}")


def _within(number: int, radius: int, lines_of: dict[int, list[Line]]) -> set[int]:
    """The numbers at most `radius` lines away from `number`."""
    seen = {number}
    frontier = {number}
    for _step in range(radius):
        frontier = {m for n in frontier for line in lines_of[n] for m in (*line.cells, line.total)}
        frontier -= seen
        seen |= frontier
    return seen - {number}


def _near(
    number: int,
    hidden: list[bool],
    values: list[int],
    lines_of: dict[int, list[Line]],
    allowed: Callable[[int], bool],
) -> list[int]:
    """The smallest allowed non-zero shown number of each line of the hidden `number`;
    if there is none, the smallest one found by widening the circle line by line."""

    def candidates(line: Line) -> list[int]:
        members = (*line.cells, line.total)
        return [m for m in members if not hidden[m] and values[m] > 0 and allowed(m)]

    def smallest(found: Iterable[int]) -> int:
        return min(found, key=lambda m: (values[m], m))

    lines = lines_of[number]
    chosen = {smallest(near) for line in lines if (near := candidates(line))}
    if chosen:
        return sorted(chosen)
    seen = {number}
    frontier = {m for line in lines for m in (*line.cells, line.total)} - seen
    while frontier:
        seen |= frontier
        lines = [line for n in sorted(frontier) for line in lines_of[n]]
        further = {m for line in lines for m in candidates(line)}
        if further:
            return [smallest(further)]
        frontier = {m for line in lines for m in (*line.cells, line.total)} - seen
    return []
