"""A realistic X12 820 interchange of N remittance advices (one ST..SE each): payer names, ACH
traces, 1-6 invoices per advice, some paid short with an ADX, some netting a credit memo, and
envelopes whose counts agree, so that the reader's speed and exactness can be measured.

    .venv/bin/python -m bench.ingest.generate_edi820 --entries 100000 --seed 7 > /tmp/big.edi
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field

from bench.quality.names import company_name

TERMINATOR = "~\n"  # one segment a line, as most translators write them
GROUP_CONTROL = "4711"
PAYEE = "NORTHWIND TOOLS LLC"


@dataclass(slots=True)
class Generated:
    data: bytes
    count: int
    sum_minor: int
    lines: int = 0  # RMR segments
    references: list[str] = field(default_factory=list)


def _amount(minor: int) -> str:
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    return f"{sign}{minor // 100}.{minor % 100:02d}"


def _remittance(rng: random.Random, out: Generated) -> tuple[list[str], int]:
    """RMR loops and the payment they add up to (RMR04 amounts, credit memos negative)."""
    segments: list[str] = []
    total = 0
    for _ in range(rng.randint(1, 6)):
        number = f"INV-{rng.randint(100000, 999999)}"
        out.references.append(number)
        invoiced = rng.randint(5_000, 2_000_000)
        roll = rng.random()
        if roll < 0.15:
            deduction = rng.randint(100, invoiced // 10)
            paid = invoiced - deduction
            segments += [
                f"RMR*IV*{number}*PI*{_amount(paid)}*{_amount(invoiced)}",
                f"ADX*{_amount(-deduction)}*01",
            ]
        elif roll < 0.25:
            discount = invoiced * 2 // 100
            paid = invoiced - discount
            segments.append(f"RMR*IV*{number}*PI*{_amount(paid)}*{_amount(invoiced)}*{_amount(discount)}")
        else:
            paid = invoiced
            segments.append(f"RMR*IV*{number}*PI*{_amount(paid)}")
        segments.append(f"DTM*003*2026{rng.randint(1, 10):02d}{rng.randint(1, 28):02d}")
        total += paid
        out.lines += 1
    if total > 10_000 and rng.random() < 0.1:
        credit = rng.randint(1_000, total // 2)
        number = f"CM-{rng.randint(10000, 99999)}"
        out.references.append(number)
        segments.append(f"RMR*CR*{number}*PI*{_amount(-credit)}")
        total -= credit
        out.lines += 1
    return segments, total


def _transaction(rng: random.Random, number: int, out: Generated) -> list[str]:
    remittance, total = _remittance(rng, out)
    out.sum_minor += total
    payer = company_name(rng, "US").upper()
    control = f"{number:09d}"
    segments = [
        f"ST*820*{control}",
        f"BPR*C*{_amount(total)}*C*ACH*CTX*01*021000021*DA*{rng.randint(10**8, 10**9 - 1)}*1234567890"
        f"**01*071000013*DA*987654321*20261124",
        f"TRN*1*{rng.randint(10**9, 10**10 - 1)}*1234567890",
        "DTM*097*20261123",
        f"N1*PR*{payer}",
        f"N1*PE*{PAYEE}",
        "ENT*1",
        *remittance,
    ]
    segments.append(f"SE*{len(segments) + 1}*{control}")
    return segments


def generate_with_totals(entries: int, seed: int) -> Generated:
    """The interchange, with the count and sum of the advices it carries."""
    rng = random.Random(seed)
    out = Generated(b"", entries, 0)
    segments = [
        "ISA*00*          *00*          *ZZ*PAYERSNET      *ZZ*NORTHWIND      "
        "*261123*1015*^*00501*000004711*0*P*>",
        f"GS*RA*PAYERSNET*NORTHWIND*20261123*1015*{GROUP_CONTROL}*X*005010",
    ]
    for number in range(1, entries + 1):
        segments += _transaction(rng, number, out)
    segments += [f"GE*{entries}*{GROUP_CONTROL}", "IEA*1*000004711"]
    out.data = "".join(s + TERMINATOR for s in segments).encode("ascii")
    return out


def generate(entries: int, seed: int) -> bytes:
    """An 820 interchange of `entries` remittance advices."""
    return generate_with_totals(entries, seed).data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    sys.stdout.buffer.write(generate(args.entries, args.seed))


if __name__ == "__main__":
    main()
