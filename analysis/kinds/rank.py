"""Rankings (`rank`): who ranked each choice first, and each choice's mean place.

A ranking is counted by its first place: one choice per respondent, as a `select_one`,
so it is audited (and broken down) as one. Each choice's mean place among those who
ranked it (1 = first) is published where enough respondents placed it in each place
(`statistics`), and hidden where an earlier release's mean would give away the places
of a few (`hide_statistics_of_few`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from analysis.kinds.base import Counting, Dimension, Reading, Statistics, count_rows
from analysis.kinds.base import shown as _shown
from analysis.kinds.choice import SingleChoice
from analysis.publication_format import Publication, rank_key
from analysis.summaries import QuestionResult
from analysis.suppression import statistics_shown
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from analysis.kinds.base import IntArray

__all__ = ["Rank"]


class Rank(SingleChoice):
    name = "rank"
    types = (QuestionType.RANK,)

    def answer_type(self, question: Question) -> pa.DataType:
        import pyarrow as pa

        return pa.list_(pa.string())

    def frame_columns(
        self, target: Questionnaire, question: Question, column: pa.Array, rows: int
    ) -> dict[str, Any]:
        """One column per choice (`choice_column`): its place (1 = first), missing
        where it was not ranked."""
        from analysis.frames import choice_names, rank_positions

        return rank_positions(question.name, column, choice_names(target, question), rows)

    def answer_values(
        self, frame: pd.DataFrame, questionnaire: Questionnaire, question: Question
    ) -> list[Any]:
        """The ranked choices' names, first first."""
        from analysis.frames import ranking_names

        names = [c.name for c in questionnaire.choices_of(question)]
        return ranking_names(frame, question.name, names)

    def export_columns(
        self,
        target: Questionnaire,
        question: Question,
        column: pa.Array,
        header: str,
        language: str,
    ) -> dict[str, pa.Array]:
        from analysis.csv_export import csv_rankings

        return {header: csv_rankings(column, [c.name for c in target.choices_of(question)])}

    def export_code_columns(
        self,
        target: Questionnaire,
        question: Question,
        column: pa.Array,
        header: str,
        language: str,
    ) -> dict[str, pa.Array]:
        from analysis.csv_export import csv_rankings

        names = [c.name for c in target.choices_of(question)]
        return {header: csv_rankings(column, names, codes=True)}

    def codes(self, frame: pd.DataFrame, dimension: Dimension) -> IntArray:
        import numpy as np

        from analysis.frames import choice_column

        missing = len(dimension.categories)
        columns = [choice_column(dimension.name, c) for c in dimension.categories]
        if not columns:
            return np.full(len(frame), missing, dtype=np.int64)
        at_first = (frame[columns] == 1).fillna(False).to_numpy(dtype=bool)
        return np.where(at_first.any(axis=1), at_first.argmax(axis=1), missing).astype(np.int64)

    def statistics(
        self, frame: pd.DataFrame, dimension: Dimension, counting: Counting
    ) -> Statistics:
        """Each choice's mean place among the respondents who ranked it: shown where the
        question's n is shown and at least k, at least k ranked the choice (a mean of
        fewer places would come near one respondent's ranking), and as many ranked it in
        each place as a count may show (0 or at least k): with three places, the mean
        and the first places give the second and third places' counts exactly."""
        from analysis.frames import choice_column

        n, k = counting.numbers.get(f"n|{dimension.name}"), counting.k
        found: Statistics = {}
        for choice in dimension.categories:
            places = frame[choice_column(dimension.name, choice)].dropna().astype("float64")
            per_place = places.value_counts()
            shown = (
                statistics_shown(n, k)
                and len(places) >= k
                and bool(((per_place == 0) | (per_place >= k)).all())
            )
            found[rank_key(dimension.name, choice)] = {
                "mean": round(float(places.mean()), 2) if shown else None
            }
        return found

    def hide_statistics_of_few(
        self,
        dimension: Dimension,
        layers: Sequence[pd.DataFrame],
        members: Sequence[tuple[int, ...]],
        earlier: Sequence[Publication],
        statistics: Statistics,
        k: int,
    ) -> None:
        """Hide a choice's mean place where an earlier release showed it too and the
        responses one of the two has and the other not placed the choice somewhere
        between 1 and k-1 times: the two means, with the counts behind them, give those
        places (20 second places before and 23 now: 3 of the newcomers placed it
        second). The place counts are no published numbers, so the audit cannot see
        this; the rule of `statistics` (0 or at least k in each place) applied to each
        difference."""
        import pandas as pd

        from analysis.frames import choice_column

        newest = set(members[-1])
        for choice in dimension.categories:
            key = rank_key(dimension.name, choice)
            if statistics.get(key, {}).get("mean") is None:
                continue
            column = choice_column(dimension.name, choice)
            for own, publication in zip(members, earlier, strict=False):
                if publication.statistics.get(key, {}).get("mean") is None:
                    continue
                for apart in (newest - set(own), set(own) - newest):
                    per_place = (
                        pd.concat(
                            [layers[layer][column] for layer in sorted(apart)] or [pd.Series()]
                        )
                        .dropna()
                        .value_counts()
                    )
                    if not bool(((per_place == 0) | (per_place >= k)).all()):
                        statistics[key] = {"mean": None}

    def result(self, reading: Reading, question: Question, head: QuestionResult) -> QuestionResult:
        rows = self.rows(reading, question)
        counts, shares = count_rows(reading, question.name, rows, head.n)
        statistics = reading.publication.statistics
        mean_rank = {c: statistics.get(rank_key(question.name, c), {}).get("mean") for c in rows}
        return replace(
            head,
            choices=rows,
            counts=counts,
            percent=shares,
            extras={"mean_rank": mean_rank},
        )

    def _table_header(self) -> list[str]:
        return ["", "ranked first", "%", "mean rank"]

    def _table_extras(self, result: QuestionResult, choice: str) -> list[str]:
        return [_shown(result.mean_rank.get(choice))]

    def _csv_value(self, result: QuestionResult, choice: str) -> Any:
        return result.mean_rank.get(choice)
