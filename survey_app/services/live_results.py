"""Live results: what the office (and `survey-app results` without `--release`) sees of a
survey now, suppressed and audited by the same rules as a release.

Computing them reads every answer into a frame (pandas) and audits the numbers shown
(the solver), which costs a command-line call about half a second of imports before any
work. The audited numbers, a `Publication`, are therefore kept on disk next to the
frames (`services.results_cache`), under an identity of everything they were made from:

- the stored answers of every version (count, highest id and its random `submission_id`,
  newest review event: the identity the frame cache trusts already);
- the newest questionnaire (its content hash: questions, groups, `min_cell`);
- the working group, the breakdown question and the year that fixes date bins;
- the code that counts and hides (every module of `analysis` and the questionnaire
  model, and the services that read the answers) and the versions of the libraries the
  audit runs on.

A later call with the same identity reads the stored publication and labels it
(`analysis.results.results_from_publication`), without pandas, numpy or the solver;
any difference computes it again. A publication kept across a change of the rules would
show numbers the current rules hide, hence the code in the identity. The identity is
taken *before* the answers are read: a response that arrives meanwhile changes the next
call's identity, never leaving a publication behind that misses it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Collection
from functools import cache
from importlib import metadata
from pathlib import Path

from sqlalchemy import select

import analysis
import survey_app.questionnaire
from analysis.presence import with_entry_presence
from analysis.publication_format import Publication
from analysis.results import (
    Results,
    check_breakdown,
    check_own_breakdown,
    check_wave,
    results_from_publication,
)
from survey_app.db import core
from survey_app.db.engine import Database
from survey_app.errors import UnknownComparison, UnknownGroup, UnknownSurvey
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services import results_cache
from survey_app.services.published import get_survey
from survey_app.services.results_cache import cache_directory

__all__ = ["cache_directory", "code_identity", "survey_results"]

_LIBRARIES = ("numpy", "pandas", "pyarrow", "scipy", "highspy")


def survey_results(
    db: Database,
    survey_id: str,
    *,
    group: str | None = None,
    working_groups: Collection[str] | None = None,
    by: str | None = None,
    compare: str | None = None,
    language: str | None = None,
    cache_dir: Path | None = None,
) -> Results:
    """Suppressed live results of a survey (all versions) for a working group.

    `cache_dir`: where parsed answers and publications are kept between processes.
    Raises `UnknownSurvey`, `UnknownComparison`, `UnknownGroup` (when `working_groups` is
    given and does not hold `group`) or `analysis.results.ResultsError` (unknown or unfit
    `by` question, or with a group, a `by` question that is not one of the group's).
    """
    if group is not None and working_groups is not None and group not in working_groups:
        raise UnknownGroup(group)
    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    # With the derived questions that `read_answers` gives the frame columns of.
    questionnaire = with_entry_presence(survey.questionnaire)
    check_breakdown(questionnaire, survey_id, by)
    check_own_breakdown(questionnaire, group, by)
    other = None
    if compare is not None:
        found = get_survey(db, compare)
        if found is None:
            raise UnknownComparison(compare)
        check_wave(questionnaire, found.questionnaire)
        wave = with_entry_presence(found.questionnaire)
        other = (
            compare,
            found.number,
            wave,
            _publication(db, compare, wave, group, None, cache_dir),
        )
    return results_from_publication(
        _publication(db, survey_id, questionnaire, group, by, cache_dir),
        questionnaire,
        survey=survey_id,
        version=survey.number,
        group=group,
        by=by,
        language=language,
        compare=other,
    )


def _publication(
    db: Database,
    survey_id: str,
    questionnaire: Questionnaire,
    group: str | None,
    by: str | None,
    cache_dir: Path | None,
) -> Publication:
    """The live publication of a survey's group (and breakdown): stored, or computed."""
    year = datetime.date.today().year
    identity = json.dumps(
        {
            "survey": survey_id,
            "questionnaire": questionnaire.content_hash,
            "answers": _stored_answers(db, survey_id),
            "group": group,
            "by": by,
            "year": year,
            "code": code_identity(),
        },
        sort_keys=True,
    )
    name = hashlib.sha256(json.dumps([survey_id, group, by]).encode()).hexdigest()[:20]
    if cache_dir is not None:
        stored = results_cache.load_publication(cache_dir, db.url, name, identity)
        if stored is not None:
            return stored
    # Only here: the answers frame needs pandas, the audit its solver.
    from analysis.results import live_publication
    from survey_app.services.results import read_answers

    answers = read_answers(db, survey_id, cache_dir=cache_dir)
    publication = live_publication(answers, group=group, by=by, reference_year=year)
    if cache_dir is not None:
        results_cache.save_publication(cache_dir, db.url, name, identity, publication)
    return publication


def _stored_answers(db: Database, survey_id: str) -> list[list[object]]:
    """What identifies the counted answers of every version of a survey."""
    version = core.survey_version.c
    with db.read_connection() as connection:
        versions = (
            connection.execute(
                select(version.id).where(version.survey_id == survey_id).order_by(version.id)
            )
            .scalars()
            .all()
        )
        found: list[list[object]] = []
        for version_id in versions:
            stored = results_cache.stored_answers(connection, version_id)
            if stored is not None:
                found.append(
                    [version_id, stored.count, stored.max_id, stored.newest, stored.reviewed]
                )
        return found


@cache
def code_identity() -> str:
    """A digest of the code that decides which numbers are shown (every module of
    `analysis` and of the questionnaire model, and the services that read the answers,
    keep the files and make releases) and of the libraries' versions: what a stored
    live publication and a release's check (`services.releases`) are valid for."""
    digest = hashlib.sha256()
    for package in (analysis, survey_app.questionnaire):
        for root in package.__path__:
            for path in sorted(Path(root).rglob("*.py")):
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    services = Path(__file__).parent
    for name in ("live_results.py", "results.py", "results_cache.py", "releases.py", "texts.py"):
        digest.update(name.encode())
        digest.update((services / name).read_bytes())
    for library in _LIBRARIES:
        try:
            digest.update(f"{library}={metadata.version(library)}".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library}=-".encode())
    return digest.hexdigest()
