"""The Rust camt reader (cashapp_matcher._matcher.read_camt, crate matcher_rs/camt) behind the
same `parse` as the lxml one (engine/ingest/camt_reader.py), which stays its twin and fallback.

``CASHAPP_CAMT_READER`` chooses on every call: ``auto`` (the default: Rust when the extension is
installed and has the reader, else lxml), ``rust`` (an error when it is missing) or ``python``.
Both yield the same records and the same IngestError for what the Rust reader judges; for XML
that is not well-formed, another encoding than UTF-8, a DOCTYPE or digits of other scripts the
Rust reader declines and lxml reads the file, so such files get lxml's own answer (an error
naming lxml's line, or its records).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import importlib
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from engine.ingest.records import (
    Adjustment,
    ControlTotal,
    Entry,
    EntryKind,
    IngestError,
    ParsedFile,
    RemittanceLine,
    Skipped,
)
from engine.money import CURRENCY_EXPONENTS, MAX_AMOUNT_MINOR

ENV_VAR = "CASHAPP_CAMT_READER"
_CHOICES = ("auto", "rust", "python")
EXTENSION_MODULE = "cashapp_matcher._matcher"


def _record(cls: type) -> tuple[type, list[str]]:
    """A record class with its field names in order: the extension sets them as the class's
    own __init__ does (none of these classes has a __post_init__)."""
    assert not hasattr(cls, "__post_init__"), cls
    return cls, [sys.intern(f.name) for f in dataclasses.fields(cls)]


# What the extension builds its records with (it knows nothing of the engine).
_FACTORIES = (
    _record(Entry),
    (EntryKind.PAYMENT, EntryKind.RETURN, EntryKind.ADVICE),
    _record(RemittanceLine),
    _record(Adjustment),
    _record(Skipped),
    _record(ControlTotal),
    dt.date,
)
_EXPONENTS = dict(CURRENCY_EXPONENTS)

ReadCamt = Callable[..., tuple[Any, ...]]


def _load() -> ReadCamt | None:
    # An extension built before the reader existed has no read_camt: the lxml reader is used.
    module: ModuleType | None
    try:
        module = importlib.import_module(EXTENSION_MODULE)
    except ImportError:
        module = None
    read: ReadCamt | None = getattr(module, "read_camt", None)
    return read


_READ = _load()


def available() -> bool:
    return _READ is not None


def selected() -> str:
    """ "rust" or "python": the reader the next camt file goes to."""
    choice = os.environ.get(ENV_VAR, "auto").strip().lower() or "auto"
    if choice not in _CHOICES:
        raise ValueError(f"{ENV_VAR} must be one of auto, rust, python; got {choice!r}")
    if choice == "rust" and _READ is None:
        raise ImportError(
            f"{EXTENSION_MODULE}.read_camt (the Rust camt reader, distribution cashapp-matcher) is "
            f"not installed; install it with `pip install ./matcher_rs` or set {ENV_VAR}=python"
        )
    return "rust" if choice != "python" and _READ is not None else "python"


def parse(data: bytes, namespace: str, number: str) -> ParsedFile | None:
    """The file read by the Rust reader; None when it declines (lxml is to read it)."""
    assert _READ is not None  # selected() said "rust"
    # The records form no cycles: a collection while 100,000 of them are made would only
    # rescan them (a third of the time on a large file).
    collecting = gc.isenabled()
    gc.disable()
    try:
        answer = _READ(data, namespace, number, _EXPONENTS, MAX_AMOUNT_MINOR, _FACTORIES)
    finally:
        if collecting:
            gc.enable()
    if answer[0] == "ok":
        _, entries, skipped, warnings, controls = answer
        return ParsedFile(f"camt.{number}", entries, skipped, warnings, controls)
    if answer[0] == "error":
        _, location, message, reason = answer
        raise IngestError(location, message, reason)
    return None
