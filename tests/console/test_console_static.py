"""The vendored scripts are the published ones, with their licences beside them; clerk accounts."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from console.users import Clerk, authenticate, hash_password, parse_clerks, verify_password

ROOT = Path(__file__).resolve().parents[2]
# npm pack htmx.org@2.0.11 -> package/dist/htmx.min.js; npm pack axe-core@4.14.1 -> package/axe.min.js
HTMX_SHA256 = "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
AXE_SHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"


@pytest.mark.parametrize(
    ("script", "licence", "digest", "version"),
    [
        ("console/static/htmx.min.js", "console/static/htmx.LICENSE", HTMX_SHA256, "2.0.11"),
        ("tests/console/vendor/axe.min.js", "tests/console/vendor/axe.LICENSE", AXE_SHA256, "4.14.1"),
    ],
)
def test_vendored_script_is_the_published_one(script: str, licence: str, digest: str, version: str) -> None:
    data = (ROOT / script).read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest
    assert version.encode() in data
    assert (ROOT / licence).read_text().strip()


def test_password_hash_verifies_only_its_password() -> None:
    stored = hash_password("correct horse", iterations=1000)
    assert verify_password("correct horse", stored)
    assert not verify_password("correct hors", stored)
    assert not verify_password("correct horse", "md5$1$00$00")
    assert not verify_password("correct horse", "garbage")
    with pytest.raises(ValueError):
        hash_password("")


def test_clerks_file_is_checked() -> None:
    good = hash_password("pw", iterations=1000)
    clerks = parse_clerks(json.dumps({"clerks": [{"name": "alice", "password_hash": good, "token": "t"}]}))
    assert authenticate(clerks, "alice", "pw") == Clerk("alice", good, "t")
    assert authenticate(clerks, "alice", "nope") is None
    for text in (
        "not json",
        "{}",
        '{"clerks": []}',
        json.dumps({"clerks": [{"name": "a b", "password_hash": good}]}),
        json.dumps({"clerks": [{"name": "a", "password_hash": "plain"}]}),
        json.dumps({"clerks": [{"name": "a", "password_hash": good}, {"name": "a", "password_hash": good}]}),
    ):
        with pytest.raises(ValueError):
            parse_clerks(text)


def test_a_clerk_never_prints_its_token() -> None:
    assert "secret-token" not in repr(Clerk("alice", "hash", "secret-token"))
