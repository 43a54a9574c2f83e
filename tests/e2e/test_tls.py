"""TLS and mTLS on the real server, with a CA and certificates made inside the test (tests/pki.py):
a plaintext client or one not trusting the CA gets nowhere; with mTLS a client needs a certificate
from the client CA, and its subject CN is its tenant; a non-loopback listener needs TLS unless
explicitly allowed without, and authentication always; bad TLS files are named in the error."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from cashapp_client import Client, NotFoundError, UnauthenticatedError, UnavailableError
from server.app import Running, run_in_thread
from server.cli import main
from server.config import ConfigError, Settings, load
from server.tls import load_server_tls
from tests.pki import Issued, issue, make_ca

REPO_ROOT = Path(__file__).resolve().parents[2]
CALL_TIMEOUT_SECONDS = 10.0
PROCESS_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Pki:
    ca: Issued
    other_ca: Issued
    server: Issued
    acme: Issued  # client certificate, CN=acme
    globex: Issued  # client certificate, CN=globex
    rogue: Issued  # CN=acme, but signed by the other CA
    nameless: Issued  # from the right CA, but no CN


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    ca, other_ca = make_ca(directory, "client-and-server-ca"), make_ca(directory, "other-ca")
    return Pki(
        ca=ca,
        other_ca=other_ca,
        server=issue(ca, directory, "server", "cashapp server", server=True),
        acme=issue(ca, directory, "acme", "acme"),
        globex=issue(ca, directory, "globex", "globex"),
        rogue=issue(other_ca, directory, "rogue", "acme"),
        nameless=issue(ca, directory, "nameless", None),
    )


def credentials(
    pki: Pki, client: Issued | None = None, trust: Issued | None = None
) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=(trust or pki.ca).cert_pem,
        private_key=client.key_pem if client else None,
        certificate_chain=client.cert_pem if client else None,
    )


def client(server: Running, creds: grpc.ChannelCredentials | None, token: str | None = None) -> Client:
    # One attempt: a refused handshake is UNAVAILABLE, which the client would otherwise retry.
    target = f"127.0.0.1:{server.port}"
    return Client(
        target, credentials=creds, token=token, max_attempts=1, timeout_seconds=CALL_TIMEOUT_SECONDS
    )


def tls_settings(pki: Pki, database_url: str, *, mtls: bool, **extra: object) -> Settings:
    return Settings(
        database_url=database_url,
        listen="127.0.0.1:0",
        tls_cert=str(pki.server.cert_path),
        tls_key=str(pki.server.key_path),
        tls_client_ca=str(pki.ca.cert_path) if mtls else "",
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def tls_server(pki: Pki, tmp_path: Path) -> Iterator[Running]:
    """TLS without client certificates, bearer tokens for two tenants."""
    settings = tls_settings(
        pki,
        f"sqlite:///{tmp_path / 'tls.db'}",
        mtls=False,
        tokens=(("tok-a", "tenant-a"), ("tok-b", "tenant-b")),
    )
    with run_in_thread(settings) as running:
        yield running


@pytest.fixture
def mtls_server(pki: Pki, tmp_path: Path) -> Iterator[Running]:
    settings = tls_settings(
        pki, f"sqlite:///{tmp_path / 'mtls.db'}", mtls=True, tokens=(("tok-acme", "acme"),)
    )
    with run_in_thread(settings) as running:
        yield running


# TLS -------------------------------------------------------------------------------------------


def test_a_plaintext_client_cannot_talk_to_a_tls_server(tls_server: Running) -> None:
    with client(tls_server, None, token="tok-a") as plaintext, pytest.raises(UnavailableError):
        plaintext.get_customer("C1")


def test_a_tls_client_trusting_the_ca_works_and_its_token_names_the_tenant(
    pki: Pki, tls_server: Running
) -> None:
    with (
        client(tls_server, credentials(pki), "tok-a") as a,
        client(tls_server, credentials(pki), "tok-b") as b,
    ):
        a.create_customer("C1", display_name="A's customer")
        assert a.get_customer("C1").display_name == "A's customer"
        with pytest.raises(NotFoundError):
            b.get_customer("C1")
    with client(tls_server, credentials(pki)) as anonymous, pytest.raises(UnauthenticatedError):
        anonymous.get_customer("C1")


def test_a_client_that_does_not_trust_the_server_certificate_is_refused(
    pki: Pki, tls_server: Running
) -> None:
    doubting = client(tls_server, credentials(pki, trust=pki.other_ca), "tok-a")
    with doubting, pytest.raises(UnavailableError):
        doubting.get_customer("C1")


# mTLS ------------------------------------------------------------------------------------------


def test_mtls_refuses_a_client_without_a_certificate(pki: Pki, mtls_server: Running) -> None:
    with client(mtls_server, credentials(pki), "tok-acme") as no_cert, pytest.raises(UnavailableError):
        no_cert.get_customer("C1")


def test_mtls_refuses_a_certificate_from_another_ca(pki: Pki, mtls_server: Running) -> None:
    with client(mtls_server, credentials(pki, pki.rogue)) as rogue, pytest.raises(UnavailableError):
        rogue.get_customer("C1")


def test_mtls_refuses_a_certificate_without_a_subject_cn(pki: Pki, mtls_server: Running) -> None:
    with client(mtls_server, credentials(pki, pki.nameless)) as nameless, pytest.raises(UnauthenticatedError):
        nameless.get_customer("C1")


def test_the_client_certificate_cn_is_the_tenant_and_tenants_never_see_each_other(
    pki: Pki, database_url: str
) -> None:
    with (
        run_in_thread(tls_settings(pki, database_url, mtls=True)) as server,
        client(server, credentials(pki, pki.acme)) as acme,
        client(server, credentials(pki, pki.globex)) as globex,
    ):
        acme.create_customer("C1", display_name="ACME's customer")
        with pytest.raises(NotFoundError):
            globex.get_customer("C1")
        # The same client-chosen id is free in the other tenant, with other content.
        globex.create_customer("C1", display_name="Globex's customer")
        assert [c.display_name for c in acme.list_customers()] == ["ACME's customer"]
        assert [c.display_name for c in globex.list_customers()] == ["Globex's customer"]
        for tenant in (acme, globex):
            assert tenant.get_reconciliation_report().all_passed


def test_with_mtls_a_bearer_token_must_name_the_certificates_tenant(pki: Pki, mtls_server: Running) -> None:
    with client(mtls_server, credentials(pki, pki.acme), "tok-acme") as agreeing:
        agreeing.create_customer("C1", display_name="ACME's customer")
    disagreeing = client(mtls_server, credentials(pki, pki.globex), "tok-acme")
    with disagreeing, pytest.raises(UnauthenticatedError, match="another tenant"):
        disagreeing.get_customer("C1")
    wrong = client(mtls_server, credentials(pki, pki.acme), "not-a-token")
    with wrong, pytest.raises(UnauthenticatedError):
        wrong.get_customer("C1")


# Listening rules and settings ------------------------------------------------------------------


def _serve(
    *flags: str, env: dict[str, str] | None = None, database_url: str = "sqlite://"
) -> subprocess.CompletedProcess[str]:
    """`cashapp serve` expected to refuse at once (it never binds)."""
    return subprocess.run(
        [sys.executable, "-m", "server", "serve", "--database-url", database_url, *flags],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT_SECONDS,
        env={"PATH": "/usr/bin:/bin", "OTEL_SDK_DISABLED": "true", **(env or {})},
    )


def test_a_non_loopback_listener_without_tls_is_refused() -> None:
    result = _serve("--listen", "0.0.0.0:0", env={"CASHAPP_TOKENS": "t=acme"})
    assert result.returncode == 2
    assert "without TLS" in result.stderr and "--tls-cert (CASHAPP_TLS_CERT)" in result.stderr


def _settings(environ: dict[str, str] | None = None, **flags: str) -> Settings:
    return load("serve", flags, environ or {}).settings


def test_allow_insecure_lifts_the_tls_rule_for_non_loopback_listeners() -> None:
    with pytest.raises(ConfigError, match="without TLS"):
        _settings(listen="0.0.0.0:50051")
    assert _settings(listen="0.0.0.0:50051", allow_insecure="true").allow_insecure
    assert _settings({"CASHAPP_ALLOW_INSECURE": "1"}, listen="[::]:50051").allow_insecure
    with pytest.raises(ConfigError, match="CASHAPP_ALLOW_INSECURE"):
        _settings({"CASHAPP_ALLOW_INSECURE": "maybe"}, listen="0.0.0.0:50051")


def test_a_host_name_is_not_taken_for_loopback() -> None:
    with pytest.raises(ConfigError, match="without TLS"):
        _settings(listen="127.example.com:50051")
    assert _settings(listen="localhost:50051").listen == "localhost:50051"
    assert _settings(listen="[::1]:50051").listen == "[::1]:50051"


def test_allowed_without_tls_a_non_loopback_listener_still_needs_authentication() -> None:
    result = _serve("--listen", "0.0.0.0:0", "--allow-insecure")
    assert result.returncode == 2
    assert "without authentication" in result.stderr


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ("--tls-cert", "CERT"),
            "--tls-cert (CASHAPP_TLS_CERT) and --tls-key (CASHAPP_TLS_KEY) must be given",
        ),
        (("--tls-key", "KEY"), "--tls-cert (CASHAPP_TLS_CERT) and --tls-key (CASHAPP_TLS_KEY) must be given"),
        (("--tls-client-ca", "CA"), "--tls-client-ca (CASHAPP_TLS_CLIENT_CA) (mTLS) needs --tls-cert"),
    ],
)
def test_incomplete_tls_settings_are_refused_naming_the_setting(
    pki: Pki, capsys: pytest.CaptureFixture[str], flags: tuple[str, ...], message: str
) -> None:
    paths = {"CERT": pki.server.cert_path, "KEY": pki.server.key_path, "CA": pki.ca.cert_path}
    argv = ["serve", "--listen", "127.0.0.1:0", *(str(paths.get(flag, flag)) for flag in flags)]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("cert", "key", "client_ca", "message"),
    [
        ("MISSING", "KEY", "", "--tls-cert (CASHAPP_TLS_CERT): cannot read"),
        ("GARBAGE", "KEY", "", "--tls-cert (CASHAPP_TLS_CERT): .* holds no PEM certificate"),
        ("CERT", "MISSING", "", "--tls-key (CASHAPP_TLS_KEY): cannot read"),
        ("CERT", "GARBAGE", "", "--tls-key (CASHAPP_TLS_KEY): .* holds no unencrypted PEM private key"),
        ("CERT", "OTHER_KEY", "", "--tls-key (CASHAPP_TLS_KEY): .* is not the key of the certificate"),
        ("CERT", "KEY", "GARBAGE", "--tls-client-ca (CASHAPP_TLS_CLIENT_CA): .* holds no PEM certificate"),
        ("CERT", "KEY", "MISSING", "--tls-client-ca (CASHAPP_TLS_CLIENT_CA): cannot read"),
    ],
)
def test_bad_tls_files_are_refused_naming_the_setting(
    pki: Pki, tmp_path: Path, cert: str, key: str, client_ca: str, message: str
) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    paths = {
        "": "",
        "CERT": str(pki.server.cert_path),
        "KEY": str(pki.server.key_path),
        "OTHER_KEY": str(pki.acme.key_path),
        "GARBAGE": str(garbage),
        "MISSING": str(tmp_path / "missing.pem"),
    }
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_server_tls(paths[cert], paths[key], paths[client_ca])


def test_cashapp_serve_exits_naming_a_bad_tls_file_before_touching_the_database(
    pki: Pki, tmp_path: Path
) -> None:
    database = tmp_path / "untouched.db"
    result = _serve(
        "--listen", "127.0.0.1:0", "--tls-cert", str(tmp_path / "missing.pem"),
        "--tls-key", str(pki.server.key_path), database_url=f"sqlite:///{database}",
    )  # fmt: skip
    assert result.returncode == 2
    assert "--tls-cert=" in result.stderr and "no such file" in result.stderr
    assert not database.exists()


def test_good_tls_files_load_and_say_whether_mtls_is_on(pki: Pki) -> None:
    tls = load_server_tls(str(pki.server.cert_path), str(pki.server.key_path), "")
    assert tls is not None and not tls.mtls
    mtls = load_server_tls(str(pki.server.cert_path), str(pki.server.key_path), str(pki.ca.cert_path))
    assert mtls is not None and mtls.mtls and mtls.client_ca == pki.ca.cert_pem
    assert load_server_tls("", "", "") is None


# The command line, end to end ------------------------------------------------------------------


def _wait_for_listening(process: subprocess.Popen[str]) -> str:
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        for line in process.stdout or ():
            output.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + PROCESS_TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if "cashapp listening on" in line:
            return line.rsplit(" ", 1)[-1].strip()
    raise AssertionError("cashapp serve did not start:\n" + "".join(output))


def test_cashapp_serve_takes_tls_settings_from_flags_and_environment(pki: Pki, tmp_path: Path) -> None:
    env = {**os.environ, "OTEL_SDK_DISABLED": "true", "CASHAPP_TLS_CLIENT_CA": str(pki.ca.cert_path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", "--listen", "127.0.0.1:0",
         "--database-url", f"sqlite:///{tmp_path / 'cli.db'}",
         "--tls-cert", str(pki.server.cert_path), "--tls-key", str(pki.server.key_path)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        target = _wait_for_listening(process)
        with Client(
            target, credentials=credentials(pki, pki.acme), timeout_seconds=CALL_TIMEOUT_SECONDS
        ) as acme:
            acme.create_customer("C1", display_name="ACME's customer")
            assert acme.get_customer("C1").display_name == "ACME's customer"
        with (
            Client(
                target, credentials=credentials(pki), max_attempts=1, timeout_seconds=CALL_TIMEOUT_SECONDS
            ) as anon,
            pytest.raises(UnavailableError),
        ):
            anon.get_customer("C1")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=PROCESS_TIMEOUT_SECONDS) == 0
