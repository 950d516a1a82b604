"""What every question kind answers, with the default: "only how many answered".

A `Kind` is the behaviour of one family of question types on the results side: its
columns in a frame of answers (`answer_type`, `frame_columns`, and back: `answer_values`)
and in the row-level export of every format (`export_columns`, with pyarrow alone),
what a publication counts of its answers (`dimension`, `codes`, `statistics`), how a
published result is read back (`result`, `breakdown_rows`, `breakdown_statistics`),
what its chart draws (`chart`), what the command line's table and CSV show
(`table_rows`, `csv_rows`), which question's sheet of the workbook and slide show it
(`shown_with`), and which partial the results pages include
(`templates/results/kinds/<name>.html`).

The frame and counting methods take pandas frames, but results of a release are read
without pandas or numpy (`analysis.results`): those methods import them when they run,
and this module and the kinds' modules import neither.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from analysis.publication_format import MISSING, Publication
from analysis.summaries import Number, QuestionResult, percent
from analysis.suppression import Count
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd
    import pyarrow as pa

    IntArray = npt.NDArray[np.int64]

    from analysis.kinds.entries import EntryTable

__all__ = [
    "ANSWERED",
    "MISSING",
    "SUPPRESSED",
    "Chart",
    "Counting",
    "Dimension",
    "Kind",
    "Reading",
    "TickRules",
    "count_rows",
    "shown",
]

ANSWERED = "(answered)"
"""The one category of a question counted only as answered or not."""

Statistics = dict[str, dict[str, float | None]]


@dataclass(frozen=True)
class TickRules:
    """Rules of a `select_multiple` an attacker can read in the questionnaire: choices
    that exclude every other (`not(selected(., 'none') and count-selected(.) > 1)`) and
    bounds on how many may be ticked (`count-selected(.) <= 3`)."""

    exclusive: tuple[str, ...] = ()
    at_most: int | None = None
    at_least: int | None = None


@dataclass(frozen=True)
class Dimension:
    """A question as something to count by: its categories, and for `select_multiple`
    the choices whose ticks are counted separately."""

    question: Question
    categories: tuple[str, ...]
    """Answered categories: choices (select_one), bins (date), or just `(answered)`."""
    ticks: tuple[str, ...] = ()
    rules: TickRules = TickRules()

    @property
    def name(self) -> str:
        return self.question.name

    @property
    def counted(self) -> bool:
        """Whether its categories are published (not only how many answered)."""
        return self.categories != (ANSWERED,)


@dataclass(frozen=True)
class Counting:
    """What a kind's statistics may look at besides the frame: the published numbers
    (a statistic is shown only where its n is), the breakdowns published and the other
    questions' dimensions (a statistic per breakdown column), and `min_cell`."""

    numbers: Mapping[str, int | None]
    pairs: Sequence[tuple[str, str]]
    dimensions: Mapping[str, Dimension]
    k: int
    codes: Callable[[pd.DataFrame, Dimension], IntArray]
    """Each respondent's category of a dimension (`Kind.codes` of its kind)."""


@dataclass(frozen=True)
class Reading:
    """One publication read in one language: what `Kind.result` needs to label and look
    up numbers."""

    publication: Publication
    questionnaire: Questionnaire
    language: str

    def get(self, key: str) -> Count:
        return self.publication.get(key)

    def choice_labels(self, question: Question) -> dict[str, str]:
        """The question's choices by name, labelled in the reading's language."""
        return {
            c.name: self.questionnaire.text(c.label, self.language)
            for c in self.questionnaire.choices_of(question)
        }


@dataclass(frozen=True)
class Chart:
    """A chart's bars: (label, values, one per series) and how the values are written
    (`percent`, else as numbers); `compared` keeps the second series' name."""

    rows: tuple[tuple[str, tuple[Number, ...]], ...]
    percent: bool = False
    compared: bool = False


SUPPRESSED = "·"
"""A hidden value in plain-text tables."""


def shown(value: object) -> str:
    """A value in a plain-text table: `SUPPRESSED` for a hidden one."""
    if value is None:
        return SUPPRESSED
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


