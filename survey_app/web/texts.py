"""The office's review of free-text answers (admins only): per text question, the answers
filtered by language and state, each with a form to redact, translate, categorise and
select it for the next release, and the question's categories. Plain forms that
redirect back (no JavaScript needed); with htmx an answer's form is saved in place.
The rules live in `services.texts`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from survey_app.db.engine import Database
from survey_app.errors import UnknownSurvey
from survey_app.i18n import S_, StaffMessage
from survey_app.services.published import PublishedSurvey, get_survey
from survey_app.services.texts import (
    FILTERS,
    TextAnswer,
    TextReviewRefused,
    categories_of,
    category_add,
    category_remove,
    text_answers,
    text_overview,
    text_question,
    text_review_save,
)
from survey_app.web.access import Viewer
from survey_app.web.guards import admin_guard, viewer_dependency
from survey_app.web.handlers import in_thread, is_fragment_request
from survey_app.web.hygiene import staff_form
from survey_app.web.staff import staff_message
from survey_app.web.templating import admin_page

FILTER_NAMES = {
    "all": S_("all answers"),
    "open": S_("not yet reviewed"),
    "released": S_("selected for release"),
}


def _survey(db: Database, survey_id: str) -> PublishedSurvey:
    survey = get_survey(db, survey_id)
    if survey is None:
        raise UnknownSurvey(survey_id)
    return survey


def _filters(params: Mapping[str, Any]) -> dict[str, str]:
    """The filters of a query or form (language, show, page); unknown values are dropped."""
    show = str(params.get("show") or "all")
    page = str(params.get("page") or "1")
    return {
        "language": str(params.get("language") or "")[:16],
        "show": show if show in FILTERS else "all",
        "page": page if page.isdigit() else "1",
    }


def _address(survey_id: str, question: str, filters: Mapping[str, str]) -> str:
    defaults = {("show", "all"), ("page", "1")}
    query = urlencode({k: v for k, v in filters.items() if v and (k, v) not in defaults})
    return f"/admin/surveys/{quote(survey_id)}/texts/{quote(question)}" + (
        f"?{query}" if query else ""
    )


def overview_page(db: Database, viewer: Viewer, survey_id: str) -> Template:
    survey = _survey(db, survey_id)
    return admin_page(
        "texts.html",
        viewer,
        survey=survey,
        title=_title(survey),
        questions=text_overview(db, survey),
    )


def _title(survey: PublishedSurvey) -> str:
    questionnaire = survey.questionnaire
    return questionnaire.text(questionnaire.title, questionnaire.default_language)


def answers_page(
    db: Database,
    viewer: Viewer,
    survey_id: str,
    question: str,
    filters: Mapping[str, str],
    *,
    notice: StaffMessage | None = None,
    error: StaffMessage | None = None,
    errors: Mapping[int, Mapping[str, str]] | None = None,
    drafts: Mapping[int, TextAnswer] | None = None,
) -> Template:
    """The review page of one question; `errors` and `drafts` (per answer) show a form
    that was refused with what was typed in it."""
    survey = _survey(db, survey_id)
    asked = text_question(survey, question)
    page = text_answers(
        db,
        survey,
        question,
        language=filters.get("language") or None,
        show=filters.get("show", "all"),
        page=int(filters.get("page") or 1),
    )
    if drafts:
        page = replace(page, answers=[drafts.get(a.submission, a) for a in page.answers])
    questionnaire = survey.questionnaire
    return admin_page(
        "text_answers.html",
        viewer,
        HTTP_422_UNPROCESSABLE_ENTITY if error else 200,
        survey=survey,
        title=_title(survey),
        label=questionnaire.text(asked.label, questionnaire.default_language),
        answers=page,
        categories=categories_of(db, survey.id).get(question, []),
        filters=filters,
        filter_names=FILTER_NAMES,
        address=_address(survey.id, question, filters),
        page_link=lambda number: _address(survey.id, question, {**filters, "page": str(number)}),
        notice=notice,
        error=error,
        errors=errors or {},
    )


def answer_fragment(
    db: Database,
    viewer: Viewer,
    survey_id: str,
    question: str,
    answer: TextAnswer,
    filters: Mapping[str, str],
    *,
    errors: Mapping[str, str] | None = None,
    saved: bool = False,
) -> Template:
    """One answer's form, for htmx to put in place of the one that was sent."""
    survey = _survey(db, survey_id)
    return admin_page(
        "_text_answer.html",
        viewer,
        HTTP_422_UNPROCESSABLE_ENTITY if errors else 200,
        survey=survey,
        question=question,
        answer=answer,
        categories=categories_of(db, survey.id).get(question, []),
        filters=filters,
        address=_address(survey.id, question, filters),
        answer_errors=errors or {},
        saved=saved,
    )


