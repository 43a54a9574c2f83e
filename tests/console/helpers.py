"""Helpers of the console tests: the test clerks and signing in through the login form."""

from __future__ import annotations

import datetime as dt
import re

from starlette.testclient import TestClient

TENANT = "acme"
TOKENS = (("tok-alice-0123456789", TENANT), ("tok-bob-0123456789", TENANT))
# Few PBKDF2 rounds: the tests sign in often, and the hash's strength is not what they test.
TEST_ROUNDS = 1000
PASSWORDS = {"alice": "alice-password", "bob": "bob-password"}
# The reports count rows by their create times, which are now: the console's "today" is the real one.
TODAY = dt.datetime.now(dt.UTC).date()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page carries no CSRF token"
    return match.group(1)


def sign_in(http: TestClient, name: str = "alice") -> str:
    page = http.get("/login")
    token = csrf_of(page.text)
    answer = http.post(
        "/login",
        data={"username": name, "password": PASSWORDS[name], "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return token
