"""Releases: the results working groups see, frozen, audited once and kept.

Working groups never see live data: someone who reads the results just before and just
after one person sends would learn that person's answers. The integration office
publishes a *release* instead. `release_create`:

1. freezes which responses count: per version, every submission up to the highest id
   stored now. On PostgreSQL the submission table is locked in SHARE mode for that
   moment, which waits for transactions that are inserting (their ids were drawn before
   they commit) and holds new ones back, so no submission with a lower id can commit
   later; on SQLite the write transaction does the same. The lock lasts one query.
2. refuses when fewer than `min_cell` responses arrived since the previous release:
   the difference between two releases would be about too few people.
3. reads the responses each release added (one layer each), plans the publication of
   every working group at once, and audits it against every earlier release
   (`analysis.publication.publish`), outside any transaction;
4. stores the release with its publication and writes the audit log, in one transaction.

Reading a release never touches the answers again: pages, API, workbooks and reports are
built from the stored publication (`release_results`), kept per process after the
first read (`services.released`). That needs neither pandas nor the audit nor the ORM:
`survey-app results --release` starts in a fraction of the time (bench/README.md).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import func, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import col, select

from analysis.presence import (
    presence_subsets,
    with_entry_presence,
)
from analysis.publication_format import Publication
from analysis.texts import (
    categories_question,
    category_columns,
    with_text_categories,
)
from survey_app.db.engine import Database
from survey_app.db.tables import Release, ReviewEvent, Submission, SurveyVersion
from survey_app.errors import Invalid, UnknownSurvey
from survey_app.i18n import S_
from survey_app.questionnaire.schema import Questionnaire
from survey_app.services.audit import audit_record
from survey_app.services.published import PublishedSurvey, get_survey
from survey_app.services.released import ReleasedTexts
from survey_app.services.texts import texts_for_release

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from analysis.publication import Published

__all__ = [
    "ReleasePreview",
    "ReleaseRefused",
    "ReleaseSummary",
    "release_create",
    "release_preview",
    "releases_of",
]

log = logging.getLogger(__name__)

_CACHE_SIZE = 32


class ReleaseRefused(Invalid):
    """A release that cannot be made now; the message says why, for the office to read."""

    code = "release_refused"


@dataclass(frozen=True)
class ReleaseSummary:
    """A release as the office sees it."""

    survey: str
    number: int
    released_at: datetime.datetime
    responses: int
    note: str
    actor: str

    @property
    def released_on(self) -> datetime.date:
        return self.released_at.date()


def _summary(release: Release) -> ReleaseSummary:
    return ReleaseSummary(
        survey=release.survey_id,
        number=release.number,
        released_at=release.released_at,
        responses=release.responses,
        note=release.note,
        actor=release.actor,
    )


def releases_of(db: Database, survey_id: str) -> list[ReleaseSummary]:
    """The releases of a survey, newest first (without their publications)."""
    with db.read() as session:
        rows = session.execute(
            select(Release)
            .options(defer(cast(QueryableAttribute[Any], Release.publication)))
            .where(col(Release.survey_id) == survey_id)
            .order_by(col(Release.number).desc())
        ).scalars()
        return [_summary(release) for release in rows]


SPARSE_FACTOR = 10
"""A later release with fewer than this many times k new responses is `sparse`."""


@dataclass(frozen=True)
class ReleasePreview:
    """What the next release of a survey would hold, for the office to confirm."""

    survey: str
    title: str
    number: int
    responses: int
    since_previous: int
    excluded: int
    min_cell: int

    previous: int | None
    """The latest release's number (None before the first)."""

    @property
    def allowed(self) -> bool:
        return self.since_previous >= self.min_cell

    @property
    def sparse(self) -> bool:
        """Allowed, but few responses since the last release. A number shown in both
        releases may change only by 0 or by at least k, so with fewer than
        `SPARSE_FACTOR` × k new responses every answer that fewer than one in ten of them
        gave is hidden where the change could be worked out, and so are the numbers that
        would give it away. The office is told before it releases: waiting usually
        shows more."""
        return self.previous is not None and self.allowed and self.since_previous < self.plenty

    @property
    def plenty(self) -> int:
        """New responses after which a later release is no longer `sparse`."""
        return SPARSE_FACTOR * self.min_cell


