"""A publication: every number a working group can obtain from a release, audited once.

`plan_publication` lists what is published for a questionnaire: one-way results of every
question a respondent answers, and for every working group each of its questions broken
down by each of its own `select_one` questions (the breakdowns its members may request).
Every working group's part is planned and audited together: results are presented at
network meetings, so what one group receives is assumed known to all (see the threat
model in `analysis.suppression`).

The plan becomes a `Structure` for `analysis.disclosure`: count variables per question
(one per category, and one for "not answered") and per breakdown (one per pair of
categories), the relations between them that hold for any responses, and the published
numbers as sums of variables. A frame of answers becomes the variables' values
(`tabulate`); `publish` runs both suppression steps over those values (and the layers of
earlier releases) and returns a `Publication`: every published number by key, `None`
where hidden, with the numeric statistics its rules allow. Publications are stored with
their release as JSON (`to_json`/`from_json`), so a later release is audited against
exactly what was shown, whatever the code does by then.

Number keys (stable across releases, `|`-separated; names cannot contain `|`):
`responses`, `n|Q`, `count|Q|C` (a choice, a date bin, or the ticks of a choice of a
`select_multiple`), `cell|Q|B|C|J` (Q's category C among respondents in column J of the
breakdown question B, J = a choice of B or `(missing)`), `column|Q|B|J` (respondents in
column J who answered Q). A breakdown's row totals are the one-way counts and its total
is Q's `n`, so they are one number wherever they appear.

Audited but never shown nor stored (`Plan.unpublished`): `unanswered|Q` and
`unanswered|Q|B|J`, who did not answer Q (the responses minus its `n`; in column J of a
breakdown by B the column's respondents, B's `count|B|J` or for J = `(missing)` B's
`unanswered|B`, minus `column|Q|B|J`), except where that count is already a number (a
cell of B by Q in Q's `(missing)` column, or a `(missing)` by `(missing)` cell numbered
once for both tables); `unticked|Q|C` and
`unticked|Q|B|C|J`, who answered a `select_multiple` Q without ticking C (its `n` minus
the ticks, overall and per breakdown column), in an additive line with the tick and `n`
so that the rules hide one of them where the difference is small; and for a
`select_multiple` of at most `PATTERN_CHOICES` choices (an exclusive "none" counted)
`pattern|Q|S` and `pattern|Q|B|S|J`, who ticked exactly the choices S (names separated
by spaces; empty: answered, ticked nothing), the variables whose sums are the ticks and
`n`. With two choices and at least one tick "ticked both" is the two ticks minus `n`
exactly, and with three the patterns are bounded tightly; so these are protected
quantities like any hidden count. A release made before they existed is read with its
not answered counts and complements shown where the numbers they follow from were
(`Plan.unpublished`), its patterns never.

Skip logic (`skip_logic`, `Plan.skips`): an attacker reads the questionnaire, so where a
question's `relevant` says who may answer it, the audit knows it too. For the shapes
`answer_conditions` reads (`${q} = 'x'` or `!=` on an earlier `select_one`, an `or` of
those on one question, `selected(${q}, 'x')` on a `select_one` or a `select_multiple`, an
`and` of these, each side on its own), the answered cells of the question are at most the
cells of the allowed answers of q (its `(missing)` among them for `!=`), and, when the
question is `required: true` and relevant exactly by conditions on one question (a single
tick for a `select_multiple`), at least as many: overall and in every column of a
breakdown both are published by (or one is the breakdown question). Stored answers keep
them (`check_answers` drops the answers of questions not relevant and refuses a required
one left empty); answers stored under an older version with other rules may break them,
so they are inequalities, which the audit drops where the answers of a release break
them. Not modelled: other expression shapes (numbers, `count-selected()`, an `or` over two
questions or of ticks, functions), a `required` expression, repeats and the questions
within them, and calculations (an attacker who evaluates those knows more).

Residual risk with more choices: only the ticks, their complements and the question's
rules (at least one tick, exclusive choices, at most / at least N) are modelled, so
how many ticked two given choices is bounded only by the Fréchet bounds (at least
t_a + t_b - n, at most the smaller tick), which the complements make tight only in
extreme cases (a complement of 0 or 1). An attacker who reasons over every answer
pattern of a question with four or more choices (a linear program over 2^c cells) can
bound overlaps of three or more choices more tightly than the audit does.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pandas as pd

from analysis.disclosure import AuditReport, Row, Structure, audit, sparse_tables
from analysis.frames import choice_column
from analysis.kinds import kind_of
from analysis.kinds.base import ANSWERED, Counting, Dimension, TickRules
from analysis.kinds.choice import tick_rules
from analysis.kinds.date import date_bins
from analysis.publication_format import MISSING, Publication, rank_key
from analysis.suppression import Line
from survey_app.questionnaire.expressions import AnswerCondition
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

__all__ = [
    "ANSWERED",
    "MISSING",
    "Dimension",
    "Plan",
    "Publication",
    "Skip",
    "TickRules",
    "date_bins",
    "plan_publication",
    "publish",
    "rank_key",
    "skip_logic",
    "tabulate",
    "tick_rules",
]

IntArray = npt.NDArray[np.int64]

PATTERN_CHOICES = 3
"""A `select_multiple` with at most this many choices (an exclusive one such as "none"
counted too) is audited by its exact answer patterns (see `_Builder._ticks`)."""


# -- what is published ------------------------------------------------------------------


@dataclass
class Plan:
    """The published numbers of a questionnaire as a `Structure`, with keys."""

    questionnaire: Questionnaire
    dimensions: dict[str, Dimension]
    pairs: list[tuple[str, str]]
    structure: Structure
    keys: list[str]
    index: dict[str, int]
    one_way: dict[str, dict[str, int]]
    """Variables of each question's categories (and `(missing)`); of a `select_multiple`
    also its ticks under `/CHOICE`, who answered but did not tick a choice under
    `!CHOICE`, and with few choices its answer patterns under `=` and the exact set of
    choices ticked, separated by spaces (`=a b`; `=` alone: answered, nothing ticked)."""
    two_way: dict[tuple[str, str], dict[tuple[str, str], int]]
    """Variables of each breakdown: (category of Q, or of its ticks as in `one_way`,
    column of B)."""
    aliases: dict[str, str]
    """Keys of numbers published under another key (a cell of B by Q is one of Q by B)."""
    tables: list[tuple[str, str]]
    """The breakdown of each of `structure.tables`, in the same order."""
    reference_year: int
    subsets: Mapping[str, str] = field(default_factory=dict)
    """Questions answered only by respondents who answered another (see
    `plan_publication`)."""
    links: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Entry-count questions -> (their presence question, the choice) (see
    `plan_publication`)."""
    unpublished: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Keys of the numbers that are audited but never shown (`Structure.unpublished`),
    each with the keys of the shown numbers that give it away: a complement is known in
    a release that showed its tick and its total, the not answered of a question where
    the responses and its `n` were shown (of a breakdown column, where the column's
    respondents and its answered were); an answer pattern never counts as shown (empty),
    so a small one of an earlier release is protected there."""
    skips: tuple[Skip, ...] = ()
    """What the questionnaire's skip logic tells of who answered which question (see
    `skip_logic`), derived by the builder itself so that no caller can leave it out."""

    def without(self, pairs: Collection[tuple[str, str]]) -> Plan:
        """The same publication without the breakdowns `pairs` (withheld)."""
        kept = [pair for pair in self.pairs if pair not in pairs]
        return _Builder(
            self.questionnaire,
            self.dimensions,
            kept,
            self.reference_year,
            self.subsets,
            self.links,
        ).build()


def plan_publication(
    questionnaire: Questionnaire,
    *,
    groups: Iterable[str | None] | None = None,
    breakdowns: Mapping[str | None, Sequence[str]] | None = None,
    reference_year: int,
    subsets: Mapping[str, str] | None = None,
) -> Plan:
    """The publication of `questionnaire` for working groups.

    `groups`: the groups whose breakdowns are published (default: every group named by a
    question); None in it stands for all questions (the admins' view, no breakdowns of
    its own). `breakdowns` instead names the breakdown questions per group explicitly
    (e.g. one `by` for a live view). One-way results cover every answered question of
    the named groups. `subsets` maps a question to one whose respondents include all of
    its own (the categories of a text question's answers, `analysis.texts`, are given
    only where the text was): an attacker knows that, so the audit does too.

    A roster's entry-count questions (`analysis.presence`) are linked to their presence
    questions here, from the questionnaire, so that no caller can leave the link out:
    a choice's ticks are the responses with one such entry or more, and both questions
    are answered by the same responses, overall and in every column of a breakdown.
    They are never broken down by: a breakdown column of households with exactly two
    members aged 0–5 is no group a working group asked about.
    """
    from analysis.presence import ENTRY_COUNT, entry_count_links

    answered = [q for q in questionnaire.iter_questions() if q.takes_answer]
    if groups is None and breakdowns is None:
        groups = sorted({g for q in answered for g in q.working_groups})
    wanted: dict[str | None, Sequence[str] | None] = {}
    for group in groups or ():
        wanted[group] = None
    for group, chosen in (breakdowns or {}).items():
        wanted[group] = chosen
    shown: dict[str, Question] = {}
    pairs: dict[tuple[str, str], None] = {}
    for group, names in wanted.items():
        members = [q for q in questionnaire.questions_of_group(group) if q.takes_answer]
        shown.update((q.name, q) for q in members)
        if names is None:
            by = [
                q
                for q in members
                if q.type is QuestionType.SELECT_ONE
                and q.appearance != ENTRY_COUNT
                and group is not None
            ]
        else:
            by = [questionnaire.questions[name] for name in names]
        for b in by:
            for q in members:
                if q.name != b.name:
                    pairs[(q.name, b.name)] = None
    order = {q.name: i for i, q in enumerate(answered)}
    counted = sorted({*shown, *(b for _q, b in pairs)}, key=order.__getitem__)
    dimensions = {
        name: kind_of(question).dimension(questionnaire, question, reference_year)
        for name in counted
        for question in (questionnaire.questions[name],)
    }
    known = {d: t for d, t in (subsets or {}).items() if d in dimensions and t in dimensions}
    links = {
        count: (presence, choice)
        for count, (presence, choice) in entry_count_links(questionnaire).items()
        if count in dimensions and presence in dimensions
    }
    return _Builder(questionnaire, dimensions, list(pairs), reference_year, known, links).build()


@dataclass(frozen=True)
class Skip:
    """Who may answer `question`, by the skip logic (its `relevant`): only respondents
    whose variable of `on` is one of `allowed` (categories of a `select_one`, `(missing)`
    among them, or `/CHOICE`: the ticks of a `select_multiple`'s choice). `exact`: the
    question is required and relevant exactly there, so all of them answered it."""

    question: str
    on: str
    allowed: tuple[str, ...]
    exact: bool


def skip_logic(
    questionnaire: Questionnaire, dimensions: Mapping[str, Dimension]
) -> tuple[Skip, ...]:
    """What an attacker who reads the questionnaire knows of who answered the questions
    of `dimensions` (see `answer_conditions` for the relevance expressions read).

    Stored answers keep it: `check_answers` evaluates a question's relevance on the
    cleaned answers before it, discards the answers of a question not relevant, and
    refuses a response whose required and relevant question is unanswered. So a
    condition is used only on a question before the one it decides (a later one is
    still unanswered when the relevance is evaluated) and of a `select_one` or a
    `select_multiple` among `dimensions`. A repeat is left out (its own rules decide
    what counts as answered), and so are the questions within repeats, which are no
    dimensions."""
    from survey_app.questionnaire.expressions import answer_conditions

    order = {name: i for i, name in enumerate(questionnaire.questions)}
    skips: list[Skip] = []
    for name, dimension in dimensions.items():
        question = dimension.question
        expression = questionnaire.compiled.get((name, "relevant"))
        if expression is None or question.type is QuestionType.REPEAT:
            continue
        found = answer_conditions(expression)
        deciding = {
            c.question
            for c in found.conditions
            if c.question in dimensions and order[c.question] < order[name]
        }
        # Required and relevant exactly where one question's answer is allowed: then
        # who answered is who is allowed (several conditions on one question narrow it).
        alone = found.complete and {c.question for c in found.conditions} == deciding
        exact = question.required is True and alone and len(deciding) == 1
        for on in sorted(deciding, key=order.__getitem__):
            conditions = [c for c in found.conditions if c.question == on]
            target = dimensions[on]
            if target.question.type is QuestionType.SELECT_ONE and not target.ticks:
                allowed = {*target.categories, MISSING}
                for condition in conditions:
                    allowed &= _allowed(condition, target.categories)
                skips.append(
                    Skip(
                        name,
                        on,
                        tuple(c for c in (*target.categories, MISSING) if c in allowed),
                        exact,
                    )
                )
            elif target.ticks:
                ticked = [c for c in conditions if c.test == "selected"]
                for condition in ticked:
                    (choice,) = condition.values
                    # A choice the question no longer has was ticked by nobody counted.
                    allowed_ticks = (f"/{choice}",) if choice in target.ticks else ()
                    skips.append(
                        Skip(name, on, allowed_ticks, exact and len(conditions) == 1 == len(ticked))
                    )
    return tuple(skips)


def _allowed(condition: AnswerCondition, categories: Sequence[str]) -> set[str]:
    """The categories of a `select_one` (and `(missing)`) whose respondents meet
    `condition`: the answer as an expression reads it is the choice's name, or "" when
    unanswered."""
    as_read = {c: c for c in categories} | {MISSING: ""}
    if condition.test == "not in":
        return {c for c, text in as_read.items() if text not in condition.values}
    if condition.test == "selected":  # an unanswered question has no choice selected
        return {c for c, text in as_read.items() if text and text in condition.values}
    return {c for c, text in as_read.items() if text in condition.values}


class _Builder:
    """Allocates variables, relations, numbers and lines of a plan."""

    def __init__(
        self,
        questionnaire: Questionnaire,
        dimensions: dict[str, Dimension],
        pairs: list[tuple[str, str]],
        reference_year: int,
        subsets: Mapping[str, str] | None = None,
        links: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self.subsets = dict(subsets or {})
        self.links = dict(links or {})
        self.questionnaire = questionnaire
        self.dimensions = dimensions
        self.pairs = pairs
        self.reference_year = reference_year
        self.table_pairs: list[tuple[str, str]] = []
        self.variables = 0
        self.equalities: list[Row] = []
        self.inequalities: list[Row] = []
        self.numbers: list[tuple[int, ...]] = []
        self.keys: list[str] = []
        self.index: dict[str, int] = {}
        self.lines: list[Line] = []
        self.tables: list[tuple[int, ...]] = []
        self.one_way: dict[str, dict[str, int]] = {}
        self.two_way: dict[tuple[str, str], dict[tuple[str, str], int]] = {}
        self.aliases: dict[str, str] = {}
        self.unpublished: dict[str, tuple[str, ...]] = {}
        self.skips: tuple[Skip, ...] = ()

    def variable(self) -> int:
        self.variables += 1
        return self.variables - 1

    def number(self, key: str, variables: Iterable[int]) -> int:
        if key in self.index:
            return self.index[key]
        self.index[key] = len(self.numbers)
        self.keys.append(key)
        self.numbers.append(tuple(variables))
        return self.index[key]

    def build(self) -> Plan:
        total = self.variable()
        responses = self.number("responses", (total,))
        self.lines.append(Line((), responses))  # rule (a) alone: hidden when below k
        for dimension in self.dimensions.values():
            self._one_way(dimension, total)
        for q, b in self.pairs:
            self._two_way(self.dimensions[q], self.dimensions[b])
        self._subsets()
        self._links()
        self._unanswered()
        self._skips()
        structure = Structure(
            variables=self.variables,
            equalities=tuple(self.equalities),
            inequalities=tuple(self.inequalities),
            numbers=tuple(self.numbers),
            lines=tuple(self.lines),
            tables=tuple(self.tables),
            kept=frozenset(
                i
                for i, key in enumerate(self.keys)
                if not key.startswith(("cell|", "column|")) and key not in self.unpublished
            ),
            unpublished=frozenset(self.index[key] for key in self.unpublished),
        )
        return Plan(
            self.questionnaire,
            self.dimensions,
            self.pairs,
            structure,
            self.keys,
            self.index,
            self.one_way,
            self.two_way,
            self.aliases,
            self.table_pairs,
            self.reference_year,
            self.subsets,
            self.links,
            self.unpublished,
            self.skips,
        )

    def _one_way(self, dimension: Dimension, total: int) -> None:
        name = dimension.name
        cells = {c: self.variable() for c in (*dimension.categories, MISSING)}
        self.one_way[name] = cells
        self.equalities.append(_sum_is(list(cells.values()), total))
        answered = [cells[c] for c in dimension.categories]
        n = self.number(f"n|{name}", answered)
        if dimension.counted:
            counts = [self.number(f"count|{name}|{c}", (cells[c],)) for c in dimension.categories]
            self.lines.append(Line(tuple(counts), n))
        elif not dimension.ticks:
            self.lines.append(Line((), n))  # rule (a) alone: n of a number or text
        if dimension.ticks:
            ticks = {}
            for choice in dimension.ticks:
                cells[f"/{choice}"] = self.variable()
                ticks[choice] = self.number(f"count|{name}|{choice}", (cells[f"/{choice}"],))
            self._ticks(dimension, cells, n, ticks, ())

    def _subsets(self) -> None:
        """Answered cells of a subset question never exceed its superset's: overall and in
        every column of a breakdown both are published by."""
        for part, whole in self.subsets.items():
            parts, wholes = self.dimensions[part].categories, self.dimensions[whole].categories
            self.inequalities.append(
                _at_most_sum(
                    [self.one_way[part][c] for c in parts], [self.one_way[whole][c] for c in wholes]
                )
            )
            for (q, b), cells in self.two_way.items():
                others = self.two_way.get((whole, b))
                if q != part or others is None:
                    continue
                for column in (*self.dimensions[b].categories, MISSING):
                    self.inequalities.append(
                        _at_most_sum(
                            [cells[(c, column)] for c in parts],
                            [others[(c, column)] for c in wholes],
                        )
                    )

    def _links(self) -> None:
        """An entry-count question's responses with j >= 1 entries of its choice are the
        presence question's ticks of that choice, and its answered responses are the
        presence question's: overall and in every column of a breakdown both are
        published by. (Its `(missing)` then follows from both adding up to the
        responses, or to the column.)"""
        for count, (presence, choice) in self.links.items():
            groups = self.dimensions[count].categories
            at_least_one = groups[1:]  # categories "0".."J": "0" is the first
            cells, ticks = self.one_way[count], self.one_way[presence]
            self.equalities.append(_sum_is([cells[j] for j in at_least_one], ticks[f"/{choice}"]))
            self.equalities.append(_sum_is([cells[j] for j in groups], ticks[ANSWERED]))
            for (q, b), pair in self.two_way.items():
                others = self.two_way.get((presence, b))
                if q != count or others is None:
                    continue
                for column in (*self.dimensions[b].categories, MISSING):
                    self.equalities.append(
                        _sum_is(
                            [pair[(j, column)] for j in at_least_one],
                            others[(f"/{choice}", column)],
                        )
                    )
                    self.equalities.append(
                        _sum_is([pair[(j, column)] for j in groups], others[(ANSWERED, column)])
                    )

    def _skips(self) -> None:
        """What the skip logic tells (`skip_logic`): who answered a question is among
        those whose answer to another made it relevant, and for a required one exactly
        they are; overall, and in every column of a breakdown both are published by (a
        column of a breakdown by one of the two included). Inequalities, an equation as
        two: the audit leaves out any that the stored answers break (answers of an older
        version with other rules), as it does the rules of multiple choices."""
        self.skips = skip_logic(self.questionnaire, self.dimensions)
        by_column: dict[tuple[str, str], dict[str, dict[str, int]]] = {}
        for (q, b), cells in self.two_way.items():
            columns = by_column.setdefault((q, b), {})
            for (category, column), variable in cells.items():
                columns.setdefault(column, {})[category] = variable

        def within(name: str, b: str, column: str) -> dict[str, int] | None:
            """The variables of `name`'s categories among the respondents in `column` of
            `b` (None: not known per column of `b`)."""
            if (name, b) in by_column:
                return by_column[(name, b)][column]
            if name == b and not self.dimensions[b].ticks:
                return {column: self.one_way[b][column]}  # everyone in it answered `column`
            return None

        breakdowns = sorted({b for _q, b in self.two_way}, key=list(self.dimensions).index)
        for skip in self.skips:
            scopes = [(self.one_way[skip.question], self.one_way[skip.on])]
            for b in breakdowns:
                for column in (*self.dimensions[b].categories, MISSING):
                    answering = within(skip.question, b, column)
                    deciding = within(skip.on, b, column)
                    if answering is not None and deciding is not None:
                        scopes.append((answering, deciding))
            categories = self.dimensions[skip.question].categories
            for answering, deciding in scopes:
                answered = [answering[c] for c in categories if c in answering]
                allowed = [deciding[c] for c in skip.allowed if c in deciding]
                self.inequalities.append(_at_most_sum(answered, allowed))
                if skip.exact:
                    self.inequalities.append(_at_most_sum(allowed, answered))

    def _unanswered(self) -> None:
        """Who did not answer a question: overall the responses minus its `n`, and in
        every column J of a breakdown by B the column's respondents (B's count of J, or
        for J = `(missing)` those who did not answer B) minus the column's answered.
        Never shown, but worked out from what is (with skip logic, a few who did not
        answer a question in a column are a few who did not give some earlier answer),
        so counts the audit protects like hidden ones (`Plan.unpublished`).

        A count that already is a number is not numbered again: where B by Q is
        published too, Q's not answered in column J of B is its cell in Q's `(missing)`
        column, and both tables' `(missing)` by `(missing)` cell is one variable.

        Per column in a line that is not additive with the numbers it follows from: rule
        (b) then hides the column's answered where the not answered are 1..k-1 (and no
        more), and a hidden answered beside a not answered of 0 (a column where everyone
        answered) does not make rule (c) hide B's count of the column. The overall count
        is in no line: one with the responses as its total would link every question's
        `n` to every other's, and the audit, widening its search line by line around a
        failure that keeps coming back, then hid the responses and every `n` of small
        releases (measured: the two tests of releases stored before complements and not
        answered counts showed nothing at all); the audit's programs protect it, hiding
        the `n` its bounds rest on.
        """
        numbered = {
            variables[0]: number
            for number, variables in enumerate(self.numbers)
            if len(variables) == 1
        }
        for name, one_way in self.one_way.items():
            self.number(f"unanswered|{name}", (one_way[MISSING],))
            self.unpublished[f"unanswered|{name}"] = ("responses", f"n|{name}")
        for (q, b), cells in self.two_way.items():
            for column in (*self.dimensions[b].categories, MISSING):
                column_key = f"column|{q}|{b}|{column}"
                in_column, known_from = self._respondents_in(b, column)
                variable = cells[(MISSING, column)]
                if variable not in numbered:
                    key = f"unanswered|{q}|{b}|{column}"
                    numbered[variable] = self.number(key, (variable,))
                    self.unpublished[key] = (*known_from, column_key)
                unanswered = numbered[variable]
                self.lines.append(
                    Line((self.index[column_key], unanswered), in_column, additive=False)
                )

    def _respondents_in(self, b: str, column: str) -> tuple[int, tuple[str, ...]]:
        """The number of respondents in `column` of a breakdown by `b`, and the keys of
        the shown numbers that give it: B's count of the choice (its `n` where B is
        counted as answered only), or for `(missing)` B's not answered."""
        if column == MISSING:
            return self.index[f"unanswered|{b}"], ("responses", f"n|{b}")
        key = f"count|{b}|{column}" if self.dimensions[b].counted else f"n|{b}"
        return self.index[key], (key,)

    def _two_way(self, q: Dimension, b: Dimension) -> None:
        columns = (*b.categories, MISSING)
        rows = (*q.categories, MISSING)
        prefix = f"{q.name}|{b.name}"
        transposed = self.two_way.get((b.name, q.name))
        if transposed is not None:
            # Q by B and B by Q count the same respondents: one variable and one number
            # per pair of answers, so the attacker's knowledge that they are equal is in
            # the system, and a count is shown or hidden in both tables alike.
            cells = {(r, c): transposed[(c, r)] for r in rows for c in columns}
            for r in q.categories:
                for c in b.categories:  # (missing) is not a row of B by Q
                    self.aliases[f"cell|{prefix}|{r}|{c}"] = f"cell|{b.name}|{q.name}|{c}|{r}"
                    self.index[f"cell|{prefix}|{r}|{c}"] = self.index[
                        f"cell|{b.name}|{q.name}|{c}|{r}"
                    ]
        else:
            cells = {(r, c): self.variable() for r in rows for c in columns}
            for r in rows:
                parts = [cells[(r, c)] for c in columns]
                self.equalities.append(_sum_is(parts, self.one_way[q.name][r]))
            for c in columns:
                parts = [cells[(r, c)] for r in rows]
                self.equalities.append(_sum_is(parts, self.one_way[b.name][c]))
        self.two_way[(q.name, b.name)] = cells
        column_numbers = [
            self.number(f"column|{prefix}|{c}", [cells[(r, c)] for r in q.categories])
            for c in columns
        ]
        n = self.index[f"n|{q.name}"]
        self.lines.append(Line(tuple(column_numbers), n))
        if not q.counted and not q.ticks:
            self.tables.append(tuple(column_numbers))
            self.table_pairs.append((q.name, b.name))
        if q.counted:
            table = {
                (r, c): self.number(f"cell|{prefix}|{r}|{c}", (cells[(r, c)],))
                for r in q.categories
                for c in columns
            }
            for r in q.categories:
                row = tuple(table[(r, c)] for c in columns)
                self.lines.append(Line(row, self.index[f"count|{q.name}|{r}"]))
            for c, column in zip(columns, column_numbers, strict=True):
                self.lines.append(Line(tuple(table[(r, c)] for r in q.categories), column))
            self.tables.append(tuple(table.values()))
            self.table_pairs.append((q.name, b.name))
        if q.ticks:
            ticked_cells: dict[tuple[str, str], int] = {}
            for choice in q.ticks:
                ticks = {c: self.variable() for c in columns}
                for c in columns:
                    cells[(f"/{choice}", c)] = ticks[c]
                    ticked_cells[(choice, c)] = self.number(
                        f"cell|{prefix}|{choice}|{c}", (ticks[c],)
                    )
                self.equalities.append(
                    _sum_is(list(ticks.values()), self.one_way[q.name][f"/{choice}"])
                )
                row = tuple(ticked_cells[(choice, c)] for c in columns)
                self.lines.append(Line(row, self.index[f"count|{q.name}|{choice}"]))
            self.tables.append(tuple(ticked_cells.values()))
            self.table_pairs.append((q.name, b.name))
            for c, column in zip(columns, column_numbers, strict=True):
                in_column = {category: cells[(category, c)] for category, j in cells if j == c}
                ticked = {choice: ticked_cells[(choice, c)] for choice in q.ticks}
                self._ticks(q, in_column, column, ticked, (b.name, c))
                cells.update(
                    ((category, c), variable)
                    for category, variable in in_column.items()
                    if (category, c) not in cells
                )

    def _ticks(
        self,
        dimension: Dimension,
        cells: dict[str, int],
        n: int,
        ticks: dict[str, int],
        scope: tuple[str, ...],
    ) -> None:
        """What is known of the ticks of one group of respondents (all, or one column
        `scope` = (B, J) of a breakdown by B): `cells` holds the variables of its answered
        and its ticks, `n` and `ticks` the numbers showing them; new variables are added
        to `cells`.

        Per choice, who answered but did not tick it: tick + not ticked = answered, a
        number that is never shown, in an additive line with the tick and `n`, so that
        the rules and the audit protect it like any count. With at most
        `PATTERN_CHOICES` choices, the exact answer patterns too (see `_patterns`);
        with more, only the rules of `_tick_rules`."""
        name = dimension.name

        def key(kind: str, field: str) -> str:
            return "|".join((kind, name, *scope[:1], field, *scope[1:]))

        answered = cells[ANSWERED]
        n_key = self.keys[n]
        for choice, tick in ticks.items():
            cells[f"!{choice}"] = self.variable()
            self.equalities.append(_sum_is([cells[f"/{choice}"], cells[f"!{choice}"]], answered))
            unticked = self.number(key("unticked", choice), (cells[f"!{choice}"],))
            self.unpublished[self.keys[unticked]] = (self.keys[tick], n_key)
            self.lines.append(Line((tick, unticked), n))
        patterns: list[int] = []
        if len(dimension.ticks) <= PATTERN_CHOICES:
            for pattern, variable in self._patterns(dimension, cells).items():
                number = self.number(key("pattern", pattern), (variable,))
                self.unpublished[self.keys[number]] = ()
                patterns.append(number)
        else:
            self._tick_rules(dimension, answered, {c: cells[f"/{c}"] for c in dimension.ticks})
        # Not additive (one respondent may tick several choices); the patterns are in it
        # so that the audit finds the ticks and `n` near a failing pattern.
        self.lines.append(Line((*ticks.values(), *patterns), n, additive=False))

    def _patterns(self, dimension: Dimension, cells: dict[str, int]) -> dict[str, int]:
        """A variable per exact set of choices ticked (`=a b` in `cells`), by the set's
        name: they add up to the answered, those with a choice to its ticks. A set the
        rules exclude (none at all, an exclusive choice with another, more or fewer than
        the bounds) is at most 0, an inequality the audit drops where answers given under
        an older version break it, as it drops the rules themselves."""
        rules = dimension.rules
        names: dict[str, int] = {}
        for size in range(len(dimension.ticks) + 1):
            for chosen in itertools.combinations(dimension.ticks, size):
                pattern = " ".join(chosen)
                variable = cells[f"={pattern}"] = self.variable()
                names[pattern] = variable
                excluded = (
                    not chosen
                    or (size > 1 and any(e in chosen for e in rules.exclusive))
                    or (rules.at_most is not None and size > rules.at_most)
                    or (rules.at_least is not None and size < rules.at_least)
                )
                if excluded:
                    self.inequalities.append(((variable,), (1,)))
        self.equalities.append(_sum_is(list(names.values()), cells[ANSWERED]))
        for choice in dimension.ticks:
            having = [v for pattern, v in names.items() if choice in pattern.split(" ")]
            self.equalities.append(_sum_is(having, cells[f"/{choice}"]))
        return names

    def _tick_rules(self, dimension: Dimension, answered: int, ticks: dict[str, int]) -> None:
        """What an attacker knows of the ticks of one group of respondents: everyone who
        answered ticked at least one choice, and the question's own rules (an exclusive
        choice such as "none", at most or at least N choices)."""
        self.inequalities.append(_at_most(answered, list(ticks.values())))
        rules = dimension.rules
        for exclusive in rules.exclusive:
            if exclusive in ticks:
                for other, tick in ticks.items():
                    if other != exclusive:
                        self.inequalities.append(((ticks[exclusive], tick, answered), (1, 1, -1)))
        if rules.at_most is not None:
            # sum(ticks) <= N * answered
            self.inequalities.append(((*ticks.values(), answered),
                                      (*([1] * len(ticks)), -rules.at_most)))  # fmt: skip
        if rules.at_least is not None:
            self.inequalities.append(((*ticks.values(), answered),
                                      (*([-1] * len(ticks)), rules.at_least)))  # fmt: skip


