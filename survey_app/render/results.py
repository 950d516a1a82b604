"""What the results pages, the printable report and `survey-app report` show: the UI
texts of the results pages (German and English), number and date formats, and the view
models built from `analysis` results, already suppressed: this module formats, it never
counts.

UI strings of these pages live in `MESSAGES` below (German and English, the viewer's
choice), not in the gettext catalogues: the catalogues serve the respondents' seven
languages; the results pages need only two.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from urllib.parse import urlencode

from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import Environment
from markupsafe import Markup

from analysis.breakdowns import MISSING_COLUMN
from analysis.charts import question_chart
from analysis.key_figures import KeyFigure, key_figures
from analysis.results import Results, bin_label, is_wave
from analysis.slides import SlideTexts, results_pptx
from analysis.summaries import QuestionResult
from survey_app.db.engine import Database
from survey_app.errors import UnknownSurvey
from survey_app.questionnaire.schema import QuestionType, WorkingGroup
from survey_app.render.templating import jinja_environment
from survey_app.services.groups import working_group, working_groups
from survey_app.services.releases import release_results
from survey_app.services.reports import surveys_of_group
from survey_app.services.results import cache_directory, survey_results
from survey_app.services.surveys import PublishedSurvey, get_survey
from survey_app.settings import Settings

LANGUAGES = ("de", "en")
STYLESHEET = "results.css"

MESSAGES: dict[str, dict[str, str]] = {
    "de": {
        "results": "Ergebnisse",
        "results_of": "Ergebnisse für die Arbeitsgruppe {group}",
        "groups": "Arbeitsgruppen",
        "no_surveys": "Keine Befragung hat Fragen für diese Arbeitsgruppe.",
        "no_groups": "Sie gehören keiner Arbeitsgruppe an.",
        "account": "Konto",
        "logout": "Abmelden",
        "no_questions": "Diese Befragung hat keine Fragen für diese Arbeitsgruppe.",
        "survey": "Befragung",
        "show": "Anzeigen",
        "responses": "Antworten",
        "compare": "Vergleich mit früherer Befragung (Welle)",
        "no_compare": "kein Vergleich",
        "no_waves": "Keine frühere Befragung (Welle) mit denselben Fragen.",
        "compared_with": "Verglichen mit {survey}",
        "breakdown": "Aufschlüsseln nach",
        "no_breakdown": "nicht aufschlüsseln",
        "breakdown_withheld": (
            "Aufschlüsselung nach „{question}“ nicht ausgewiesen: zu wenige Antworten, die "
            "meisten Zahlen wären nicht ausgewiesen."
        ),
        "by": "Aufgeschlüsselt nach: {question}",
        "answer": "Antwort",
        "count": "Anzahl",
        "percent": "%",
        "change": "Veränderung (Prozentpunkte)",
        "total": "Gesamt",
        "missing": "keine Angabe",
        "statistic": "Kennzahl",
        "value": "Wert",
        "q1": "unteres Quartil",
        "median": "Median",
        "mean": "Mittelwert",
        "q3": "oberes Quartil",
        "text_hidden": "Freitextantworten werden den Arbeitsgruppen nicht gezeigt.",
        "chart": "Balkendiagramm: {label}",
        "key_figures": "Auf einen Blick",
        "key_figures_note": (
            "Die häufigste ausgewiesene Antwort jeder Frage, die größten Anteile zuerst."
        ),
        "question": "Frage",
        "most_frequent": "Häufigste Antwort",
        "suppressed": "nicht ausgewiesen",
        "footnote": (
            "· = nicht ausgewiesen: weniger als {k} Antworten, oder eine Zahl, aus der "
            "sich eine kleinere ausrechnen ließe"
        ),
        "hidden_count": "In dieser Tabelle sind {count} Werte nicht ausgewiesen.",
        "period_label": "Stand",
        "release": "Stand: {date} (Veröffentlichung {number})",
        "live": "Live-Ergebnisse: nicht veröffentlicht, nur für das Integrationsbüro sichtbar",
        "show_live": "Live-Ergebnisse anzeigen",
        "show_release": "Veröffentlichten Stand anzeigen",
        "no_release": (
            "Für diese Befragung wurden noch keine Ergebnisse veröffentlicht. Das "
            "Integrationsbüro veröffentlicht sie, sobald genug Antworten vorliegen."
        ),
        "live_forbidden": "Live-Ergebnisse sieht nur das Integrationsbüro.",
        "year": "Jahr",
        "rule": (
            "Zahlen von 1 bis {k_1} werden nicht gezeigt, sondern durch „·“ ersetzt, "
            "ebenso Zahlen, aus denen sich eine so kleine Zahl ausrechnen ließe, und "
            "Prozentwerte und Kennzahlen, die auf solchen Zahlen beruhen. So kann niemand "
            "anhand der Ergebnisse erkannt werden."
        ),
        "exports": "Herunterladen",
        "xlsx": "Tabellen (XLSX)",
        "report": "Bericht zum Drucken",
        "json": "Daten (JSON)",
        "language": "Sprache",
        "skip": "Zum Inhalt springen",
        "created": "Erstellt am {date}",
        "minimum": "Kleinste gezeigte Zahl: {k}",
        "version": "{survey} (Version {number})",
        "slides": "Folien (PPTX)",
        "present": "Präsentation",
        "present_label": "Präsentation: eine Frage je Bildschirm",
        "present_position": "{number} von {total}",
        "present_next": "Weiter",
        "present_previous": "Zurück",
        "present_end": "Beenden",
        "present_keys": "Pfeiltasten oder Bild auf/ab blättern, Esc beendet.",
        "answered": "Antworten: {count}",
        "bars": "Balkenlänge: Anzahl der Antworten, beschriftet mit ihrem Anteil",
        "bars_by": (
            "Balkenlänge: Anzahl der Antworten, beschriftet mit ihrem Anteil in der "
            "jeweiligen Gruppe"
        ),
        "bars_plain": "Balkenlänge: Anzahl der Antworten",
        "hidden_on_slide": "Auf dieser Folie sind {count} Werte nicht ausgewiesen.",
    },
    "en": {
        "results": "Results",
        "results_of": "Results of the working group {group}",
        "groups": "Working groups",
        "no_surveys": "No survey has questions for this working group.",
        "no_groups": "You are not a member of any working group.",
        "account": "Account",
        "logout": "Log out",
        "no_questions": "This survey has no questions for this working group.",
        "survey": "Survey",
        "show": "Show",
        "responses": "Responses",
        "compare": "Compare with an earlier survey (wave)",
        "no_compare": "no comparison",
        "no_waves": "No earlier survey (wave) with the same questions.",
        "compared_with": "Compared with {survey}",
        "breakdown": "Break down by",
        "no_breakdown": "no breakdown",
        "breakdown_withheld": (
            "Not broken down by “{question}”: too few answers, most numbers would be hidden."
        ),
        "by": "Broken down by: {question}",
        "answer": "Answer",
        "count": "Count",
        "percent": "%",
        "change": "Change (percentage points)",
        "total": "Total",
        "missing": "no answer",
        "statistic": "Statistic",
        "value": "Value",
        "q1": "lower quartile",
        "median": "median",
        "mean": "mean",
        "q3": "upper quartile",
        "text_hidden": "Free-text answers are not shown to working groups.",
        "chart": "Bar chart: {label}",
        "key_figures": "At a glance",
        "key_figures_note": "The most frequent answer shown for each question, largest first.",
        "question": "Question",
        "most_frequent": "Most frequent answer",
        "suppressed": "hidden",
        "footnote": (
            "· = not shown: fewer than {k} answers, or hidden so that a small number "
            "cannot be worked out"
        ),
        "hidden_count": "{count} values of this table are not shown.",
        "period_label": "As of",
        "release": "As of {date} (release {number})",
        "live": "Live results: not released, visible to the integration office only",
        "show_live": "Show live results",
        "show_release": "Show the released results",
        "no_release": (
            "No results of this survey have been released yet. The integration office "
            "releases them once enough responses have arrived."
        ),
        "live_forbidden": "Live results are for the integration office only.",
        "year": "Year",
        "rule": (
            "Numbers from 1 to {k_1} are not shown but replaced by “·”, and so are numbers "
            "from which such a small number could be worked out, and percentages and "
            "statistics based on them. So no one can be identified from the results."
        ),
        "exports": "Download",
        "xlsx": "Tables (XLSX)",
        "report": "Printable report",
        "json": "Data (JSON)",
        "language": "Language",
        "skip": "Skip to content",
        "created": "Created on {date}",
        "minimum": "Minimum per cell: {k}",
        "version": "{survey}, version {number}",
        "slides": "Slides (PPTX)",
        "present": "Presentation",
        "present_label": "Presentation: one question per screen",
        "present_position": "{number} of {total}",
        "present_next": "Next",
        "present_previous": "Back",
        "present_end": "End",
        "present_keys": "Arrow keys or Page Up/Down turn the page, Esc ends.",
        "answered": "Responses: {count}",
        "bars": "Bar length: number of answers, labelled with their percentage",
        "bars_by": "Bar length: number of answers, labelled with their percentage in each group",
        "bars_plain": "Bar length: number of answers",
        "hidden_on_slide": "{count} values on this slide are not shown.",
    },
}

_STATISTICS = ("q1", "median", "mean", "q3")


# -- formatting ------------------------------------------------------------------------


@dataclass(frozen=True)
class Texts:
    """UI strings and number formats of one language, for templates."""

    language: str

    def __call__(self, key: str, **values: object) -> str:
        return MESSAGES[self.language][key].format(**values)

    def count(self, value: int | None) -> str:
        return "·" if value is None else format_decimal(value, locale=self.language)

    def number(self, value: float | None) -> str:
        if value is None:
            return "·"
        return format_decimal(value, format="#,##0.##", locale=self.language)

    def percent(self, value: float | None) -> str:
        if value is None:
            return "·"
        shown = format_decimal(value, format="#,##0.0", locale=self.language)
        return f"{shown}\u00a0%" if self.language == "de" else f"{shown}%"

    def change(self, value: float | None) -> str:
        """A change in percentage points with an arrow that reads at a glance on a
        projector: "▲ +3,2", "▼ −1,5", "± 0,0"."""
        if value is None:
            return "·"
        shown = format_decimal(abs(value), format="#,##0.0", locale=self.language)
        if value > 0:
            return f"▲\u00a0+{shown}"
        if value < 0:
            return f"▼\u00a0−{shown}"
        return f"±\u00a0{shown}"

    def date(self, value: datetime.date) -> str:
        return format_date(value, "long", locale=self.language)


def language_of(lang: str | None) -> str:
    """`lang` if the results pages speak it, else German."""
    return lang if lang in LANGUAGES else LANGUAGES[0]


# -- view models -----------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionView:
    """One question as the template shows it: the suppressed result and its chart."""

    result: QuestionResult
    chart: Markup | None
    row_labels: Mapping[str, str]
    column_labels: Mapping[str, str] = field(default_factory=dict)  # breakdown columns shown

    @property
    def anchor(self) -> str:
        return f"q-{self.result.name}"

    @property
    def is_number(self) -> bool:
        return self.result.type in (QuestionType.INTEGER, QuestionType.DECIMAL)


@dataclass(frozen=True)
class ResultsView:
    """Everything a results page, fragment or report shows."""

    t: Texts
    group: WorkingGroup
    group_name: str
    survey: PublishedSurvey
    survey_title: str
    results: Results
    questions: tuple[QuestionView, ...]
    surveys: tuple[tuple[str, str], ...]
    waves: tuple[tuple[str, str], ...]
    breakdowns: tuple[tuple[str, str], ...]
    compare_title: str | None
    interactive: bool = True
    live: bool = False

    @property
    def lang(self) -> str:
        return self.t.language

    def breakdown_label(self, name: str) -> str:
        return dict(self.breakdowns).get(name, name)

    @property
    def compare_id(self) -> str | None:
        return None if self.results.compare is None else self.results.compare.survey

    @property
    def key_figures(self) -> tuple[KeyFigure, ...]:
        """The summary the report and the slides begin with."""
        return key_figures(self.results)

    def url(self, suffix: str = "", **params: str | None) -> str:
        """A URL of this group's pages keeping survey, language, breakdown and comparison
        unless `params` replace them (None removes one)."""
        current: dict[str, str | None] = {"survey": self.survey.id, "lang": self.lang}
        current |= {"by": self.results.by, "compare": self.compare_id}
        current |= {"live": "1" if self.live else None}
        query = current | params
        return f"/results/{self.group.id}{suffix}?" + urlencode(
            {name: value for name, value in query.items() if value}
        )


def _question_view(result: QuestionResult, t: Texts, series: tuple[str, ...]) -> QuestionView:
    chart = question_chart(
        result,
        title=t("chart", label=result.label),
        series=series,
        statistic_labels={name: t(name) for name in _STATISTICS},
        format_percent=t.percent,
        format_number=t.number,
        suppressed_text=t("suppressed"),
    )
    column_labels: dict[str, str] = {}
    if result.by is not None:
        column_labels = {c: result.by.column_labels[c] for c in result.by.columns}
        if result.by.n.get(MISSING_COLUMN) == 0:
            # Everybody answered the breakdown question: an all-zero column says nothing.
            del column_labels[MISSING_COLUMN]
        else:
            column_labels[MISSING_COLUMN] = t("missing")
    return QuestionView(
        result=result,
        chart=None if chart is None else Markup(chart),  # noqa: S704 - built by ElementTree, escaped
        row_labels=dict(result.choices) or {key: bin_label(key) for key in result.months},
        column_labels=column_labels,
    )


def _comparable(survey: PublishedSurvey, other: PublishedSurvey, group: str) -> bool:
    """Whether `other` is another wave of `survey`'s series with a question of the group
    in common (`analysis.results.check_wave` refuses any other comparison)."""
    if not is_wave(survey.questionnaire, other.questionnaire):
        return False
    names = {q.name for q in survey.questionnaire.questions_of_group(group)}
    return any(q.name in names for q in other.questionnaire.questions_of_group(group))


def _breakdown_questions(survey: PublishedSurvey, group: str, language: str) -> dict[str, str]:
    """The group's own select_one questions (name -> label): what a page breaks down by."""
    questionnaire = survey.questionnaire
    return {
        q.name: questionnaire.text(q.label, language)
        for q in questionnaire.questions_of_group(group)
        if q.type is QuestionType.SELECT_ONE
    }


