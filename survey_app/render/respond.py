"""What the respondent's templates show: contexts of the survey pages, and the poster.

Built from a `PageState` (which questions, which answers, which errors) and the survey's
texts; the web controller wraps a context in a `Template`, the command line renders the
poster to a file. UI strings go through `_` in the template context (the respondent's
gettext catalogue); questionnaire texts through `t` (the questionnaire's own
translations).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote, urlencode

import segno
from babel.numbers import format_decimal
from markupsafe import Markup

from survey_app.db.engine import Database
from survey_app.i18n import (
    N_,
    S_,
    catalogue_languages,
    language_name,
    staff_gettext,
    translations,
)
from survey_app.questionnaire.district import (
    fill_placeholders,
    placeholder_values,
)
from survey_app.questionnaire.expressions import EntryAnswers
from survey_app.questionnaire.navigation import PageState
from survey_app.questionnaire.paths import entries_at, entry_path, value_at
from survey_app.questionnaire.rules import MAX_ENTRIES, check_answers, is_required
from survey_app.questionnaire.schema import Question, Questionnaire, QuestionType, direction
from survey_app.render.templating import STATIC, jinja_environment
from survey_app.render.text import (
    isolated,
    isolated_plain_text,
    isolated_text,
    local_digits,
)
from survey_app.services.district import district_has_logo, district_profile_of, logo_data_uri
from survey_app.services.published import PublishedSurvey
from survey_app.settings import Settings

RESULTS_NOTICE = N_(
    "The results will be presented at the meeting of the integration network. "
    "Nobody can see your individual answers there."
)
POSTER_DEFAULT_TEXT = N_("Your opinion counts. Take part in our survey.")
POSTER_LOCAL_WARNING = S_(
    "Not for printing: the link and the QR code point to this computer (%(address)s) and "
    "work for no one else. SURVEY_BASE_URL must first be set to the survey's public address."
)
"""For the office, in its language (German unless the poster is English)."""
APPEARED_NOTICE = N_("New questions appeared on this page. Please answer them too.")
WITHDRAWN_NOTICE = N_(
    "Some questions on this page no longer apply to you. Their answers were removed."
)
REFILTERED_NOTICE = N_(
    "The options of some questions on this page changed to fit your answers. Please check them."
)
NO_OPTIONS_HINT = N_(
    "The options will appear here once you have answered the questions before this one."
)
REVIEW_NOTICE = N_("Before we can send your answers, please answer the questions marked here.")


def ui_context(language: str) -> dict[str, Any]:
    """What every respondent template needs: `_` (the UI catalogue, numbers in the digits
    of the language), `bidi` and `paragraphs` for texts of authors (runs in the other
    writing direction isolated), `bidi_answer` for a text made of a respondent's
    answers (isolated alike, never remembered), `plain` for where no markup goes
    (`<title>`, `<option>`), the language and its direction."""
    gettext = translations(language).gettext
    text_direction = direction(language)

    def _(message: str, **values: object) -> str:
        text = gettext(message)
        if not values:
            return text
        shown = {
            name: local_digits(str(value), language) if isinstance(value, int) else value
            for name, value in values.items()
        }
        return text % shown

    def bidi(text: str) -> Markup:
        return isolated_text(text, text_direction)

    def bidi_answer(text: str) -> Markup:
        return isolated(text, text_direction)

    def plain(text: str) -> str:
        return isolated_plain_text(text, text_direction)

    def paragraphs_of(text: str) -> list[Markup]:
        return [bidi(paragraph) for paragraph in paragraphs(text)]

    return {
        "_": _,
        "bidi": bidi,
        "bidi_answer": bidi_answer,
        "plain": plain,
        "paragraphs": paragraphs_of,
        "language": language,
        "text_direction": text_direction,
    }


LOGO_URL = "/district/logo.png"


def district_values(settings: Settings, db: Database) -> dict[str, str]:
    """What the `{placeholders}` of privacy notices and thank-you texts stand for: the
    district profile (as the office set it, else beside the questionnaires), and the
    settings the texts promise; and `logo_url`, the address of the district's logo for
    the start page's header (empty without one; no placeholder names it)."""
    values = placeholder_values(
        district_profile_of(db, settings.questionnaires), draft_days=settings.draft_lifetime_days
    )
    return {**values, "logo_url": LOGO_URL if district_has_logo(db) else ""}


