"""What the respondent's pages do: who is answering (draft, invitation, language), what
a posted page means and which response it gets.

Plain HTML forms are the baseline; htmx (`hx-boost` on the body) makes them smoother.
A page is one questionnaire page at its own address (`/s/{survey}/p/{page}?lang=xx`).
What a posted page means (which questions are visible, which answers are kept or
discarded, the errors, the previous and next page) is decided by the pure `page_state`;
this module maps it to responses and keeps the draft. When a page sent without
JavaScript makes questions on it newly relevant (or withdraws an answered one), the same
page comes back with a note instead of the next one, so no follow-up question is
skipped. With htmx a changed answer is saved at once, and one that others depend on
re-renders the page fragment. `respond/page.html` includes the fragment
`respond/_page.html`; a non-boosted htmx request gets the fragment alone.

The final submission goes through `draft_submit`: `submission_create`, the same function
as the JSON API, with a submission id derived from the draft key (a double-click stores
one response), and the draft's deletion in the same transaction.
The view models live in `survey_app.render.respond`, shared with the command line.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urlencode

from babel.dates import format_date
from litestar import Response
from litestar.datastructures import Cookie, FormMultiDict
from litestar.response import Redirect, Template

from survey_app.db.engine import Database
from survey_app.i18n import (
    N_,
    answer_error_message,
    negotiate_language,
    page_language,
    translations,
)
from survey_app.questionnaire.district import unfilled_placeholders
from survey_app.questionnaire.navigation import (
    PageState,
    first_page,
    first_page_with_errors,
    is_empty_entry,
    last_page,
    page_index,
    page_state,
)
from survey_app.questionnaire.paths import entries_at, entry_path, top_name
from survey_app.questionnaire.rules import (
    MAX_ENTRIES,
    AnswerError,
    is_empty,
    parse_form_value,
)
from survey_app.questionnaire.schema import Page, Question, Questionnaire, QuestionType
from survey_app.render.respond import (
    APPEARED_NOTICE,
    REFILTERED_NOTICE,
    REVIEW_NOTICE,
    WITHDRAWN_NOTICE,
    Respondent,
    district_values,
    landing_context,
    page_context,
    start_context,
    survey_context,
    ui_context,
)
from survey_app.render.text import local_digits
from survey_app.services.district import production_profile
from survey_app.services.drafts import (
    DraftState,
    draft_change,
    draft_delete_by_code,
    draft_load,
    draft_page_name,
    draft_resume,
    draft_save,
    draft_submit,
    draft_was_sent,
    format_resume_code,
    new_draft_key,
    resume_code_create,
)
from survey_app.services.invitations import invitation_find
from survey_app.services.published import PublishedSurvey, get_survey
from survey_app.services.submissions import (
    InvitationRejected,
    SubmissionConflict,
    SubmissionInvalid,
    SurveyClosed,
)
from survey_app.services.surveys import latest_surveys
from survey_app.settings import Settings

COOKIE_NAME = "survey_draft"
MAX_TOKEN_LENGTH = 200
MAX_CODE_LENGTH = 40
# Form fields of the page machinery; question names cannot contain ':', so no clash.
ACTION = "nav:action"
PAGE = "nav:page"
LANGUAGE = "nav:lang"
SWITCH = "nav:language"
SHOWN = "nav:shown"
OFFERED = "nav:offered"
REVIEW = "nav:review"
ENTRIES = "entries:"
"""`entries:P` says how many entries of the repeat at path P the page shows."""
ADD_ENTRY = "entry:add"
"""Names the repeat (its path) that gets another, empty entry."""
REMOVE_ENTRY = "entry:remove"
"""Names the entry (`members[2]`) to remove."""

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
DRAFT_GONE = N_(
    "Your saved answers were not found. Saved answers are deleted after some time. "
    "Please start again."
)


class Refused(Exception):
    """The request cannot go on; the visitor gets a clear page instead of the survey."""

    def __init__(self, kind: str, status: int, language: str) -> None:
        super().__init__(kind)
        self.kind = kind
        self.status = status
        self.language = language


def choose_language(
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
    def respondent(self) -> Respondent:
        return Respondent(self.survey, self.language, self.token)

    @property
    def url(self) -> str:
        return self.respondent.url

    def link(self, page: str = "", **query: str) -> str:
        return self.respondent.link(page, **query)

    def page_link(self, index: int, *, language: str | None = None) -> str:
        return self.respondent.page_link(index, language=language)

    @property
    def draft_page(self) -> int:
        """The page the draft is at (0 without a draft)."""
        if self.draft is None:
            return 0
        return min(self.draft.page, len(self.questionnaire.pages) - 1)


def open_visit(
    db: Database,
    settings: Settings,
    survey_id: str,
    *,
    requested_language: str | None,
    accept_language: str | None,
    cookie_key: str | None,
    token: str | None,
) -> Visit:
    """Find the survey, check access (invitation token) and load the draft.

    Raises `Refused` for an unknown survey, a closed one, or a missing, unknown or used
    invitation link. In production, a survey whose privacy notice would show an example
    value of the district profile is closed too (`production_profile`).
    """
    survey = get_survey(db, survey_id)
    if survey is None:
        raise Refused("unknown_survey", 404, page_language(requested_language, accept_language))
    questionnaire = survey.questionnaire
    language = choose_language(questionnaire, requested_language, None, accept_language)
    if not survey.is_open:
        raise Refused("closed", 403, language)
    district = production_profile(db, settings)
    if district is not None and unfilled_placeholders(questionnaire, district):
        raise Refused("closed", 403, language)
    if questionnaire.audience != "invitation":
        draft = draft_load(db, survey.id, cookie_key) if cookie_key else None
        draft = _in_this_version(db, survey, draft)
        language = choose_language(questionnaire, requested_language, draft, accept_language)
        return Visit(survey, language, cookie_key, draft=draft)
    if not token:
        raise Refused("link_needed", 403, language)
    invitation = invitation_find(db, survey.id, token) if len(token) <= MAX_TOKEN_LENGTH else None
    if invitation is None:
        raise Refused("link_unknown", 404, language)
    if invitation.used_on is not None:
        raise Refused("link_used", 403, language)
    # The token is the draft key: the personal link resumes the draft in any browser.
    draft = _in_this_version(db, survey, draft_load(db, survey.id, token))
    language = choose_language(questionnaire, requested_language, draft, accept_language)
    return Visit(survey, language, token, token, invitation.id, draft)


def _in_this_version(
    db: Database, survey: PublishedSurvey, draft: DraftState | None
) -> DraftState | None:
    """A draft saved with an earlier version continues at the same page (found by its
    name: the new version may have added or removed pages before it)."""
    if draft is None or draft.version_id == survey.version_id:
        return draft
    name = draft_page_name(db, draft)
    index = page_index(survey.questionnaire, name) if name else None
    if index is None:
        index = min(draft.page, len(survey.questionnaire.pages) - 1)
    return replace(draft, page=index, version_id=survey.version_id)


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


# -- what a form sent -------------------------------------------------------------------


def form_answers(
    page: Page, form: FormMultiDict, language: str, *, keep_empty_entries: bool = False
) -> dict[str, object]:
    """The answers a page's form sent, as JSON-like values (None for empty); numbers as
    people write them in `language`. A repeat's entries come as lists of answers by name
    (`entries:members` says how many, `members[2].age` is one answer); an entry left
    empty is no entry, unless `keep_empty_entries` (adding or removing entries keeps the
    positions the respondent saw) or the questionnaire sets the number of entries."""
    return {
        question.name: _form_value(question, question.name, form, language, keep_empty_entries)
        for question in page.questions
        if question.takes_answer
    }


def _form_value(
    question: Question, path: str, form: FormMultiDict, language: str, keep_empty: bool
) -> object:
    if question.type is not QuestionType.REPEAT:
        return parse_form_value(question, form.getall(path, []), language)
    try:
        count = int(form.get(ENTRIES + path, 0))
    except (TypeError, ValueError):
        count = 0
    entries: list[dict[str, object]] = []
    for position in range(1, max(0, min(count, MAX_ENTRIES)) + 1):
        prefix = entry_path(path, position)
        entries.append(
            {
                inner.name: value
                for inner in question.questions
                if inner.takes_answer
                for value in [_form_value(inner, prefix + inner.name, form, language, keep_empty)]
                if not is_empty(value)
            }
        )
    if not keep_empty and question.repeat_count is None:
        entries = [entry for entry in entries if not is_empty_entry(entry)]
    return entries or None


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


def sent_page(visit: Visit, form: FormMultiDict, index: int | None = None) -> PageState:
    """The state of the page a form was posted from, with its answers merged into the
    draft's (irrelevant ones discarded).

    What the page showed comes from the form (`nav:shown` and `nav:offered`, kept up to
    date by htmx refreshes); a form without them showed what the draft's answers made
    visible and offered.
    """
    questionnaire = visit.questionnaire
    earlier = visit.draft.answers if visit.draft else {}
    if index is None:
        index = _posted_page(form, visit.draft, questionnaire)
    return state_of_sent_page(questionnaire, earlier, index, form, visit.language)


def state_of_sent_page(
    questionnaire: Questionnaire,
    earlier: Mapping[str, object],
    index: int,
    form: FormMultiDict,
    language: str,
) -> PageState:
    """The state of page `index` after its form was sent, compared with what the form
    says the page showed (`nav:shown`, `nav:offered`), or else with what the `earlier`
    answers made visible and offered."""
    before = None
    if SHOWN in form:
        shown: Collection[str] = str(form.get(SHOWN, "")).split()
    else:
        before = page_state(questionnaire, earlier, index)
        shown = before.shown_names
    if OFFERED in form:
        offers = dict(token.rpartition(":")[::2] for token in str(form.get(OFFERED, "")).split())
    else:
        offers = (before or page_state(questionnaire, earlier, index)).offered_digests
    sent = form_answers(questionnaire.pages[index], form, language)
    return page_state(questionnaire, earlier, index, sent=sent, shown=shown, shown_offers=offers)


def error_messages(
    visit: Visit, errors: Mapping[str, AnswerError], *, hide: tuple[str, ...] = ()
) -> dict[str, str]:
    """The messages of refused answers in the visit's language (none for `hide`)."""
    return {
        name: answer_error_message(error, visit.questionnaire, visit.language)
        for name, error in errors.items()
        if name not in hide
    }


