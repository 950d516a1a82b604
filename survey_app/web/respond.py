"""Answering a survey in the browser: landing, pages, drafts, invitations, posters.

Plain HTML forms are the baseline; htmx (`hx-boost` on the body) makes them smoother.
A page is one questionnaire page; Next/Back post the page's answers, which are checked
with the questionnaire's rules (`check_answers`, scoped to the page) and kept in a draft
after every page. Answers to questions that are not relevant are discarded. A changed
answer that other questions depend on re-renders the page fragment (`/refresh`), so skip
logic shows and hides questions at once. `respond/page.html` includes the fragment
`respond/_page.html`; a non-boosted htmx request gets the fragment alone.

The final submission goes through `submission_create`, the same function as the JSON
API, with a submission id derived from the draft key: a double-click stores one response.

UI strings go through `_` in the template context (the respondent's gettext catalogue);
questionnaire texts through `t` (the questionnaire's own translations).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import quote, urlencode

import segno
from babel.dates import format_date
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie, FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from survey_app.db.engine import Database
from survey_app.i18n import (
    N_,
    answer_error_message,
    catalogue_languages,
    language_name,
    negotiate_language,
    translations,
)
from survey_app.questionnaire.rules import ErrorCode, check_answers, is_empty, parse_form_value
from survey_app.questionnaire.schema import (
    Page,
    Question,
    Questionnaire,
    QuestionType,
    direction,
)
from survey_app.services.drafts import (
    DraftState,
    draft_delete,
    draft_delete_by_code,
    draft_load,
    draft_resume,
    draft_save,
    draft_was_sent,
    format_resume_code,
    new_draft_key,
    resume_code_create,
    submission_id_for,
)
from survey_app.services.invitations import invitation_find
from survey_app.services.submissions import (
    InvitationRejected,
    SubmissionConflict,
    SubmissionInvalid,
    SurveyClosed,
    submission_create,
)
from survey_app.services.surveys import PublishedSurvey, get_survey, latest_surveys
from survey_app.settings import Settings
from survey_app.web.handlers import in_thread, is_fragment_request, is_htmx
from survey_app.web.templating import STATIC, jinja_environment

COOKIE_NAME = "survey_draft"
MAX_TOKEN_LENGTH = 200
MAX_CODE_LENGTH = 40
LANDING_DEFAULT_LANGUAGE = "de"
# Form fields of the page machinery; question names cannot contain ':', so no clash.
ACTION = "nav:action"
PAGE = "nav:page"
LANGUAGE = "nav:lang"
SWITCH = "nav:language"

MESSAGES: dict[str, tuple[str, str]] = {
    "unknown_survey": (
        N_("Survey not found"),
        N_("There is no survey at this address. Please check the link."),
    ),
    "closed": (
        N_("This survey is closed"),
        N_("This survey no longer accepts answers. Thank you for your interest."),
    ),
    "link_needed": (
        N_("Personal link needed"),
        N_(
            "This survey is answered through personal invitation links. "
            "Please open the link from your invitation."
        ),
    ),
    "link_unknown": (
        N_("This link is not valid"),
        N_(
            "We do not know this invitation link. Please copy the complete link from "
            "your invitation, or ask the sender for a new one."
        ),
    ),
    "link_used": (
        N_("Already answered"),
        N_(
            "Answers were already sent with this invitation link. Each link can be "
            "used once. Thank you for taking part!"
        ),
    ),
    "conflict": (
        N_("Already sent"),
        N_("These answers were already sent. Thank you for taking part!"),
    ),
}
RESULTS_NOTICE = N_(
    "The results will be presented at the meeting of the integration network. "
    "Nobody can see your individual answers there."
)
POSTER_DEFAULT_TEXT = N_("Your opinion counts. Take part in our survey.")


class Refused(Exception):
    """The request cannot go on; the visitor gets a clear page instead of the survey."""

    def __init__(self, kind: str, status: int, language: str) -> None:
        super().__init__(kind)
        self.kind = kind
        self.status = status
        self.language = language


# -- context --------------------------------------------------------------------------


def ui_context(language: str) -> dict[str, Any]:
    """What every respondent template needs: `_` (the UI catalogue), language, direction."""
    gettext = translations(language).gettext

    def _(message: str, **values: object) -> str:
        text = gettext(message)
        return text % values if values else text

    return {"_": _, "language": language, "text_direction": direction(language)}


def _language_links(languages: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    return [
        {"code": code, "name": language_name(code), "dir": direction(code)} for code in languages
    ]


def survey_url(survey_id: str, token: str | None = None, page: str = "", **query: str) -> str:
    """The address of a survey (or of its `page`: "resume", "thanks", ...), with the
    invitation token when there is one."""
    path = f"/s/{quote(survey_id, safe='')}" + (f"/{page}" if page else "")
    parameters = {**({"invitation": token} if token else {}), **query}
    return f"{path}?{urlencode(parameters)}" if parameters else path


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _choose_language(
    questionnaire: Questionnaire,
    requested: str | None,
    draft: DraftState | None,
    accept_language: str | None,
) -> str:
    """The `lang` asked for; else the draft's; else the browser's best; else the default.

    An unsupported `lang` gives the default language (the switcher offers the others).
    """
    if requested:
        return questionnaire.language_or_default(requested)
    if draft is not None and draft.language in questionnaire.languages:
        return draft.language
    chosen = negotiate_language(accept_language, questionnaire.languages)
    return chosen or questionnaire.default_language


def _page_language(requested: str | None, accept_language: str | None) -> str:
    """Language of pages outside a survey (landing, not found)."""
    available = catalogue_languages()
    if requested in available:
        return requested
    return negotiate_language(accept_language, available) or LANDING_DEFAULT_LANGUAGE


# -- who is answering -----------------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One request to a survey: who answers (draft key, invitation) and in which language."""

    survey: PublishedSurvey
    language: str
    key: str | None
    token: str | None = None
    invitation_id: int | None = None
    draft: DraftState | None = None

    @property
    def questionnaire(self) -> Questionnaire:
        return self.survey.questionnaire

    @property
    def url(self) -> str:
        return survey_url(self.survey.id, self.token)

    def link(self, page: str = "", **query: str) -> str:
        return survey_url(self.survey.id, self.token, page, **query)