def _at_most(variable: int, parts: list[int]) -> Row:
    """variable - sum(parts) <= 0."""
    return (variable, *parts), (1, *([-1] * len(parts)))


def _at_most_sum(parts: list[int], wholes: list[int]) -> Row:
    """sum(parts) - sum(wholes) <= 0."""
    return (*parts, *wholes), (*([1] * len(parts)), *([-1] * len(wholes)))


def _sum_is(parts: list[int], total: int) -> Row:
    """sum(parts) - total == 0."""
    return (*parts, total), (*([1] * len(parts)), -1)


# -- counting -----------------------------------------------------------------------------


def _codes(frame: pd.DataFrame, dimension: Dimension) -> IntArray:
    """Each respondent's category (position in `categories`), or len(categories) when
    the question was not answered."""
    return kind_of(dimension.question).codes(frame, dimension)


def _ticks(frame: pd.DataFrame, dimension: Dimension) -> dict[str, npt.NDArray[np.bool_]]:
    return {
        choice: frame[choice_column(dimension.name, choice)].to_numpy(bool, na_value=False)
        for choice in dimension.ticks
    }


def tabulate(plan: Plan, frame: pd.DataFrame) -> IntArray:
    """The values of the plan's variables for the responses in `frame`."""
    counts = np.zeros(plan.structure.variables, dtype=np.int64)
    counts[0] = len(frame)
    codes = {name: _codes(frame, d) for name, d in plan.dimensions.items()}
    ticks = {name: _ticks(frame, d) for name, d in plan.dimensions.items() if d.ticks}
    for name, dimension in plan.dimensions.items():
        variables = plan.one_way[name]
        size = len(dimension.categories) + 1
        found = np.bincount(codes[name], minlength=size)
        for position, category in enumerate((*dimension.categories, MISSING)):
            counts[variables[category]] = found[position]
        for category, count in _tick_counts(codes[name], ticks.get(name, {}), 1).items():
            if category in variables:
                counts[variables[category]] = count[0]
    for (q, b), pair in plan.two_way.items():
        q_dimension, b_dimension = plan.dimensions[q], plan.dimensions[b]
        rows = (*q_dimension.categories, MISSING)
        columns = (*b_dimension.categories, MISSING)
        width = len(columns)
        found = np.bincount(codes[q] * width + codes[b], minlength=len(rows) * width)
        for i, r in enumerate(rows):
            for j, c in enumerate(columns):
                counts[pair[(r, c)]] = found[i * width + j]
        for category, per_column in _tick_counts(
            codes[q], ticks.get(q, {}), width, codes[b]
        ).items():
            for j, c in enumerate(columns):
                if (category, c) in pair:
                    counts[pair[(category, c)]] = per_column[j]
    return counts


