"""A realistic MT940 file of N credit entries, for the ingest benchmark and the read-back test.

Daily statements of at most STATEMENT_ENTRIES lines, alternating between two accounts the way a
company with a German and a Dutch bank gets them: German statements in a SWIFT envelope with
?-structured :86: fields (EREF+ and SVWZ+ purpose cut into 27-character subfields, the payer's
name and IBAN), broken at 65 characters; Dutch ones with /EREF/ /NAME/ /IBAN/ /REMI/ fields,
where part of the remittance is structured (STRD/CUR with a valid RF creditor reference). Every
20th line is a debit. Opening and closing balances chain and add up. A pure function of
(entries, seed).
"""

from __future__ import annotations

import datetime as dt
import random

PAYERS = (
    "Northwind Traders GmbH", "Contoso Handels AG", "Fabrikam BV", "Globex Nederland BV",
    "Initech Software GmbH & Co. KG", "Umbrella Logistik GmbH", "Hooli Europe BV",
)  # fmt: skip
STATEMENT_ENTRIES = 500
DEBIT_EVERY = 20
START = dt.date(2026, 1, 1)


def generate(entries: int, seed: int) -> bytes:
    """The file's bytes."""
    return generate_with_truth(entries, seed)[0]


def generate_with_truth(entries: int, seed: int) -> tuple[bytes, list[int]]:
    """The file's bytes and the amount of each credit entry the reader must yield, in order."""
    rnd = random.Random(seed)
    out: list[str] = []
    amounts: list[int] = []
    balances = {"DE": 1_000_000, "NL": 2_000_000}
    number = 0
    while len(amounts) < entries or number == 0:
        style = "DE" if number % 2 == 0 else "NL"
        day = START + dt.timedelta(days=number // 2)
        lines, credits, balances[style] = _statement(
            rnd, style, number, day, balances[style], min(STATEMENT_ENTRIES, entries - len(amounts))
        )
        out.extend(lines)
        amounts.extend(credits)
        number += 1
    return ("\r\n".join(out) + "\r\n").encode(), amounts


def _statement(
    rnd: random.Random, style: str, number: int, day: dt.date, opening: int, entries: int
) -> tuple[list[str], list[int], int]:
    german = style == "DE"
    lines = ["{1:F01COBADEFFAXXX0000000000}{2:O940COBADEFFXXXXN}{4:"] if german else []
    account = "37040044/0532013000" if german else "NL91ABNA0417164300 EUR"
    lines += [
        f":20:GEN{number:06d}",
        f":25:{account}",
        f":28C:{number + 1}/1",
        f":60F:{_balance(day, opening)}",
    ]
    credits: list[int] = []
    balance, sequence = opening, 0
    while len(credits) < entries:
        sequence += 1
        debit = sequence % DEBIT_EVERY == 0
        amount = rnd.randint(100, 5_000_000)
        mark = "D" if debit else "C"
        lines.append(f":61:{day:%y%m%d}{day:%m%d}{mark}{_amount(amount)}NTRFNONREF//G{number}X{sequence}")
        details = _german(rnd, number, sequence) if german else _dutch(rnd, number, sequence)
        lines.extend(_wrap(":86:" + details))
        balance += -amount if debit else amount
        if not debit:
            credits.append(amount)
    lines.append(f":62F:{_balance(day, balance)}")
    lines.append("-}" if german else "-")
    return lines, credits, balance


def _german(rnd: random.Random, number: int, sequence: int) -> str:
    payer = rnd.choice(PAYERS)
    purpose = f"SVWZ+RE {number}-{sequence} UND RE {number}-{sequence + 1} KUNDE {rnd.randint(1000, 9999)}"
    pieces = [f"EREF+E2E-{number}-{sequence}"] + [purpose[i : i + 27] for i in range(0, len(purpose), 27)]
    fields = ["00SEPA-GUTSCHRIFT"] + [f"{20 + i}{piece}" for i, piece in enumerate(pieces)]
    fields += ["30COBADEFF", f"32{payer[:27]}", f"33{payer[27:]}", "38DE89370400440532013000"]
    return "166" + "".join("?" + field for field in fields)


def _dutch(rnd: random.Random, number: int, sequence: int) -> str:
    payer = rnd.choice(PAYERS)
    if sequence % 3 == 0:
        remittance = f"STRD/CUR/{_creditor_reference(f'{number}X{sequence}')}/"
    else:
        remittance = f"USTD//Factuur {number}-{sequence} klant {rnd.randint(1000, 9999)}/"
    return f"/EREF/E2E-{number}-{sequence}//NAME/{payer}/IBAN/NL20INGB0001234567//REMI/{remittance}"


def _creditor_reference(base: str) -> str:
    """An ISO 11649 RF reference for `base` (check digits: 98 minus the mod-97 remainder)."""
    digits = "".join(str(int(char, 36)) for char in base + "RF00")
    return f"RF{98 - int(digits) % 97:02d}{base}"


def _wrap(text: str) -> list[str]:
    return [text[i : i + 65] for i in range(0, len(text), 65)]


def _amount(minor: int) -> str:
    return f"{minor // 100},{minor % 100:02d}"


def _balance(day: dt.date, minor: int) -> str:
    return f"{'C' if minor >= 0 else 'D'}{day:%y%m%d}EUR{_amount(abs(minor))}"
