"""The quality world's bank file in bank formats: read back by the readers, each rendition carries
every payment as the JSON path does (identity, amount, dates, payer, remittance), so scoring the
import path measures the readers and the importer, not a lossy rendition."""

from __future__ import annotations

import pytest

from bench.quality import renditions
from bench.quality.generate import generate
from engine.ingest import formats


@pytest.mark.parametrize("via", ["camt053", "bai2"])
def test_a_rendition_reads_back_as_the_worlds_payments(via: str) -> None:
    world = generate(7, 300)
    parsed = formats.parse(
        renditions.RENDITIONS[via](world) if hasattr(renditions, "RENDITIONS") else _render(via, world)
    )
    assert not parsed.warnings and not parsed.skipped
    read = {renditions.payment_id_of(e.identity): e for e in parsed.entries}
    assert set(read) == {p.payment_id for p in world.payments}
    for p in world.payments:
        e = read[p.payment_id]
        assert (e.amount_minor, e.currency, e.value_date.isoformat()) == (
            p.amount_minor,
            p.currency,
            p.value_date,
        )
        assert (e.payer_name, e.payer_account) == (p.payer_name, p.payer_account), p.payment_id
        refs = tuple(line.reference for line in e.remittance) if via == "camt053" else ()
        text = " ".join(p.remittance_info.split())
        if via == "camt053":
            assert (e.remittance_text, refs) == (text, p.references), p.payment_id
        else:  # BAI2 has no structured remittance: the references travel in the text
            expected = " ".join(part for part in (text.rstrip(",; "), " ".join(p.references)) if part)
            assert e.remittance_text == expected, p.payment_id


def _render(via: str, world: object) -> bytes:
    render = {"camt053": renditions.camt053, "bai2": renditions.bai2}[via]
    return render(world)  # type: ignore[arg-type]