def language_links(languages: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    return [
        {"code": code, "name": language_name(code), "dir": direction(code)} for code in languages
    ]


def survey_url(survey_id: str, token: str | None = None, page: str = "", **query: str) -> str:
    """The address of a survey (or of its `page`: "resume", "thanks", ...), with the
    invitation token when there is one."""
    path = f"/s/{quote(survey_id, safe='')}" + (f"/{page}" if page else "")
    parameters = {**({"invitation": token} if token else {}), **query}
    return f"{path}?{urlencode(parameters)}" if parameters else path


def paragraphs(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class Respondent:
    """Who is answering which survey, in which language: what links and texts need."""

    survey: PublishedSurvey
    language: str
    token: str | None = None

    @property
    def questionnaire(self) -> Questionnaire:
        return self.survey.questionnaire

    @property
    def url(self) -> str:
        return survey_url(self.survey.id, self.token)

    def link(self, page: str = "", **query: str) -> str:
        return survey_url(self.survey.id, self.token, page, **query)

    def page_link(self, index: int, suffix: str = "", *, language: str | None = None) -> str:
        """The address of questionnaire page `index` (`/s/{survey}/p/{page}?lang=xx`):
        Back, Forward and reload keep the place, and the language stays without a draft."""
        name = quote(self.questionnaire.pages[index].name, safe="")
        return self.link(f"p/{name}{suffix}", lang=language or self.language)

    def text(self, text: Mapping[str, str]) -> str:
        return self.questionnaire.text(dict(text), self.language)


# -- questions ---------------------------------------------------------------------------

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


def _display_value(value: object, language: str) -> object:
    """An answer as its input shows it: numbers as people of `language` write them
    (their digits and decimal sign, no grouping), which `parse_number` reads back."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    written = format_decimal(
        value, format="0.##########", locale=language, numbering_system="default"
    )
    return local_digits(written, language)


def _plain_number(value: object) -> object:
    """A number as an `<input type=number>` takes it (Latin digits, a point)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _shown_value(
    questionnaire: Questionnaire, question: Question, value: object, language: str
) -> str:
    """A read-only question's value as a respondent reads it: choice labels (a ranking
    numbered), numbers in the language's digits."""
    if value is None or value == "" or value == []:
        return ""
    labels = {
        choice.name: questionnaire.text(choice.label, language) or choice.name
        for choice in questionnaire.choices_of(question)
    }
    names = value if isinstance(value, list) else str(value).split()
    if question.type is QuestionType.RANK:
        return "; ".join(
            f"{local_digits(str(n), language)}. {labels.get(name, name)}"
            for n, name in enumerate(names, 1)
        )
    if question.type.is_select:
        return "; ".join(labels.get(name, name) for name in names)
    return str(_display_value(value, language))


def _positions(answer: object, count: int) -> list[str]:
    """The choice at each of a rank question's `count` positions."""
    ranked = [str(name) for name in answer] if isinstance(answer, list) else []
    return (ranked + [""] * count)[:count]


def _bounds(question: Question) -> dict[str, str]:
    if question.range is None:
        return {}
    bounds = question.range
    return {"min": str(bounds.low), "max": str(bounds.high), "step": str(bounds.step)}


@dataclass
class EntryView:
    """One entry of a repeat on a page: its number and its questions' views."""

    position: int
    path: str
    """The entry's path (`members[2]`): what its Remove button names."""
    questions: list[QuestionView]


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
    required: bool = False
    autofocus: bool = False
    refresh: bool = False
    choices: list[dict[str, str]] = field(default_factory=list)
    waiting: bool = False
    """A filtered select that offers nothing yet: the answers it depends on are missing."""
    shown_value: str = ""
    """A read-only question's value as text (choice labels for a select)."""
    positions: list[str] = field(default_factory=list)
    """A rank question: the choice chosen at each position (empty where none is)."""
    bounds: dict[str, str] = field(default_factory=dict)
    """A number question with a range: its `min`, `max` and `step` for the input."""
    path: str = ""
    """The name its field is sent under: the question's name, or inside an entry of a
    repeat its path (`members[2].age`), which its element ids carry too."""
    entries: list[EntryView] = field(default_factory=list)
    """A repeat: its entries, each with its questions."""
    fixed: bool = False
    """A repeat whose number of entries the questionnaire sets (`repeat_count`): no
    entries are added or removed on the page."""
    can_add: bool = False
    """A repeat that takes another entry (below `MAX_ENTRIES`)."""

    def __post_init__(self) -> None:
        self.path = self.path or self.question.name

    @property
    def described_by(self) -> str:
        ids = [f"q-{self.path}-hint"] if self.hint else []
        if self.waiting:
            ids.append(f"q-{self.path}-waiting")
        if self.error:
            ids.append(f"q-{self.path}-error")
        return " ".join(ids)

    def all_views(self) -> list[QuestionView]:
        """This view and the views of its entries' questions, in page order."""
        views = [self]
        for entry in self.entries:
            for view in entry.questions:
                views += view.all_views()
        return views


def _control(question: Question) -> str:
    if question.readonly:
        return "readonly"
    if question.type is QuestionType.REPEAT:
        return "repeat"
    if question.range is not None and question.type.is_number:
        return "range"
    match question.type:
        case QuestionType.NOTE:
            return "note"
        case QuestionType.RANK:
            return "rank"
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
        case QuestionType.TIME:
            return "time"
        case QuestionType.DATETIME:
            return "datetime"
        case _:
            return "text"


def _input_id(field: str, control: str, choices: list[dict[str, str]]) -> str:
    """Where the label and the error summary lead: the first option of a choice list, or
    the question itself while its choice filter offers none (or it is a repeat)."""
    if control == "rank":
        return f"q-{field}-1"
    if control == "repeat":
        return f"question-{field}"
    if control not in ("radio", "checkbox"):
        return f"q-{field}"
    return choices[0]["id"] if choices else f"question-{field}"


def question_views(
    state: PageState,
    messages: Mapping[str, str],
    language: str,
    *,
    autofocus: bool = True,
    focus: str | None = None,
) -> list[QuestionView]:
    """The visible questions of the page with their answers and error `messages` (by
    name, or by path inside entries). The first field with an error gets the focus, or
    with `focus` the first field of the entry at that path (one just added)."""
    builder = _ViewBuilder(state, messages, language)
    views = [
        builder.view(question, question.name, state.answers, state.values)
        for question in state.visible
    ]
    if autofocus:
        every = [view for top in views for view in top.all_views()]
        wanted = [v for v in every if v.error] or [
            v for v in every if focus and v.path.startswith(focus) and v.control != "repeat"
        ]
        if wanted:
            wanted[0].autofocus = True
    return views


_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.\-]*)\}")