def _titles(surveys: Iterable[PublishedSurvey], language: str) -> tuple[tuple[str, str], ...]:
    return tuple((s.id, s.questionnaire.text(s.questionnaire.title, language)) for s in surveys)


def results_view(
    db: Database,
    settings: Settings,
    group: str,
    survey_id: str | None,
    *,
    lang: str | None = None,
    by: str | None = None,
    compare: str | None = None,
    live: bool = False,
) -> ResultsView | None:
    """The view of a group's results in a survey (the first with questions for the group
    when `survey_id` is None): of its latest release, or `live` (for admins only: the
    caller checks). None when no survey has questions for the group.
    Raises `UnknownGroup`, `UnknownSurvey`, `NoRelease` or `ResultsError`."""
    t = Texts(language_of(lang))
    found_group = working_group(db, group)
    candidates = surveys_of_group(db, group)
    if survey_id is None and not candidates:
        return None
    survey = (
        candidates[0]
        if survey_id is None
        else next((s for s in candidates if s.id == survey_id), None) or get_survey(db, survey_id)
    )
    if survey is None:
        raise UnknownSurvey(str(survey_id))
    breakdowns = _breakdown_questions(survey, group, t.language)
    if live:
        results = survey_results(
            db,
            survey.id,
            group=group,
            by=by,
            compare=compare,
            language=t.language,
            cache_dir=cache_directory(settings.var_dir),
        )
    else:
        results = release_results(
            db, survey.id, group=group, by=by, compare=compare, language=t.language
        )
    questionnaire = survey.questionnaire
    others = [s for s in candidates if _comparable(survey, s, group)]
    compare_title = None
    series: tuple[str, ...] = ()
    if compare is not None:
        compare_title = dict(_titles(others, t.language)).get(compare, compare)
        series = (survey.id, compare)
    return ResultsView(
        t=t,
        group=found_group,
        group_name=questionnaire.text(found_group.name, t.language),
        survey=survey,
        survey_title=questionnaire.text(questionnaire.title, t.language),
        results=results,
        questions=tuple(_question_view(q, t, series) for q in results.questions),
        surveys=_titles(candidates, t.language),
        waves=_titles(others, t.language),
        breakdowns=tuple(breakdowns.items()),
        compare_title=compare_title,
        live=live,
    )


