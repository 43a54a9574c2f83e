"""--log-format json: one JSON object per line (time, level, logger, message; trace ids and the
exception when present); configuring twice replaces our handler and leaves others alone."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from server import logs


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, restored afterwards (handlers and level)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.NOTSET)


def test_a_json_record_is_one_line_with_the_fields_and_the_exception(root_logger: logging.Logger) -> None:
    stream = io.StringIO()
    logs.configure("info", "json", stream)
    log = logging.getLogger("cashapp.test")
    try:
        raise RuntimeError("boom\nsecond line")
    except RuntimeError:
        log.exception("failed: %s", "two\nlines")
    log.debug("not at info")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["level"] == "ERROR"
    assert record["logger"] == "cashapp.test"
    assert record["message"] == "failed: two\nlines"
    assert "RuntimeError: boom" in record["exception"]
    assert record["time"].endswith("+00:00")


def test_trace_ids_set_by_the_opentelemetry_instrumentation_are_kept() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    record.otelTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    record.otelSpanID = "0"  # no active span: left out
    entry = json.loads(logs.JsonFormatter().format(record))
    assert entry["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert "span_id" not in entry


def test_configuring_again_replaces_only_our_handler(root_logger: logging.Logger) -> None:
    other = logging.StreamHandler(io.StringIO())  # e.g. an OpenTelemetry log handler
    root_logger.addHandler(other)
    first, second = io.StringIO(), io.StringIO()
    logs.configure("warning", "json", first)
    logs.configure("debug", "text", second)
    logging.getLogger("cashapp.test").debug("now text")
    assert first.getvalue() == ""
    assert "DEBUG cashapp.test: now text" in second.getvalue()
    assert other in root_logger.handlers
    assert root_logger.level == logging.DEBUG


def test_without_a_stream_records_go_to_the_stderr_of_the_moment(
    root_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server thread may outlive the stderr it started with (a test harness closes its capture
    and swaps stderr back); our handler must write to the current one, not fail on the closed."""
    first = io.StringIO()
    monkeypatch.setattr("sys.stderr", first)
    logs.configure("info", "text")
    first.close()
    second = io.StringIO()
    monkeypatch.setattr("sys.stderr", second)
    logging.getLogger("cashapp.test").warning("after the swap")
    assert "WARNING cashapp.test: after the swap" in second.getvalue()
    assert "Logging error" not in second.getvalue()
