"""The world's bank file as a bank would send it: camt.053 and BAI2 renditions of its payments.

Each payment becomes one booked credit with the world's payment id as the bank's reference, so the
imported payment's id is the reader's identity of it (account/reference) and the scorer maps it
back. Payer name, payer account and remittance travel where each format puts them:
- camt.053.001.02: one statement per currency account, one entry per payment with its transaction
  details (AcctSvcrRef, EndToEndId NOTPROVIDED, Dbtr/Nm, DbtrAcct IBAN or Othr/Id, RmtInf: Ustrd
  pieces of at most 140 characters as SEPA cuts them, structured references as RfrdDocInf/Nb).
- BAI2: one group per value date (the as-of date), one account per currency, a 16 record per
  payment (type 195 incoming money transfer) whose text carries the originator the way US wire
  reports do ("ORG=/<account> <name>") and the remittance after "OBI=" (originator to beneficiary
  information), continued on 88 records.
Nothing here reads the engine: the renditions follow the formats, not the readers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from xml.sax.saxutils import escape

from bench.quality.world import Payment, World

# The receiving accounts of the world's company, one per currency.
OWN_ACCOUNTS = {"EUR": "DE89370400440532013000", "GBP": "GB29NWBK60161331926819", "USD": "9876543210"}
CAMT_NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
USTRD_LENGTH = 140
BAI2_LINE = 80  # physical record length banks use; longer text continues on 88 records
BAI2_CREDIT_WIRE = "195"


def payment_id_of(imported_id: str) -> str:
    """The world's payment id of a payment imported from a rendition (the reader prefixes the
    receiving account: engine.ingest.records.entry_identity)."""
    return imported_id.rsplit("/", 1)[-1]


def _decimal(amount_minor: int, currency: str) -> str:
    exponent = 0 if currency == "JPY" else 2
    if exponent == 0:
        return str(amount_minor)
    return f"{amount_minor // 100}.{amount_minor % 100:02d}"


def _party_account(account: str) -> str:
    if account[:2].isalpha():
        return f"<DbtrAcct><Id><IBAN>{escape(account)}</IBAN></Id></DbtrAcct>"
    return f"<DbtrAcct><Id><Othr><Id>{escape(account)}</Id></Othr></Id></DbtrAcct>"


def _remittance(p: Payment) -> str:
    parts = [
        f"<Ustrd>{escape(p.remittance_info[i : i + USTRD_LENGTH])}</Ustrd>"
        for i in range(0, len(p.remittance_info), USTRD_LENGTH)
    ]
    parts += [
        f"<Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>{escape(ref)}</Nb>"
        "</RfrdDocInf></Strd>"
        for ref in p.references
    ]
    return f"<RmtInf>{''.join(parts)}</RmtInf>" if parts else ""


def _camt_entry(p: Payment) -> str:
    amount = f'<Amt Ccy="{p.currency}">{_decimal(p.amount_minor, p.currency)}</Amt>'
    debtor = f"<Dbtr><Nm>{escape(p.payer_name)}</Nm></Dbtr>" if p.payer_name else ""
    account = _party_account(p.payer_account) if p.payer_account else ""
    return (
        f"<Ntry>{amount}<CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>{p.value_date}</Dt></BookgDt><ValDt><Dt>{p.value_date}</Dt></ValDt>"
        f"<AcctSvcrRef>{escape(p.payment_id)}</AcctSvcrRef>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f"<NtryDtls><TxDtls><Refs><AcctSvcrRef>{escape(p.payment_id)}</AcctSvcrRef>"
        "<EndToEndId>NOTPROVIDED</EndToEndId></Refs>"
        f"<AmtDtls><TxAmt>{amount}</TxAmt></AmtDtls>"
        f"<RltdPties>{debtor}{account}</RltdPties>{_remittance(p)}</TxDtls></NtryDtls></Ntry>"
    )


def camt053(world: World) -> bytes:
    """One camt.053.001.02 document with a statement per currency account."""
    by_currency: dict[str, list[Payment]] = defaultdict(list)
    for p in world.payments:
        by_currency[p.currency].append(p)
    statements = []
    for n, (currency, payments) in enumerate(sorted(by_currency.items()), start=1):
        first = min(p.value_date for p in payments)
        last = max(p.value_date for p in payments)
        total = sum(p.amount_minor for p in payments)
        own = OWN_ACCOUNTS[currency]
        own_id = f"<IBAN>{own}</IBAN>" if own[:2].isalpha() else f"<Othr><Id>{own}</Id></Othr>"
        statements.append(
            f"<Stmt><Id>QUALITY-{world.seed}-{n}</Id><CreDtTm>{last}T23:59:00</CreDtTm>"
            f"<FrToDt><FrDtTm>{first}T00:00:00</FrDtTm><ToDtTm>{last}T23:59:59</ToDtTm></FrToDt>"
            f"<Acct><Id>{own_id}</Id><Ccy>{currency}</Ccy></Acct>"
            f"<TxsSummry><TtlCdtNtries><NbOfNtries>{len(payments)}</NbOfNtries>"
            f"<Sum>{_decimal(total, currency)}</Sum></TtlCdtNtries></TxsSummry>"
            + "".join(_camt_entry(p) for p in payments)
            + "</Stmt>"
        )
    created = dt.datetime(2026, 12, 1, 6, 0).isoformat()
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="{CAMT_NAMESPACE}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>QUALITY-{world.seed}</MsgId><CreDtTm>{created}</CreDtTm></GrpHdr>"
        + "".join(statements)
        + "</BkToCstmrStmt></Document>\n"
    )
    return document.encode("utf-8")


def _bai2_text(p: Payment) -> str:
    # The text is the record's last field and runs to the record's end: commas and slashes in it
    # are text (invoice numbers carry both).
    origin = f"ORG=/{p.payer_account} {p.payer_name}" if p.payer_account else f"ORG={p.payer_name}"
    text = f"{origin} OBI={p.remittance_info}" if p.remittance_info else origin
    refs = f" REF={' '.join(p.references)}" if p.references else ""
    return text + refs


def _bai2_records(record: str) -> list[str]:
    """A logical record split at blanks into physical lines of about BAI2_LINE characters, the
    rest on 88 continuation records (each continuation starts with the blank it was cut at). A
    word longer than a line is never split (the file declares variable-length records)."""
    lines: list[str] = []
    rest, prefix = record, ""
    while rest:
        room = BAI2_LINE - len(prefix)
        cut = rest.rfind(" ", 0, room) if len(rest) > room else -1
        if cut <= 0:
            cut = rest.find(" ", room) if len(rest) > room else -1
        if cut <= 0:
            lines.append(prefix + rest)
            break
        lines.append(prefix + rest[:cut])
        rest, prefix = rest[cut:], "88,"  # the blank stays: readers that concatenate keep the words apart
    return lines


def bai2(world: World) -> bytes:
    """A BAI2 file: a group per value date, an account per currency, a 16 record per payment."""
    by_day: dict[str, dict[str, list[Payment]]] = defaultdict(lambda: defaultdict(list))
    for p in world.payments:
        by_day[p.value_date][p.currency].append(p)
    out = ["01,BANKUS33,QUALITYCO,261201,0600,1,,,2/"]  # no physical record length: variable
    file_total = 0
    file_records = 1
    for day, accounts in sorted(by_day.items()):
        as_of = dt.date.fromisoformat(day).strftime("%y%m%d")
        group = [f"02,QUALITYCO,BANKUS33,1,{as_of},2359,,2/"]
        group_total = 0
        for currency, payments in sorted(accounts.items()):
            total = sum(p.amount_minor for p in payments)
            account = [f"03,{OWN_ACCOUNTS[currency]},{currency},100,{total},{len(payments)},/"]
            for p in payments:
                text = _bai2_text(p)
                account += _bai2_records(f"16,{BAI2_CREDIT_WIRE},{p.amount_minor},0,{p.payment_id},,{text}")
            # The account control total sums every amount of the account's records: the 03
            # summary (total credits) and the 16 details, so twice the credits here.
            account.append(f"49,{2 * total},{len(account) + 1}/")
            group += account
            group_total += 2 * total
        group.append(f"98,{group_total},{len(accounts)},{len(group) + 1}/")
        out += group
        file_total += group_total
        file_records += len(group)
    out.append(f"99,{file_total},{len(by_day)},{file_records + 1}/")
    return ("\n".join(out) + "\n").encode("ascii", errors="replace")
