//! One <Ntry> to the records it yields: payments, returns, advice items, or a skip
//! (camt_entries.py). One pass over the entry's children, one over each TxDtls, then the records.

use crate::amounts::Money;
use crate::fields::{
    account_id, bank_transaction_code, code_or_text, date_choice, party_name, upper, Dates,
};
use crate::identity::entry_identity;
use crate::records::{error, Date, Entry, Kind, Parsed, Result, Skipped};
use crate::remittance::{remittance, Remittance};
use crate::statement::Statement;
use crate::text::{at, normalized, repr};
use crate::tree::Node;
use std::borrow::Cow;

#[derive(Default)]
struct Tx {
    location: String,
    currency: String,
    amount: Option<i64>,
    reference: String,
    end_to_end_id: String,
    transaction_id: String,
    payer_name: String,
    ultimate_payer: String,
    payer_account: String,
    info: Option<Remittance>,
    additional: String,
    return_reason: String,
    type_code: String,
}

struct Head {
    kind: Kind,
    currency: String,
    amount: i64,
    value: Date,
    booking: Option<Date>,
    location: String,
    reference: String,
    addtl: String,
    /// BkTxCd of the entry, read once for all its records.
    type_code: String,
}

impl Head {
    fn type_code(&self) -> String {
        self.type_code.clone()
    }

    fn whole(&self, st: &Statement) -> Entry {
        Entry {
            kind: self.kind,
            currency: self.currency.clone(),
            amount_minor: self.amount,
            value_date: self.value,
            location: self.location.clone(),
            booking_date: self.booking,
            account: st.account.clone(),
            payer_name: String::new(),
            payer_account: String::new(),
            end_to_end_id: String::new(),
            bank_reference: self.reference.clone(),
            remittance_text: self.addtl.clone(),
            remittance: Vec::new(),
            batch_id: String::new(),
            original_reference: String::new(),
            return_reason: String::new(),
            type_code: self.type_code(),
        }
    }
}

/// `end_to_end`: "" when the file says NOTPROVIDED.
fn end_to_end(value: &str) -> String {
    let value = value.trim();
    let not_provided = if value.is_ascii() {
        value.eq_ignore_ascii_case("NOTPROVIDED")
    } else {
        value.to_uppercase() == "NOTPROVIDED"
    };
    if not_provided {
        String::new()
    } else {
        value.to_string()
    }
}

pub fn read_entry(
    ntry: &Node,
    money: &Money,
    dates: &mut Dates,
    st: &mut Statement,
    out: &mut Parsed,
) -> Result<()> {
    let location = format!("{}/Ntry[{}]", st.scope, st.number);
    let mut amount_el: Option<&Node> = None;
    let (mut indicator, mut status, mut reference, mut addtl) =
        ("", None::<Cow<str>>, String::new(), String::new());
    let mut reversal = false;
    let (mut booking, mut value) = (None, None);
    let mut code: Option<&Node> = None;
    let mut details: Vec<&Node> = Vec::new();
    for child in &ntry.children {
        match child.name {
            "Amt" => amount_el = Some(child),
            "CdtDbtInd" => indicator = child.text_of(),
            "RvslInd" => reversal = matches!(child.text_of().to_lowercase().as_str(), "true" | "1"),
            "Sts" => status = Some(upper(code_or_text(child))),
            "BookgDt" => booking = date_choice(child, dates, &[&location, "/BookgDt"])?,
            "ValDt" => value = date_choice(child, dates, &[&location, "/ValDt"])?,
            "AcctSvcrRef" => reference = child.text_of().to_string(),
            "BkTxCd" => code = Some(child),
            "NtryDtls" => details.push(child),
            "AddtlNtryInf" => addtl = normalized(child.raw_text()),
            _ => {}
        }
    }
    let Some(amount_el) = amount_el else {
        return error(at(&location, ntry), "an entry without an amount (Amt)");
    };
    let (currency, amount) = money.amount_element(amount_el, &[&location, "/Amt"])?;
    let currency = currency.to_string();
    if indicator != "CRDT" && indicator != "DBIT" {
        let place = ntry.named("CdtDbtInd").next().unwrap_or(ntry);
        return error(
            at(&format!("{location}/CdtDbtInd"), place),
            format!("must be CRDT or DBIT, not {}", repr(indicator)),
        );
    }
    let status = status.unwrap_or_else(|| {
        // camt.053 v8 files in the wild omit Sts; a statement reports booked entries.
        st.without_status += 1;
        Cow::Borrowed("BOOK")
    });
    let credit = indicator == "CRDT";
    st.tally(&currency, amount, credit, status == "BOOK");
    let skip = skip_reason(&status, amount, credit, reversal);
    if !skip.is_empty() {
        out.skipped.push(Skipped {
            location,
            reason: skip,
            amount_minor: amount,
            currency,
        });
        return Ok(());
    }
    let value = match value.or(booking) {
        Some(v) => v,
        None => match st.fallback_date {
            Some(d) => {
                st.undated += 1;
                d
            }
            None => {
                return error(
                    at(&location, ntry),
                    "an entry without ValDt or BookgDt in an undated statement",
                )
            }
        },
    };
    let head = Head {
        kind: if credit { Kind::Payment } else { Kind::Return },
        currency,
        amount,
        value,
        booking,
        location,
        reference,
        addtl,
        type_code: code.map(bank_transaction_code).unwrap_or_default(),
    };
    let (txs, batch_count) = transactions(&details, money, &head.location)?;
    for tx in &txs {
        if let Some(info) = &tx.info {
            out.warnings.extend(info.warnings.iter().cloned());
        }
    }
    emit(&head, txs, batch_count, st, out);
    Ok(())
}