def _tick_counts(
    answered_code: IntArray,
    ticks: Mapping[str, npt.NDArray[np.bool_]],
    width: int,
    column: IntArray | None = None,
) -> dict[str, IntArray]:
    """The counts of a `select_multiple`'s tick variables (`/C`, `!C`, `=a b`: see
    `Plan.one_way`) in each of `width` columns (`column`: each respondent's; None: one
    column).

    Counted without copying out the respondents of each tick (`column[flags]`): over a
    million responses that copy and its count took a tenth of a first live view. One
    column counts the true values; per column, one count per choice of a code that says
    column, answered and ticked at once (4 codes a column)."""
    if not ticks:
        return {}
    answered = answered_code == 0  # its one category, `(answered)`
    counted: dict[str, IntArray] = {}
    pattern = np.zeros(len(answered), dtype=np.int64)
    # Same-size views (bool as int8): the codes' arithmetic without converting a copy.
    base = None if column is None else column * 4 + answered.view(np.int8) * np.int8(2)
    for bit, (choice, flags) in enumerate(ticks.items()):
        if base is None:
            counted[f"/{choice}"] = np.array([np.count_nonzero(flags)], dtype=np.int64)
            counted[f"!{choice}"] = np.array([np.count_nonzero(answered & ~flags)], dtype=np.int64)
        else:
            found = np.bincount(base + flags.view(np.int8), minlength=4 * width).reshape(width, 4)
            counted[f"/{choice}"] = found[:, 1] + found[:, 3]  # ticked, answered or not
            counted[f"!{choice}"] = found[:, 2]  # answered, not ticked
        pattern |= flags.astype(np.int64) << bit
    choices = list(ticks)
    if len(choices) <= PATTERN_CHOICES:
        patterns = 2 ** len(choices)
        if column is None:
            found = np.bincount(pattern[answered], minlength=patterns).reshape(1, -1)
        else:
            found = np.bincount(
                column[answered] * patterns + pattern[answered], minlength=width * patterns
            ).reshape(width, -1)
        for bits in range(patterns):
            chosen = " ".join(c for i, c in enumerate(choices) if bits >> i & 1)
            counted[f"={chosen}"] = found[:, bits]
    return counted


