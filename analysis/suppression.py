"""Small-cell suppression: what is guaranteed to the people counted, and the first step.

Threat model
------------
The people protected are the respondents; the attacker is anyone who receives results of
a working group (a member with a login, or anyone a member passes results on to: results
are presented at network meetings, so every working group's results are treated as
known to every attacker at once). The attacker knows the questionnaire, this software
and its rules, every number of every *release* (results are never live for working
groups), and may have saved every earlier release. `k` is the survey's `min_cell`.

Guaranteed, for every release of a survey (`analysis.publication`, `analysis.disclosure`):

1. No shown number is a count between 1 and k-1 (rule (a)-(b) below).
2. For every hidden count, the smallest and the largest value that is consistent with
   *all* numbers of this and every earlier release, and with the linear relations
   between them (one-way tables, every breakdown a member may request with its row and
   column margins and `n`, multi-select ticks and their complements, the number of
   responses, the skip logic of simple relevance conditions, and that each release
   holds the responses of the one before plus new ones), do not both lie within
   1..k-1, and a hidden non-zero count is never exactly determined. The same holds for
   counts that are never shown but follow from shown ones: who did not answer a
   question (the responses minus its `n`, and in every breakdown column the column's
   respondents minus its answered: with optional questions and skip logic, a few who
   skipped a question in a column can be a few who did not give some earlier answer);
   who answered a multiple choice without ticking a choice (overall and in every
   breakdown column), and, for a multiple choice of at most three choices, who ticked
   exactly a given set of them. Bounds are computed by linear programming (HiGHS) and
   confirmed in integers where the linear optimum is fractional.
3. The same holds for every *difference* between two releases: no count of the
   responses that arrived between two releases can be pinned within 1..k-1.
4. Percentages are shown only where both their count and their base are shown; means
   only where their `n` is shown and at least k, medians and quartiles only where `n` is
   at least max(20, 2k); minimum and maximum never. A mean shown next to shown means of
   the other breakdown columns reveals the sum of the hidden columns, which belong to at
   least k respondents (rule (c)).
5. Dates are counted in bins fixed by the questionnaire and the release date (whole
   years, the first and last open), never on an axis that starts or ends at one
   person's answer.

Not guaranteed (stated, not solved):

- *Padding.* Anyone can send answers to an anonymous open link; someone who sends k-1
  answers of a known kind can subtract them from a count that then appears. Releases
  stop the before/after reading of one person's answers, and the submission API limits
  what one client can send, but padding of an anonymous survey cannot be excluded.
- *Knowledge outside the results.* Someone who knows that a particular person answered
  and knows some of their answers learns nothing from a hidden cell, but a shown count
  of a group they know to be complete (e.g. 12 of 12 companies of a sector said "yes")
  reveals the answer of each member of that group; this is inherent in publishing counts.
- *Reasoning about the suppression algorithm.* The audit bounds hidden counts by the
  published numbers and their linear relations; it does not model an attacker who infers
  from *which* cell was chosen for secondary suppression that it was the smallest.
- *Overlaps of many choices.* With four choices or more, how many ticked a given set of
  choices is bounded only through the ticks, their complements and the question's rules
  (see `analysis.publication`), not by a model of every answer pattern.
- *Higher-order relations.* Tables are linked through their shared margins; relations
  that hold only for three or more questions jointly (a three-way table behind two
  two-way tables) are not used to narrow bounds. Skip logic is used only where a
  question's `relevant` compares an earlier `select_one` with a text (`${q} = 'x'`,
  `!=`, an `or` of such on one question), is `selected(${q}, 'x')`, or an `and` of
  these: who answered it is among those the condition allows (for a `required: true`
  question relevant by one question's answer alone: exactly they), overall and in every
  breakdown column (see `analysis.publication`). Other relevance (numbers,
  `count-selected()`, an `or` over two questions, functions), a `required` expression,
  repeats and the questions within them, and calculations are not modelled: an
  attacker who evaluates them can know more than the audit assumes.

Rules of the first step (applied to every *line*, i.e. a set of cells with a total):

(a) a total between 1 and k-1 is hidden, and so is every cell of its line;
(b) a count x with 0 < x < k is hidden (primary suppression); in a line that is not
    additive (`select_multiple`: one respondent may tick several choices) also when
    0 < total - x < k, because the complement would reveal it;
(c) in an additive line (cells add up to the total: one answer per respondent), while
    the hidden cells add up to more than 0 and less than k, or exactly one hidden cell
    is non-zero, the smallest remaining non-zero cell is hidden too (the first in order
    on ties); if the total is hidden while every non-zero cell is shown, a cell is
    hidden; if none is left, the line's total is hidden instead.

A number can belong to several lines (a one-way count is the row total of every
breakdown of its question), so hiding it in one line hides it everywhere; the rules run
over all lines until nothing changes. The second step (`analysis.disclosure`) then
checks guarantee 2 and 3 by linear programming and hides more where they fail.
"""

