"""Quality flags of responses, for the office's review (never shown to working groups).

The signals are stored with each response when it arrives (see
`survey_app.questionnaire.quality` and `Submission`); a flag is a signal beyond the
office's threshold, decided here when the office looks, so changing a threshold in the
settings applies to every response at once:

- `fast`: sent fewer than `fast_minutes` minutes after the first page was saved;
- `unanswered`: at least `unanswered_percent` % of the questions asked left empty;
- `straightlined`: at least `straightlined` rating-scale answers, all at one position;
- `duplicate`: the same answers as an earlier response of the survey (the first of a
  set of identical responses is not flagged, so excluding every flagged duplicate keeps
  one);
- `burst`: arrived in a ten-minute window in which the survey received at least `burst`
  responses. Each response carries its number within its window (`crowd`, 1 opens a
  window), so a window is a run of responses from a 1 to the next 1, in arrival order.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

__all__ = ["FLAGS", "Thresholds", "flag_responses"]

FLAGS = ("fast", "unanswered", "straightlined", "duplicate", "burst")


@dataclass(frozen=True)
class Thresholds:
    fast_minutes: int = 3
    unanswered_percent: int = 50
    straightlined: int = 3
    burst: int = 30


def flag_responses(frame: pd.DataFrame, thresholds: Thresholds) -> pd.DataFrame:
    """`frame` (one row per response of one survey, in arrival order: columns `minutes`,
    `unanswered_share`, `likert_same`, `crowd`, `answers_hash`) with a boolean column per flag
    and `flags`, the names of a row's flags joined by spaces."""
    out = frame.copy()
    minutes = pd.to_numeric(out["minutes"], errors="coerce")
    out["fast"] = minutes.notna() & (minutes < thresholds.fast_minutes)
    out["unanswered"] = out["unanswered_share"] >= thresholds.unanswered_percent
    out["straightlined"] = out["likert_same"] >= max(thresholds.straightlined, 2)
    out["duplicate"] = out["answers_hash"].duplicated(keep="first")
    window = (out["crowd"] <= 1).cumsum()
    size = out.groupby(window)["crowd"].transform("max")
    out["burst"] = size >= thresholds.burst
    named = pd.Series("", index=out.index, dtype=object)
    for flag in FLAGS:
        named = named + out[flag].map({True: f"{flag} ", False: ""}).astype(object)
    out["flags"] = named.str.strip()
    return out
