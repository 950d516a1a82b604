"""Quality signals of a response and the flags the office sees."""

from __future__ import annotations

import pandas as pd

from analysis.quality import Thresholds, flag_responses
from survey_app.questionnaire.quality import answer_quality
from survey_app.questionnaire.rules import check_answers
from survey_app.questionnaire.schema import Questionnaire

SCALE = [{"name": n, "label": {"de": n}} for n in ("good", "middle", "bad")]
RATINGS = Questionnaire.model_validate(
    {
        "id": "ratings",
        "title": {"de": "Bewertungen"},
        "languages": ["de"],
        "default_language": "de",
        "choices": {"scale": SCALE, "other_scale": SCALE[::-1]},
        "pages": [
            {
                "name": "p",
                "questions": [
                    {"name": "has", "type": "select_one", "choices": "scale"},
                    *(
                        {
                            "name": f"r{i}",
                            "type": "select_one",
                            "choices": "scale" if i < 3 else "other_scale",
                            "appearance": "likert",
                        }
                        for i in range(4)
                    ),
                    {"name": "why", "type": "text", "relevant": "${has} = 'bad'"},
                    {"name": "note", "type": "note"},
                ],
            }
        ],
    }
)


def quality(answers: dict[str, object]) -> tuple[int, int]:
    result = answer_quality(RATINGS, check_answers(RATINGS, answers))
    return result.unanswered, result.likert_same


def test_unanswered_counts_only_the_questions_that_were_asked() -> None:
    # "why" is not asked (has != bad) and the note takes no answer: 5 asked, 3 empty.
    assert quality({"has": "good", "r0": "good"}) == (60, 1)
    assert quality({"has": "bad"})[0] == 83  # 6 asked, 5 empty
    assert quality({}) == (100, 0)


def test_ratings_all_at_one_position_are_straightlining_even_across_scales() -> None:
    all_first = {"r0": "good", "r1": "good", "r2": "good", "r3": "bad"}  # r3's first is bad
    assert quality(all_first)[1] == 4
    assert quality({**all_first, "r3": "good"})[1] == 0
    assert quality({"r0": "middle"})[1] == 1  # one rating: the threshold decides


def frame(**columns: list[object]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    defaults: dict[str, list[object]] = {
        "minutes": [None] * n,
        "unanswered_share": [0] * n,
        "likert_same": [0] * n,
        "crowd": [1] * n,
        "answers_hash": [str(i) for i in range(n)],
    }
    return pd.DataFrame(defaults | columns)


def test_a_burst_flags_every_response_of_its_window_and_none_outside() -> None:
    crowd: list[object] = [1, 2, 1, 2, 3, 4, 1]
    flagged = flag_responses(frame(crowd=crowd), Thresholds(burst=4))
    assert flagged["burst"].tolist() == [False, False, True, True, True, True, False]


def test_the_first_of_identical_responses_is_not_a_duplicate() -> None:
    flagged = flag_responses(frame(answers_hash=["a", "b", "a", "a"]), Thresholds())
    assert flagged["duplicate"].tolist() == [False, False, True, True]


def test_flags_follow_the_thresholds_in_force() -> None:
    signals = frame(minutes=[None, 1, 5], unanswered_share=[50, 49, 0], likert_same=[3, 2, 0])
    strict = flag_responses(signals, Thresholds(fast_minutes=6, unanswered_percent=40))
    default = flag_responses(signals, Thresholds())
    assert strict["flags"].tolist() == ["unanswered straightlined", "fast unanswered", "fast"]
    assert default["flags"].tolist() == ["unanswered straightlined", "fast", ""]
