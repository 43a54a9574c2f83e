"""The one settings module: every bad value of every setting is one line naming the variable or
flag, the value and what is expected, and exits 2; --check-config masks secrets; the database
URL can come from a file; tenant names the database cannot hold and non-loopback look-alikes are
refused at start. In-process through `main([...])` (tests/e2e/test_cli.py runs the process)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server import config
from server.cli import main
from server.config import ConfigError, Settings, is_loopback, load, specs

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET_PASSWORD = "s3cr3t-pw"
SECRET_TOKEN = "tok-very-secret"

# One bad value per setting (by environment variable). A new setting without a row here fails
# test_every_setting_has_a_bad_value_case.
BAD_VALUES = {
    "CASHAPP_DATABASE_URL": ["not a url", "mysql+pymysql://u@h/db", "postgresql://u@h/db"],
    "CASHAPP_DATABASE_URL_FILE": ["/nonexistent/cashapp-url"],
    "CASHAPP_LISTEN": ["127.0.0.1", "127.0.0.1:99999", "::1:50051", "host name:1", "127.0.0.1:x"],
    "CASHAPP_WORKERS": ["abc", "0", "65", "-1", "1.5"],
    "CASHAPP_PROCESSES": ["abc", "0", "65", "-1", "1.5"],
    "CASHAPP_DECIDE_PROCESSES": ["abc", "65", "-1", "1.5"],
    "CASHAPP_TOKENS": ["tok", "=tenant", "tok=", "tok=a b", "tok=a\tb", "t k=a", "tok=" + "x" * 65],
    "CASHAPP_SHUTDOWN_GRACE_SECONDS": ["soon", "-1", "301", "nan", "inf"],
    "CASHAPP_LOG_LEVEL": ["loud", "5"],
    "CASHAPP_LOG_FORMAT": ["xml"],
    "CASHAPP_MATCHER": ["fast"],
    "CASHAPP_TLS_CERT": ["/nonexistent/server.pem"],
    "CASHAPP_TLS_KEY": ["/nonexistent/server.key"],
    "CASHAPP_TLS_CLIENT_CA": ["/nonexistent/ca.pem"],
    "CASHAPP_ALLOW_INSECURE": ["maybe", "2"],
    "CASHAPP_MAX_STATEMENT_BYTES": ["big", "0", "-1", "4294967297", "1.5"],
    "CASHAPP_SMTP_HOST": ["smtp host", "smtp.example:25", "-smtp"],
    "CASHAPP_SMTP_PORT": ["smtp", "0", "65536"],
    "CASHAPP_SMTP_SENDER": ["nobody", "a b@c"],
    "CASHAPP_DUNNING_HTTP_URL": ["ftp://provider.example/", "provider.example", "http://"],
    "CASHAPP_PRINT_FOLDER": ["/dev/null"],
    "CASHAPP_DUNNING_DELIVERY_INTERVAL_SECONDS": ["hourly", "-1", "86401", "nan"],
}


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets: CI or a developer's shell may carry CASHAPP_* variables."""
    for _, _, spec in specs():
        monkeypatch.delenv(spec.env, raising=False)


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert captured.out == ""
    return lines[0]


def test_every_setting_has_a_bad_value_case() -> None:
    assert set(BAD_VALUES) == {spec.env for _, _, spec in specs()}


@pytest.mark.parametrize(
    ("variable", "value"), [(variable, value) for variable, values in BAD_VALUES.items() for value in values]
)
def test_a_bad_variable_is_one_line_naming_it_and_exits_2(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["serve", "--check-config"]) == 2
    line = _error_line(capsys)
    assert line.startswith(f"cashapp: {variable}=")
    assert "expected" in line
    if variable not in ("CASHAPP_TOKENS",):
        assert repr(value.strip()) in line  # the value as given, so the reader sees the typo


FLAG_CASES = [
    (spec.flag, value)
    for _, _, spec in specs("serve")
    if spec.flag is not None and not spec.switch  # a switch takes no value to get wrong
    for value in BAD_VALUES[spec.env][:1]
]