# -- the publication ----------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """A publication and the audit behind it (figures for logs and benchmarks).

    `unlinked` names numbers of earlier publications that the responses no longer give
    (the questionnaire changed what they count, e.g. a choice was removed): they are left
    out of the audit, which cannot relate them to today's numbers."""

    publication: Publication
    report: AuditReport
    unlinked: tuple[str, ...] = ()


def publish(
    plan: Plan,
    layers: Sequence[pd.DataFrame],
    earlier: Sequence[Publication] = (),
    releases: Sequence[tuple[int, ...]] | None = None,
) -> Published:
    """Audit and publish a release against the `earlier` publications (oldest first).

    `layers` are frames of responses; `releases[m]` lists the layers release m counts,
    the last one being the new release. By default, one layer per release, each adding
    to the one before (one layer for a single publication)."""
    members = (
        list(releases)
        if releases is not None
        else [tuple(range(m + 1)) for m in range(len(layers))]
    )
    if len(earlier) != len(members) - 1:
        raise ValueError("one earlier publication per release but the new one is needed")
    k = plan.questionnaire.min_cell
    counts = [tabulate(plan, frame) for frame in layers]
    newest = members[-1]
    in_newest = np.sum([counts[layer] for layer in newest], axis=0)
    withheld = {
        plan.tables[t] for t in sparse_tables(plan.structure, plan.structure.values(in_newest), k)
    } - {pair for pair in plan.pairs if _published_before(pair, earlier)}
    if withheld:
        # Not published at all: a breakdown that would be mostly "·" says little, and
        # one that nothing of is shown adds nothing an attacker could use (any one-way
        # counts can be crossed), so it leaves the audit too (earlier releases' keep
        # theirs).
        plan = plan.without(withheld)
        counts = [tabulate(plan, frame) for frame in layers]
    structure = plan.structure
    earlier_hidden, earlier_published = [], []
    unlinked: list[str] = []
    for own, publication in zip(members, earlier, strict=False):
        values = structure.values(np.sum([counts[layer] for layer in own], axis=0))
        published = np.zeros(len(plan.keys), dtype=bool)
        hidden = np.zeros(len(plan.keys), dtype=bool)
        for i, key in enumerate(plan.keys):
            if not publication.has(key):
                continue
            shown = publication.get(key)
            if shown is not None and shown != int(values[i]):
                unlinked.append(key)
                continue
            published[i] = True
            hidden[i] = shown is None
        # Never stored (nor by releases made before they were audited): known there
        # exactly where what gives them away was shown.
        for key, known_from in plan.unpublished.items():
            published[plan.index[key]] = bool(known_from) and all(
                published[j] and not hidden[j] for j in map(plan.index.__getitem__, known_from)
            )
        earlier_hidden.append(hidden)
        earlier_published.append(published)
    report = audit(structure, counts, earlier_hidden, earlier_published, k, members)
    values = structure.values(np.sum([counts[layer] for layer in newest], axis=0))
    numbers = {
        key: None if report.hidden[i] else int(values[i])
        for i, key in enumerate(plan.keys)
        if key not in plan.unpublished
    }
    numbers |= {alias: numbers[key] for alias, key in plan.aliases.items()}
    # A breakdown the audit left without any count but zeros is not published either
    # (leaving numbers out of a safe publication keeps it safe).
    empty = {
        plan.tables[t]
        for t, cells in enumerate(structure.tables)
        if all(report.hidden[i] or values[i] == 0 for i in cells)
    }
    numbers = {key: x for key, x in numbers.items() if not _of_breakdown(key, empty, first=1)}
    kept = [layers[layer] for layer in newest]
    frame = pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0]
    statistics = _statistics(plan, frame, numbers, k)
    for dimension in plan.dimensions.values():
        kind_of(dimension.question).hide_statistics_of_few(
            dimension, layers, members, earlier, statistics, k
        )
    statistics = {key: x for key, x in statistics.items() if not _of_breakdown(key, empty, first=0)}
    publication = Publication(
        min_cell=k,
        numbers=numbers,
        statistics=statistics,
        bins={
            name: bins
            for name, d in plan.dimensions.items()
            if (bins := kind_of(d.question).bins(d)) is not None
        },
        pairs=tuple(pair for pair in plan.pairs if pair not in empty),
    )
    return Published(publication, report, tuple(unlinked))


