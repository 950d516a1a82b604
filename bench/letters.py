"""`python -m bench.letters COUNT`: write COUNT invitation e-mails in-process
(`survey_app.render.mail.invitation_message`, no SMTP, no database) and print the
seconds per letter as JSON: the first letter (templates loaded and compiled) and the
median of the rest."""

from __future__ import annotations

import argparse
import json
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("count", type=int)
    args = parser.parse_args()

    from survey_app.render.mail import invitation_message
    from survey_app.services.mailing import Letter

    times = []
    for number in range(args.count):
        letter = Letter(
            kind="invitation" if number % 2 else "reminder",
            languages=(("de", "en", "tr", "ar")[number % 4], "de"),
            to=f"info{number}@betrieb.example",
            name=f"Betrieb {number} GmbH",
            title="Unternehmensbefragung",
            link=f"https://umfrage.landkreis.example/s/company?invitation=token{number}",
        )
        started = time.perf_counter()
        invitation_message(letter, "Integrationsbüro <integration@landkreis.example>")
        times.append(time.perf_counter() - started)
    print(json.dumps({"first": times[0], "median": statistics.median(times[1:])}))


if __name__ == "__main__":
    main()