fn skip_reason(status: &str, amount: i64, credit: bool, reversal: bool) -> String {
    if status != "BOOK" {
        return format!("status {status}: not booked");
    }
    let reason = if amount == 0 {
        "zero amount"
    } else if credit && reversal {
        "reversal of a debit"
    } else if !credit && !reversal {
        "debit"
    } else {
        ""
    };
    reason.to_string()
}

fn transactions(details: &[&Node], money: &Money, location: &str) -> Result<(Vec<Tx>, u128)> {
    // Sized exactly: a Tx is large, and Vec's first growth (to four) asked malloc for a block
    // big enough to make it consolidate its free lists at every entry.
    let count = details.iter().map(|d| d.named("TxDtls").count()).sum();
    let mut txs = Vec::with_capacity(count);
    let mut declared: u128 = 0;
    for (number, block) in details.iter().enumerate() {
        let block_location = if details.len() > 1 {
            format!("{location}/NtryDtls[{}]", number + 1)
        } else {
            format!("{location}/NtryDtls")
        };
        for child in &block.children {
            match child.name {
                "TxDtls" => {
                    let here = format!("{block_location}/TxDtls[{}]", txs.len() + 1);
                    txs.push(read_tx(child, money, here)?);
                }
                "Btch" => {
                    for part in child.named("NbOfTxs") {
                        let text = part.text_of();
                        if !text.is_empty() && text.chars().all(|c| c.is_numeric()) {
                            if !text.is_ascii() {
                                return crate::records::decline("a count in other digits");
                            }
                            declared = declared.saturating_add(text.parse().unwrap_or(u128::MAX));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    Ok((txs, declared))
}

fn read_tx(node: &Node, money: &Money, location: String) -> Result<Tx> {
    let mut tx = Tx::default();
    for child in &node.children {
        match child.name {
            "Refs" => {
                for part in &child.children {
                    match part.name {
                        "AcctSvcrRef" => tx.reference = part.text_of().to_string(),
                        "EndToEndId" => tx.end_to_end_id = end_to_end(part.raw_text()),
                        "TxId" => tx.transaction_id = part.text_of().to_string(),
                        _ => {}
                    }
                }
            }
            "Amt" => {
                let (currency, amount) = money.amount_element(child, &[&location, "/Amt"])?;
                (tx.currency, tx.amount) = (currency.to_string(), Some(amount));
            }
            "AmtDtls" if tx.amount.is_none() => {
                // TxAmt/Amt is what was booked; InstdAmt is what was ordered (maybe another currency).
                for part in child.named("TxAmt") {
                    for amt in part.named("Amt") {
                        let (currency, amount) =
                            money.amount_element(amt, &[&location, "/AmtDtls/TxAmt/Amt"])?;
                        (tx.currency, tx.amount) = (currency.to_string(), Some(amount));
                    }
                }
            }
            "RltdPties" => {
                for part in &child.children {
                    match part.name {
                        "Dbtr" => tx.payer_name = party_name(part),
                        "DbtrAcct" => tx.payer_account = account_id(part),
                        "UltmtDbtr" => tx.ultimate_payer = party_name(part),
                        _ => {}
                    }
                }
            }
            "RmtInf" => tx.info = Some(remittance(child, money, &location)?),
            "AddtlTxInf" => tx.additional = normalized(child.raw_text()),
            "RtrInf" => {
                for part in child.named("Rsn") {
                    tx.return_reason = code_or_text(part).to_string();
                }
            }
            "BkTxCd" => tx.type_code = bank_transaction_code(child),
            _ => {}
        }
    }
    tx.location = location;
    Ok(tx)
}

fn emit(head: &Head, txs: Vec<Tx>, batch_count: u128, st: &Statement, out: &mut Parsed) {
    if txs.is_empty() {
        if head.kind == Kind::Return {
            out.warnings.push(format!(
                "{}: a reversal without TxDtls; the returned payment is unnamed",
                head.location
            ));
        }
        out.entries.push(head.whole(st));
        return;
    }
    let batch = txs.len() > 1 || batch_count > 1;
    let advice = st.notification && batch && head.kind == Kind::Payment;
    if txs.len() == 1 && !advice {
        // A reversal's TxDtls/Refs/AcctSvcrRef may be the reversed payment's own reference: a
        // return takes only its entry's, so it never shares the payment's identity.
        let returned = head.kind == Kind::Return;
        let reference = if !head.reference.is_empty() {
            head.reference.clone()
        } else if returned {
            String::new()
        } else {
            txs[0].reference.clone()
        };
        out.entries.push(item(
            head,
            &txs[0],
            head.amount,
            reference,
            String::new(),
            st,
        ));
        return;
    }
    if !splittable(head, &txs, out) {
        out.entries.push(head.whole(st));
        return;
    }
    let batch_id = entry_identity(&head.whole(st));
    let own: Vec<&str> = txs.iter().map(|t| t.reference.as_str()).collect();
    let references = item_references(&head.reference, &own);
    for (tx, reference) in txs.iter().zip(references) {
        let amount = tx.amount.unwrap_or(0);
        if amount == 0 {
            out.skipped.push(Skipped {
                location: tx.location.clone(),
                reason: "zero amount".into(),
                amount_minor: 0,
                currency: tx.currency.clone(),
            });
            continue;
        }
        let mut entry = item(head, tx, amount, reference, batch_id.clone(), st);
        if advice {
            entry.kind = Kind::Advice;
        }
        out.entries.push(entry);
    }
}

fn splittable(head: &Head, txs: &[Tx], out: &mut Parsed) -> bool {
    for tx in txs {
        if tx.amount.is_none() || tx.currency != head.currency {
            out.warnings.push(format!(
                "{}: no transaction amount in {}; the batch entry is kept whole",
                tx.location, head.currency
            ));
            return false;
        }
    }
    let total: i128 = txs.iter().map(|t| t.amount.unwrap_or(0) as i128).sum();
    if total != head.amount as i128 {
        out.warnings.push(format!(
            "{}: its {} transactions sum to {} minor units, the entry says {}",
            head.location,
            txs.len(),
            total,
            head.amount
        ));
    }
    true
}

fn item_references(entry_reference: &str, own: &[&str]) -> Vec<String> {
    let distinct: std::collections::HashSet<&&str> = own.iter().collect();
    if own.iter().all(|r| !r.is_empty())
        && distinct.len() == own.len()
        && !own.contains(&entry_reference)
    {
        return own.iter().map(|r| r.to_string()).collect();
    }
    if !entry_reference.is_empty() {
        return (1..=own.len())
            .map(|n| format!("{entry_reference}/{n}"))
            .collect();
    }
    own.iter().map(|r| r.to_string()).collect()
}

fn item(
    head: &Head,
    tx: &Tx,
    amount: i64,
    reference: String,
    batch_id: String,
    st: &Statement,
) -> Entry {
    // Without Ustrd, banks put the purpose in AddtlTxInf / AddtlNtryInf; the AddtlNtryInf of a
    // batch describes the batch ("collective credit, 3 items"), not one of its transactions.
    let entry_purpose = if batch_id.is_empty() {
        head.addtl.as_str()
    } else {
        ""
    };
    let purpose: Vec<&str> = [tx.additional.as_str(), entry_purpose]
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect();
    let texts: Vec<&str> = match &tx.info {
        None => purpose,
        Some(info) => {
            let mut texts: Vec<&str> = info
                .texts
                .iter()
                .chain(&info.extra)
                .map(String::as_str)
                .collect();
            if info.texts.is_empty() {
                texts.extend(purpose);
            }
            texts
        }
    };
    let returned = head.kind == Kind::Return;
    let original = if !tx.end_to_end_id.is_empty() {
        &tx.end_to_end_id
    } else if !tx.reference.is_empty() {
        &tx.reference
    } else {
        &tx.transaction_id
    };
    let type_code = if tx.type_code.is_empty() {
        head.type_code()
    } else {
        tx.type_code.clone()
    };
    Entry {
        kind: head.kind,
        currency: head.currency.clone(),
        amount_minor: amount,
        value_date: head.value,
        location: if batch_id.is_empty() {
            head.location.clone()
        } else {
            tx.location.clone()
        },
        booking_date: head.booking,
        account: st.account.clone(),
        payer_name: if tx.payer_name.is_empty() {
            tx.ultimate_payer.clone()
        } else {
            tx.payer_name.clone()
        },
        payer_account: tx.payer_account.clone(),
        end_to_end_id: tx.end_to_end_id.clone(),
        bank_reference: reference,
        remittance_text: texts.join(" "),
        remittance: tx
            .info
            .as_ref()
            .map(|i| i.lines.clone())
            .unwrap_or_default(),
        batch_id,
        original_reference: if returned {
            original.clone()
        } else {
            String::new()
        },
        return_reason: if returned {
            tx.return_reason.clone()
        } else {
            String::new()
        },
        type_code,
    }
}