class _ViewBuilder:
    """Builds the views of one page, entries of repeats included."""

    def __init__(self, state: PageState, messages: Mapping[str, str], language: str) -> None:
        self.state = state
        self.messages = messages
        self.language = language
        self.questionnaire = state.questionnaire
        self.refreshing = depended_on(state.questionnaire)

    def view(
        self,
        question: Question,
        path: str,
        seen: Mapping[str, object],
        values: Mapping[str, object],
    ) -> QuestionView:
        """The view of `question` at `path` (its name, or a path inside an entry), whose
        expressions see `seen` (the answers, or those of its entry first) and whose label
        and hint show `values` for `${name}` (the cleaned answers and calculations)."""
        questionnaire, state, language = self.questionnaire, self.state, self.language
        control = _control(question)
        # A choice filter's offer is the page state's, so pages and API agree; ids stay
        # those of the whole list, so an option keeps its id while others come and go.
        offered = state.offered.get(path)
        choices = [
            {"id": f"q-{path}-{index}", "name": choice.name, "label": label}
            for index, choice in enumerate(questionnaire.choices_of(question))
            if offered is None or choice.name in offered
            for label in [questionnaire.text(choice.label, language) or choice.name]
        ]
        answer = value_at(state.answers, path)
        if answer is None:
            answer = state.prefilled.get(path)
        value = _plain_number(answer) if control == "range" else _display_value(answer, language)
        view = QuestionView(
            question=question,
            input_id=_input_id(path, control, choices),
            label=self._filled(questionnaire.text(question.label, language), values),
            hint=self._filled(questionnaire.text(question.hint, language), values)
            if question.hint
            else "",
            value=value,
            control=control,
            error=self.messages.get(path),
            required=is_required(questionnaire, question, seen),
            refresh=question.name in self.refreshing,
            choices=choices,
            waiting=offered is not None and not offered,
            shown_value=_shown_value(questionnaire, question, state.read_only.get(path), language),
            positions=_positions(answer, len(choices)) if control == "rank" else [],
            bounds=_bounds(question),
            path=path,
        )
        if control == "repeat":
            self._entries(view, seen, values)
        return view

    def _filled(self, text: str, values: Mapping[str, object]) -> str:
        """`text` with each `${name}` replaced by that question's value as the respondent
        reads it (choice labels, numbers in the language's digits; nothing while it has
        none), as ODK's forms show them in labels and hints. The text is escaped where
        it is shown, the values with it."""
        if "${" not in text:
            return text
        questions = self.questionnaire.all_questions

        def shown(match: re.Match[str]) -> str:
            question = questions.get(match[1])
            if question is None:
                return match[0]
            value = values.get(match[1])
            if question.type is QuestionType.REPEAT:
                value = len(value) if isinstance(value, list) else None
            return _shown_value(self.questionnaire, question, value, self.language)

        return _REFERENCE.sub(shown, text)

    def _entries(
        self, view: QuestionView, seen: Mapping[str, object], values: Mapping[str, object]
    ) -> None:
        """A repeat's entries: those answered, or one empty entry to start with where
        the respondent chooses how many (left empty, it is no entry)."""
        repeat, path = view.question, view.path
        answer = value_at(self.state.answers, path)
        entries = [e for e in answer if isinstance(e, Mapping)] if isinstance(answer, list) else []
        relevant: frozenset[str] = self.state.relevant
        if not entries and repeat.repeat_count is None:
            # Which questions an empty first entry shows: the rules decide, as for any.
            entries = [{}]
            trial = copy.deepcopy(self.state.answers)
            place = entries_at(trial, path, create=True)
            if place is not None:
                place.append({})
            relevant = frozenset(check_answers(self.questionnaire, trial, scope=()).relevant)
        names = self.questionnaire.entry_names[repeat.name]
        cleaned = value_at(self.state.values, path)
        cleaned_entries = cleaned if isinstance(cleaned, list) else []
        view.fixed = repeat.repeat_count is not None
        view.can_add = not view.fixed and len(entries) < MAX_ENTRIES
        for position, entry in enumerate(entries, 1):
            prefix = entry_path(path, position)
            inside = EntryAnswers(entry, names, seen, position)
            own = cleaned_entries[position - 1] if position <= len(cleaned_entries) else {}
            own_values = EntryAnswers(
                own if isinstance(own, Mapping) else {}, names, values, position
            )
            view.entries.append(
                EntryView(
                    position=position,
                    path=prefix.rstrip("."),
                    questions=[
                        self.view(question, prefix + question.name, inside, own_values)
                        for question in repeat.questions
                        if prefix + question.name in relevant
                        and question.type is not QuestionType.CALCULATE
                    ],
                )
            )