def _of_breakdown(key: str, pairs: Collection[tuple[str, str]], *, first: int) -> bool:
    """Whether `key` belongs to one of the breakdowns `pairs`: its fields `first` and
    `first + 1` name the breakdown (`cell|Q|B|...` and `column|Q|B|...` from 1, statistics'
    `Q|B|J` from 0) and more fields follow. One look-up per key: a release with hundreds of
    empty breakdowns spent 2.9 s comparing every key with every breakdown's prefixes."""
    fields = key.split("|")
    if len(fields) <= first + 2 or (first and fields[0] not in ("cell", "column")):
        return False
    return (fields[first], fields[first + 1]) in pairs


def _published_before(pair: tuple[str, str], earlier: Sequence[Publication]) -> bool:
    q, b = pair
    return any(p.has(f"column|{q}|{b}|{MISSING}") for p in earlier)


def _statistics(
    plan: Plan, frame: pd.DataFrame, numbers: Mapping[str, int | None], k: int
) -> dict[str, dict[str, float | None]]:
    """The statistics each question's kind publishes (means of numbers, mean places of
    rankings), by key, in the plan's order."""
    counting = Counting(numbers, plan.pairs, plan.dimensions, k, _codes)
    statistics: dict[str, dict[str, float | None]] = {}
    for dimension in plan.dimensions.values():
        statistics |= kind_of(dimension.question).statistics(frame, dimension, counting)
    return statistics