def release_preview(db: Database, survey_id: str, *, with_demo: bool = True) -> ReleasePreview:
    """The next release's number and how many responses it would count and add (raises
    `UnknownSurvey`). Excluded responses are not counted, nor demo ones without
    `with_demo`."""
    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    questionnaire = survey.questionnaire
    with db.read() as session:
        latest = session.execute(
            select(Release)
            .options(defer(cast(QueryableAttribute[Any], Release.publication)))
            .where(col(Release.survey_id) == survey_id)
            .order_by(col(Release.number).desc())
            .limit(1)
        ).scalar_one_or_none()
        rows = session.execute(
            select(
                col(Submission.version_id),
                col(Submission.id),
                col(Submission.status),
                col(Submission.demo),
            ).where(col(Submission.survey_id) == survey_id)
        ).all()
    edges = latest.edges if latest is not None else {}
    counted = [
        (int(v), int(pk))
        for v, pk, status, demo in rows
        if status != "excluded" and (with_demo or not demo)
    ]
    new = sum(1 for v, pk in counted if pk > edges.get(v, 0))
    return ReleasePreview(
        survey=survey_id,
        title=questionnaire.text(questionnaire.title, questionnaire.default_language),
        number=latest.number + 1 if latest is not None else 1,
        responses=len(counted),
        since_previous=new,
        excluded=len(rows) - len(counted),
        min_cell=questionnaire.min_cell,
        previous=latest.number if latest is not None else None,
    )


@dataclass(frozen=True)
class _Frozen:
    """What a release counts: per version every id up to `boundaries[version]`, but not
    the `excluded` ones (id -> reason)."""

    boundaries: dict[int, int]
    excluded: dict[int, str]
    total: int
    """How many submissions are within the boundaries, excluded or not."""


DEMO_REASON = "Demo-Antwort"
"""Why a release made in production leaves out a demo response (`survey-app demo`)."""


def _freeze(db: Database, survey_id: str, *, with_demo: bool) -> _Frozen:
    """The responses the next release counts, fixed now (see the module doc); demo
    responses are left out like excluded ones unless `with_demo`."""
    with db.write() as session:
        if not db.is_sqlite:
            session.execute(text("LOCK TABLE submission IN SHARE MODE"))
        rows = session.execute(
            select(col(Submission.version_id), func.max(col(Submission.id)), func.count())
            .where(col(Submission.survey_id) == survey_id)
            .group_by(col(Submission.version_id))
        ).all()
        excluded = session.execute(
            select(col(Submission.id)).where(
                col(Submission.survey_id) == survey_id, col(Submission.status) == "excluded"
            )
        ).scalars()
        pks = [int(pk) for pk in excluded]
        reasons = dict(
            session.execute(
                select(col(ReviewEvent.submission_pk), col(ReviewEvent.reason))
                .where(
                    col(ReviewEvent.submission_pk).in_(pks),
                    col(ReviewEvent.status) == "excluded",
                )
                .order_by(col(ReviewEvent.id))
            ).all()
        ) if pks else {}  # fmt: skip
        demo = [] if with_demo else session.execute(
            select(col(Submission.id)).where(
                col(Submission.survey_id) == survey_id,
                col(Submission.demo),
                col(Submission.status) != "excluded",
            )
        ).scalars().all()  # fmt: skip
    left_out = {pk: str(reasons.get(pk, "")) for pk in pks}
    left_out.update({int(pk): DEMO_REASON for pk in demo})
    return _Frozen(
        boundaries={int(version_id): int(max_id) for version_id, max_id, _n in rows},
        excluded=left_out,
        total=sum(int(n) for _v, _m, n in rows),
    )