# -- page contexts -------------------------------------------------------------------------


def survey_context(respondent: Respondent, page: str = "") -> dict[str, Any]:
    """What the survey's templates share; `page` is where the language links lead."""
    questionnaire = respondent.questionnaire
    language = respondent.language

    ui = ui_context(language)

    def t(text: Mapping[str, str]) -> Markup:
        """A questionnaire text in the survey language, as HTML with isolated runs."""
        return cast(Markup, ui["bidi"](questionnaire.text(dict(text), language)))

    def text_of(text: Mapping[str, str]) -> str:
        return questionnaire.text(dict(text), language)

    return {
        **ui,
        "t": t,
        "text": text_of,
        "title": questionnaire.text(questionnaire.title, language),
        "languages": language_links(questionnaire.languages),
        "current_language_name": language_name(language),
        "language_url": lambda code: respondent.link(page, lang=code),
        "action_url": respondent.url,
        # Links that may lead to a page without a draft carry the language, or the page
        # would come in the browser's language (inside the old <html lang dir>, boosted).
        "resume_url": respondent.link("resume", lang=language),
        "start_url": respondent.link(lang=language),
        "invitation": respondent.token is not None,
    }


def page_context(
    respondent: Respondent,
    state: PageState,
    messages: Mapping[str, str],
    *,
    live: bool = False,
    notices: tuple[str, ...] = (),
    review: bool = False,
    focus: str | None = None,
) -> dict[str, Any]:
    """A questionnaire page: its visible questions, errors (`messages` by question),
    notices (UI messages), and whether Back and Send are offered. `focus`: the path of
    an entry just added, whose first field gets the focus.

    `live` is an htmx refresh while answering: no error summary, no focus moved.
    `review`: the page is shown because sending found answers missing on it; Next then
    leads to the next such page, or back to sending."""
    questions = question_views(
        state, messages, respondent.language, autofocus=not live, focus=focus
    )
    every = [view for top in questions for view in top.all_views()]
    shown = {view.path for view in every}
    return {
        **survey_context(respondent),
        "action_url": respondent.page_link(state.index),
        "refresh_url": respondent.page_link(state.index, "/refresh"),
        "autosave_url": respondent.page_link(state.index, "/autosave"),
        "page": state.page,
        "page_index": state.index,
        "page_count": len(state.questionnaire.pages),
        "questions": questions,
        "shown": " ".join(state.shown_names),
        "offered": " ".join(f"{name}:{digest}" for name, digest in state.offered_digests.items()),
        "no_options_hint": NO_OPTIONS_HINT,
        "notices": notices,
        "review": review,
        "summary": [] if live else [view for view in every if view.error],
        "has_entries": any(view.control == "repeat" for view in every),
        "other_errors": []
        if live
        else [text for name, text in messages.items() if name not in shown],
        "first_page": state.is_first,
        "last_page": state.is_last,
    }