def _answer_of(db: Database, survey: PublishedSurvey, question: str, submission: int) -> TextAnswer:
    """The answer `submission` as the review page shows it now."""
    return text_answers(db, survey, question, only=submission).answers[0]


class TextReviewController(Controller):
    """`/admin/surveys/{survey}/texts`: the review of free-text answers."""

    path = "/admin/surveys/{survey_id:str}/texts"
    include_in_schema = False
    guards = [admin_guard]
    dependencies = {"viewer": viewer_dependency}

    @get("/")
    async def overview(
        self,
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
    ) -> Template:
        return await in_thread(overview_page, db, viewer, survey_id)

    @get("/{question:str}")
    async def answers(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
        question: FromPath[str],
    ) -> Template:
        filters = _filters(request.query_params)
        return await in_thread(answers_page, db, viewer, survey_id, question, filters)

    @post("/{question:str}/answers/{submission:int}")
    async def review(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
        question: FromPath[str],
        submission: FromPath[int],
    ) -> Response[Any] | Template:
        form = await staff_form(request)
        filters = _filters(form)
        chosen = [int(v) for v in form.getall("categories", []) if str(v).isdigit()]
        fields = {
            "text": str(form.get("text") or ""),
            "translation": str(form.get("translation") or ""),
            "categories": chosen,
            "released": form.get("released") == "yes",
        }
        survey = await in_thread(_survey, db, survey_id)
        fragment = is_fragment_request(request)
        try:
            await in_thread(
                text_review_save,
                db,
                actor=viewer.email,
                survey=survey,
                question=question,
                submission=submission,
                **fields,
            )
        except TextReviewRefused as refused:
            current = await in_thread(_answer_of, db, survey, question, submission)
            typed = replace(
                current,
                text=str(fields["text"]),
                translation=str(fields["translation"]),
                categories=tuple(chosen),
                released=bool(fields["released"]),
            )
            if fragment:
                return await in_thread(
                    answer_fragment, db, viewer, survey_id, question, typed, filters,
                    errors=refused.errors,
                )  # fmt: skip
            return await in_thread(
                answers_page, db, viewer, survey_id, question, filters,
                error=staff_message(refused), errors={submission: refused.errors},
                drafts={submission: typed},
            )  # fmt: skip
        if fragment:
            saved = await in_thread(_answer_of, db, survey, question, submission)
            return await in_thread(
                answer_fragment, db, viewer, survey_id, question, saved, filters, saved=True
            )
        address = _address(survey_id, question, filters)
        return Redirect(f"{address}#answer-{submission}", status_code=303)

    @post("/{question:str}/categories")
    async def category_new(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
        question: FromPath[str],
    ) -> Response[Any] | Template:
        form = await staff_form(request)
        filters = _filters(form)
        survey = await in_thread(_survey, db, survey_id)
        try:
            await in_thread(
                category_add,
                db,
                actor=viewer.email,
                survey=survey,
                question=question,
                label=str(form.get("label") or ""),
            )
        except TextReviewRefused as refused:
            return await in_thread(
                answers_page, db, viewer, survey_id, question, filters,
                error=staff_message(refused),
            )  # fmt: skip
        return Redirect(_address(survey_id, question, filters), status_code=303)

    @post("/{question:str}/categories/{category:int}/remove")
    async def category_delete(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        viewer: NamedDependency[Viewer],
        survey_id: FromPath[str],
        question: FromPath[str],
        category: FromPath[int],
    ) -> Response[Any] | Template:
        form = await staff_form(request)
        filters = _filters(form)
        survey = await in_thread(_survey, db, survey_id)
        try:
            await in_thread(
                category_remove, db, actor=viewer.email, survey=survey, category_id=category
            )
        except TextReviewRefused as refused:
            return await in_thread(
                answers_page, db, viewer, survey_id, question, filters,
                error=staff_message(refused),
            )  # fmt: skip
        return Redirect(_address(survey_id, question, filters), status_code=303)