@dataclass(frozen=True)
class GroupEntry:
    """A working group on the index: its name and the surveys with questions for it."""

    id: str
    name: str
    surveys: tuple[tuple[str, str], ...]


def group_index(
    db: Database, settings: Settings, groups: Callable[[str], bool], lang: str | None
) -> list[GroupEntry]:
    """The working groups for which `groups(id)` is true, in catalogue order."""
    t = Texts(language_of(lang))
    return [
        GroupEntry(
            group.id,
            group.name.get(t.language) or next(iter(group.name.values()), group.id),
            _titles(surveys_of_group(db, group.id), t.language),
        )
        for group in working_groups(db)
        if groups(group.id)
    ]


@cache
def _report_environment() -> Environment:
    return jinja_environment()


def report_html(
    db: Database,
    settings: Settings,
    group: str,
    survey_id: str | None,
    *,
    lang: str | None = None,
    stylesheet: str = STYLESHEET,
    today: datetime.date | None = None,
    live: bool = False,
    by: str | None = None,
    compare: str | None = None,
) -> str:
    """The printable report as HTML: the page `/results/{group}/report` and the input of
    `survey-app report` (with `stylesheet` relative to the static directory). It shows
    the latest release, or `live` results (admins only; the caller checks), broken down
    `by` one of the group's questions and beside an earlier wave (`compare`) if asked,
    as on the page the report was opened from."""
    view = results_view(
        db, settings, group, survey_id, lang=lang, live=live, by=by, compare=compare
    )
    if view is None:
        raise UnknownSurvey(survey_id or "")
    view = replace(view, interactive=False)
    template = _report_environment().get_template("results/report.html")
    return template.render(
        page=view, t=view.t, stylesheet=stylesheet, today=today or datetime.date.today()
    )