def start_context(
    respondent: Respondent, district: Mapping[str, str], notice: str | None = None
) -> dict[str, Any]:
    """The start screen: description and privacy notice before the first question; the
    notice's first paragraph is its summary, the others unfold on request. `district`
    fills the notice's placeholders (`district_values`)."""
    questionnaire = respondent.questionnaire
    description = respondent.text(questionnaire.description)
    privacy = paragraphs(
        fill_placeholders(respondent.text(questionnaire.privacy_notice), dict(district))
    )
    return {
        **survey_context(respondent),
        "description": paragraphs(description) if questionnaire.description else [],
        "privacy_summary": privacy[0] if privacy else "",
        "privacy_more": privacy[1:],
        "notice": notice,
        "district_name": district.get("district", ""),
        "logo_url": district.get("logo_url", ""),
    }


def thanks_context(respondent: Respondent, district: Mapping[str, str]) -> dict[str, Any]:
    """The thank-you page in the survey language (placeholders filled from `district`)."""
    questionnaire = respondent.questionnaire
    return {
        **survey_context(respondent, "thanks"),
        "thank_you": paragraphs(
            fill_placeholders(respondent.text(questionnaire.thank_you), dict(district))
        )
        if questionnaire.thank_you
        else [],
        "results_notice": RESULTS_NOTICE,
    }


def landing_context(
    surveys: list[PublishedSurvey], language: str, language_url: Callable[[str], str]
) -> dict[str, Any]:
    """Open surveys, each with a link per language."""
    shown = [
        {
            "id": survey.id,
            "title": survey.questionnaire.text(survey.questionnaire.title, language),
            "description": survey.questionnaire.text(survey.questionnaire.description, language),
            "invitation": survey.questionnaire.audience == "invitation",
            "links": [
                {**link, "url": survey_url(survey.id, lang=link["code"])}
                for link in language_links(survey.questionnaire.languages)
            ],
        }
        for survey in surveys
        if survey.is_open
    ]
    return {
        **ui_context(language),
        "surveys": shown,
        "languages": language_links(catalogue_languages()),
        "language_url": language_url,
    }


# -- posters -------------------------------------------------------------------------------


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
    survey: PublishedSurvey,
    language: str,
    base_url: str,
    *,
    district: Mapping[str, str],
    logo: bytes | None = None,
    inline_css: bool = False,
    local_links: bool = False,
) -> str:
    """A printable A4 poster: title, one line of invitation, the link and its QR code,
    signed by the district's office (`district_values`: a poster on a notice board
    should say who asks), with the district's `logo` (PNG) if it has one.

    `inline_css` embeds the stylesheet (for a file written by the CLI). `local_links`
    (`Settings.links_are_local`) puts a warning on top: a poster whose code leads to
    the office's own computer must not be put up.
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
        "invitation_text": fill_placeholders(paragraphs(description)[0], dict(district))
        if description
        else ui["_"](POSTER_DEFAULT_TEXT),
        "sender": f"{district['district']} – {district['office']}",
        "district_name": district["district"],
        "logo": logo_data_uri(logo),
        "link": link,
        "qr": qr_svg(link, title),
        "css": (STATIC / "app.css").read_text(encoding="utf-8") if inline_css else None,
        "local_warning": staff_gettext(language)(POSTER_LOCAL_WARNING, address=base_url)
        if local_links
        else None,
    }
    return jinja_environment().get_template("respond/poster.html").render(context)
