"""What the results pages, the printable report and `survey-app report` show: the UI
texts of the results pages (German and English), number and date formats, and the view
models built from `analysis` results, already suppressed: this module formats, it never
counts.

UI strings of these pages are in the staff catalogue (`survey_app.i18n`, domain
`staff`: English source, German by default): `t("...")` in the templates and here.
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
from analysis.exports import WorkbookSource
from analysis.key_figures import KeyFigure, key_figures
from analysis.kinds import kind_of_result
from analysis.results import Results, bin_label, is_wave
from analysis.slides import SlideTexts, results_pptx
from analysis.summaries import QuestionResult
from survey_app.db.engine import Database
from survey_app.errors import UnknownSurvey
from survey_app.i18n import S_, staff_gettext, staff_language
from survey_app.questionnaire.schema import QuestionType, WorkingGroup
from survey_app.render.templating import STATIC, jinja_environment
from survey_app.services.breakdowns import breakdowns_of
from survey_app.services.district import district_logo, district_profile_of, logo_data_uri
from survey_app.services.groups import working_group, working_groups
from survey_app.services.live_results import cache_directory, survey_results
from survey_app.services.published import PublishedSurvey, get_survey
from survey_app.services.released import release_results
from survey_app.services.reports import surveys_of_group
from survey_app.settings import Settings

STYLESHEET = "results.css"

#: The statistics of a number question, in the order shown, with their labels.
STATISTICS = {
    "q1": S_("lower quartile"),
    "median": S_("median"),
    "mean": S_("mean"),
    "q3": S_("upper quartile"),
}
#: Figures shown per breakdown column like a statistic, with their labels.
COLUMN_FIGURES = STATISTICS | {"entries": S_("entries")}


# -- formatting ------------------------------------------------------------------------


@dataclass(frozen=True)
class Texts:
    """UI strings (the staff catalogue) and number formats of one language, for
    templates: `t("Results of the working group %(group)s", group=...)`."""

    language: str

    def __call__(self, message: str, **values: object) -> str:
        return staff_gettext(self.language)(message, **values)

    def statistic(self, name: str) -> str:
        """The label of one of `COLUMN_FIGURES` (`median`, ...)."""
        return self(COLUMN_FIGURES[name])

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
    return staff_language(lang)


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
    def partial(self) -> str:
        """The template of its kind's numbers (`analysis.kinds`), inside the question's."""
        return kind_of_result(self.result).partial


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
    #: The group's stored breakdowns for this survey's series (names, in order).
    stored_breakdowns: tuple[str, ...] = ()
    #: The report's breakdowns besides the plain results: (breakdown question, the
    #: group's questions broken down by it, by name), one per stored breakdown.
    broken_down: tuple[tuple[str, Mapping[str, QuestionView]], ...] = ()

    @property
    def lang(self) -> str:
        return self.t.language

    def breakdown_label(self, name: str) -> str:
        return dict(self.breakdowns).get(name, name)

    @property
    def stored_breakdown_labels(self) -> tuple[str, ...]:
        return tuple(self.breakdown_label(name) for name in self.stored_breakdowns)

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
    if result.by is not None and result.by.question == result.name:
        # The breakdown question by itself: its own counts on a diagonal, nothing new.
        result = replace(result, by=None)
    chart = question_chart(
        result,
        title=t("Bar chart: %(label)s", label=result.label),
        series=series,
        statistic_labels={name: t.statistic(name) for name in STATISTICS},
        format_percent=t.percent,
        format_number=t.number,
        suppressed_text=t("hidden"),
    )
    column_labels: dict[str, str] = {}
    if result.by is not None:
        column_labels = {c: result.by.column_labels[c] for c in result.by.columns}
        if result.by.n.get(MISSING_COLUMN) == 0:
            # Everybody answered the breakdown question: an all-zero column says nothing.
            del column_labels[MISSING_COLUMN]
        else:
            column_labels[MISSING_COLUMN] = t("no answer")
    return QuestionView(
        result=result,
        chart=None if chart is None else Markup(chart),  # noqa: S704 - built by ElementTree, escaped
        row_labels=dict(result.choices) or {key: bin_label(key) for key in result.months},
        column_labels=column_labels,
    )


def _wave_labels(t: Texts) -> tuple[str, str]:
    """What charts and tables call the two waves: waves of one series often share their
    title, and ids mean nothing to a working group (the page names the compared survey
    once, at the top)."""
    return t("this wave"), t("compared wave")


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
        q.name: questionnaire.text_for_results(q.label, language)
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
    results = _results(db, settings, survey.id, group, t.language, by, compare, live)
    questionnaire = survey.questionnaire
    others = [s for s in candidates if _comparable(survey, s, group)]
    compare_title = None
    series: tuple[str, ...] = ()
    if compare is not None:
        compare_title = dict(_titles(others, t.language)).get(compare, compare)
        series = _wave_labels(t)
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
        stored_breakdowns=breakdowns_of(db, survey, group),
    )


def _results(
    db: Database,
    settings: Settings,
    survey_id: str,
    group: str,
    language: str,
    by: str | None,
    compare: str | None,
    live: bool,
) -> Results:
    """The suppressed results of the latest release, or `live` ones."""
    if live:
        return survey_results(
            db,
            survey_id,
            group=group,
            by=by,
            compare=compare,
            language=language,
            cache_dir=cache_directory(settings.var_dir),
        )
    return release_results(db, survey_id, group=group, by=by, compare=compare, language=language)


def with_stored_breakdowns(db: Database, settings: Settings, view: ResultsView) -> ResultsView:
    """`view` with the group's results broken down by each of its stored breakdowns, for
    the report and the slides when no breakdown was asked for. The numbers come from the
    same suppressed results as the page's (`release_results`, `survey_results`)."""
    if view.results.by is not None or not view.stored_breakdowns:
        return view
    series = () if view.compare_id is None else _wave_labels(view.t)
    broken_down = []
    for by in view.stored_breakdowns:
        results = _results(
            db, settings, view.survey.id, view.group.id, view.lang, by, view.compare_id, view.live
        )
        questions = {q.name: _question_view(q, view.t, series) for q in results.questions}
        broken_down.append((by, questions))
    return replace(view, broken_down=tuple(broken_down))


