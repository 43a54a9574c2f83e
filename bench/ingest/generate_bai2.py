"""A realistic BAI2 file of N credit entries, for the ingest benchmark and the read-back test.

One file, one group, accounts of at most ACCOUNT_ENTRIES entries each. The credits mix what a
US receivables account sees: ACH credits (142) with the payer in the text, incoming wires (195)
with ORG:/OBI: continuation records carrying the invoices paid, and lockbox deposits (115) of two
to five checks (116) each with a customer reference and an 88 continuation of invoice numbers.
Every 25th record is a debit (451), which the reader skips. Trailers (49, 98, 99) carry the
right counts and control totals. A pure function of (entries, seed).
"""

from __future__ import annotations

import random

PAYERS = (
    "NORTHWIND TRADERS", "CONTOSO LTD", "FABRIKAM INC", "GLOBEX CORP", "INITECH LLC",
    "UMBRELLA CORP", "HOOLI INC", "WAYNE ENTERPRISES", "STARK INDUSTRIES", "ACME SUPPLY CO",
)  # fmt: skip
ACCOUNT_ENTRIES = 5_000
DEBIT_EVERY = 25


def generate(entries: int, seed: int) -> bytes:
    """The file's bytes."""
    return generate_with_truth(entries, seed)[0]


def generate_with_truth(entries: int, seed: int) -> tuple[bytes, list[int]]:
    """The file's bytes and the amount of each credit entry the reader must yield, in order."""
    rnd = random.Random(seed)
    lines = ["01,GENBANK,RECEIVER,261130,0600,GEN1,80,,2/", "02,RECEIVER,GENBANK,1,261130,2400,USD,2/"]
    amounts: list[int] = []
    group_total, account_count = 0, 0
    while len(amounts) < entries or account_count == 0:
        account_count += 1
        account_lines, account_amounts, control = _account(
            rnd, account_count, min(ACCOUNT_ENTRIES, entries - len(amounts))
        )
        lines.extend(account_lines)
        amounts.extend(account_amounts)
        group_total += control
    lines.append(f"98,{group_total},{account_count},{len(lines)}/")
    lines.append(f"99,{group_total},1,{len(lines) + 1}/")
    return ("\n".join(lines) + "\n").encode(), amounts


def _account(rnd: random.Random, number: int, entries: int) -> tuple[list[str], list[int], int]:
    lines = [f"03,{4455660000 + number},USD,010,{rnd.randint(0, 10**9)},,/"]
    amounts: list[int] = []
    control = int(lines[0].split(",")[4])
    sequence = 0
    while len(amounts) < entries:
        sequence += 1
        if sequence % DEBIT_EVERY == 0:
            amount = rnd.randint(100, 500_000)
            lines.append(f"16,451,{amount},Z,D{number}X{sequence},,ACH DEBIT UTILITY PAYMENT/")
            control += amount
            continue
        kind = rnd.random()
        if kind < 0.6:
            new = _ach(rnd, number, sequence)
        elif kind < 0.9:
            new = _wire(rnd, number, sequence)
        else:
            new = _lockbox(rnd, number, sequence, entries - len(amounts))
        records, credit_amounts, summed = new
        lines.extend(records)
        amounts.extend(credit_amounts)
        control += summed
    lines.append(f"49,{control},{len(lines) + 1}/")
    return lines, amounts, control


def _ach(rnd: random.Random, account: int, sequence: int) -> tuple[list[str], list[int], int]:
    amount = rnd.randint(100, 2_500_000)
    payer = rnd.choice(PAYERS)
    return (
        [f"16,142,{amount},Z,A{account}X{sequence},,ACH CREDIT {payer} PPD INV-{account}-{sequence}/"],
        [amount],
        amount,
    )


def _wire(rnd: random.Random, account: int, sequence: int) -> tuple[list[str], list[int], int]:
    amount = rnd.randint(10_000, 50_000_000)
    invoices = " ".join(f"INV-{account}-{sequence}-{i}" for i in range(rnd.randint(1, 3)))
    records = [
        f"16,195,{amount},,W{account}X{sequence},E2E{sequence},INCOMING WIRE/",
        f"88,ORG:/US{rnd.randint(10**9, 10**10 - 1)} {rnd.choice(PAYERS)}",
        f"88,OBI:{invoices}",
    ]
    return records, [amount], amount


def _lockbox(rnd: random.Random, account: int, sequence: int, room: int) -> tuple[list[str], list[int], int]:
    items = [rnd.randint(1_000, 1_000_000) for _ in range(min(room, rnd.randint(2, 5)))]
    if len(items) == 1:  # a deposit of one check is just a deposit
        return [f"16,115,{items[0]},,L{account}X{sequence},LBX,LOCKBOX DEPOSIT/"], items, items[0]
    deposit = sum(items)
    records = [f"16,115,{deposit},,L{account}X{sequence},LBX,LOCKBOX DEPOSIT/"]
    for index, amount in enumerate(items, start=1):
        records.append(f"16,116,{amount},0,,CHK{sequence}{index},CHECK {rnd.choice(PAYERS)}/")
        records.append(f"88,INV INV-{account}-{sequence}-{index}")
    return records, items, deposit * 2
