"""Questionnaires in the browser (`/admin/questionnaires`): the office uploads an XLSForm
or YAML file, sees the report of `survey-app check`, publishes it as a new version after
confirming (a breaking change only as a new series), and downloads any published version
as an XLSForm. Uploads are kept in the database; the directory of questionnaire files
never replaces a version published in the browser."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from litestar.testing import TestClient
from markupsafe import escape
from openpyxl import Workbook, load_workbook
from sqlmodel import select

from survey_app.app import create_app
from survey_app.cli import main
from survey_app.db.engine import Database
from survey_app.db.tables import Draft, Submission
from survey_app.questionnaire.check import check_upload
from survey_app.services.audit import audit_events
from survey_app.services.published import get_survey
from survey_app.services.questionnaires import MAX_UPLOAD_BYTES
from survey_app.services.surveys import publish_directory, survey_versions
from survey_app.settings import Settings
from tests.conftest import FIXTURES, csrf_token, login
from tests.security.test_xss import markup_problems
from tests.security.xss_corpus import LANGUAGES, write_xss_questionnaires
from tests.storage.conftest import STORAGE_QUESTIONNAIRES

FEEDBACK = (STORAGE_QUESTIONNAIRES / "feedback.yaml").read_text(encoding="utf-8")
HOUSEHOLD = FIXTURES / "household.yaml"
FEEDBACK_V2 = FEEDBACK.replace('version: "1"', 'version: "2"') + (
    "  - name: more\n"
    "    title: {de: Mehr, en: More, ar: المزيد}\n"
    "    questions:\n"
    "      - name: comment\n"
    "        type: text\n"
    "        label: {de: Anmerkungen, en: Comments, ar: تعليقات}\n"
    "        working_groups: [beratung]\n"
)
# `age` becomes a text question: old (numbers) and new answers would be mixed.
FEEDBACK_AGE_AS_TEXT = FEEDBACK.replace(
    "        type: integer\n        constraint: . >= 16 and . <= 99\n", "        type: text\n"
)


@pytest.fixture
def office(settings: Settings, accounts: Any) -> Iterator[tuple[TestClient[Any], Settings]]:
    settings = dataclasses.replace(settings, questionnaires=STORAGE_QUESTIONNAIRES)
    with TestClient(app=create_app(settings)) as client:
        login(client, "admin")
        yield client, settings


def upload(client: TestClient[Any], name: str, content: bytes) -> Any:
    """Upload a file through the form, as the office does; the answer after redirects."""
    return client.post(
        "/admin/questionnaires",
        files={"file": (name, content, "application/octet-stream")},
        data={"_csrf_token": csrf_token(client, "/admin/questionnaires")},
    )


def publish(client: TestClient[Any], upload_id: int, **fields: str) -> Any:
    token = csrf_token(client, f"/admin/questionnaires/{upload_id}")
    return client.post(
        f"/admin/questionnaires/{upload_id}/publish", data={**fields, "_csrf_token": token}
    )


def upload_id_of(response: Any) -> int:
    match = re.search(r"/admin/questionnaires/(\d+)$", str(response.url))
    assert match, response.url
    return int(match.group(1))


def newest(settings: Settings, survey: str) -> tuple[int, int] | None:
    """(number, series) of the survey's newest published version."""
    db = Database(settings.database_url)
    try:
        versions = survey_versions(db, survey)
    finally:
        db.dispose()
    return (versions[-1][0].number, versions[-1][0].series) if versions else None


def audited(settings: Settings, action: str) -> list[dict[str, Any]]:
    db = Database(settings.database_url)
    try:
        return [json.loads(e.detail) for e in audit_events(db) if e.action == action]
    finally:
        db.dispose()


def xlsform(rows: list[list[str]], *, arabic_age: str = "العمر") -> bytes:
    """A small XLSForm of the feedback survey in German and Arabic, with extra `rows`."""
    book = Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label::German (de)", "label::Arabic (ar)", "working_groups"])
    survey.append(["select_one yes_no", "satisfied", "Zufrieden?", "راض؟", "beratung"])
    survey.append(["integer", "age", "Alter", arabic_age, "arbeit"])
    for row in rows:
        survey.append(row)
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::German (de)", "label::Arabic (ar)"])
    choices.append(["yes_no", "yes", "Ja", "نعم"])
    choices.append(["yes_no", "no", "Nein", "لا"])
    settings = book.create_sheet("settings")
    header = ["form_id", "title::German (de)", "title::Arabic (ar)", "version", "default_language"]
    settings.append([*header, "privacy_notice::German (de)", "privacy_notice::Arabic (ar)"])
    settings.append(["feedback", "Rückmeldung", "ملاحظات", "x1", "German (de)", "Anonym.", "مجهول"])
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