def open_visit(
    db: Database,
    survey_id: str,
    *,
    requested_language: str | None,
    accept_language: str | None,
    cookie_key: str | None,
    token: str | None,
) -> Visit:
    """Find the survey, check access (invitation token) and load the draft.

    Raises `Refused` for an unknown survey, a closed one, or a missing, unknown or used
    invitation link.
    """
    survey = get_survey(db, survey_id)
    if survey is None:
        raise Refused("unknown_survey", 404, _page_language(requested_language, accept_language))
    questionnaire = survey.questionnaire
    language = _choose_language(questionnaire, requested_language, None, accept_language)
    if not survey.is_open:
        raise Refused("closed", 403, language)
    if questionnaire.audience != "invitation":
        draft = draft_load(db, survey.id, cookie_key) if cookie_key else None
        language = _choose_language(questionnaire, requested_language, draft, accept_language)
        return Visit(survey, language, cookie_key, draft=draft)
    if not token:
        raise Refused("link_needed", 403, language)
    invitation = invitation_find(db, survey.id, token) if len(token) <= MAX_TOKEN_LENGTH else None
    if invitation is None:
        raise Refused("link_unknown", 404, language)
    if invitation.used_on is not None:
        raise Refused("link_used", 403, language)
    # The token is the draft key: the personal link resumes the draft in any browser.
    draft = draft_load(db, survey.id, token)
    language = _choose_language(questionnaire, requested_language, draft, accept_language)
    return Visit(survey, language, token, token, invitation.id, draft)


def _draft_cookie(visit: Visit, key: str, settings: Settings, *, delete: bool = False) -> Cookie:
    return Cookie(
        key=COOKIE_NAME,
        value="" if delete else key,
        path=f"/s/{quote(visit.survey.id, safe='')}",
        max_age=0 if delete else settings.draft_lifetime_days * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https://"),
    )


# -- pages and answers ----------------------------------------------------------------

_DEPENDED_ON: dict[str, frozenset[str]] = {}


def depended_on(questionnaire: Questionnaire) -> frozenset[str]:
    """Questions that an expression refers to: changing them may show, hide or
    recompute another question, so the page is refreshed when they change."""
    found = _DEPENDED_ON.get(questionnaire.content_hash)
    if found is None:
        found = frozenset(
            name for expression in questionnaire.compiled.values() for name in expression.references
        )
        _DEPENDED_ON[questionnaire.content_hash] = found
    return found