from __future__ import annotations

from collections.abc import MutableSequence, Sequence
from dataclasses import dataclass

__all__ = [
    "Line",
    "hide_small",
    "order_statistics_shown",
    "settle",
    "statistics_shown",
]

Count = int | None


def hide_small(count: int, k: int) -> Count:
    """Rule (a) for a single count: shown if 0 or >= k, else None."""
    return None if 0 < count < k else count


def statistics_shown(n: Count, k: int) -> bool:
    """Means of a number question (or of one breakdown column) need a shown n >= k."""
    return n is not None and n >= k


def order_statistics_shown(n: Count, k: int) -> bool:
    """Medians and quartiles need n >= max(20, 2k): with fewer, a quartile of a small
    group is one respondent's exact answer."""
    return n is not None and n >= max(20, 2 * k)


@dataclass(frozen=True)
class Line:
    """Numbers (indexes into a publication's values) that add up to `total`, or, when not
    `additive`, are each at most `total` (ticks of a multiple choice)."""

    cells: tuple[int, ...]
    total: int
    additive: bool = True


def settle(
    values: Sequence[int], hidden: MutableSequence[bool], lines: Sequence[Line], k: int
) -> list[int]:
    """Apply rules (a)-(c) to every line until nothing changes, marking `hidden` in place.

    `hidden` may already mark numbers (from an earlier round); nothing is ever unhidden.
    Returns the indexes newly hidden, in the order they were hidden.
    """
    newly: list[int] = []

    def hide(index: int) -> bool:
        if hidden[index]:
            return False
        hidden[index] = True
        newly.append(index)
        return True

    def settle_line(line: Line) -> bool:
        total = values[line.total]
        changed = False
        if 0 < total < k:  # (a)
            for index in (line.total, *line.cells):
                changed |= hide(index)
            return changed
        for index in line.cells:  # (b)
            x = values[index]
            if 0 < x < k or (not line.additive and 0 < total - x < k):
                changed |= hide(index)
        if not line.additive:
            return changed
        while _derivable(values, hidden, line, k):  # (c)
            extra = _next_to_hide(values, hidden, line)
            if extra is None:
                break
            changed |= hide(extra)
        return changed

    changed = True
    while changed:
        changed = False
        for line in lines:
            changed |= settle_line(line)
    return newly


def _derivable(values: Sequence[int], hidden: Sequence[bool], line: Line, k: int) -> bool:
    hidden_values = [values[i] for i in line.cells if hidden[i]]
    hidden_nonzero = sum(1 for x in hidden_values if x > 0)
    if hidden[line.total]:
        return hidden_nonzero == 0 and values[line.total] > 0
    hidden_sum = sum(hidden_values)
    return 0 < hidden_sum < k or hidden_nonzero == 1


def _next_to_hide(values: Sequence[int], hidden: Sequence[bool], line: Line) -> int | None:
    candidates = [i for i in line.cells if not hidden[i] and values[i] > 0]
    if candidates:
        # min() keeps the first of equal values: ties go to the first in line order.
        return min(candidates, key=lambda i: values[i])
    if not hidden[line.total]:
        return line.total
    return None