# -- upload and check ----------------------------------------------------------------------


def test_an_upload_shows_the_check_report_and_publishes_nothing(office: Any) -> None:
    client, settings = office
    page = upload(client, "feedback.yaml", FEEDBACK_V2.encode())
    assert page.status_code == 200
    assert "Keine Fehler." in page.text
    assert "Veröffentlichen …" in page.text
    assert newest(settings, "feedback") == (1, 1)
    assert audited(settings, "questionnaire_upload")[-1] == {
        "errors": 0,
        "file": "feedback.yaml",
        "survey": "feedback",
        "upload": upload_id_of(page),
    }
    assert "feedback.yaml" in client.get("/admin/questionnaires").text


def test_errors_of_a_yaml_file_are_shown_with_their_line(office: Any) -> None:
    client, _settings = office
    broken = FEEDBACK.replace("relevant: ${satisfied} = 'no'", "relevant: ${satisfaction} = 'no'")
    page = upload(client, "feedback.yaml", broken.encode())
    assert "Fehler (1)" in page.text
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if "${satisfaction}" in text)
    assert f"feedback.yaml:{line}" in page.text
    assert "satisfaction" in page.text
    assert "Veröffentlichen …" not in page.text


def test_xlsform_warnings_name_sheet_and_row_and_translations_are_counted(office: Any) -> None:
    client, _settings = office
    form = xlsform([["geopoint", "where", "Wo?", "أين؟", ""]], arabic_age="")
    page = upload(client, "Rückmeldung (ar).xlsx", form)
    assert "Keine Fehler." in page.text
    # the name the office knows, the sheet and the row of the left-out question
    assert "Rückmeldung_ar_.xlsx:survey:4" in page.text
    assert "geopoint" in page.text
    # the kind of problem in the office's language, the detail as the check writes it
    assert "Dieser Fragetyp wird nicht unterstützt; die Frage wurde ausgelassen." in page.text
    assert '<span lang="en">&#39;where&#39; skipped' in page.text
    report = client.get(str(page.url)).text
    assert re.search(r"<code>ar</code></td><td>1</td>", report), "one Arabic text missing"
    assert re.search(r"<code>de</code></td><td>vollständig</td>", report)


def test_an_unknown_placeholder_is_an_error_at_its_settings_row(office: Any) -> None:
    client, _settings = office
    book = load_workbook(io.BytesIO(xlsform([])))
    book["settings"]["F2"] = "Anonym. Fragen an {emial}."
    output = io.BytesIO()
    book.save(output)
    page = upload(client, "form.xlsx", output.getvalue())
    assert "Fehler (1)" in page.text
    assert re.search(
        r"<code>form.xlsx:settings:2</code></td><td>.*unknown placeholder \{emial\}", page.text
    )
    assert "Veröffentlichen …" not in page.text


def test_a_survey_id_longer_than_the_database_keeps_is_an_error(office: Any) -> None:
    client, _settings = office
    long_id = "f" * 101
    page = upload(
        client, "feedback.yaml", FEEDBACK.replace("id: feedback", f"id: {long_id}").encode()
    )
    assert "Fehler (1)" in page.text
    assert "feedback.yaml:2" in page.text
    assert "at most 100 characters" in page.text


def test_a_workbook_without_a_survey_sheet_is_an_error(office: Any) -> None:
    client, _settings = office
    book = Workbook()
    book.create_sheet("Tabelle2")
    output = io.BytesIO()
    book.save(output)
    page = upload(client, "leer.xlsx", output.getvalue())
    assert "Fehler (1)" in page.text
    assert "no &#39;survey&#39; sheet" in page.text


def test_oversized_files_and_zip_bombs_are_refused_before_they_are_read(office: Any) -> None:
    client, _settings = office
    page = upload(client, "gross.yaml", b"#" * (MAX_UPLOAD_BYTES + 1))
    assert "larger than 2 MB" in page.text
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    assert len(bomb.getvalue()) < MAX_UPLOAD_BYTES
    page = upload(client, "bombe.xlsx", bomb.getvalue())
    assert "unpacks to more than 50 MB" in page.text


