"""Staff in a browser: an account made with `survey-app user add`, logged in through the
real login form (CSRF token from the page, session cookie), as the downloads and the
office's e-mail benchmarks need."""

from __future__ import annotations

import re
import secrets

import httpx

from bench.common import SURVEY_APP, BenchError, Server, run

# New for every run: the accounts live only in a benchmark's throw-away database.
PASSWORD = secrets.token_urlsafe(18)
CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


def account_add(
    env: dict[str, str], email: str, *, admin: bool = False, groups: tuple[str, ...] = ()
) -> None:
    """Create an account on the server's database (run after the server has started:
    it migrates the database and publishes the working groups)."""
    args = [SURVEY_APP, "user", "add", email, "--password", PASSWORD]
    args += ["--admin"] if admin else []
    for group in groups:
        args += ["--group", group]
    run(args, env).require_success(f"survey-app user add {email}")


def csrf_token(client: httpx.Client, path: str) -> str:
    """The CSRF token of the form on `path` (GET it first, as a browser does)."""
    page = client.get(path, headers={"Accept": "text/html"})
    found = CSRF_FIELD.search(page.text)
    if found is None:
        raise BenchError(f"no CSRF field on {path} (status {page.status_code})")
    return found.group(1)


def logged_in(server: Server, email: str, timeout: float = 600.0) -> httpx.Client:
    """An httpx client with the session of `email`; the caller closes it."""
    client = httpx.Client(base_url=server.base, timeout=timeout, follow_redirects=False)
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "_csrf_token": token}
    )
    if response.status_code != 303:
        client.close()
        raise BenchError(f"login of {email} answered {response.status_code}")
    return client