class Kind:
    """One family of question types on the results side. The defaults count only how
    many answered (a time of day, a free text): subclasses override what they show."""

    name: ClassVar[str] = "answered"
    """The kind's name: its partial is `templates/results/kinds/<name>.html`."""
    types: ClassVar[tuple[QuestionType, ...]] = ()
    """The question types of this kind (`kind_of` looks them up)."""

    @property
    def partial(self) -> str:
        """The template that shows this kind's numbers inside `results/_question.html`."""
        return f"results/kinds/{self.name}.html"

    # -- its columns in a frame of answers (analysis.frames; with pandas) -------------

    def answer_type(self, question: Question) -> pa.DataType:
        """How its answers are read from the stored JSON: text by default."""
        import pyarrow as pa

        return pa.string()

    def frame_columns(
        self, target: Questionnaire, question: Question, column: pa.Array, rows: int
    ) -> dict[str, Any]:
        """Its columns in a frame of answers, from the arrow column of its answers (of
        `answer_type`, or another where an earlier version asked it as another type)."""
        from analysis.frames import text_column

        return {question.name: text_column(column)}

    def answer_values(
        self, frame: pd.DataFrame, questionnaire: Questionnaire, question: Question
    ) -> list[Any]:
        """Each row's answer from its columns as the questionnaire's expressions read it
        (None: not answered); the labelled exports evaluate `relevant` with them."""
        import pandas as pd

        return [None if pd.isna(x) else x for x in frame[question.name].astype(object)]

    # -- its columns in the row-level export (analysis.csv_export; without pandas) --

    def export_columns(
        self,
        target: Questionnaire,
        question: Question,
        column: pa.Array,
        header: str,
        language: str,
    ) -> dict[str, pa.Array]:
        """Its columns in the row-level export people read, the first named `header`,
        from the arrow column of its answers (of `answer_type`, or another where an
        earlier version asked it as another type): every format is written from them
        (`analysis.csv_export.export_tables`). By default the answers as text."""
        from analysis.answers_arrow import answer_strings

        return {header: answer_strings(column)}

    def export_code_columns(
        self,
        target: Questionnaire,
        question: Question,
        column: pa.Array,
        header: str,
        language: str,
    ) -> dict[str, pa.Array]:
        """Its columns in the row-level export with the form's codes (Kobo's "XML values
        and headers"), the first named `header` (the question's name): by default those
        of `export_columns`, since only choices have codes."""
        return self.export_columns(target, question, column, header, language)

    # -- what a publication counts (analysis.publication; with pandas) ---------------

    def dimension(
        self, questionnaire: Questionnaire, question: Question, reference_year: int
    ) -> Dimension:
        """The categories counted: by default just "answered"."""
        return Dimension(question, (ANSWERED,))

    def codes(self, frame: pd.DataFrame, dimension: Dimension) -> IntArray:
        """Each respondent's category (position in `dimension.categories`), or
        len(categories) when the question was not answered."""
        import numpy as np

        missing = len(dimension.categories)
        answered = frame[dimension.name].notna().to_numpy()
        return np.where(answered, 0, missing).astype(np.int64)

    def statistics(
        self, frame: pd.DataFrame, dimension: Dimension, counting: Counting
    ) -> Statistics:
        """Statistics published besides counts, by key (none by default)."""
        return {}

    def hide_statistics_of_few(
        self,
        dimension: Dimension,
        layers: Sequence[pd.DataFrame],
        members: Sequence[tuple[int, ...]],
        earlier: Sequence[Publication],
        statistics: Statistics,
        k: int,
    ) -> None:
        """Hide statistics (in place) that an earlier release's would give away."""

    def bins(self, dimension: Dimension) -> tuple[str, ...] | None:
        """Categories a release must store to be read again (date bins), or None."""
        return None

    # -- how a published result is read (analysis.results; without pandas) -----------

    def rows(self, reading: Reading, question: Question) -> dict[str, str]:
        """Row keys and labels of its table: its choices by default."""
        return reading.choice_labels(question)

    def result(self, reading: Reading, question: Question, head: QuestionResult) -> QuestionResult:
        """The published result: `head` (name, type, label, n) with the kind's figures."""
        return head

    def breakdown_rows(self, reading: Reading, question: Question) -> list[str]:
        """Rows of a breakdown table: none by default (only n per column)."""
        return []

    def breakdown_statistics(
        self, reading: Reading, question: Question, by: Question, columns: tuple[str, ...]
    ) -> dict[str, dict[str, Number]]:
        """Statistics per breakdown column: none by default."""
        return {}

    # -- how it is shown ---------------------------------------------------------------

    def chart(self, result: QuestionResult, statistic_labels: Mapping[str, str]) -> Chart | None:
        """What its bar chart draws, or None for no chart."""
        return None

    def table_rows(self, result: QuestionResult) -> list[list[str]]:
        """The rows of its plain-text table (`survey-app results --format table`)."""
        return []

    def shown_with(self, result: QuestionResult) -> str | None:
        """The question whose sheet of the results workbook and whose slide show this
        result beside its own (a roster's entry-count question: its presence question),
        or None: it gets its own."""
        return None

    def entry_table(
        self, result: QuestionResult, parts: Sequence[QuestionResult]
    ) -> EntryTable | None:
        """The table of a roster's counted question that the workbook and the slides
        show for `result` with the results shown with it (`parts`), or None: they show
        it as its type."""
        return None

    def csv_rows(self, result: QuestionResult, head: list[Any]) -> list[list[Any]]:
        """Its CSV rows (`survey-app results --format csv`): by default one without
        items, for the question's n."""
        return [[*head, "", "", "", "", "", "", "", ""]]


def count_rows(
    reading: Reading, name: str, rows: Mapping[str, str], n: Count
) -> tuple[dict[str, Count], dict[str, Number]]:
    """The published count of each row and its percentage of `n`."""
    counts = {row: reading.get(f"count|{name}|{row}") for row in rows}
    return counts, {row: percent(count, n) for row, count in counts.items()}