def presentation_screens(view: ResultsView) -> list[tuple[QuestionView, QuestionView | None]]:
    """The screens of the presentation after its title: each question, then the question
    broken down by each of the group's stored breakdowns (`with_stored_breakdowns`), as
    in the report and the slides: only where the results have that breakdown (never a
    question by itself: `_question_view` leaves that out)."""
    screens: list[tuple[QuestionView, QuestionView | None]] = []
    for question in view.questions:
        screens.append((question, None))
        for _by, questions in view.broken_down:
            broken = questions.get(question.result.name)
            if broken is not None and broken.result.by is not None:
                screens.append((question, broken))
    return screens


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
    as on the page the report was opened from; without `by`, by each of the group's
    stored breakdowns in turn."""
    view = results_view(
        db, settings, group, survey_id, lang=lang, live=live, by=by, compare=compare
    )
    if view is None:
        raise UnknownSurvey(survey_id or "")
    view = replace(with_stored_breakdowns(db, settings, view), interactive=False)
    template = _report_environment().get_template("results/report.html")
    return template.render(
        page=view,
        t=view.t,
        stylesheet=stylesheet,
        today=today or datetime.date.today(),
        # A data URI: WeasyPrint renders the CLI's report without a server to fetch from.
        logo=logo_data_uri(district_logo(db)),
        district_name=district_profile_of(db, settings.questionnaires).district,
    )


def report_pdf(
    db: Database,
    settings: Settings,
    group: str,
    survey_id: str,
    *,
    lang: str | None = None,
    live: bool = False,
    by: str | None = None,
    compare: str | None = None,
) -> bytes:
    """The printable report as PDF: `report_html` (its stylesheet read from the static
    directory) rendered by WeasyPrint, for `/results/{group}/report.pdf` and `survey-app
    report`. Raises like `results_view`."""
    # WeasyPrint is imported by the first PDF, not by every process that renders pages.
    from analysis.report import render_pdf

    html = report_html(db, settings, group, survey_id, lang=lang, live=live, by=by, compare=compare)
    return render_pdf(html, assets=STATIC)


def workbook_source(db: Database, settings: Settings, results: Results) -> WorkbookSource:
    """What the info sheet of `results`' workbook names: the survey's title and the
    working group's name in the results' language, and the district and office of the
    district profile (as the privacy notices name them)."""
    survey = get_survey(db, results.survey)
    if survey is None:
        raise UnknownSurvey(results.survey)
    questionnaire = survey.questionnaire
    group_name = None
    if results.group is not None:
        group_name = questionnaire.text(working_group(db, results.group).name, results.language)
    profile = district_profile_of(db, settings.questionnaires)
    return WorkbookSource(
        survey_title=questionnaire.text(questionnaire.title, results.language),
        group_name=group_name,
        district=profile.district,
        office=profile.office,
    )


def slide_texts(view: ResultsView) -> SlideTexts:
    """The words of the slides of `view`, in its language."""
    t, results = view.t, view.results
    if results.release is None:
        period = t("Live results: not released, visible to the integration office only")
    else:
        period = t(
            "As of %(date)s (release %(number)s)",
            date=t.date(results.release.released_at),
            number=results.release.number,
        )
    return SlideTexts(
        survey_title=view.survey_title,
        heading=t("Results of the working group %(group)s", group=view.group_name),
        period=period,
        responses=f"{t('Responses')}: {t.count(results.responses)}",
        minimum=t("Minimum per cell: %(k)s", k=results.min_cell),
        rule=t(
            "Numbers from 1 to %(k_1)s are not shown but replaced by “·”, and so are numbers "
            "from which such a small number could be worked out, and percentages and "
            "statistics based on them. So no one can be identified from the results.",
            k_1=results.min_cell - 1,
        ),
        legend=t(
            "· = not shown: fewer than %(k)s answers, or hidden so that a small number "
            "cannot be worked out",
            k=results.min_cell,
        ),
        count=t("Count"),
        missing=t("no answer"),
        statistic=t("Statistic"),
        value=t("Value"),
        statistics={name: t.statistic(name) for name in STATISTICS},
        answered=lambda count: t("Responses: %(count)s", count=count),
        bars=t("Bar length: number of answers, labelled with their percentage"),
        bars_by=t("Bar length: number of answers, labelled with their percentage in each group"),
        bars_plain=t("Bar length: number of answers"),
        by=lambda question: t("Broken down by: %(question)s", question=question),
        hidden=lambda count: t("%(count)s values on this slide are not shown.", count=count),
        format_count=t.count,
        format_percent=t.percent,
        format_number=t.number,
        key_figures=t("At a glance"),
        key_figure_columns=(t("Question"), t("Most frequent answer"), "%"),
        with_at_least_one=t("responses with at least one such entry"),
        entries=t("entries per choice"),
        by_number=t("responses by number of such entries"),
        entries_note=t("Entries: shown only where every number of responses is shown."),
        translation=t("Translation:"),
        answers_note=t(
            "Answers selected by the integration office, in no particular order; names and "
            "other details that could identify someone were removed."
        ),
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
    only; the caller checks); without `by`, a breakdown slide per question and stored
    breakdown. Raises like `results_view`."""
    view = results_view(db, settings, group, survey_id, lang=lang, by=by, live=live)
    if view is None:
        raise UnknownSurvey(survey_id)
    view = with_stored_breakdowns(db, settings, view)
    breakdowns = [
        (view.breakdown_label(by), [q.result for q in questions.values()])
        for by, questions in view.broken_down
    ]
    return results_pptx(view.results, slide_texts(view), breakdowns=breakdowns)
