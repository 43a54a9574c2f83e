"""Benchmarks share bench/RESULTS.md: writing one's section keeps everything the others wrote."""

from __future__ import annotations

from pathlib import Path

from bench.markdown import replace_section


def test_a_new_section_is_added_at_the_end(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    out.write_text("# Results\n\n## A\n\na\n")
    replace_section(out, "## B", "## B\n\nb\n")
    assert out.read_text() == "# Results\n\n## A\n\na\n\n## B\n\nb\n"


def test_a_section_is_replaced_where_it_stands_and_the_ones_after_it_stay(tmp_path: Path) -> None:
    out = tmp_path / "RESULTS.md"
    out.write_text("# Results\n\n## A\n\nold a\n\n## B\n\nb\n\n## C\n\nc\n")
    replace_section(out, "## A", "## A\n\nnew a\n")
    text = out.read_text()
    assert "old a" not in text
    assert text.index("new a") < text.index("## B") < text.index("## C")
    assert text.endswith("## C\n\nc\n")


def test_a_missing_file_is_created(tmp_path: Path) -> None:
    out = tmp_path / "sub" / "RESULTS.md"
    replace_section(out, "## A", "## A\n\na\n")
    assert out.read_text() == "## A\n\na\n"
