//! RmtInf: free text (Ustrd) and structured blocks (Strd: RfrdDocInf, RfrdDocAmt, CdtrRefInf
//! with the ISO 11649 RF check), as camt_fields.py remittance() reads them.

use crate::amounts::Money;
use crate::fields::{code_or_text, upper};
use crate::records::{decline, error, Adjustment, RemittanceLine, Result};
use crate::text::{at, normalized, repr};
use crate::tree::Node;

#[derive(Default)]
pub struct Remittance {
    pub lines: Vec<RemittanceLine>,
    pub texts: Vec<String>,
    pub extra: Vec<String>,
    pub warnings: Vec<String>,
}

pub fn remittance(node: &Node, money: &Money, location: &str) -> Result<Remittance> {
    let mut result = Remittance::default();
    for child in &node.children {
        match child.name {
            "Ustrd" => {
                let text = normalized(child.raw_text());
                if !text.is_empty() {
                    result.texts.push(text);
                }
            }
            "Strd" => structured(child, money, &[location, "/RmtInf/Strd"], &mut result)?,
            _ => {}
        }
    }
    Ok(result)
}

#[derive(Default)]
struct Amounts {
    paid: Option<i64>,
    due: Option<i64>,
    credit_note: Option<i64>,
    discount: Option<i64>,
}