# -- responses ----------------------------------------------------------------------------


def page_template(
    visit: Visit,
    state: PageState,
    messages: Mapping[str, str],
    *,
    fragment: bool,
    live: bool = False,
    notices: tuple[str, ...] = (),
    review: bool = False,
    status: int = 200,
    focus: str | None = None,
) -> Template:
    """A page (the full page, or only its fragment for htmx)."""
    context = page_context(
        visit.respondent,
        state,
        messages,
        live=live,
        notices=notices,
        review=review,
        focus=focus,
    )
    name = "respond/_page.html" if fragment else "respond/page.html"
    return Template(template_name=name, context=context, status_code=status)


def _redirect(url: str, cookies: list[Cookie] | None = None) -> Redirect:
    return Redirect(url, status_code=303, cookies=cookies or [])


def _reload(url: str, cookies: list[Cookie] | None = None, *, htmx: bool) -> Response[Any]:
    """Go to `url` as a whole new page: the language may change, and a boosted htmx
    swap would keep the old `<html lang dir>`."""
    if not htmx:
        return _redirect(url, cookies)
    return Response(b"", status_code=200, headers={"HX-Redirect": url}, cookies=cookies or [])


def show_survey(
    visit: Visit, district: Mapping[str, str], *, notice: str | None = None
) -> Response[Any]:
    """The draft's current page (at its own address), or the start screen (privacy
    notice, its placeholders filled from `district`) without a draft."""
    if visit.draft is not None:
        return _redirect(visit.page_link(visit.draft_page))
    context = start_context(visit.respondent, district, notice)
    return Template(template_name="respond/start.html", context=context)


