"""The production set-up of deploy/: Debian's nginx, configured by deploy/nginx.conf, in
front of `survey-app serve` on loopback ports; a respondent and the submission API
through it."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from click.testing import CliRunner

from survey_app.cli import main
from survey_app.db import migrate
from survey_app.settings import PROJECT_ROOT
from tests.conftest import QUESTIONNAIRES, create_accounts, csrf_token, login
from tests.live_server import LiveServer, free_port
from tests.web.respondent import NEWCOMER_PAGES, Respondent

DEPLOY = PROJECT_ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SUBMIT = "/api/v1/surveys/newcomer/responses"
ANSWERS = {
    "arrival_year": "y2018_2021",
    "german_level": "a2",
    "integration_course": "attending",
    "main_activity": "employed",
    "housing_situation": "own_flat",
}

# The test's nginx waits this long for a request's headers (the file ships 10 s).
HEADER_TIMEOUT_S = 2
# uvicorn closes a connection idle for this long unless told otherwise: shorter than
# nginx keeps one, so nginx sent requests into connections uvicorn was closing (22 % of
# 300 page-by-page respondents lost one in the measurement of issue 22).
UVICORN_DEFAULT_KEEP_ALIVE_S = 5

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("live_servers")]


def site_config(tmp: Path, app_port: int, http_port: int, tls_port: int) -> str:
    """deploy/nginx.conf with the site's names, paths and ports of this test: every
    replaced line must be in the file, so the file tested is the file shipped."""
    text = (DEPLOY / "nginx.conf").read_text()
    replacements = {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
        "    listen 80;\n": f"    listen 127.0.0.1:{http_port};\n",
        "    listen [::]:80;\n": "",
        "    listen 443 ssl http2;\n": f"    listen 127.0.0.1:{tls_port} ssl http2;\n",
        "    listen [::]:443 ssl http2;\n": "",
        "/etc/letsencrypt/live/umfrage.landkreis.example/fullchain.pem": str(tmp / "cert.pem"),
        "/etc/letsencrypt/live/umfrage.landkreis.example/privkey.pem": str(tmp / "key.pem"),
        "/var/log/nginx/survey-app.error.log": str(tmp / "site-error.log"),
        "alias /opt/survey-app/static/;": f"alias {PROJECT_ROOT / 'static'}/;",
        "    client_header_timeout 10s;\n": f"    client_header_timeout {HEADER_TIMEOUT_S}s;\n",
    }
    for shipped, here in replacements.items():
        assert shipped in text, f"deploy/nginx.conf no longer has {shipped!r}"
        text = text.replace(shipped, here)
    return text


def main_config(tmp: Path, site: Path) -> str:
    temp = {name: tmp / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    return f"""
daemon off;
worker_processes 1;
pid {tmp / "nginx.pid"};
error_log {tmp / "error.log"} warn;
{"user root;" if os.geteuid() == 0 else ""}
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {site};
}}
"""


def trust(tmp: Path) -> ssl.SSLContext:
    """Verify TLS against the test's own certificate, as a browser would against a CA."""
    return ssl.create_default_context(cafile=str(tmp / "cert.pem"))


@dataclass(frozen=True)
class Proxied:
    base: str  # https, through nginx
    plain: str  # http, redirected
    tls: ssl.SSLContext
    database_url: str
    tls_port: int
    app_port: int  # the app itself, behind nginx


