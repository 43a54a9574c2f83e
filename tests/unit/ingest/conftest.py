"""The camt reader's two twins: tests marked with the `both_readers` fixture run once with the
lxml reader and once with the Rust one (skipped where the extension is not installed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.ingest import camt_native


@pytest.fixture(params=["python", "rust"])
def both_readers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    choice: str = request.param
    if choice == "rust" and not camt_native.available():
        pytest.skip("the Rust camt reader (cashapp-matcher) is not installed")
    monkeypatch.setenv(camt_native.ENV_VAR, choice)
    assert camt_native.selected() == choice
    yield choice
