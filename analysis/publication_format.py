"""The stored form of a publication: `Publication` (every number a release shows, by
key) with its JSON, and the names its keys are made of.

Kept apart from `analysis.publication`, which computes and audits a publication with
pandas, numpy and a solver: reading a stored release needs none of them, so the results
of a release (`survey-app results --release`, the pages of members) load only this.
The number keys are described in `analysis.publication`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MISSING", "PUBLICATION_FORMAT", "STATISTICS", "Publication", "rank_key"]

MISSING = "(missing)"
"""Breakdown column of respondents who did not answer the breakdown question."""
PUBLICATION_FORMAT = 1
STATISTICS = ("mean", "median", "q1", "q3")
RANK = "(rank)"


def rank_key(question: str, choice: str) -> str:
    """The statistics key of a choice's mean place in a ranking (`Q|(rank)|C`; `(rank)`
    is no question name, so it never meets a breakdown's `Q|B|J`)."""
    return f"{question}|{RANK}|{choice}"


@dataclass(frozen=True)
class Publication:
    """What a release shows: every number by key (None: hidden), numeric statistics by
    question or `Q|B|J` (breakdown column), and the date bins used."""

    min_cell: int
    numbers: Mapping[str, int | None]
    statistics: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)
    bins: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    pairs: tuple[tuple[str, str], ...] = ()

    def get(self, key: str) -> int | None:
        return self.numbers.get(key)

    def has(self, key: str) -> bool:
        return key in self.numbers

    @property
    def hidden(self) -> int:
        return sum(1 for value in self.numbers.values() if value is None)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": PUBLICATION_FORMAT,
            "min_cell": self.min_cell,
            "numbers": dict(self.numbers),
            "statistics": {key: dict(values) for key, values in self.statistics.items()},
            "bins": {key: list(values) for key, values in self.bins.items()},
            "pairs": [list(pair) for pair in self.pairs],
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Publication:
        if data.get("format") != PUBLICATION_FORMAT:
            raise ValueError(f"unknown publication format {data.get('format')!r}")
        return cls(
            min_cell=int(data["min_cell"]),
            numbers=dict(data["numbers"]),
            statistics={key: dict(values) for key, values in data["statistics"].items()},
            bins={key: tuple(values) for key, values in data["bins"].items()},
            pairs=tuple((q, b) for q, b in data["pairs"]),
        )

    @classmethod
    def loads(cls, text: str) -> Publication:
        return cls.from_json(json.loads(text))
