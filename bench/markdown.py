"""Writing a benchmark's section into a shared Markdown file (bench/RESULTS.md) without
disturbing the sections other benchmarks wrote: the section under the same heading is replaced
where it stands, or added at the end the first time."""

from __future__ import annotations

from pathlib import Path


def replace_section(out: Path, header: str, text: str) -> None:
    """Puts `text` (which starts with `header`, a '## ' heading) in place of that section of `out`."""
    current = out.read_text() if out.exists() else ""
    before, found, after = current.partition(header)
    # Keep the sections that follow this one: they belong to other benchmarks.
    rest = after.split("\n## ", 1)[1] if found and "\n## " in after else ""
    out.parent.mkdir(parents=True, exist_ok=True)
    head = before.rstrip() + "\n\n" if before.strip() else ""
    out.write_text(head + text.rstrip() + "\n" + (f"\n## {rest}" if rest else ""))
