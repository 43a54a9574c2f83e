"""A realistic NACHA file of N credit entries received: CCD+ batches (one addenda of free text or
an X12 RMR) and CTX batches (an X12 820 over several addenda), with correct batch and file
controls, so that the reader's speed and exactness can be measured on any size.

    .venv/bin/python -m bench.ingest.generate_nacha --entries 100000 --seed 7 > /tmp/big.ach
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from dataclasses import dataclass, field

from bench.quality.names import company_name

RECORD = 94
BATCH_SIZE = 500  # entries per batch, as banks commonly cut them
RECEIVER_ROUTING = "07100001"  # the receiving company's bank (8 digits + check digit 3)
RECEIVER_ACCOUNT = "987654321"
ODFI = "02100002"  # the originators' bank
EFFECTIVE = "261124"  # 2026-11-24
SETTLEMENT = "329"  # day 329 of 2026: 2026-11-25


def record(*fields: str) -> str:
    """Fields joined into one 94-character record (a bug in a builder fails loudly)."""
    line = "".join(fields)
    if len(line) != RECORD:
        raise ValueError(f"record of {len(line)} characters: {line!r}")
    return line


def file_header(created: str = "261124") -> str:
    return record(
        "101", f" {RECEIVER_ROUTING}3", f"{ODFI}50", created, "0905", "A", "094", "10", "1",
        f"{'RECEIVING BANK NA':<23}", f"{'ORIGINATING BANK':<23}", " " * 8,
    )  # fmt: skip


def batch_header(number: int, company: str, company_id: str, sec: str, description: str = "PAYMENT") -> str:
    return record(
        "5", "220", f"{company.upper()[:16]:<16}", " " * 20, f"{company_id:<10}", sec,
        f"{description:<10}", " " * 6, EFFECTIVE, SETTLEMENT, "1", ODFI, f"{number:07d}",
    )  # fmt: skip


def entry(code: int, amount_minor: int, ident: str, name: str, addenda: int, trace: int, sec: str) -> str:
    indicator = "1" if addenda else "0"
    # CTX puts the number of addenda before a shorter receiving company name.
    receiver = f"{addenda:04d}{name.upper()[:16]:<16}  " if sec == "CTX" else f"{name.upper()[:22]:<22}"
    return record(
        "6", f"{code:02d}", RECEIVER_ROUTING, "3", f"{RECEIVER_ACCOUNT:<17}", f"{amount_minor:010d}",
        f"{ident[:15]:<15}", receiver, "  ", indicator, f"{ODFI}{trace:07d}",
    )  # fmt: skip


def addenda05(text: str, sequence: int, trace: int) -> str:
    return record("705", f"{text:<80}", f"{sequence:04d}", f"{trace:07d}")


def addenda99(reason: str, original_trace: str, info: str, trace: int) -> str:
    return record(
        "799",
        reason,
        f"{original_trace:<15}",
        " " * 6,
        RECEIVER_ROUTING,
        f"{info[:44]:<44}",
        f"{ODFI}{trace:07d}",
    )


@dataclass(slots=True)
class _Totals:
    records: int = 0
    hash: int = 0
    debit: int = 0
    credit: int = 0

    def add_entry(self, code: int, amount: int, addenda: int) -> None:
        self.records += 1 + addenda
        self.hash += int(RECEIVER_ROUTING)
        if code % 10 in (1, 2, 3, 4):
            self.credit += amount
        else:
            self.debit += amount


def batch_control(number: int, company_id: str, totals: _Totals) -> str:
    return record(
        "8", "220", f"{totals.records:06d}", f"{totals.hash % 10**10:010d}", f"{totals.debit:012d}",
        f"{totals.credit:012d}", f"{company_id:<10}", " " * 19, " " * 6, ODFI, f"{number:07d}",
    )  # fmt: skip


def file_control(batches: int, lines: int, totals: _Totals) -> str:
    blocks = math.ceil((lines + 1) / 10)
    return record(
        "9", f"{batches:06d}", f"{blocks:06d}", f"{totals.records:08d}", f"{totals.hash % 10**10:010d}",
        f"{totals.debit:012d}", f"{totals.credit:012d}", " " * 39,
    )  # fmt: skip


def finish(lines: list[str], batches: int, totals: _Totals) -> bytes:
    """The file control, filler to a whole block, and the bytes."""
    lines.append(file_control(batches, len(lines), totals))
    lines += ["9" * RECORD] * (-len(lines) % 10)
    return ("\n".join(lines) + "\n").encode("ascii")


@dataclass(slots=True)
class Generated:
    data: bytes
    count: int
    sum_minor: int
    references: list[str] = field(default_factory=list)  # the invoice numbers of RMR segments


def _x12_amount(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def _ctx_addenda(rng: random.Random, amount: int, name: str, trace: int, out: Generated) -> list[str]:
    """An 820 in the addenda: invoices summing to the amount, one paid short with an ADX."""
    parts = rng.randint(2, 5)
    cuts = sorted(rng.sample(range(1, amount), parts - 1)) if amount > parts else []
    amounts = [b - a for a, b in zip([0, *cuts], [*cuts, amount], strict=True)]
    segments = [
        f"ST*820*{trace % 10000:04d}",
        f"BPR*C*{_x12_amount(amount)}*C*ACH*CTX",
        f"N1*PR*{name.upper()}",
    ]
    for i, paid in enumerate(amounts):
        number = f"INV-{rng.randint(100000, 999999)}"
        out.references.append(number)
        if i == 0 and paid > 1000:
            segments += [
                f"RMR*IV*{number}*PI*{_x12_amount(paid)}*{_x12_amount(paid + 1000)}",
                "ADX*-10.00*01",
            ]
        else:
            segments.append(f"RMR*IV*{number}*PI*{_x12_amount(paid)}")
    segments.append(f"SE*{len(segments) + 1}*{trace % 10000:04d}")
    stream = "".join(f"{s}\\" for s in segments)
    chunks = [stream[i : i + 80] for i in range(0, len(stream), 80)]
    return [addenda05(chunk, k, trace) for k, chunk in enumerate(chunks, start=1)]


def _ccd_addenda(rng: random.Random, amount: int, trace: int, out: Generated) -> list[str]:
    """CCD+: an X12 RMR, a line of free text, or no addenda at all."""
    number = f"INV-{rng.randint(100000, 999999)}"
    roll = rng.random()
    if roll < 0.4:
        out.references.append(number)
        return [addenda05(f"RMR*IV*{number}*PI*{_x12_amount(amount)}\\", 1, trace)]
    if roll < 0.8:
        return [addenda05(f"PAYMENT OF INVOICE {number} THANK YOU", 1, trace)]
    return []


def generate_with_totals(entries: int, seed: int) -> Generated:
    """The file, with the count and sum of the credits it carries."""
    rng = random.Random(seed)
    out = Generated(b"", entries, 0)
    lines = [file_header()]
    file_totals = _Totals()
    batches = 0
    trace = 0
    while trace < entries:
        batches += 1
        company = company_name(rng, "US")
        company_id = f"1{rng.randint(0, 999999999):09d}"
        sec = "CTX" if batches % 2 == 0 else "CCD"
        lines.append(batch_header(batches, company, company_id, sec))
        totals = _Totals()
        for _ in range(min(BATCH_SIZE, entries - trace)):
            trace += 1
            amount = rng.randint(1_000, 5_000_000)
            out.sum_minor += amount
            ident = f"CUST{rng.randint(1000, 99999)}"
            addenda = (
                _ctx_addenda(rng, amount, company, trace, out)
                if sec == "CTX"
                else _ccd_addenda(rng, amount, trace, out)
            )
            lines.append(entry(22, amount, ident, "NORTHWIND TOOLS", len(addenda), trace, sec))
            lines += addenda
            totals.add_entry(22, amount, len(addenda))
        lines.append(batch_control(batches, company_id, totals))
        file_totals.records += totals.records
        file_totals.hash += totals.hash
        file_totals.credit += totals.credit
    out.data = finish(lines, batches, file_totals)
    return out


def generate(entries: int, seed: int) -> bytes:
    """A NACHA file of `entries` credit entries (CCD+ and CTX batches)."""
    return generate_with_totals(entries, seed).data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sys.stdout.buffer.write(generate(args.entries, args.seed))


if __name__ == "__main__":
    main()