def _membership(
    frozen: _Frozen,
    earlier: list[Release],
    layers: list[pd.DataFrame],
    version_of: dict[int, int],
    apart: list[int],
) -> tuple[list[pd.DataFrame], list[tuple[int, ...]]]:
    """Layers and which of them each release counts (the new one last).

    The first layers hold what arrived before each release and was never excluded by
    any; every response that was excluded by some release (or is now) sits in the layer
    of the releases that counted it, grouped by that: release m counts it when it had
    arrived by m and m did not exclude it."""
    import pandas as pd

    edges = [r.edges for r in earlier]
    edges.append(frozen.boundaries)
    out_of = [r.excluded_ids for r in earlier] + [set(frozen.excluded)]
    arrivals = len(edges)
    counted: dict[tuple[int, ...], list[pd.DataFrame]] = {}
    for position, pk in enumerate(apart):
        version = version_of.get(pk)
        if version is None:
            continue
        releases = tuple(
            m for m in range(arrivals) if pk <= edges[m].get(version, 0) and pk not in out_of[m]
        )
        if releases:
            counted.setdefault(releases, []).append(layers[arrivals + position])
    merged = layers[:arrivals]
    members: list[list[int]] = [list(range(m + 1)) for m in range(arrivals)]
    for releases, frames in counted.items():
        members_index = len(merged)
        merged.append(pd.concat(frames, ignore_index=True))
        for m in releases:
            members[m].append(members_index)
    return merged, [tuple(own) for own in members]


def _with_categories(
    layer: pd.DataFrame, ids: npt.NDArray[np.int64], texts: ReleasedTexts
) -> pd.DataFrame:
    """`layer` with the columns of the derived category questions filled from the tags
    of its responses (`ids`: the submission id of each row)."""
    if not texts.categories:
        return layer
    columns = {}
    for question, categories in texts.categories.items():
        tags = [texts.tags.get(int(pk), {}).get(question) for pk in ids]
        columns.update(category_columns(question, [pk for pk, _label in categories], tags))
    return layer.assign(**columns)


def _first_published_year(db: Database, survey_id: str) -> int:
    with db.read() as session:
        first = session.execute(
            select(func.min(col(SurveyVersion.published_at))).where(
                col(SurveyVersion.survey_id) == survey_id
            )
        ).scalar_one()
    return first.year if first is not None else datetime.date.today().year


@dataclass(frozen=True)
class ReleaseCheck:
    """What the next release would show, audited but not stored: the office sees it
    before it releases (a release cannot be taken back, and one made soon after another
    hides most of what changed in between)."""

    number: int
    responses: int
    came_in: int
    shown: int
    """Numbers it would show (of `numbers`), every working group's."""
    numbers: int
    one_way_shown: int
    """One-way results it would show (of `one_way`): how many gave each answer."""
    one_way: int
    previous_shown: int | None
    """The same figures of the latest release (None before the first)."""
    previous_one_way_shown: int | None
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CheckedRelease:
    """A check (`release_audit_check`) as a later `release_create` may take it instead of
    auditing again: the digest of everything the audit was made from (`inputs`) and the
    audited publication (JSON). It holds counts only, every one as hidden as a release
    shows it; the free-text answers a release shows are read again when it is made."""

    check: ReleaseCheck
    inputs: str
    publication: str


@dataclass(frozen=True)
class _Next:
    """The next release, audited, not yet stored; `published` is None when the audit
    of a check with the same inputs was taken."""

    release: Release
    check: ReleaseCheck
    published: Published | None
    inputs: str


def release_create(
    db: Database,
    survey_id: str,
    *,
    actor: str,
    note: str = "",
    with_demo: bool = True,
    checked: Sequence[CheckedRelease] = (),
) -> ReleaseSummary:
    """Freeze, audit and store the next release of a survey (see the module doc). Demo
    responses count only `with_demo` (the web and CLI pass False in production).

    A check in `checked` made from exactly what this release is made from (the same
    responses, exclusions, reviewed texts, earlier releases, questionnaire and code:
    its `inputs`) gives its audit, which would come out the same: the office that
    checked first does not wait for the audit twice.

    Raises `UnknownSurvey`, or `ReleaseRefused` with the reason."""
    audited = _next_release(
        db, survey_id, actor=actor, note=note, with_demo=with_demo, checked=checked
    )
    return _store(db, audited)


def release_check(db: Database, survey_id: str, *, with_demo: bool = True) -> ReleaseCheck:
    """Audit the next release of a survey as `release_create` would and say what it
    would show, storing nothing. Raises `UnknownSurvey`, or `ReleaseRefused`."""
    return release_audit_check(db, survey_id, with_demo=with_demo).check


def release_audit_check(db: Database, survey_id: str, *, with_demo: bool = True) -> CheckedRelease:
    """`release_check` with what a later `release_create` needs to take its audit."""
    audited = _next_release(db, survey_id, actor="", note="", with_demo=with_demo)
    return CheckedRelease(audited.check, audited.inputs, audited.release.publication)