fn structured(
    node: &Node,
    money: &Money,
    parts: &[&str; 2],
    result: &mut Remittance,
) -> Result<()> {
    let mut documents: Vec<(String, &'static str)> = Vec::new();
    let mut amounts = Amounts::default();
    let mut adjustments: Vec<Adjustment> = Vec::new();
    let mut reference = String::new();
    let mut notes: Vec<String> = Vec::new();
    for child in &node.children {
        match child.name {
            "RfrdDocInf" => {
                let (mut number, mut code) = (String::new(), String::new());
                for part in &child.children {
                    match part.name {
                        "Nb" => number = normalized(part.raw_text()),
                        "Tp" => code = upper(code_or_text(part)).into_owned(),
                        _ => {}
                    }
                }
                if !number.is_empty() {
                    let kind = if code == "CREN" || code == "CRN" {
                        "CREDIT_NOTE"
                    } else {
                        "INVOICE"
                    };
                    documents.push((number, kind));
                }
            }
            "RfrdDocAmt" => document_amounts(child, money, parts, &mut amounts, &mut adjustments)?,
            "CdtrRefInf" => {
                reference = child
                    .named("Ref")
                    .next()
                    .map(|c| normalized(c.raw_text()))
                    .unwrap_or_default()
            }
            "AddtlRmtInf" => notes.push(normalized(child.raw_text())),
            _ => {}
        }
    }
    // The block's amounts belong to its document only when it names exactly one.
    let single = documents.len() == 1 || (documents.is_empty() && !reference.is_empty());
    let paid = if single { amounts.paid } else { None };
    let invoiced = if single {
        amounts.due.or(amounts.credit_note)
    } else {
        None
    };
    let discount = if single {
        amounts.discount.unwrap_or(0)
    } else {
        0
    };
    let kept = if single { adjustments } else { Vec::new() };
    for (number, kind) in &documents {
        result.lines.push(RemittanceLine {
            reference: number.clone(),
            paid_minor: paid,
            invoiced_minor: invoiced,
            discount_minor: discount,
            adjustments: kept.clone(),
            kind,
        });
    }
    if !reference.is_empty() {
        let own = if documents.is_empty() {
            (paid, invoiced, discount, kept)
        } else {
            (None, None, 0, Vec::new())
        };
        creditor_reference(&reference, &parts.concat(), result, own)?;
    }
    result
        .extra
        .extend(notes.into_iter().filter(|n| !n.is_empty()));
    Ok(())
}

type Own = (Option<i64>, Option<i64>, i64, Vec<Adjustment>);

fn creditor_reference(
    reference: &str,
    location: &str,
    result: &mut Remittance,
    own: Own,
) -> Result<()> {
    let compact = reference.replace(' ', "").to_uppercase();
    if !compact.starts_with("RF") {
        // A national reference (Swiss QRR/ISR, Finnish, ...): not ISO 11649, still worth matching on.
        result.extra.push(reference.to_string());
    } else if iso11649_valid(&compact)? {
        let (paid, invoiced, discount, adjustments) = own;
        result.lines.push(RemittanceLine {
            reference: compact,
            paid_minor: paid,
            invoiced_minor: invoiced,
            discount_minor: discount,
            adjustments,
            kind: "CREDITOR_REFERENCE",
        });
    } else {
        result.extra.push(reference.to_string());
        result.warnings.push(format!(
            "{location}/CdtrRefInf/Ref: {} fails the ISO 11649 check; kept as text",
            repr(reference)
        ));
    }
    Ok(())
}

/// python-stdnum's iso11649.is_valid: separators dropped, 5 to 25 characters, "RF", and the
/// ISO 7064 mod 97-10 of the rest followed by the first four is 1.
fn iso11649_valid(compact: &str) -> Result<bool> {
    if !compact.is_ascii() {
        return decline("a creditor reference with non-ASCII characters");
    }
    let number: String = compact.chars().filter(|c| !" -.,/:".contains(*c)).collect();
    let number = number.trim();
    if number.len() < 5 || number.len() > 25 || !number.starts_with("RF") {
        return Ok(false);
    }
    let rotated = format!("{}{}", &number[4..], &number[..4]);
    let mut rest: u64 = 0;
    for c in rotated.chars() {
        let Some(value) = c.to_digit(36) else {
            return Ok(false);
        };
        let factor = if value >= 10 { 100 } else { 10 };
        rest = (rest * factor + value as u64) % 97;
    }
    Ok(rest == 1)
}

fn document_amounts(
    node: &Node,
    money: &Money,
    strd: &[&str; 2],
    amounts: &mut Amounts,
    adjustments: &mut Vec<Adjustment>,
) -> Result<()> {
    for child in &node.children {
        let name = child.name;
        let here = [strd[0], strd[1], "/RfrdDocAmt/", name];
        match name {
            "RmtdAmt" => amounts.paid = Some(money.amount_element(child, &here)?.1),
            "DuePyblAmt" => amounts.due = Some(money.amount_element(child, &here)?.1),
            "CdtNoteAmt" => amounts.credit_note = Some(money.amount_element(child, &here)?.1),
            "DscntApldAmt" => {
                let add = nested_amount(child, money, &here.concat())?;
                amounts.discount = Some(amounts.discount.unwrap_or(0) + add);
            }
            "AdjstmntAmtAndRsn" => adjustments.push(adjustment(child, money, &here.concat())?),
            _ => {}
        }
    }
    Ok(())
}

fn nested_amount(node: &Node, money: &Money, location: &str) -> Result<i64> {
    if node.ccy.is_some() {
        return Ok(money.amount_element(node, &[location])?.1);
    }
    if let Some(child) = node.named("Amt").next() {
        return Ok(money.amount_element(child, &[location, "/Amt"])?.1);
    }
    error(at(location, node), "no amount (Amt) given")
}

fn adjustment(node: &Node, money: &Money, location: &str) -> Result<Adjustment> {
    let mut amount: Option<i64> = None;
    let (mut sign, mut reason, mut text) = (1i64, String::new(), String::new());
    for child in &node.children {
        match child.name {
            "Amt" => amount = Some(money.amount_element(child, &[location, "/Amt"])?.1),
            "CdtDbtInd" if child.text_of() == "DBIT" => sign = -1,
            "Rsn" => reason = code_or_text(child).to_string(),
            "AddtlInf" => text = normalized(child.raw_text()),
            _ => {}
        }
    }
    match amount {
        Some(amount) => Ok(Adjustment {
            amount_minor: sign * amount,
            reason_code: reason,
            text,
        }),
        None => error(at(location, node), "an adjustment without an amount (Amt)"),
    }
}