def form_answers(page: Page, form: FormMultiDict) -> dict[str, object]:
    """The answers a page's form sent, as JSON-like values (None for empty)."""
    return {
        question.name: parse_form_value(question, form.getall(question.name, []))
        for question in page.questions
        if question.type.takes_answer
    }


def merge_answers(
    questionnaire: Questionnaire, earlier: Mapping[str, object], page: Mapping[str, object]
) -> dict[str, object]:
    """Earlier answers updated by a page's; empty answers removed, and answers of
    questions that are not (or no longer) relevant discarded."""
    merged = {
        name: value
        for name, value in earlier.items()
        if name in questionnaire.questions and questionnaire.questions[name].type.takes_answer
    }
    for name, value in page.items():
        if is_empty(value):
            merged.pop(name, None)
        else:
            merged[name] = value
    relevant = check_answers(questionnaire, merged).relevant
    return {name: value for name, value in merged.items() if name in relevant}


def _visible(questionnaire: Questionnaire, page: Page, relevant: set[str]) -> list[Question]:
    return [
        question
        for question in page.questions
        if question.type is not QuestionType.CALCULATE and question.name in relevant
    ]


def _step(
    questionnaire: Questionnaire, answers: Mapping[str, object], index: int, step: int
) -> int | None:
    """The next (step 1) or previous (step -1) page with a visible question."""
    relevant = check_answers(questionnaire, answers).relevant
    index += step
    while 0 <= index < len(questionnaire.pages):
        if _visible(questionnaire, questionnaire.pages[index], relevant):
            return index
        index += step
    return None


def _posted_page(
    form: FormMultiDict, draft: DraftState | None, questionnaire: Questionnaire
) -> int:
    """The page the form shows (a browser's Back button may show an older one)."""
    saved = draft.page if draft else 0
    try:
        index = int(form.get(PAGE, saved))
    except (TypeError, ValueError):
        index = saved
    return index if 0 <= index < len(questionnaire.pages) else 0


