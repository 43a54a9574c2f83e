"""Format detection and the one entry point: every public sample is recognized as what it is and
read through engine.ingest.formats.parse without naming its format; what is no bank file is refused
with a clear IngestError."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from engine.ingest import formats
from engine.ingest.records import IngestError

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples"
# The folder of ../shared/samples each format's files are in.
FOLDER_FORMATS = {
    "bai2": {"bai2"},
    "camt053": {"camt.053"},
    "camt054": {"camt.054"},
    "edi820": {"edi820"},
    "mt940": {"mt940", "mt942"},
    "nacha": {"nacha"},
}
# A guideline template with words where the amounts go: detected, then refused by its reader.
NOT_A_REAL_FILE = {"oopfactory_Example3_HomeDepot.txt"}


def _samples() -> list[Path]:
    if not SAMPLES.is_dir():
        return []
    return sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.parent.name in FOLDER_FORMATS)


def _bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


@pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"the public samples are not at {SAMPLES}")
@pytest.mark.parametrize("path", _samples(), ids=lambda p: p.name)
def test_every_public_sample_is_detected_and_read_without_naming_its_format(path: Path) -> None:
    data = _bytes(path)
    assert formats.detect(data) in FOLDER_FORMATS[path.parent.name]
    if path.name in NOT_A_REAL_FILE:
        with pytest.raises(IngestError):
            formats.parse(data)
        return
    parsed = formats.parse(data)
    assert parsed.format in FOLDER_FORMATS[path.parent.name]
    assert parsed.entries or parsed.skipped, "a sample that yields nothing at all"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "EMPTY_FILE"),
        (b"  \r\n ", "EMPTY_FILE"),
        (b"\x00\x01\x02\xff\xfe garbage", "UNKNOWN_FORMAT"),
        (b"hello, this is a letter\nnot a statement\n", "UNKNOWN_FORMAT"),
        (b'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>', None),
    ],
    ids=["empty", "blank", "binary", "prose", "other-iso20022"],
)
def test_what_is_no_bank_file_is_refused_clearly(data: bytes, reason: str | None) -> None:
    with pytest.raises(IngestError) as caught:
        formats.parse(data)
    assert [v.field for v in caught.value.violations] == ["file"]
    if reason is not None:
        assert caught.value.reason == reason


def test_an_unknown_format_name_is_refused_with_the_list_of_formats() -> None:
    with pytest.raises(IngestError) as caught:
        formats.parse(b"01,x/", "bai3")
    assert caught.value.reason == "UNKNOWN_FORMAT" and "camt.053" in caught.value.message
