"""A realistic camt.053.001.08 statement of N booked credit entries, for the reader benchmark.

Each entry is one SEPA credit transfer with its own AcctSvcrRef, a payer (name, IBAN) and an
end-to-end id; 60 % carry free text (Ustrd), 30 % structured remittance (one or two invoices
with RmtdAmt, DuePyblAmt and sometimes a discount) and 10 % an ISO 11649 RF creditor reference.
Balances and TxsSummry/TtlCdtNtries agree with the entries, so a reader reading it right reports
no warning. Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from xml.sax.saxutils import escape

from stdnum import iso11649

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
ACCOUNT = "DE89370400440532013000"
_COMPANIES = ["Müller", "Acme", "Nordwind", "Van Dijk", "Rossi", "Dupont", "Kowalski", "Berg", "O'Neill"]
_TRADES = ["Handel", "Bau", "Logistik", "Foods", "Tech"]
_FORMS = ["GmbH", "B.V.", "S.p.A.", "SARL", "Ltd", "AG", "Sp. z o.o.", "AB", "& Co. KG"]


def _iban(rng: random.Random) -> str:
    return f"DE{rng.randrange(10, 99)}{rng.randrange(10**17, 10**18)}"


def _amount(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def _rf_reference(body: str) -> str:
    """An ISO 11649 reference: RF, two check digits (98 - mod 97 of body + "RF00"), body."""
    digits = "".join(str(int(c, 36)) for c in body + "RF00")
    reference = f"RF{98 - int(digits) % 97:02d}{body}"
    assert iso11649.is_valid(reference)
    return reference


def _remittance(rng: random.Random, n: int, minor: int) -> str:
    roll = rng.random()
    if roll < 0.6:
        return f"<RmtInf><Ustrd>Invoice INV-{n:07d} customer {rng.randrange(10**5, 10**6)}</Ustrd></RmtInf>"
    if roll < 0.9:
        split = [minor] if minor < 200 or rng.random() < 0.7 else [minor // 2, minor - minor // 2]
        blocks = []
        for k, paid in enumerate(split):
            discount = paid // 50 if rng.random() < 0.3 else 0
            blocks.append(
                "<Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp>"
                f"<Nb>INV-{n:07d}-{k + 1}</Nb></RfrdDocInf><RfrdDocAmt>"
                f'<DuePyblAmt Ccy="EUR">{_amount(paid + discount)}</DuePyblAmt>'
                + (
                    f'<DscntApldAmt><Amt Ccy="EUR">{_amount(discount)}</Amt></DscntApldAmt>'
                    if discount
                    else ""
                )
                + f'<RmtdAmt Ccy="EUR">{_amount(paid)}</RmtdAmt></RfrdDocAmt></Strd>'
            )
        return "<RmtInf>" + "".join(blocks) + "</RmtInf>"
    reference = _rf_reference(f"{n:010d}")
    return (
        "<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp>"
        f"<Ref>{reference}</Ref></CdtrRefInf></Strd></RmtInf>"
    )


def _entry(rng: random.Random, n: int, day: dt.date) -> tuple[int, str]:
    minor = rng.randrange(100, 5_000_000)
    payer = f"{rng.choice(_COMPANIES)} {rng.choice(_TRADES)} {rng.choice(_FORMS)}"
    date = day.isoformat()
    xml = (
        f'<Ntry><NtryRef>{n}</NtryRef><Amt Ccy="EUR">{_amount(minor)}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
        f"<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>{date}</Dt></BookgDt><ValDt><Dt>{date}</Dt></ValDt>"
        f"<AcctSvcrRef>2026{n:012d}</AcctSvcrRef>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f"<NtryDtls><TxDtls><Refs><EndToEndId>E2E-{rng.randrange(10**9, 10**10)}</EndToEndId>"
        f"<TxId>TX{n:010d}</TxId></Refs>"
        f'<Amt Ccy="EUR">{_amount(minor)}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
        f"<RltdPties><Dbtr><Pty><Nm>{escape(payer)}</Nm></Pty></Dbtr>"
        f"<DbtrAcct><Id><IBAN>{_iban(rng)}</IBAN></Id></DbtrAcct></RltdPties>"
        f"{_remittance(rng, n, minor)}</TxDtls></NtryDtls></Ntry>\n"
    )
    return minor, xml


def generate(entries: int, seed: int) -> bytes:
    """A camt.053.001.08 file of `entries` booked credit entries, deterministic for `seed`."""
    rng = random.Random(seed)
    day = dt.date(2026, 11, 2)
    body, total = [], 0
    for n in range(1, entries + 1):
        minor, xml = _entry(rng, n, day + dt.timedelta(days=n * 28 // max(entries, 1)))
        total += minor
        body.append(xml)
    opening = 1_000_000
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{NAMESPACE}"><BkToCstmrStmt>\n'
        "<GrpHdr><MsgId>BENCH-1</MsgId><CreDtTm>2026-12-01T06:00:00+01:00</CreDtTm></GrpHdr>\n"
        "<Stmt><Id>BENCH-1-1</Id><CreDtTm>2026-12-01T06:00:00+01:00</CreDtTm>\n"
        f"<Acct><Id><IBAN>{ACCOUNT}</IBAN></Id><Ccy>EUR</Ccy></Acct>\n"
        f'<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{_amount(opening)}</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-01</Dt></Dt></Bal>\n"
        f'<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{_amount(opening + total)}</Amt>'
        "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-30</Dt></Dt></Bal>\n"
        f"<TxsSummry><TtlCdtNtries><NbOfNtries>{entries}</NbOfNtries><Sum>{_amount(total)}</Sum></TtlCdtNtries>"
        "</TxsSummry>\n"
    )
    return (head + "".join(body) + "</Stmt></BkToCstmrStmt></Document>\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sys.stdout.buffer.write(generate(args.entries, args.seed))


if __name__ == "__main__":
    main()