@pytest.mark.parametrize(("flag", "value"), FLAG_CASES)
def test_a_bad_flag_is_one_line_naming_it_and_exits_2(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", "--check-config", flag, value]) == 2
    line = _error_line(capsys)
    assert line.startswith(f"cashapp: {flag}={value!r}: ")
    assert "expected" in line


def test_a_flag_wins_over_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASHAPP_WORKERS", "abc")
    loaded = load("serve", {"workers": "3"}, {"CASHAPP_WORKERS": "abc", "CASHAPP_LISTEN": "[::1]:7"})
    assert loaded.settings.workers == 3
    assert loaded.settings.listen == "[::1]:7"
    assert loaded.sources["workers"] == "--workers"
    assert loaded.sources["listen"] == "CASHAPP_LISTEN"


def test_an_empty_variable_counts_as_unset() -> None:
    loaded = load("serve", {}, {"CASHAPP_WORKERS": "", "CASHAPP_TOKENS": " "})
    assert loaded.settings == Settings()


def test_usage_errors_and_help_exit_like_argparse(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--no-such-flag"]) == 2
    assert "unrecognized arguments: --no-such-flag" in capsys.readouterr().err
    assert main(["serve", "--help"]) == 0
    assert "exit codes: 0 ok, 1 runtime failure, 2 bad configuration" in capsys.readouterr().out


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"cashapp {version('cashapp')}"


# Tokens and tenants -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tokens", "reason"),
    [
        (f"{SECRET_TOKEN}={'t' * 65}", "has 65 characters"),
        (f"{SECRET_TOKEN}=tenant a", "has a space or a control character"),
        (f"{SECRET_TOKEN}=tenant\x01", "has a space or a control character"),
        (f"{SECRET_TOKEN}=tenant\u200b", "has a space or a control character"),
        (f"{SECRET_TOKEN}x\x7f=tenant", "the token of entry 1 has a space, a control or a non-ASCII"),
        (f"ok=a,{SECRET_TOKEN}é=b", "the token of entry 2 has a space, a control or a non-ASCII"),
        (f"{SECRET_TOKEN}=a,{SECRET_TOKEN}=b", "entry 2 repeats the token of entry 1"),
        (f"{SECRET_TOKEN}=a,{SECRET_TOKEN}", "entry 2 is not token=tenant"),
    ],
)
def test_bad_tokens_are_refused_at_start_without_quoting_a_token(
    tokens: str, reason: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CASHAPP_TOKENS", tokens)
    assert main(["serve", "--check-config"]) == 2
    line = _error_line(capsys)
    assert reason in line
    assert SECRET_TOKEN not in line


def test_a_tenant_of_64_characters_is_accepted_and_the_limit_is_the_column_width() -> None:
    from engine.storage import tables

    assert tables.customers.c.tenant_id.type.length == config.MAX_TENANT_CHARS  # type: ignore[attr-defined]
    tenant = "t" * config.MAX_TENANT_CHARS
    loaded = load("serve", {}, {"CASHAPP_TOKENS": f" a = {tenant} , b=other,"})
    assert loaded.settings.tokens == (("a", tenant), ("b", "other"))


# Listening: parsed, never a prefix ----------------------------------------------------------


@pytest.mark.parametrize(
    "listen", ["127.0.0.1:1", "127.9.8.7:1", "[::1]:1", "localhost:1", "LOCALHOST:1", "[::ffff:127.0.0.1]:1"]
)
def test_loopback_addresses_listen_without_tokens(listen: str) -> None:
    assert is_loopback(listen)
    assert load("serve", {"listen": listen}, {}).settings.listen == listen


@pytest.mark.parametrize(
    "listen",
    [
        "127.attacker.example:1",
        "127.0.0.1.nip.io:1",
        "localhost.attacker.example:1",
        "0.0.0.0:1",
        "[::]:1",
        "10.1.2.3:1",
        "[::ffff:10.0.0.1]:1",
        "example.com:1",
    ],
)
def test_anything_else_needs_tls_or_an_explicit_allowance(
    listen: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not is_loopback(listen)
    assert main(["serve", "--check-config", "--listen", listen]) == 2
    line = _error_line(capsys)
    assert f"--listen (CASHAPP_LISTEN)={listen!r}: refusing to listen without TLS" in line
    # Tokens alone do not do: they would cross the wire in clear.
    with pytest.raises(ConfigError, match="without TLS"):
        load("serve", {"listen": listen}, {"CASHAPP_TOKENS": "t=tenant"})
    # Allowed without TLS (a proxy terminates it); authentication is checked at start.
    allowed = load("serve", {"listen": listen, "allow_insecure": "true"}, {"CASHAPP_TOKENS": "t=tenant"})
    assert allowed.settings.listen == listen and allowed.settings.allow_insecure


# The database URL from a file ---------------------------------------------------------------


def test_the_url_file_is_read_with_its_trailing_newline_stripped(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://app:{SECRET_PASSWORD}@db.internal:5432/books"
    path = tmp_path / "url"
    path.write_text(url + "\n")
    loaded = load("serve", {}, {"CASHAPP_DATABASE_URL_FILE": str(path)})
    assert loaded.settings.database_url == url
    assert loaded.sources["database_url"] == f"CASHAPP_DATABASE_URL_FILE={path}"


def test_url_and_url_file_at_the_same_level_are_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "url"
    path.write_text("sqlite:///x.db\n")
    monkeypatch.setenv("CASHAPP_DATABASE_URL", "sqlite:///y.db")
    monkeypatch.setenv("CASHAPP_DATABASE_URL_FILE", str(path))
    assert main(["serve", "--check-config"]) == 2
    assert "CASHAPP_DATABASE_URL and CASHAPP_DATABASE_URL_FILE are both set" in _error_line(capsys)
    args = ["serve", "--check-config", "--database-url", "sqlite://", "--database-url-file", str(path)]
    assert main(args) == 2
    assert "--database-url and --database-url-file are both set" in _error_line(capsys)


def test_a_url_flag_wins_over_the_url_file_variable(tmp_path: Path) -> None:
    path = tmp_path / "url"
    path.write_text("sqlite:///from-file.db")
    loaded = load("serve", {"database_url": "sqlite:///flag.db"}, {"CASHAPP_DATABASE_URL_FILE": str(path)})
    assert loaded.settings.database_url == "sqlite:///flag.db"
    file_flag = load("serve", {"database_url_file": str(path)}, {"CASHAPP_DATABASE_URL": "sqlite:///env.db"})
    assert file_flag.settings.database_url == "sqlite:///from-file.db"


def test_a_bad_url_in_the_file_names_the_file_never_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "url"
    path.write_text(f"postgresql://app:{SECRET_PASSWORD}@db/books\n")  # psycopg2 is not installed
    monkeypatch.setenv("CASHAPP_DATABASE_URL_FILE", str(path))
    assert main(["serve", "--check-config"]) == 2
    line = _error_line(capsys)
    assert line.startswith(f"cashapp: the URL in CASHAPP_DATABASE_URL_FILE={str(path)!r}: driver 'psycopg2'")
    assert SECRET_PASSWORD not in line


def test_a_bad_url_variable_never_shows_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CASHAPP_DATABASE_URL", f"oracle://app:{SECRET_PASSWORD}@db/books")
    assert main(["serve", "--check-config"]) == 2
    line = _error_line(capsys)
    assert "database 'oracle' is not supported" in line
    assert SECRET_PASSWORD not in line


# --check-config -----------------------------------------------------------------------------


def test_check_config_prints_every_setting_with_secrets_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "CASHAPP_DATABASE_URL",
        f"postgresql+psycopg://app:{SECRET_PASSWORD}@db/books?password={SECRET_PASSWORD}",
    )
    monkeypatch.setenv("CASHAPP_TOKENS", f"{SECRET_TOKEN}=tenant-a,other-token=tenant-b")
    monkeypatch.setenv("CASHAPP_WORKERS", "4")
    assert (
        main(
            [
                "serve",
                "--check-config",
                "--listen",
                "0.0.0.0:50051",
                "--allow-insecure",
                "--log-format",
                "json",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert SECRET_PASSWORD not in out
    assert SECRET_TOKEN not in out and "other-token" not in out
    rows = {line.split()[0]: line for line in out.splitlines()}
    assert set(rows) == {spec.env for _, _, spec in specs("serve")}
    assert (
        "postgresql+psycopg://app:***@db/books?password=***  (CASHAPP_DATABASE_URL)"
        in rows["CASHAPP_DATABASE_URL"]
    )
    assert "***=tenant-a,***=tenant-b  (CASHAPP_TOKENS)" in rows["CASHAPP_TOKENS"]
    assert "4  (CASHAPP_WORKERS)" in rows["CASHAPP_WORKERS"]
    assert "0.0.0.0:50051  (--listen)" in rows["CASHAPP_LISTEN"]
    assert "json  (--log-format)" in rows["CASHAPP_LOG_FORMAT"]
    assert "info  (default)" in rows["CASHAPP_LOG_LEVEL"]


def test_migrate_reads_the_database_settings_and_refuses_a_bad_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CASHAPP_DATABASE_URL", f"sqlite:///{tmp_path / 'a' / 'books.db'}")
    assert main(["migrate"]) == 0
    assert (tmp_path / "a" / "books.db").exists()
    assert "newest revision" in capsys.readouterr().out
    assert main(["migrate", "--workers", "2"]) == 2  # a serve-only flag
    capsys.readouterr()
    monkeypatch.setenv("CASHAPP_LOG_LEVEL", "chatty")
    assert main(["migrate"]) == 2
    assert _error_line(capsys).startswith("cashapp: CASHAPP_LOG_LEVEL='chatty': not one of the choices")


def test_the_demo_ignores_the_database_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASHAPP_DATABASE_URL", "not a url")
    loaded = load("demo", {}, {})
    assert not loaded.given("database_url")
    with pytest.raises(ConfigError, match="--database-url='nope': not a SQLAlchemy URL"):
        load("demo", {"database_url": "nope"}, {})


# The README ---------------------------------------------------------------------------------


def test_the_readme_configuration_table_lists_every_setting_with_its_flag_and_default() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        match = re.fullmatch(r"`(CASHAPP_[A-Z_]+)`", cells[0]) if len(cells) >= 4 else None
        if match:
            rows[match.group(1)] = cells
    for _, default, spec in specs():
        assert spec.env in rows, f"{spec.env} is missing from the README configuration table"
        flag_cell, default_cell = rows[spec.env][1], rows[spec.env][2]
        assert flag_cell == (f"`{spec.flag}`" if spec.flag else ""), spec.env
        shown = "(none)" if default in (None, (), "") else "off" if default is False else f"`{default}`"
        assert default_cell == shown, spec.env
    assert "exit code" in section.lower()
