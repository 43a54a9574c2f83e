"""Process logging: one stderr handler on the root logger, as text or as JSON lines.

Only the root logger's level and this one handler (with its formatter) are ours. Other handlers
on the root logger, such as an OpenTelemetry log handler, are left alone and see the same records.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes the OpenTelemetry logging instrumentation sets on records (0 when no span is active).
_TRACE_ATTRIBUTES = (("otelTraceID", "trace_id"), ("otelSpanID", "span_id"))
# Libraries that are chatty at INFO; they speak at WARNING unless we are debugging.
_QUIET_LOGGERS = ("alembic",)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the trace and
    span ids, the exception and the stack when the record has them."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for attribute, key in _TRACE_ATTRIBUTES:
            value = getattr(record, attribute, None)
            if value and value != "0":
                entry[key] = str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _CashappHandler(logging.StreamHandler[TextIO]):
    """The handler `configure` installs (marked, so a second call replaces it). Without a stream
    of its own it writes to whatever sys.stderr is when a record is emitted, not the object it was
    at start: a server thread still logging after a test harness swapped stderr back (and closed
    its capture) would otherwise fail with "I/O operation on closed file"."""

    def __init__(self, stream: TextIO | None) -> None:
        self._follows_stderr = stream is None
        super().__init__(stream or sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr if self._follows_stderr else self._own_stream

    @stream.setter
    def stream(self, value: TextIO) -> None:
        self._own_stream = value


def formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"unknown log format {log_format!r}")


def configure(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Sets the root level and installs (or replaces) our stderr handler."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, _CashappHandler)]:
        root.removeHandler(handler)
    handler = _CashappHandler(stream)
    handler.setFormatter(formatter(log_format))
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    root.setLevel(numeric)
    quiet = numeric if numeric <= logging.DEBUG else max(numeric, logging.WARNING)
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