@contextlib.contextmanager
def nginx(tmp: Path, app_port: int, http_port: int, tls_port: int) -> Iterator[None]:
    """nginx in front of the app on loopback, until the block ends."""
    if not Path(NGINX).exists():
        pytest.fail("nginx is missing: run .ci/system-deps as root (Debian package nginx)")
    certificate = ["-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")]
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", *certificate],
        check=True, capture_output=True,
    )  # fmt: skip
    site = tmp / "site.conf"
    site.write_text(site_config(tmp, app_port, http_port, tls_port))
    config = tmp / "nginx.conf"
    config.write_text(main_config(tmp, site))
    checked = subprocess.run([NGINX, "-t", "-c", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    # No inherited stdin or stdout: under pytest-xdist they are the worker's channel.
    process = subprocess.Popen(
        [NGINX, "-c", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"https://127.0.0.1:{tls_port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/healthz", verify=trust(tmp), timeout=1).status_code == 200:
                    break
            assert process.poll() is None, (tmp / "error.log").read_text(errors="replace")
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="session")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxied]:
    """`survey-app serve` (SQLite) behind nginx."""
    tmp = tmp_path_factory.mktemp("nginx")
    var_dir = tmp / "var"
    database_url = f"sqlite:///{var_dir / 'survey.sqlite3'}"
    server = LiveServer(
        database_url,
        var_dir,
        questionnaires=QUESTIONNAIRES,
        ready_path="/healthz",
        workers=2,
    )
    http_port, tls_port = free_port(), free_port()
    base = f"https://127.0.0.1:{tls_port}"
    # Production refuses a loopback SURVEY_BASE_URL, which is all this test has.
    server.env.update(SURVEY_BASE_URL=base)
    with server, nginx(tmp, server.port, http_port, tls_port):
        yield Proxied(
            base, f"http://127.0.0.1:{http_port}", trust(tmp), database_url, tls_port, server.port
        )


def test_plain_http_is_redirected_to_https(proxied: Proxied) -> None:
    response = httpx.get(f"{proxied.plain}/s/newcomer?lang=de", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"].startswith("https://")


def test_a_respondent_answers_the_whole_survey_through_nginx(proxied: Proxied) -> None:
    base = proxied.base
    with httpx.Client(
        base_url=base, verify=proxied.tls, timeout=30, follow_redirects=True
    ) as browser:
        thanks = Respondent(browser, "newcomer").answer_all(NEWCOMER_PAGES)  # type: ignore[arg-type]
        assert "survey_session" not in browser.cookies
        assert browser.get("/readyz").status_code == 200
    assert thanks.status_code == 200
    assert "Vielen Dank" in thanks.text
    assert thanks.headers["strict-transport-security"].startswith("max-age=")
    assert thanks.headers["content-security-policy"]


def test_the_submission_api_through_nginx(proxied: Proxied) -> None:
    base = proxied.base
    body = {"submission_id": "nginx-1", "language": "de", "answers": ANSWERS}
    with httpx.Client(base_url=base, verify=proxied.tls, timeout=30) as client:
        stored = client.post(SUBMIT, json=body)
        replay = client.post(SUBMIT, json=body)
        foreign = client.post(
            SUBMIT,
            json={**body, "submission_id": "nginx-2"},
            headers={"origin": "https://evil.example"},
        )
        own = client.post(
            SUBMIT, json={**body, "submission_id": "nginx-3"}, headers={"origin": base}
        )
        plain_text = client.post(SUBMIT, content=b"{}", headers={"content-type": "text/plain"})
    assert stored.status_code == 201, stored.text
    assert (replay.status_code, replay.json()["id"]) == (200, stored.json()["id"])
    assert foreign.status_code == 403
    assert own.status_code == 201, own.text
    assert plain_text.status_code == 415


def test_static_files_come_from_nginx_with_caching(proxied: Proxied) -> None:
    base = proxied.base
    response = httpx.get(f"{base}/static/app.css", verify=proxied.tls)
    assert response.status_code == 200
    assert response.text == (PROJECT_ROOT / "static" / "app.css").read_text()
    assert "max-age=604800" in response.headers["cache-control"]
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_body_over_the_limit_is_refused_by_nginx(proxied: Proxied) -> None:
    base = proxied.base
    response = httpx.post(
        f"{base}{SUBMIT}",
        content=b"x" * (2 * 1024 * 1024),
        headers={"content-type": "application/json"},
        verify=proxied.tls,
    )
    assert response.status_code == 413


def test_the_office_uploads_over_a_megabyte_and_hears_the_limit_from_the_app(
    proxied: Proxied,
) -> None:
    """nginx takes 1 MB elsewhere; the office's uploads may be 2 MB, and a larger one is
    explained by the app, not refused by nginx with a bare 413."""
    create_accounts(proxied.database_url)
    recipients = "/admin/surveys/company/recipients"
    with httpx.Client(base_url=proxied.base, verify=proxied.tls, timeout=30) as client:
        login(client, "admin")
        questionnaire = client.post(
            "/admin/questionnaires",
            files={"file": ("gross.yaml", b"# " + b"x" * (1536 * 1024) + b"\n")},
            data={"_csrf_token": csrf_token(client, "/admin/questionnaires")},
        )
        too_large = client.post(
            recipients,
            files={"file": ("betriebe.csv", b"E-Mail\r\n" + b"x" * (2560 * 1024))},
            data={"_csrf_token": csrf_token(client, recipients)},
        )

    assert questionnaire.status_code == 303, questionnaire.text  # to its check report
    assert too_large.status_code == 413
    assert "betriebe.csv: größer als 2 MB" in too_large.text  # the app's page
    assert "nginx" not in too_large.text


def test_a_claimed_client_address_does_not_evade_the_guess_limit(
    proxied: Proxied,
) -> None:
    """nginx replaces X-Forwarded-For with the address it saw: a client cannot make
    every guess look like another machine's."""
    base = proxied.base
    with httpx.Client(base_url=base, verify=proxied.tls, timeout=30) as client:
        statuses = [
            client.get(
                f"/s/company?invitation=guess-{n}",
                headers={"x-forwarded-for": f"198.51.100.{n}"},
            ).status_code
            for n in range(45)
        ]
    # Two workers count apart (README: rate limits): at most 40 guesses pass.
    assert 429 in statuses
    assert set(statuses) <= {404, 429}


def upstream_keepalive_seconds() -> int:
    """How long deploy/nginx.conf keeps an idle connection to the app open."""
    text = (DEPLOY / "nginx.conf").read_text()
    upstream = re.search(r"upstream survey_app \{(.*?)\}", text, re.S)
    assert upstream is not None, "deploy/nginx.conf has no upstream survey_app"
    timeout = re.search(r"^\s*keepalive_timeout (\d+)s;", upstream.group(1), re.M)
    assert timeout is not None, "the upstream names no keepalive_timeout in seconds"
    return int(timeout.group(1))


def test_the_app_keeps_an_idle_connection_open_longer_than_nginx_reuses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The side that reuses a connection must close it first: nginx, not the app, or a
    request nginx sends as the app closes the connection is lost."""
    served: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **options: served.update(options))
    monkeypatch.setattr(migrate, "upgrade", lambda *_args: None)
    environment = {
        "SURVEY_DATABASE_URL": f"sqlite:///{tmp_path / 'survey.sqlite3'}",
        "SURVEY_VAR_DIR": str(tmp_path / "var"),
        "SURVEY_WORKERS": "1",  # `serve` sets it; CliRunner puts it back
    }

    ran = CliRunner().invoke(main, ["serve", "--port", "8123"], env=environment)

    assert ran.exit_code == 0, ran.output
    keep_alive = served.get("timeout_keep_alive", UVICORN_DEFAULT_KEEP_ALIVE_S)
    assert isinstance(keep_alive, int)
    assert keep_alive > upstream_keepalive_seconds()


def test_the_served_app_answers_on_a_connection_idle_for_longer_than_uvicorns_default(
    proxied: Proxied,
) -> None:
    """`survey-app serve` as nginx reaches it: a connection that was idle longer than
    uvicorn's default keep-alive still takes the next request (nginx reuses idle
    connections for up to a minute)."""
    connection = http.client.HTTPConnection("127.0.0.1", proxied.app_port, timeout=10)
    try:
        connection.request("GET", "/healthz")
        first = connection.getresponse()
        first.read()
        opened = connection.sock
        time.sleep(UVICORN_DEFAULT_KEEP_ALIVE_S + 1.5)
        # On a connection the app has closed, this is a RemoteDisconnected (the error
        # nginx met, as a 502, for 22 % of a crowd of respondents).
        connection.request("GET", "/healthz")
        second = connection.getresponse()
        second.read()
        reused = connection.sock is opened
    finally:
        connection.close()

    assert (first.status, second.status) == (200, 200)
    assert reused


def test_a_client_sending_its_headers_too_slowly_is_cut_off_by_nginx(proxied: Proxied) -> None:
    """A client that trickles header lines (a "slowloris") holds a connection only for
    `client_header_timeout` in all, however steadily it sends."""
    raw = socket.create_connection(("127.0.0.1", proxied.tls_port), timeout=10)
    with proxied.tls.wrap_socket(raw, server_hostname="127.0.0.1") as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        connection.settimeout(0.5)
        closed = False
        deadline = time.monotonic() + 5 * HEADER_TIMEOUT_S
        line = 0
        while not closed and time.monotonic() < deadline:
            try:
                connection.sendall(f"X-Slow-{line}: still sending\r\n".encode())
                closed = connection.recv(1024) == b""
            except TimeoutError:
                line += 1
            except (ConnectionError, ssl.SSLError):
                closed = True

    assert closed, "nginx still waits for the headers"
    assert line >= 2  # cut off while it was still sending, not at its first line


def test_the_systemd_unit_is_valid_and_runs_in_production(tmp_path: Path) -> None:
    shipped = (DEPLOY / "survey-app.service").read_text()
    for line in (
        "Environment=SURVEY_ENVIRONMENT=production",
        "Restart=on-failure",
        "LimitNOFILE=65536",
        "UMask=0077",
    ):
        assert line in shipped.splitlines(), line
    assert "/opt/survey-app/.venv/bin/survey-app serve --host 127.0.0.1 --port 8000" in shipped
    unit = tmp_path / "survey-app.service"
    unit.write_text(shipped.replace("/opt/survey-app", str(PROJECT_ROOT)))
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, check=False
    )
    assert verified.returncode == 0, verified.stderr