def test_a_file_that_is_no_questionnaire_is_refused(office: Any) -> None:
    client, _settings = office
    page = upload(client, "liste.csv", b"E-Mail;Name\r\n")
    assert "expected an XLSForm (.xlsx, .xls) or a questionnaire file (.yaml)" in page.text


def test_an_upload_without_the_form_token_is_refused(office: Any) -> None:
    client, settings = office
    response = client.post(
        "/admin/questionnaires",
        files={"file": ("feedback.yaml", FEEDBACK_V2.encode(), "application/octet-stream")},
    )
    assert response.status_code == 403
    assert audited(settings, "questionnaire_upload") == []


def test_formulas_are_not_evaluated() -> None:
    """openpyxl reads cached values only: a formula cell without one is empty."""
    book = load_workbook(io.BytesIO(xlsform([])))
    book["survey"]["B3"] = '=CONCATENATE("a","ge")'
    output = io.BytesIO()
    book.save(output)
    report = check_upload(
        "form.xlsx",
        output.getvalue(),
        working_groups={"arbeit", "beratung"},
        ui_languages={"de", "ar"},
        max_bytes=MAX_UPLOAD_BYTES,
    )
    assert report.questionnaire is not None
    assert "age" not in report.questionnaire.questions


def test_the_report_is_what_survey_app_check_prints(
    office: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, settings = office
    # French has no texts and no UI catalogue: warnings, and a gap in the translations
    french = FEEDBACK.replace("languages: [de, en, ar]", "languages: [de, en, ar, fr]")
    path = tmp_path / "feedback.yaml"
    path.write_text(french, encoding="utf-8")
    groups = (STORAGE_QUESTIONNAIRES / "working_groups.yaml").read_text(encoding="utf-8")
    (tmp_path / "working_groups.yaml").write_text(groups, encoding="utf-8")
    monkeypatch.setenv("SURVEY_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("SURVEY_VAR_DIR", str(tmp_path / "var"))
    printed = CliRunner().invoke(main, ["check", str(path)]).stdout
    page = upload(client, "feedback.yaml", french.encode()).text
    lines = [line for line in printed.splitlines() if line.startswith(str(path))]
    assert len(lines) >= 2
    for line in lines:
        location, _, message = line.removeprefix(f"{tmp_path}/").partition(": ")
        text = escape(message.removeprefix("warning: "))
        explanation = "(?:[^<]*<br>)?"
        row = f'<code>{location}</code></td><td>{explanation}<span lang="en">{re.escape(text)}'
        assert re.search(row, page), row
    counts = re.search(r"feedback: (.+)", printed)
    assert counts, printed
    pairs = counts.group(1).split()
    assert pairs[::2] == ["de", "en", "ar", "fr"]
    for language, count in zip(pairs[::2], pairs[1::2], strict=True):
        shown = "vollständig" if count == "0" else count
        assert f"<code>{language}</code></td><td>{shown}</td>" in page
    assert pairs[-1] != "0"


# -- publishing ----------------------------------------------------------------------------


def test_publishing_asks_for_confirmation_then_makes_the_next_version(office: Any) -> None:
    client, settings = office
    upload_id = upload_id_of(upload(client, "feedback.yaml", FEEDBACK_V2.encode()))
    asked = publish(client, upload_id)
    assert asked.status_code == 200
    assert "Fragebogen veröffentlichen?" in asked.text
    assert "zuletzt Version 1" in asked.text
    assert newest(settings, "feedback") == (1, 1)
    done = publish(client, upload_id, confirmed="yes")
    assert done.status_code == 200
    assert "Veröffentlicht als Version 2" in done.text
    assert newest(settings, "feedback") == (2, 1)
    assert audited(settings, "questionnaire_publish") == [
        {"new_series": False, "survey": "feedback", "upload": upload_id, "version": 2}
    ]
    again = publish(client, upload_id, confirmed="yes")
    assert again.status_code == 409
    assert newest(settings, "feedback") == (2, 1)


def test_a_breaking_change_is_explained_and_published_only_as_a_new_series(office: Any) -> None:
    client, settings = office
    page = upload(client, "feedback.yaml", FEEDBACK_AGE_AS_TEXT.encode())
    upload_id = upload_id_of(page)
    assert "Die Frage „age“ hat eine andere Antwortart (integer → text)" in page.text
    assert "neue Reihe" in page.text
    refused = publish(client, upload_id, confirmed="yes")
    assert refused.status_code == 409
    assert "nur als neue Reihe" in refused.text
    assert newest(settings, "feedback") == (1, 1)
    done = publish(client, upload_id, confirmed="yes", new_series="yes")
    assert done.status_code == 200
    assert newest(settings, "feedback") == (2, 2)


def test_an_upload_with_errors_cannot_be_published(office: Any) -> None:
    client, settings = office
    page = upload(client, "feedback.yaml", b"id: feedback\npages: [")
    response = publish(client, upload_id_of(page), confirmed="yes")
    assert response.status_code == 422
    assert newest(settings, "feedback") == (1, 1)


def test_an_upload_equal_to_a_published_version_changes_nothing(office: Any) -> None:
    """Uploading version 1 again after version 2 would not make it the newest: say so."""
    client, settings = office
    publish(client, upload_id_of(upload(client, "v2.yaml", FEEDBACK_V2.encode())), confirmed="yes")
    page = upload(client, "feedback.yaml", FEEDBACK.encode())
    assert "inhaltlich gleich der veröffentlichten Version 1" in page.text
    assert "Veröffentlichen …" not in page.text
    refused = publish(client, upload_id_of(page), confirmed="yes")
    assert refused.status_code == 409
    assert newest(settings, "feedback") == (2, 1)


def test_a_new_survey_is_published_as_version_one_and_opens(office: Any) -> None:
    client, settings = office
    new = FEEDBACK.replace("id: feedback", "id: nachbarschaft")
    upload_id = upload_id_of(upload(client, "nachbarschaft.yaml", new.encode()))
    assert "ist neu" in publish(client, upload_id).text
    publish(client, upload_id, confirmed="yes")
    db = Database(settings.database_url)
    try:
        survey = get_survey(db, "nachbarschaft")
    finally:
        db.dispose()
    assert survey is not None
    assert survey.number == 1
    assert survey.is_open


def test_uploads_are_kept_in_the_database_across_restarts(office: Any) -> None:
    client, settings = office
    upload_id = upload_id_of(upload(client, "feedback.yaml", FEEDBACK_V2.encode()))
    with TestClient(app=create_app(settings)) as restarted:
        login(restarted, "admin")
        page = restarted.get(f"/admin/questionnaires/{upload_id}")
        assert page.status_code == 200
        assert "Keine Fehler." in page.text
        publish(restarted, upload_id, confirmed="yes")
    assert newest(settings, "feedback") == (2, 1)


def test_the_directory_never_replaces_a_version_published_in_the_browser(
    office: Any, tmp_path: Path
) -> None:
    client, settings = office
    publish(client, upload_id_of(upload(client, "f.yaml", FEEDBACK_V2.encode())), confirmed="yes")
    directory = tmp_path / "questionnaires"
    directory.mkdir()
    for name in ("working_groups.yaml", "feedback.yaml"):
        (directory / name).write_text(
            (STORAGE_QUESTIONNAIRES / name).read_text(encoding="utf-8"), encoding="utf-8"
        )
    (directory / "feedback.yaml").write_text(
        FEEDBACK.replace('version: "1"', 'version: "1b"'), encoding="utf-8"
    )
    db = Database(settings.database_url)
    try:
        report = publish_directory(db, directory)
    finally:
        db.dispose()
    assert newest(settings, "feedback") == (2, 1)
    assert any("published in the browser" in problem.message for problem in report.problems)


def test_an_upload_not_published_can_be_discarded_a_published_one_is_kept(
    office: Any,
) -> None:
    client, settings = office
    failed = upload_id_of(upload(client, "kaputt.yaml", b"id: feedback\npages: ["))
    kept = upload_id_of(upload(client, "feedback.yaml", FEEDBACK_V2.encode()))
    publish(client, kept, confirmed="yes")
    token = csrf_token(client, "/admin/questionnaires")
    overview = client.post(f"/admin/questionnaires/{failed}/discard", data={"_csrf_token": token})
    assert "kaputt.yaml" not in overview.text
    gone = client.get(f"/admin/questionnaires/{failed}")
    assert gone.status_code == 404
    assert f"Es gibt keinen hochgeladenen Fragebogen {failed}." in gone.text
    refused = client.post(f"/admin/questionnaires/{kept}/discard", data={"_csrf_token": token})
    assert refused.status_code == 409
    assert client.get(f"/admin/questionnaires/{kept}").status_code == 200
    assert audited(settings, "questionnaire_discard") == [
        {"file": "kaputt.yaml", "survey": None, "upload": failed}
    ]


# -- download ------------------------------------------------------------------------------


def test_a_published_version_downloads_as_an_xlsform_that_reads_back(office: Any) -> None:
    client, settings = office
    assert (
        "/admin/questionnaires/published/feedback/1/xlsform"
        in client.get("/admin/questionnaires").text
    )
    response = client.get("/admin/questionnaires/published/feedback/1/xlsform")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.headers["content-disposition"] == 'attachment; filename="feedback-v1.xlsx"'
    back = check_upload(
        "feedback-v1.xlsx",
        response.content,
        working_groups={"arbeit", "beratung", "sprache"},
        ui_languages={"de", "en", "ar"},
        max_bytes=MAX_UPLOAD_BYTES,
    )
    assert back.questionnaire is not None
    assert list(back.questionnaire.questions) == ["satisfied", "age", "reason", "help"]
    assert back.questionnaire.languages == ("de", "en", "ar")
    assert audited(settings, "questionnaire_download") == [{"survey": "feedback", "version": 1}]
    missing = client.get("/admin/questionnaires/published/feedback/9/xlsform")
    assert missing.status_code == 404
    assert "Es gibt keine Version 9 der Umfrage „feedback“." in missing.text


# -- preview -------------------------------------------------------------------------------


def stored(settings: Settings) -> tuple[int, int]:
    """(submissions, drafts) in the database."""
    db = Database(settings.database_url)
    try:
        with db.read() as session:
            submissions = len(session.exec(select(Submission.id)).all())
            drafts = len(session.exec(select(Draft.id)).all())
            return submissions, drafts
    finally:
        db.dispose()


def answer(client: TestClient[Any], upload_id: int, fields: dict[str, Any]) -> Any:
    """Send a preview page (the CSRF token from the office's own pages)."""
    token = csrf_token(client, "/admin/questionnaires")
    return client.post(
        f"/admin/questionnaires/{upload_id}/preview", data={**fields, "_csrf_token": token}
    )


def carried(page: Any) -> dict[str, Any]:
    match = re.search(r'name="preview:answers" value="([^"]*)"', page.text)
    assert match, "no test answers in the form"
    return dict(json.loads(match.group(1).replace("&#34;", '"').replace("&quot;", '"')))


def test_the_preview_shows_each_page_of_the_upload_in_each_language(office: Any) -> None:
    client, settings = office
    report = upload(client, "feedback.yaml", FEEDBACK_V2.encode())
    upload_id = upload_id_of(report)
    for language in ("de", "en", "ar"):
        assert f"/preview?lang={language}&amp;page=1" in report.text
    start = client.get(f"/admin/questionnaires/{upload_id}/preview?lang=en")
    assert "Anonymous." in start.text
    assert "Vorschau: Antworten werden weder gespeichert noch gezählt." in start.text
    # the second page exists only in the upload, not in the published version
    page = client.get(f"/admin/questionnaires/{upload_id}/preview?lang=ar&page=1")
    assert page.status_code == 200
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "تعليقات" in page.text
    assert f'action="/admin/questionnaires/{upload_id}/preview"' in page.text
    assert "/s/feedback" not in page.text
    assert stored(settings) == (0, 0)


def test_test_answers_are_checked_carried_and_never_stored(office: Any) -> None:
    client, settings = office
    upload_id = upload_id_of(upload(client, "feedback.yaml", FEEDBACK_V2.encode()))
    first = answer(client, upload_id, {"nav:action": "start", "nav:lang": "en"})
    assert "Satisfied?" in first.text
    missing = answer(client, upload_id, {"nav:action": "next", "nav:lang": "en", "nav:page": "0"})
    assert missing.status_code == 422
    too_young = {"nav:action": "next", "nav:lang": "en", "nav:page": "0", "satisfied": "no"}
    refused = answer(client, upload_id, {**too_young, "age": "12", "reason": "Zu weit"})
    assert refused.status_code == 422
    assert "Age between 16 and 99." in refused.text
    second = answer(client, upload_id, {**too_young, "age": "30", "reason": "Zu weit"})
    assert "Comments" in second.text
    assert carried(second) == {"age": 30, "reason": "Zu weit", "satisfied": "no"}
    fields = {"nav:lang": "en", "nav:page": "1", "preview:answers": json.dumps(carried(second))}
    back = answer(client, upload_id, {**fields, "nav:action": "back", "comment": "Danke"})
    assert 'value="no" checked' in back.text
    sent = answer(client, upload_id, {**fields, "nav:action": "submit", "comment": "Danke"})
    assert "Thank you!" in sent.text
    assert stored(settings) == (0, 0)
    assert "survey_draft" not in client.cookies


def test_skip_logic_works_in_the_preview(office: Any) -> None:
    client, _settings = office
    upload_id = upload_id_of(upload(client, "feedback.yaml", FEEDBACK_V2.encode()))
    token = csrf_token(client, "/admin/questionnaires")
    url = f"/admin/questionnaires/{upload_id}/preview/refresh"
    fields = {"nav:lang": "de", "nav:page": "0", "_csrf_token": token}
    assert "Warum nicht?" in client.post(url, data={**fields, "satisfied": "no"}).text
    assert "Warum nicht?" not in client.post(url, data={**fields, "satisfied": "yes"}).text
    # Without JavaScript, Next shows the page again with the question that appeared.
    sent = {"nav:action": "next", "nav:shown": "satisfied age help", "satisfied": "no"}
    again = answer(client, upload_id, {**fields, **sent, "nav:lang": "en"})
    assert "New questions appeared on this page." in again.text
    assert "Why not?" in again.text


def test_entries_of_a_roster_are_added_and_removed_in_the_preview(office: Any) -> None:
    client, settings = office
    upload_id = upload_id_of(upload(client, "household.yaml", HOUSEHOLD.read_bytes()))
    fields = {"nav:lang": "en", "nav:page": "0", "entries:members": "1"}
    amal = {"members[1].member_name": "Amal", "members[1].age": "34"}

    added = answer(client, upload_id, {**fields, **amal, "entry:add": "members"})

    assert added.status_code == 200
    assert 'name="members[2].member_name"' in added.text
    assert carried(added) == {"members": [{"member_name": "Amal", "age": 34}, {}]}
    fields["preview:answers"] = json.dumps(carried(added))
    two = {**amal, "entries:members": "2", "members[2].member_name": "Bilal"}
    removed = answer(client, upload_id, {**fields, **two, "entry:remove": "members[1]"})
    assert carried(removed) == {"members": [{"member_name": "Bilal"}]}
    assert stored(settings) == (0, 0)


def test_another_language_keeps_the_test_answers(office: Any) -> None:
    client, _settings = office
    upload_id = upload_id_of(upload(client, "feedback.yaml", FEEDBACK_V2.encode()))
    fields = {"nav:lang": "de", "nav:page": "0", "satisfied": "yes", "nav:language": "ar"}
    page = answer(client, upload_id, fields)
    assert '<html lang="ar" dir="rtl">' in page.text
    assert 'value="yes" checked' in page.text


def test_an_upload_with_errors_has_no_preview(office: Any) -> None:
    client, _settings = office
    upload_id = upload_id_of(upload(client, "feedback.yaml", b"id: feedback\npages: ["))
    refused = client.get(f"/admin/questionnaires/{upload_id}/preview")
    assert refused.status_code == 404
    assert f"Der hochgeladene Fragebogen {upload_id} hat Fehler und keine Vorschau." in refused.text


# -- hostile content -----------------------------------------------------------------------


def test_payloads_in_an_upload_are_shown_as_text(office: Any, tmp_path: Path) -> None:
    """Every text of the upload (and its file name) is a classic XSS payload: the report,
    the overview, the confirmation and the preview in each language show them as text."""
    client, _settings = office
    directory = write_xss_questionnaires(tmp_path / "xss")
    content = (directory / "xss.yaml").read_bytes()
    report = upload(client, "<img src=x onerror=alert(1)>.yaml", content)
    upload_id = upload_id_of(report)
    pages = {
        "report": report.text,
        "overview": client.get("/admin/questionnaires").text,
        "confirmation": publish(client, upload_id).text,
    }
    for language in LANGUAGES:
        url = f"/admin/questionnaires/{upload_id}/preview?lang={language}"
        pages[f"start {language}"] = client.get(url).text
        pages[f"first page {language}"] = client.get(f"{url}&page=0").text
    assert {name: markup_problems(html) for name, html in pages.items()} == {
        name: [] for name in pages
    }
    assert "Keine Fehler." in pages["report"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["first page de"]
