"""E-mails to invitees: a plain-text and an HTML part from one text template per kind
and language (`templates/mail/{kind}.{language}.txt`: the first line is the subject).

One template per language rather than catalogue entries: an invitation is a letter,
written and reviewed as a whole by the office; a language without its own letter gets
the questionnaire's default language, then German.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from functools import cache
from urllib.parse import parse_qs, unquote, urlsplit

from jinja2 import Environment, TemplateNotFound

from survey_app.i18n import S_
from survey_app.questionnaire.district import PROFILE_FIELDS, DistrictProfile
from survey_app.render.templating import jinja_environment
from survey_app.services.mailing import Letter, MailError

__all__ = ["KINDS", "SmtpMailer", "invitation_message"]

KINDS = ("invitation", "reminder")


@cache
def _environments() -> tuple[Environment, Environment]:
    """The template environment of the HTML part and its overlay without autoescaping
    for the plain text, made once: a new environment per letter compiled every template
    again (7 of 12 ms per invitation, bench/README.md). Jinja reloads a template whose
    file changed, as with the pages' environment."""
    environment = jinja_environment()
    return environment, environment.overlay(autoescape=False)


def invitation_message(
    letter: Letter, sender: str, *, district: DistrictProfile | None = None
) -> EmailMessage:
    """The e-mail of a letter, in the first of its languages that has a template. The
    letter may name the `district` profile's fields (`{{ district }}`, `{{ email }}`,
    `{{ phone }}`, ...; empty without a profile)."""
    environment, text_environment = _environments()
    name, link = letter.name, letter.link
    profile = {field: getattr(district, field) if district else "" for field in PROFILE_FIELDS}
    context = {**profile, "name": name, "title": letter.title, "link": link}
    for language in (*letter.languages, "de"):
        try:
            template = text_environment.get_template(f"mail/{letter.kind}.{language}.txt")
        except TemplateNotFound:
            continue
        break
    else:
        raise LookupError(f"no letter mail/{letter.kind}.de.txt")
    sender_name, sender_address = parseaddr(sender)
    subject, _, body = template.render(context, sender=sender_name or sender).partition("\n")
    body = body.strip() + "\n"
    message = EmailMessage()
    message["Subject"] = subject.strip()
    message["From"] = sender
    message["To"] = formataddr((name, letter.to)) if name else letter.to
    message["Message-ID"] = make_msgid(domain=sender_address.rpartition("@")[2] or None)
    message.set_content(body)
    paragraphs = [part.strip() for part in body.split("\n\n") if part.strip()]
    html = environment.get_template("mail/message.html").render(
        language=language, subject=subject.strip(), paragraphs=paragraphs, link=link
    )
    message.add_alternative(html, subtype="html")
    return message


@dataclass(frozen=True)
class SmtpMailer:
    """Sends letters through SMTP from `SURVEY_SMTP_URL`: `smtp://user:password@host:587`
    (STARTTLS when the server offers it; `?starttls=required` insists) or
    `smtps://...:465` (TLS from the start). Certificates are checked. One connection for
    a whole batch; a refused recipient fails only its own letter."""

    url: str
    timeout: float = 30.0
    district: DistrictProfile | None = None
    """The district profile the letters name (`services.district`)."""

    def send(self, letters: Sequence[Letter], sender: str) -> list[str]:
        if not self.url:
            raise MailError(S_("SURVEY_SMTP_URL is not set: no server to send e-mail through."))
        parts = urlsplit(self.url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise MailError(S_("SURVEY_SMTP_URL must look like smtp://user:password@host:587."))
        messages = [
            invitation_message(letter, sender, district=self.district) for letter in letters
        ]
        starttls = parse_qs(parts.query).get("starttls", ["auto"])[0]
        context = ssl.create_default_context()
        try:
            if parts.scheme == "smtps":
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    parts.hostname, parts.port or 465, timeout=self.timeout, context=context
                )
            else:
                client = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=self.timeout)
            with client:
                client.ehlo()
                if parts.scheme == "smtp" and (
                    starttls == "required" or (starttls == "auto" and client.has_extn("starttls"))
                ):
                    client.starttls(context=context)
                    client.ehlo()
                if parts.username:
                    client.login(unquote(parts.username), unquote(parts.password or ""))
                return [_send_one(client, message) for message in messages]
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(
                S_("The mail server refused or could not be reached: %(detail)s"),
                {"detail": str(error)},
            ) from None


def _send_one(client: smtplib.SMTP, message: EmailMessage) -> str:
    try:
        client.send_message(message)
    except smtplib.SMTPRecipientsRefused as refused:
        return "; ".join(f"{code} {text!r}" for code, text in refused.recipients.values())[:500]
    except smtplib.SMTPResponseException as error:
        return f"{error.smtp_code} {error.smtp_error!r}"[:500]
    return ""
