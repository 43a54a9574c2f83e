"""What one statement import reports: counts over every entry, the file's control totals and
warnings, and the entries that need a person, each list bounded so the answer stays small
whatever the file holds. Stored as JSON with the file (statement_files.summary), so a file sent
again is answered with exactly what its first import said."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from engine.ingest.records import ControlTotal

# Each list of a summary holds at most this many items; the rest are only counted.
MAX_LISTED = 1000
# What one listed item echoes at most (a location, a message, a warning), in characters.
MAX_ITEM_CHARS = 512

# Entry results worth a person's attention (listed); the others are only counted.
RETURN_UNMATCHED = "RETURN_UNMATCHED"
ADVICE_HELD = "ADVICE_HELD"
CONFLICT = "CONFLICT"
SKIPPED = "SKIPPED"


@dataclass(slots=True)
class Counts:
    entries: int = 0
    created: int = 0
    already_imported: int = 0
    returns: int = 0
    unmatched_returns: int = 0
    advice_linked: int = 0
    advice_held: int = 0
    skipped: int = 0
    remittance_added: int = 0
    conflicts: int = 0


@dataclass(frozen=True, slots=True)
class EntryResult:
    location: str
    entry_id: str
    result: str  # RETURN_UNMATCHED | ADVICE_HELD | CONFLICT | SKIPPED
    message: str
    currency: str = ""
    amount_minor: int = 0


@dataclass(slots=True)
class AutoApplyCounts:
    auto_applied: int = 0
    suggested: int = 0
    unmatched: int = 0
    unchanged: int = 0


@dataclass(slots=True)
class ImportSummary:
    format: str
    sha256: str
    file_name: str
    byte_count: int
    counts: Counts = field(default_factory=Counts)
    controls: list[ControlTotal] = field(default_factory=list)
    omitted_controls: int = 0
    warnings: list[str] = field(default_factory=list)
    omitted_warnings: int = 0
    exceptions: list[EntryResult] = field(default_factory=list)
    omitted_exceptions: int = 0
    already_imported: bool = False
    auto_apply: AutoApplyCounts | None = None

    def warn(self, text: str) -> None:
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append(_cut(text))
        else:
            self.omitted_warnings += 1

    def control(self, total: ControlTotal) -> None:
        if len(self.controls) < MAX_LISTED:
            self.controls.append(dataclasses.replace(total, scope=_cut(total.scope)))
        else:
            self.omitted_controls += 1

    def exception(self, result: EntryResult) -> None:
        if len(self.exceptions) < MAX_LISTED:
            self.exceptions.append(
                dataclasses.replace(result, location=_cut(result.location), message=_cut(result.message))
            )
        else:
            self.omitted_exceptions += 1

    @property
    def needs_attention(self) -> bool:
        """Money or remittance that is not where it belongs yet: a person should look."""
        c = self.counts
        return bool(c.unmatched_returns or c.advice_held or c.conflicts)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_ITEM_CHARS else text[: MAX_ITEM_CHARS - 1] + "\u2026"


def to_json(summary: ImportSummary) -> str:
    """The summary as stored (auto_apply left out: it belongs to one call, not to the file)."""
    data = dataclasses.asdict(summary)
    data.pop("auto_apply")
    data.pop("already_imported")
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def from_json(text: str) -> ImportSummary:
    data: dict[str, Any] = json.loads(text)
    return ImportSummary(
        format=data["format"],
        sha256=data["sha256"],
        file_name=data["file_name"],
        byte_count=data["byte_count"],
        counts=Counts(**data["counts"]),
        controls=[ControlTotal(**c) for c in data["controls"]],
        omitted_controls=data["omitted_controls"],
        warnings=list(data["warnings"]),
        omitted_warnings=data["omitted_warnings"],
        exceptions=[EntryResult(**e) for e in data["exceptions"]],
        omitted_exceptions=data["omitted_exceptions"],
    )