def _next_release(
    db: Database,
    survey_id: str,
    *,
    actor: str,
    note: str,
    with_demo: bool,
    checked: Sequence[CheckedRelease] = (),
) -> _Next:
    from analysis.publication import plan_publication, publish
    from survey_app.services.results import release_layers

    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    k = survey.questionnaire.min_cell
    with db.read() as session:
        earlier = list(
            session.execute(
                select(Release)
                .where(col(Release.survey_id) == survey_id)
                .order_by(col(Release.number))
            ).scalars()
        )
    frozen = _freeze(db, survey_id, with_demo=with_demo)
    started = time.perf_counter()
    edges = [release.edges for release in earlier]
    apart = sorted(set(frozen.excluded).union(*(r.excluded_ids for r in earlier)))
    texts = texts_for_release(
        db,
        survey,
        lambda version, pk: pk <= frozen.boundaries.get(version, 0) and pk not in frozen.excluded,
    )
    questionnaire = with_text_categories(
        with_entry_presence(survey.questionnaire), texts.categories
    )
    ids: list[npt.NDArray[np.int64]] = []
    read, version_of = release_layers(
        db, survey_id, questionnaire, [*edges, frozen.boundaries], apart=apart, ids=ids
    )
    read = [
        _with_categories(layer, layer_ids, texts)
        for layer, layer_ids in zip(read, ids, strict=True)
    ]
    if sum(len(layer) for layer in read) != frozen.total:
        raise ReleaseRefused(
            S_(
                "Responses of an earlier release were deleted since (purge): a new release "
                "could be compared with it. Nothing was released."
            )
        )
    layers, members = _membership(frozen, earlier, read, version_of, apart)
    responses = sum(len(layers[layer]) for layer in members[-1])
    came_in = (
        sum(len(layers[layer]) for layer in set(members[-1]) - set(members[-2]))
        if earlier
        else responses
    )
    if came_in < k:
        raise too_few_responses(came_in, k, earlier[-1].number if earlier else None)
    named = {g for q in questionnaire.iter_questions() for g in q.working_groups}
    groups: list[str | None] = [*sorted(named), None]
    reference_year = _first_published_year(db, survey_id)
    plan = plan_publication(
        questionnaire,
        groups=groups,
        reference_year=reference_year,
        subsets={
            **{categories_question(name): name for name in texts.categories},
            **presence_subsets(questionnaire),
        },
    )
    earlier_publications = [Publication.loads(r.publication) for r in earlier]
    inputs = _inputs(db, survey, questionnaire, frozen, earlier, texts, reference_year, members)
    taken = next((c.publication for c in checked if c.inputs == inputs), None)
    published = None
    if taken is not None:
        publication = Publication.loads(taken)
    else:
        published = publish(plan, layers, earlier_publications, releases=members)
        publication = published.publication
    if published is not None and published.unlinked:
        log.warning(
            "release of %s: %d numbers of earlier releases changed meaning with the "
            "questionnaire and are not linked in the audit",
            survey_id,
            len(published.unlinked),
        )
    number = earlier[-1].number + 1 if earlier else 1
    release = Release(
        survey_id=survey_id,
        number=number,
        actor=actor,
        note=note.strip()[:2000],
        version_id=survey.version_id,
        responses=responses,
        boundaries={str(v): m for v, m in frozen.boundaries.items()},
        excluded={
            "ids": sorted(frozen.excluded),
            "reasons": dict(Counter(frozen.excluded.values())),
        },
        publication=taken if taken is not None else publication.dumps(),
        texts=texts.to_json(),
    )
    seconds = round(time.perf_counter() - started, 2)
    one_way = [plan.keys[i] for i in sorted(plan.structure.kept)]
    numbers = publication.numbers
    previous = earlier_publications[-1] if earlier_publications else None
    check = ReleaseCheck(
        number=number,
        responses=responses,
        came_in=came_in,
        shown=sum(1 for value in numbers.values() if value is not None),
        numbers=len(numbers),
        one_way_shown=sum(1 for key in one_way if numbers.get(key) is not None),
        one_way=len(one_way),
        previous_shown=None
        if previous is None
        else sum(1 for value in previous.numbers.values() if value is not None),
        previous_one_way_shown=None
        if previous is None
        else sum(1 for key in one_way if previous.get(key) is not None),
        seconds=seconds,
    )
    return _Next(release, check, published, inputs)