def slide_texts(view: ResultsView) -> SlideTexts:
    """The words of the slides of `view`, in its language."""
    t, results = view.t, view.results
    if results.release is None:
        period = t("live")
    else:
        period = t(
            "release", date=t.date(results.release.released_at), number=results.release.number
        )
    return SlideTexts(
        survey_title=view.survey_title,
        heading=t("results_of", group=view.group_name),
        period=period,
        responses=f"{t('responses')}: {t.count(results.responses)}",
        minimum=t("minimum", k=results.min_cell),
        rule=t("rule", k_1=results.min_cell - 1),
        legend=t("footnote", k=results.min_cell),
        count=t("count"),
        missing=t("missing"),
        statistic=t("statistic"),
        value=t("value"),
        statistics={name: t(name) for name in _STATISTICS},
        answered=lambda count: t("answered", count=count),
        bars=t("bars"),
        bars_by=t("bars_by"),
        bars_plain=t("bars_plain"),
        by=lambda question: t("by", question=question),
        hidden=lambda count: t("hidden_on_slide", count=count),
        format_count=t.count,
        format_percent=t.percent,
        format_number=t.number,
        key_figures=t("key_figures"),
        key_figure_columns=(t("question"), t("most_frequent"), t("percent")),
    )


def slides_pptx(
    db: Database,
    settings: Settings,
    group: str,
    survey_id: str,
    *,
    lang: str | None = None,
    by: str | None = None,
    live: bool = False,
) -> bytes:
    """The group's results as slides (PPTX): `/results/{group}/slides.pptx` and
    `survey-app report --format pptx`. The latest release, or `live` results (admins
    only; the caller checks). Raises like `results_view`."""
    view = results_view(db, settings, group, survey_id, lang=lang, by=by, live=live)
    if view is None:
        raise UnknownSurvey(survey_id)
    return results_pptx(view.results, slide_texts(view))
