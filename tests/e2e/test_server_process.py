"""`cashapp serve` as a real process: reflection, tenant isolation by bearer token, refusing an
unauthenticated public listener, and a clean exit on SIGTERM."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import pytest
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

if TYPE_CHECKING:  # handed out by the fixtures of tests/e2e/conftest.py
    from conftest import RunningServer

from cashapp_client import Client, NotFoundError, UnauthenticatedError, UnavailableError

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_example_works_when_pasted_and_twice(server_factory: Callable[..., RunningServer]) -> None:
    server = server_factory()
    # The first python block is the quick start; later ones show single calls on its client.
    block = re.findall(r"```python\n(.*?)```", (REPO_ROOT / "README.md").read_text(), flags=re.DOTALL)[0]
    code = block.replace("127.0.0.1:50051", server.target)
    first, second = (
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        for _ in range(2)
    )
    assert first.returncode == 0, first.stdout + first.stderr
    assert "BANK-1 AMOUNT_UNIQUE_SUBSET" in first.stdout
    assert "books reconcile: True" in first.stdout
    assert second.returncode == 0, second.stdout + second.stderr
    assert "books reconcile: True" in second.stdout


def test_reflection_lists_every_service_and_health(server_factory: Callable[..., RunningServer]) -> None:
    server = server_factory()
    with grpc.insecure_channel(server.target) as channel:
        services = set(ProtoReflectionDescriptorDatabase(channel).get_services())
    assert {
        "cashapp.v1.CustomerService",
        "cashapp.v1.InvoiceService",
        "cashapp.v1.PaymentService",
        "cashapp.v1.ReturnService",
        "cashapp.v1.ReconciliationService",
        "cashapp.v1.ReportService",
        "cashapp.v1.CaseService",
        "cashapp.v1.DunningService",
        "grpc.health.v1.Health",
    } <= services


def test_the_tenant_comes_from_the_token_and_tenants_never_see_each_other(
    server_factory: Callable[..., RunningServer],
) -> None:
    server = server_factory({"CASHAPP_TOKENS": "token-a=tenant-a,token-b=tenant-b"})
    with Client(server.target, max_attempts=1) as anonymous, pytest.raises(UnauthenticatedError):
        anonymous.get_customer("C1")
    with Client(server.target, token="token-a") as a, Client(server.target, token="token-b") as b:
        a.create_customer("C1", display_name="Tenant A's customer")
        with pytest.raises(NotFoundError):
            b.get_customer("C1")
        # The same client-chosen id is free in the other tenant, with other content.
        assert (
            b.create_customer("C1", display_name="Tenant B's customer").display_name == "Tenant B's customer"
        )
        assert [c.display_name for c in a.list_customers()] == ["Tenant A's customer"]
    with Client(server.target, token="wrong", max_attempts=1) as wrong, pytest.raises(UnauthenticatedError):
        wrong.get_customer("C1")


def test_a_public_listener_without_tokens_is_refused() -> None:
    # --allow-insecure lifts only the TLS rule (tests/e2e/test_tls.py); authentication stays required.
    result = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--listen", "0.0.0.0:0", "--allow-insecure"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "CASHAPP_DATABASE_URL": "sqlite://"},
    )
    assert result.returncode == 2
    assert "without authentication" in result.stderr


def test_sigterm_stops_the_server_cleanly(server_factory: Callable[..., RunningServer]) -> None:
    server = server_factory()
    with Client(server.target) as client:
        client.create_customer("C1", display_name="ACME")
    assert server.stop() == 0
    with Client(server.target, max_attempts=1, timeout_seconds=1) as client, pytest.raises(UnavailableError):
        client.get_customer("C1")