def _display_value(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value


@dataclass
class QuestionView:
    """A question as the template shows it."""

    question: Question
    input_id: str
    label: str
    hint: str
    value: object
    control: str
    error: str | None = None
    autofocus: bool = False
    refresh: bool = False
    choices: list[dict[str, str]] = field(default_factory=list)

    @property
    def described_by(self) -> str:
        ids = [f"q-{self.question.name}-hint"] if self.hint else []
        if self.error:
            ids.append(f"q-{self.question.name}-error")
        return " ".join(ids)


def _control(question: Question) -> str:
    match question.type:
        case QuestionType.NOTE:
            return "note"
        case QuestionType.SELECT_ONE:
            return "select" if question.appearance == "minimal" else "radio"
        case QuestionType.SELECT_MULTIPLE:
            return "checkbox"
        case QuestionType.TEXT if question.appearance == "multiline":
            return "textarea"
        case QuestionType.INTEGER:
            return "integer"
        case QuestionType.DECIMAL:
            return "decimal"
        case QuestionType.DATE:
            return "date"
        case _:
            return "text"


def question_views(
    questionnaire: Questionnaire,
    page: Page,
    answers: Mapping[str, object],
    errors: Mapping[str, str],
    language: str,
    *,
    autofocus: bool = True,
) -> list[QuestionView]:
    """The visible questions of `page` with their answers and errors."""
    relevant = check_answers(questionnaire, answers).relevant
    refreshing = depended_on(questionnaire)
    views: list[QuestionView] = []
    focus_given = not autofocus
    for question in _visible(questionnaire, page, relevant):
        control = _control(question)
        choices = [
            {"id": f"q-{question.name}-{index}", "name": choice.name, "label": label}
            for index, choice in enumerate(questionnaire.choices_of(question))
            for label in [questionnaire.text(choice.label, language) or choice.name]
        ]
        error = errors.get(question.name)
        views.append(
            QuestionView(
                question=question,
                input_id=choices[0]["id"]
                if control in ("radio", "checkbox") and choices
                else f"q-{question.name}",
                label=questionnaire.text(question.label, language),
                hint=questionnaire.text(question.hint, language) if question.hint else "",
                value=_display_value(answers.get(question.name)),
                control=control,
                error=error,
                autofocus=bool(error) and not focus_given,
                refresh=question.name in refreshing,
                choices=choices,
            )
        )
        focus_given = focus_given or bool(error)
    return views


def _survey_context(visit: Visit, page: str = "") -> dict[str, Any]:
    """What the survey's templates share; `page` is where the language links lead."""
    questionnaire = visit.questionnaire
    return {
        **ui_context(visit.language),
        "t": partial(questionnaire.text, language=visit.language),
        "paragraphs": _paragraphs,
        "title": questionnaire.text(questionnaire.title, visit.language),
        "languages": _language_links(questionnaire.languages),
        "current_language_name": language_name(visit.language),
        "language_url": lambda language: visit.link(page, lang=language),
        "action_url": visit.url,
        "refresh_url": visit.link("refresh"),
        # Links that may lead to a page without a draft carry the language, or the page
        # would come in the browser's language (inside the old <html lang dir>, boosted).
        "resume_url": visit.link("resume", lang=visit.language),
        "start_url": visit.link(lang=visit.language),
        "invitation": visit.token is not None,
    }


def page_template(
    visit: Visit,
    index: int,
    answers: Mapping[str, object],
    errors: Mapping[str, str],
    *,
    fragment: bool,
    live: bool = False,
    status: int = 200,
) -> Template:
    """Page `index` (the full page, or only its fragment for htmx)."""
    questionnaire = visit.questionnaire
    page = questionnaire.pages[index]
    questions = question_views(
        questionnaire, page, answers, errors, visit.language, autofocus=not live
    )
    shown = {view.question.name for view in questions}
    context = {
        **_survey_context(visit),
        "page": page,
        "page_index": index,
        "page_count": len(questionnaire.pages),
        "questions": questions,
        "summary": [] if live else [view for view in questions if view.error],
        "other_errors": []
        if live
        else [text for name, text in errors.items() if name not in shown],
        "first_page": _step(questionnaire, answers, index, -1) is None,
        "last_page": _step(questionnaire, answers, index, 1) is None,
    }
    name = "respond/_page.html" if fragment else "respond/page.html"
    return Template(template_name=name, context=context, status_code=status)


def _page_names(page: Page) -> set[str]:
    return {question.name for question in page.questions}


def page_errors(
    questionnaire: Questionnaire,
    page: Page,
    answers: Mapping[str, object],
    language: str,
    *,
    required: bool = True,
) -> dict[str, str]:
    """Messages for the refused answers of `page`, in `language`."""
    checked = check_answers(questionnaire, answers, scope=_page_names(page))
    return {
        name: answer_error_message(error, questionnaire, language)
        for name, error in checked.errors.items()
        if required or error.code is not ErrorCode.REQUIRED
    }


# -- the flows (synchronous; run in a worker thread) -----------------------------------


def _redirect(url: str, cookies: list[Cookie] | None = None) -> Redirect:
    return Redirect(url, status_code=303, cookies=cookies or [])


def _reload(url: str, cookies: list[Cookie] | None = None, *, htmx: bool) -> Response[Any]:
    """Go to `url` as a whole new page: the language may change, and a boosted htmx
    swap would keep the old `<html lang dir>`."""
    if not htmx:
        return _redirect(url, cookies)
    return Response(b"", status_code=200, headers={"HX-Redirect": url}, cookies=cookies or [])


def show_survey(visit: Visit, *, fragment: bool, notice: str | None = None) -> Template:
    """The draft's current page, or the start screen (privacy notice) without a draft."""
    if visit.draft is not None:
        index = min(visit.draft.page, len(visit.questionnaire.pages) - 1)
        return page_template(visit, index, visit.draft.answers, {}, fragment=fragment)
    questionnaire = visit.questionnaire
    description = questionnaire.text(questionnaire.description, visit.language)
    context = {
        **_survey_context(visit),
        "description": _paragraphs(description) if questionnaire.description else [],
        "privacy_notice": _paragraphs(
            questionnaire.text(questionnaire.privacy_notice, visit.language)
        ),
        "notice": notice,
    }
    return Template(template_name="respond/start.html", context=context)


def refresh_page(visit: Visit, form: FormMultiDict) -> Template:
    """The page fragment for the answers in the form (nothing is saved): skip logic
    applied, and errors of the answers given so far (not yet of the missing ones)."""
    questionnaire = visit.questionnaire
    earlier = visit.draft.answers if visit.draft else {}
    index = _posted_page(form, visit.draft, questionnaire)
    page = questionnaire.pages[index]
    answers = merge_answers(questionnaire, earlier, form_answers(page, form))
    errors = page_errors(questionnaire, page, answers, visit.language, required=False)
    return page_template(visit, index, answers, errors, fragment=True, live=True)


@dataclass(frozen=True)
class Answering:
    """The posted forms of one visit: they change the draft or send the answers."""

    db: Database
    settings: Settings
    visit: Visit
    htmx: bool = False

    def _save(
        self, key: str, answers: Mapping[str, object], page: int, language: str | None = None
    ) -> DraftState:
        return draft_save(
            self.db,
            survey=self.visit.survey,
            key=key,
            answers=answers,
            page=page,
            language=language or self.visit.language,
            lifetime_days=self.settings.draft_lifetime_days,
            invitation_id=self.visit.invitation_id,
        )

    def _cookies(self, key: str, *, delete: bool = False) -> list[Cookie]:
        """The draft cookie of an anonymous survey (the invitation link is the key of
        an invitation survey, so it needs none)."""
        if self.visit.token is not None:
            return []
        return [_draft_cookie(self.visit, key, self.settings, delete=delete)]

    def page(self, form: FormMultiDict) -> Response[Any]:
        """A posted page: start, switch language, back, continue later, next or send."""
        visit, questionnaire = self.visit, self.visit.questionnaire
        action = form.get(ACTION, "next")
        switch = form.get(SWITCH)
        if visit.draft is None or visit.key is None:
            return self._without_draft(action, switch)
        key = visit.key
        index = _posted_page(form, visit.draft, questionnaire)
        page = questionnaire.pages[index]
        answers = merge_answers(questionnaire, visit.draft.answers, form_answers(page, form))
        if switch in questionnaire.languages:
            self._save(key, answers, index, switch)
            return _reload(visit.url, htmx=self.htmx)
        if action == "back":
            previous = _step(questionnaire, answers, index, -1)
            self._save(key, answers, index if previous is None else previous)
            return _redirect(visit.url)
        if action == "save":
            return self._saved(key, self._save(key, answers, index))
        errors = page_errors(questionnaire, page, answers, visit.language)
        if errors:
            self._save(key, answers, index)
            return page_template(visit, index, answers, errors, fragment=False, status=422)
        following = _step(questionnaire, answers, index, 1)
        if following is not None:
            self._save(key, answers, following)
            return _redirect(visit.url)
        return self._send(key, answers)

    def _without_draft(self, action: str, switch: str | None) -> Response[Any]:
        visit = self.visit
        if switch:
            return _reload(visit.link(lang=switch), htmx=self.htmx)
        if action == "start":
            key = visit.token or new_draft_key()
            self._save(key, {}, _step(visit.questionnaire, {}, -1, 1) or 0)
            return _redirect(visit.url, self._cookies(key))
        if action == "submit" and visit.key and draft_was_sent(self.db, visit.survey.id, visit.key):
            return _redirect(visit.link("thanks", lang=visit.language))
        notice = translations(visit.language).gettext(
            "Your saved answers were not found. Saved answers are deleted after some time. "
            "Please start again."
        )
        return show_survey(visit, fragment=False, notice=notice)

    def _send(self, key: str, answers: dict[str, object]) -> Response[Any]:
        visit, questionnaire = self.visit, self.visit.questionnaire
        try:
            submission_create(
                self.db,
                survey=visit.survey,
                submission_id=submission_id_for(key),
                language=visit.language,
                answers=answers,
                invitation_token=visit.token,
            )
        except SubmissionInvalid as invalid:
            # An earlier page no longer passes (the survey got a new version, say):
            # show the first page with an error.
            index = next(
                (
                    number
                    for number, page in enumerate(questionnaire.pages)
                    if _page_names(page) & invalid.errors.keys()
                ),
                len(questionnaire.pages) - 1,
            )
            self._save(key, answers, index)
            return page_template(visit, index, answers, invalid.errors, fragment=False, status=422)
        except SubmissionConflict:
            raise Refused("conflict", 409, visit.language) from None
        except InvitationRejected:
            raise Refused("link_used", 403, visit.language) from None
        except SurveyClosed:
            raise Refused("closed", 403, visit.language) from None
        draft_delete(self.db, visit.survey.id, key)
        return _redirect(visit.link("thanks", lang=visit.language), self._cookies(key, delete=True))

    def _saved(self, key: str, saved: DraftState) -> Template:
        """ "Continue later": a resume code for another device (anonymous surveys)."""
        visit = self.visit
        code = None
        if visit.token is None:
            code = resume_code_create(
                self.db, survey_id=visit.survey.id, key=key, secret=self.settings.secret_key
            )
        context = {
            **_survey_context(visit),
            "code": format_resume_code(code) if code else None,
            "expires": format_date(saved.expires_on, format="long", locale=visit.language),
        }
        return Template(template_name="respond/saved.html", context=context)

    def resume(self, form: FormMultiDict) -> Response[Any]:
        """Continue with (or delete) the draft of a typed resume code."""
        visit, secret = self.visit, self.settings.secret_key
        code = str(form.get("code", ""))[:MAX_CODE_LENGTH]
        gettext = translations(visit.language).gettext
        if form.get(ACTION) == "delete":
            if draft_delete_by_code(self.db, survey_id=visit.survey.id, code=code, secret=secret):
                return resume_form(visit, notice=gettext("Your saved answers were deleted."))
        else:
            key = draft_resume(self.db, survey_id=visit.survey.id, code=code, secret=secret)
            if key is not None:
                return _reload(visit.url, self._cookies(key), htmx=self.htmx)
        message = gettext("This code is not valid or has expired. Please check it.")
        return resume_form(visit, error=message, status=422)


def resume_form(
    visit: Visit, *, error: str | None = None, notice: str | None = None, status: int = 200
) -> Template:
    """The form for a resume code: continue with the answers, or delete them.

    Invitation surveys have none: their personal link resumes the answers.
    """
    if visit.questionnaire.audience == "invitation":
        raise Refused("link_needed", 403, visit.language)
    context = {**_survey_context(visit, "resume"), "error": error, "notice": notice}
    return Template(template_name="respond/resume.html", context=context, status_code=status)


def thanks_page(visit: Visit) -> Template:
    """The thank-you page in the survey language."""
    questionnaire = visit.questionnaire
    context = {
        **_survey_context(visit, "thanks"),
        "thank_you": _paragraphs(questionnaire.text(questionnaire.thank_you, visit.language))
        if questionnaire.thank_you
        else [],
        "results_notice": RESULTS_NOTICE,
    }
    return Template(template_name="respond/thanks.html", context=context)


def _landing_url(language: str) -> str:
    return f"/?{urlencode({'lang': language})}"


def landing_page(db: Database, language: str) -> Template:
    """Open surveys, each with a link per language."""
    surveys = [
        {
            "id": survey.id,
            "title": survey.questionnaire.text(survey.questionnaire.title, language),
            "description": survey.questionnaire.text(survey.questionnaire.description, language),
            "invitation": survey.questionnaire.audience == "invitation",
            "links": [
                {**link, "url": survey_url(survey.id, lang=link["code"])}
                for link in _language_links(survey.questionnaire.languages)
            ],
        }
        for survey in latest_surveys(db)
        if survey.is_open
    ]
    context = {
        **ui_context(language),
        "surveys": surveys,
        "languages": _language_links(catalogue_languages()),
        "language_url": _landing_url,
    }
    return Template(template_name="respond/landing.html", context=context)


def message_page(refused: Refused) -> Template:
    """A clear page for a refused request (unknown survey, closed, invitation problems)."""
    title, text = MESSAGES[refused.kind]
    context = {**ui_context(refused.language), "message_title": title, "message_text": text}
    return Template(
        template_name="respond/message.html", context=context, status_code=refused.status
    )


# -- posters ---------------------------------------------------------------------------


def qr_svg(url: str, title: str) -> str:
    """A QR code for `url` as inline SVG: presentation attributes only (no style, no
    script), so a strict Content-Security-Policy allows it."""
    code = segno.make(url, error="m")
    return str(
        code.svg_inline(
            scale=1, border=4, omitsize=True, svgclass="qr", lineclass=None, title=title
        )
    )


def poster_html(
    survey: PublishedSurvey, language: str, base_url: str, *, inline_css: bool = False
) -> str:
    """A printable A4 poster: title, one line of invitation, the link and its QR code.

    `inline_css` embeds the stylesheet (for a file written by the CLI).
    """
    questionnaire = survey.questionnaire
    language = questionnaire.language_or_default(language)
    ui = ui_context(language)
    link = f"{base_url.rstrip('/')}{survey_url(survey.id, lang=language)}"
    title = questionnaire.text(questionnaire.title, language)
    description = questionnaire.text(questionnaire.description, language)
    context = {
        **ui,
        "title": title,
        "invitation_text": _paragraphs(description)[0]
        if description
        else ui["_"](POSTER_DEFAULT_TEXT),
        "link": link,
        "qr": qr_svg(link, title),
        "css": (STATIC / "app.css").read_text(encoding="utf-8") if inline_css else None,
    }
    return jinja_environment().get_template("respond/poster.html").render(context)


# -- the controller --------------------------------------------------------------------


def _refused(_request: Request[Any, Any, Any], refused: Refused) -> Response[Any]:
    return message_page(refused)


class RespondController(Controller):
    """The respondent's pages."""

    include_in_schema = False
    exception_handlers = {Refused: _refused}

    async def _visit(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        survey_id: str,
        requested_language: str | None,
    ) -> Visit:
        return await in_thread(
            open_visit,
            db,
            survey_id,
            requested_language=requested_language,
            accept_language=request.headers.get("accept-language"),
            cookie_key=request.cookies.get(COOKIE_NAME),
            token=request.query_params.get("invitation"),
        )

    @get("/")
    async def landing(
        self, request: Request[Any, Any, Any], db: NamedDependency[Database]
    ) -> Template:
        language = _page_language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
        return await in_thread(landing_page, db, language)

    @get("/s/{survey_id:str}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        survey_id: FromPath[str],
    ) -> Template:
        visit = await self._visit(request, db, survey_id, request.query_params.get("lang"))
        return show_survey(visit, fragment=is_fragment_request(request))

    @post("/s/{survey_id:str}")
    async def answer(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        visit = await self._visit(request, db, survey_id, form.get(LANGUAGE))
        answering = Answering(db, settings, visit, htmx=is_htmx(request))
        return await in_thread(answering.page, form)

    @post("/s/{survey_id:str}/refresh")
    async def refresh(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        survey_id: FromPath[str],
    ) -> Template:
        form = await request.form()
        visit = await self._visit(request, db, survey_id, form.get(LANGUAGE))
        return await in_thread(refresh_page, visit, form)

    @get("/s/{survey_id:str}/resume")
    async def resume(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        survey_id: FromPath[str],
    ) -> Template:
        visit = await self._visit(request, db, survey_id, request.query_params.get("lang"))
        return resume_form(visit)

    @post("/s/{survey_id:str}/resume")
    async def resume_with_code(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Response[Any]:
        form = await request.form()
        visit = await self._visit(request, db, survey_id, form.get(LANGUAGE))
        resume_form(visit)  # refuses invitation surveys before any code is tried
        answering = Answering(db, settings, visit, htmx=is_htmx(request))
        return await in_thread(answering.resume, form)

    @get("/s/{survey_id:str}/thanks")
    async def thanks(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        survey_id: FromPath[str],
    ) -> Template:
        survey = await in_thread(get_survey, db, survey_id)
        accept = request.headers.get("accept-language")
        if survey is None:
            raise Refused("unknown_survey", 404, _page_language(None, accept))
        language = _choose_language(
            survey.questionnaire, request.query_params.get("lang"), None, accept
        )
        return thanks_page(Visit(survey, language, None))

    @get("/s/{survey_id:str}/poster")
    async def poster(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Database],
        settings: NamedDependency[Settings],
        survey_id: FromPath[str],
    ) -> Response[str]:
        survey = await in_thread(get_survey, db, survey_id)
        accept = request.headers.get("accept-language")
        if survey is None:
            raise Refused("unknown_survey", 404, _page_language(None, accept))
        language = _choose_language(
            survey.questionnaire, request.query_params.get("lang"), None, accept
        )
        if survey.questionnaire.audience == "invitation":
            raise Refused("link_needed", 403, language)
        html = poster_html(survey, language, settings.base_url)
        return Response(html, media_type="text/html; charset=utf-8")
