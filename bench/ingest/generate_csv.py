"""A realistic CSV bank file of N credit entries (seeded): payer names and accounts, bank
references, end-to-end ids on most, structured invoice references with paid amounts on part of
them, free text on the rest."""

from __future__ import annotations

import random

HEADER = (
    "kind,amount,currency,value_date,account,payer_name,payer_account,bank_reference,end_to_end_id,"
    "remittance_text,invoice_references"
)
_NAMES = ("ACME GmbH", "Globex Corp", "Initech AG", "Umbrella B.V.", "Stark Industries", "Wayne Ltd")


def generate(entries: int, seed: int) -> bytes:
    rng = random.Random(seed)
    lines = [HEADER]
    for i in range(entries):
        cents = rng.randint(100, 5_000_000)
        amount = f"{cents // 100}.{cents % 100:02d}"
        payer = rng.choice(_NAMES)
        account = f"DE{rng.randint(10, 99)}{rng.randint(10**17, 10**18 - 1)}"
        e2e = f"E2E-{seed}-{i}" if rng.random() < 0.8 else ""
        if rng.random() < 0.5:
            refs, text = f'"INV-{rng.randint(1, 10**6)}={amount}"', ""
        else:
            refs, text = "", f"Invoice INV-{rng.randint(1, 10**6)} thank you"
        day = 1 + i % 28
        lines.append(
            f"PAYMENT,{amount},EUR,2026-11-{day:02d},DE02120300000000202051,{payer},{account},"
            f"BR-{seed}-{i:08d},{e2e},{text},{refs}"
        )
    return ("\n".join(lines) + "\n").encode()
