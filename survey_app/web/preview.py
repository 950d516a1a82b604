"""The preview of an uploaded questionnaire (admins only): its start screen, every page in
every language and its thank-you page, rendered by the respondents' own templates, with
test answers that are never stored or counted.

The test answers travel in the page's form (a hidden field) from page to page, and are
gone when the tab is closed: nothing here reads or writes drafts, submissions or the
session, and the questionnaire comes from the upload, not from a published version.
Skip logic, required answers and constraints work as for respondents (`page_state`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Response
from litestar.datastructures import FormMultiDict
from litestar.response import Redirect, Template

from survey_app.i18n import S_, answer_error_message
from survey_app.questionnaire.navigation import PageState, first_page, page_state
from survey_app.questionnaire.rules import AnswerError
from survey_app.questionnaire.schema import Questionnaire
from survey_app.render.respond import (
    Respondent,
    page_context,
    start_context,
    thanks_context,
)
from survey_app.services.published import PublishedSurvey
from survey_app.web.answering import (
    ACTION,
    PAGE,
    SWITCH,
    entries_changed,
    page_notices,
    state_of_sent_page,
    with_entries_changed,
)
from survey_app.web.staff import StaffPreviewTemplate

ANSWERS = "preview:answers"
BANNER = S_("Preview: answers are neither stored nor counted.")


@dataclass(frozen=True)
class Preview:
    """An upload's questionnaire shown in one language."""

    upload_id: int
    questionnaire: Questionnaire
    language: str

    @property
    def respondent(self) -> Respondent:
        questionnaire = self.questionnaire
        survey = PublishedSurvey(questionnaire.id, 0, 0, questionnaire, is_open=True)
        return Respondent(survey, self.language)

    def url(self, suffix: str = "", **query: str) -> str:
        path = f"/admin/questionnaires/{self.upload_id}/preview{suffix}"
        return f"{path}?{urlencode(query)}" if query else path


def preview_of(upload_id: int, questionnaire: Questionnaire, language: str | None) -> Preview:
    """The preview in `language`, or in the questionnaire's default language."""
    if language not in questionnaire.languages:
        language = questionnaire.default_language
    return Preview(upload_id, questionnaire, language)


def carried_answers(raw: str | None) -> dict[str, object]:
    """The test answers a preview form carries (anything unreadable: none)."""
    try:
        answers = json.loads(raw or "{}")
    except ValueError:
        return {}
    return answers if isinstance(answers, dict) else {}


def _links(preview: Preview, context: dict[str, Any], answers: Mapping[str, object]) -> None:
    """Every address of the respondent templates leads back into the preview, never to
    the live survey (its drafts and submissions)."""
    carried = json.dumps(answers, ensure_ascii=False, sort_keys=True, default=str)
    language = preview.language
    context.update(
        action_url=preview.url(),
        refresh_url=preview.url("/refresh"),
        # A preview keeps nothing: the autosave of each change goes to the refresh,
        # which stores nothing either, and htmx swaps nothing for it.
        autosave_url=preview.url("/refresh"),
        language_url=lambda code: preview.url(lang=code),
        resume_url=preview.url(lang=language),
        start_url=preview.url(lang=language),
        preview={
            "banner": BANNER,
            "answers": carried,
            "report_url": f"/admin/questionnaires/{preview.upload_id}",
        },
    )


def start_page(preview: Preview, district: Mapping[str, str]) -> Template:
    context = start_context(preview.respondent, district)
    _links(preview, context, {})
    return StaffPreviewTemplate("respond/start.html", context=context)


def questions_page(
    preview: Preview,
    state: PageState,
    errors: Mapping[str, AnswerError] | None = None,
    *,
    fragment: bool = False,
    live: bool = False,
    notices: tuple[str, ...] = (),
    focus: str | None = None,
) -> Template:
    messages = {
        name: answer_error_message(error, preview.questionnaire, preview.language)
        for name, error in (errors or {}).items()
    }
    context = page_context(
        preview.respondent, state, messages, live=live, notices=notices, focus=focus
    )
    _links(preview, context, state.answers)
    name = "respond/_page.html" if fragment else "respond/page.html"
    return StaffPreviewTemplate(
        name, context=context, status_code=422 if messages and not live else 200
    )


def thanks_page(preview: Preview, district: Mapping[str, str]) -> Template:
    context = thanks_context(preview.respondent, district)
    _links(preview, context, {})
    return StaffPreviewTemplate("respond/thanks.html", context=context)


def shown_page(preview: Preview, index: int, answers: Mapping[str, object]) -> Template:
    """Page `index` for `answers` (the first page when there is no such page)."""
    questionnaire = preview.questionnaire
    if not 0 <= index < len(questionnaire.pages):
        index = first_page(questionnaire, answers)
    return questions_page(preview, page_state(questionnaire, answers, index))


def _sent(preview: Preview, form: FormMultiDict) -> PageState:
    """The page the form was posted from, its answers merged into the carried ones."""
    questionnaire = preview.questionnaire
    answers = carried_answers(form.get(ANSWERS))
    try:
        index = int(form.get(PAGE, 0))
    except (TypeError, ValueError):
        index = 0
    if not 0 <= index < len(questionnaire.pages):
        index = 0
    return state_of_sent_page(questionnaire, answers, index, form, preview.language)


def posted(
    preview: Preview, form: FormMultiDict, district: Mapping[str, str], *, htmx: bool
) -> Response[Any]:
    """A preview form: start, switch language, back, continue later, next or send, as
    for respondents, except that nothing is kept."""
    questionnaire = preview.questionnaire
    action = form.get(ACTION, "next")
    if action == "start":
        return shown_page(preview, first_page(questionnaire, {}), {})
    state = _sent(preview, form)
    switch = form.get(SWITCH)
    if switch in questionnaire.languages:
        # A new language needs a new <html lang dir>: a whole page load, answers kept.
        url = preview.url(
            lang=str(switch),
            page=str(state.index),
            answers=json.dumps(state.answers, ensure_ascii=False, default=str),
        )
        if htmx:
            return Response(b"", headers={"HX-Redirect": url})
        return Redirect(url, status_code=303)
    if action == "back":
        previous = state.index if state.previous is None else state.previous
        return questions_page(preview, page_state(questionnaire, state.answers, previous))
    if action == "save":
        return questions_page(preview, state)
    if entries_changed(form):
        carried = carried_answers(form.get(ANSWERS))
        changed, focus = with_entries_changed(
            questionnaire, carried, state.index, form, preview.language
        )
        return questions_page(preview, changed, focus=focus)
    if state.changed or state.errors:
        # As for respondents: questions that just appeared (or whose options did) get
        # no error before they were seen, and the page says what changed.
        shown_errors = {k: v for k, v in state.errors.items() if k not in state.unseen}
        return questions_page(preview, state, shown_errors, notices=page_notices(state))
    if state.next is not None:
        return questions_page(preview, page_state(questionnaire, state.answers, state.next))
    return thanks_page(preview, district)


def refreshed(preview: Preview, form: FormMultiDict) -> Template:
    """The page fragment for the answers in the form (htmx: skip logic while answering)."""
    state = _sent(preview, form)
    return questions_page(preview, state, state.errors_except_required(), fragment=True, live=True)