def _inputs(
    db: Database,
    survey: PublishedSurvey,
    questionnaire: Questionnaire,
    frozen: _Frozen,
    earlier: Sequence[Release],
    texts: ReleasedTexts,
    reference_year: int,
    members: Sequence[tuple[int, ...]],
) -> str:
    """A digest of everything a release's audit is made from: its questionnaire (with
    the text categories), the responses it counts and how they are stored (count,
    highest id, that row's random id and the newest review event of each version up to
    its boundary), the exclusions, the reviewed texts and tags, the earlier releases,
    and the code that audits. Two audits with the same digest hide the same numbers."""
    from survey_app.services.live_results import code_identity
    from survey_app.services.results_cache import stored_answers

    with db.read_connection() as connection:
        stored = {
            str(version): dataclasses.astuple(found)
            if (found := stored_answers(connection, version, up_to=boundary)) is not None
            else None
            for version, boundary in sorted(frozen.boundaries.items())
        }
    made_of = {
        "survey": survey.id,
        "version": survey.version_id,
        "questionnaire": questionnaire.content_hash,
        "stored": stored,
        "boundaries": {str(v): m for v, m in sorted(frozen.boundaries.items())},
        "excluded": {str(pk): reason for pk, reason in sorted(frozen.excluded.items())},
        "earlier": [[r.id, r.number, r.released_at.isoformat()] for r in earlier],
        "texts": texts.to_json(),
        "tags": {
            str(pk): {q: sorted(ids) for q, ids in sorted(tags.items())}
            for pk, tags in sorted(texts.tags.items())
        },
        "year": reference_year,
        "members": [list(m) for m in members],
        "code": code_identity(),
    }
    return hashlib.sha256(json.dumps(made_of, sort_keys=True).encode()).hexdigest()


def _store(db: Database, audited: _Next) -> ReleaseSummary:
    """Store an audited release with its audit-log entry, in one transaction."""
    release, published = audited.release, audited.published
    survey_id, number, responses = release.survey_id, release.number, release.responses
    try:
        with db.write() as session:
            session.add(release)
            audit_record(
                session,
                actor=release.actor,
                action="release",
                detail={
                    "survey": survey_id,
                    "number": number,
                    "responses": responses,
                    "excluded": len(release.excluded["ids"]),
                    "audit_seconds": audited.check.seconds,
                    "audit_of_check": published is None,
                },
            )
    except IntegrityError:
        raise ReleaseRefused(
            S_("Release %(number)s of '%(survey)s' was just made by someone else."),
            values={"number": number, "survey": survey_id},
        ) from None
    if published is None:
        log.info(
            "released %s %d: %d responses, the audit of a check with the same inputs",
            survey_id,
            number,
            responses,
        )
        return _summary(release)
    log.info(
        "released %s %d: %d responses, %d numbers hidden, audit %.2f s (%d rounds, %d programs)",
        survey_id,
        number,
        responses,
        published.publication.hidden,
        published.report.seconds,
        published.report.rounds,
        published.report.programs,
    )
    if published.report.inherited:
        log.warning(
            "release of %s %d: %d small counts of the responses of earlier releases can be "
            "worked out from those releases alone; this release adds nothing to that",
            survey_id,
            number,
            published.report.inherited,
        )
    return _summary(release)


def too_few_responses(came_in: int, k: int, previous: int | None) -> ReleaseRefused:
    """The refusal of a release that would add fewer than `k` responses to release
    `previous` (None: the first release)."""
    values = {"count": came_in, "k": k}
    if previous is None:
        return ReleaseRefused(
            S_(
                "Only %(count)s responses arrived; a release needs at least %(k)s new "
                "ones (the survey's minimum cell size), so that no difference between "
                "two releases is about fewer people."
            ),
            values=values,
        )
    return ReleaseRefused(
        S_(
            "Only %(count)s responses arrived since release %(number)s; a release needs "
            "at least %(k)s new ones (the survey's minimum cell size), so that no "
            "difference between two releases is about fewer people."
        ),
        values=values | {"number": previous},
    )