def show_page(visit: Visit, name: str, *, fragment: bool) -> Response[Any]:
    """Page `name` with the draft's answers: what Back, Forward and reload show.

    Without a draft (sent, expired, another browser) the start screen comes, in the
    language of the address; a page that does not exist or shows no question for these
    answers leads to the draft's page, or the nearest page with a question.
    """
    if visit.draft is None:
        return _redirect(visit.link(lang=visit.language))
    questionnaire = visit.questionnaire
    index = page_index(questionnaire, name)
    if index is None:
        return _redirect(visit.page_link(visit.draft_page))
    state = page_state(questionnaire, visit.draft.answers, index)
    if not state.visible:
        nearest = state.next if state.next is not None else state.previous
        return _redirect(
            visit.page_link(first_page(questionnaire, {}) if nearest is None else nearest)
        )
    return page_template(visit, state, {}, fragment=fragment)


def page_notices(state: PageState) -> tuple[str, ...]:
    """What a page sent and shown again says changed on it."""
    return (
        (APPEARED_NOTICE,) * bool(state.appeared)
        + (WITHDRAWN_NOTICE,) * bool(state.withdrawn)
        + (REFILTERED_NOTICE,) * bool(state.refiltered)
    )


@dataclass(frozen=True)
class Answering:
    """The posted forms of one visit: they change the draft or send the answers."""

    db: Database
    settings: Settings
    visit: Visit
    htmx: bool = False
    changed: str | None = None
    """The question whose change an htmx request reports (autosave, refresh)."""

    def _save(
        self,
        key: str,
        answers: Mapping[str, object],
        page: int | None,
        language: str | None = None,
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

    def page(self, form: FormMultiDict, index: int | None = None) -> Response[Any]:
        """A posted page (page `index`, else the one the form names): start, switch
        language, back, continue later, next or send. Every one saves the answers."""
        visit = self.visit
        action = form.get(ACTION, "next")
        switch = form.get(SWITCH)
        if visit.draft is None or visit.key is None:
            return self._without_draft(action, switch)
        key = visit.key
        state = sent_page(visit, form, index)
        answers = state.answers
        if switch in visit.questionnaire.languages:
            self._save(key, answers, state.index, switch)
            return _reload(visit.page_link(state.index, language=switch), htmx=self.htmx)
        if action == "back":
            previous = state.index if state.previous is None else state.previous
            self._save(key, answers, previous)
            return _redirect(visit.page_link(previous))
        if action == "save":
            return self._saved(key, self._save(key, answers, state.index))
        if entries_changed(form):
            return self._change_entries(key, form, state.index)
        if state.changed or state.errors:
            # Newly shown questions get no error before the respondent has seen them.
            self._save(key, answers, state.index)
            messages = error_messages(visit, state.errors, hide=state.unseen)
            return page_template(
                visit,
                state,
                messages,
                fragment=False,
                notices=page_notices(state),
                status=422 if messages else 200,
            )
        if form.get(REVIEW):
            return self._review(key, answers)
        if state.next is not None:
            self._save(key, answers, state.next)
            return _redirect(visit.page_link(state.next))
        return self._send(key, answers)

    def _change_entries(self, key: str, form: FormMultiDict, index: int) -> Response[Any]:
        """Add an empty entry to a repeat, or remove one, and show the page again with
        the answers as they were sent (no errors yet: nothing was asked to go on)."""
        visit = self.visit
        earlier = visit.draft.answers if visit.draft else {}
        state, focus = with_entries_changed(
            visit.questionnaire, earlier, index, form, visit.language
        )
        self._save(key, state.answers, state.index)
        return page_template(visit, state, {}, fragment=False, focus=focus)

    def _review(self, key: str, answers: dict[str, object]) -> Response[Any]:
        """After sending found answers missing (a new version asks more): the next page
        with missing answers, or back to the page the answers are sent from."""
        visit, questionnaire = self.visit, self.visit.questionnaire
        pending = first_page_with_errors(questionnaire, answers)
        if pending is None:
            last = last_page(questionnaire, answers)
            self._save(key, answers, last)
            return _redirect(visit.page_link(last))
        state = page_state(questionnaire, answers, pending)
        self._save(key, answers, pending)
        return page_template(
            visit,
            state,
            error_messages(visit, state.errors),
            fragment=False,
            notices=(REVIEW_NOTICE,),
            review=True,
            status=422,
        )

    def autosave(self, form: FormMultiDict, index: int) -> Response[Any]:
        """Keep the answer that changed on page `index` (htmx, on every change); the
        draft stays at its page.

        Without a draft nothing is kept, quietly: the usual case is a change racing Send
        (the comment typed, then Send tapped), whose draft is gone because the answers
        are stored; an expired draft is explained by the next button pressed."""
        visit = self.visit
        if visit.draft is None or visit.key is None:
            return Response(b"", status_code=204)
        self._save_changed(visit.key, form, sent_page(visit, form, index))
        return Response(b"", status_code=204)

    def refresh(self, form: FormMultiDict, index: int | None = None) -> Template:
        """The page fragment for the answers in the form (the one that changed is saved):
        skip logic applied, and errors of the answers given so far (not yet of the
        missing ones)."""
        visit = self.visit
        state = sent_page(visit, form, index)
        if visit.draft is not None and visit.key is not None:
            self._save_changed(visit.key, form, state)
        messages = error_messages(visit, state.errors_except_required())
        return page_template(visit, state, messages, fragment=True, live=True)

    def _save_changed(self, key: str, form: FormMultiDict, state: PageState) -> None:
        """Save the answer htmx reports as changed (`HX-Trigger: question-{name}`) into
        the draft, the others as they are there: a request overtaken by a later one (an
        earlier change arriving after Next) must not undo answers given since, so the
        change is applied to the draft as it is when saved. Without that report, the
        page's answers as sent."""
        questionnaire = self.visit.questionnaire
        if self.changed is None:
            self._save(key, state.answers, None)
            return
        sent = form_answers(state.page, form, self.visit.language)
        # A question in an entry reports its path (`members[2].age`): its repeat's
        # entries are saved as the form holds them.
        changed = top_name(self.changed)
        if changed not in sent:
            return
        one = {changed: sent[changed]}
        draft_change(
            self.db,
            survey_id=self.visit.survey.id,
            key=key,
            change=lambda now: page_state(questionnaire, now, state.index, sent=one).answers,
            lifetime_days=self.settings.draft_lifetime_days,
        )

    def _without_draft(self, action: str, switch: str | None) -> Response[Any]:
        visit = self.visit
        if switch:
            return _reload(visit.link(lang=switch), htmx=self.htmx)
        if action == "start":
            key = visit.token or new_draft_key()
            index = first_page(visit.questionnaire, {})
            self._save(key, {}, index)
            return _redirect(visit.page_link(index), self._cookies(key))
        if action == "submit" and visit.key and draft_was_sent(self.db, visit.survey.id, visit.key):
            return _redirect(visit.link("thanks", lang=visit.language))
        notice = translations(visit.language).gettext(DRAFT_GONE)
        return show_survey(visit, district_values(self.settings, self.db), notice=notice)

    def _send(self, key: str, answers: dict[str, object]) -> Response[Any]:
        visit, questionnaire = self.visit, self.visit.questionnaire
        try:
            draft_submit(
                self.db,
                survey=visit.survey,
                key=key,
                language=visit.language,
                answers=answers,
                invitation_token=visit.token,
                started_at=visit.draft.started_at if visit.draft else None,
            )
        except SubmissionInvalid as invalid:
            # An earlier page no longer passes (the survey got a new version that asks
            # more): the first page with an error, then the others, then back to Send.
            index = first_page_with_errors(questionnaire, answers)
            if index is None:
                index = last_page(questionnaire, answers)
            state = page_state(questionnaire, answers, index)
            self._save(key, answers, state.index)
            return page_template(
                visit,
                state,
                invalid.errors,
                fragment=False,
                notices=(REVIEW_NOTICE,),
                review=True,
                status=422,
            )
        except SubmissionConflict:
            raise Refused("conflict", 409, visit.language) from None
        except InvitationRejected:
            raise Refused("link_used", 403, visit.language) from None
        except SurveyClosed:
            raise Refused("closed", 403, visit.language) from None
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
            **survey_context(visit.respondent),
            "code": format_resume_code(code) if code else None,
            "expires": local_digits(
                format_date(saved.expires_on, format="long", locale=visit.language),
                visit.language,
            ),
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
    context = {**survey_context(visit.respondent, "resume"), "error": error, "notice": notice}
    return Template(template_name="respond/resume.html", context=context, status_code=status)


def _landing_url(language: str) -> str:
    return f"/?{urlencode({'lang': language})}"


def landing_page(db: Database, settings: Settings, language: str) -> Template:
    """Open surveys, each with a link per language (in production not those that wait
    for the district profile: they would only say "closed")."""
    surveys = latest_surveys(db)
    district = production_profile(db, settings)
    if district is not None:
        surveys = [s for s in surveys if not unfilled_placeholders(s.questionnaire, district)]
    context = landing_context(surveys, language, _landing_url)
    return Template(template_name="respond/landing.html", context=context)


def message_page(refused: Refused) -> Template:
    """A clear page for a refused request (unknown survey, closed, invitation problems)."""
    title, text = MESSAGES[refused.kind]
    context = {**ui_context(refused.language), "message_title": title, "message_text": text}
    return Template(
        template_name="respond/message.html", context=context, status_code=refused.status
    )


def entries_changed(form: FormMultiDict) -> bool:
    """Whether the form was sent by an entry's Remove or a repeat's Add button."""
    return bool(form.get(ADD_ENTRY) or form.get(REMOVE_ENTRY))


def with_entries_changed(
    questionnaire: Questionnaire,
    earlier: Mapping[str, object],
    index: int,
    form: FormMultiDict,
    language: str,
) -> tuple[PageState, str | None]:
    """Page `index` after its Add or Remove button: the answers as sent (entries left
    empty kept, so positions are the ones the respondent saw) with an empty entry added
    or one removed; and the path of an added entry, whose first field gets the focus."""
    sent = form_answers(questionnaire.pages[index], form, language, keep_empty_entries=True)
    added = str(form.get(ADD_ENTRY) or "")
    removed = str(form.get(REMOVE_ENTRY) or "")
    if top_name(added or removed) in sent:
        changed_entries(sent, added=added, removed=removed)
    state = page_state(questionnaire, earlier, index, sent=sent)
    entries = entries_at(state.answers, added) if added else None
    return state, entry_path(added, len(entries)) if entries else None


def changed_entries(answers: dict[str, object], *, added: str = "", removed: str = "") -> None:
    """Append an empty entry to the repeat at path `added` (up to `MAX_ENTRIES`), or
    remove the entry at path `removed` (`members[2]`), in `answers` (a page's, as sent)."""
    if added:
        entries = entries_at(answers, added, create=True)
        if entries is not None and len(entries) < MAX_ENTRIES:
            entries.append({})
        return
    path, _, position = removed.rpartition("[")
    entries = entries_at(answers, path)
    try:
        number = int(position.rstrip("]"))
    except ValueError:
        return
    if entries is not None and 1 <= number <= len(entries):
        del entries[number - 1]
