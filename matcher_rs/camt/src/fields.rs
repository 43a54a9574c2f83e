//! The small parts of a camt entry: dates, codes, parties, accounts (camt_fields.py). Each
//! accepts every shape from .001.02 to .001.13 (Sts text or Sts/Cd, Dbtr/Nm or Dbtr/Pty/Nm,
//! Dt or DtTm).

use crate::records::{decline, error, Date, Result};
use crate::text::{at, normalized, repr};
use crate::tree::Node;
use std::borrow::Cow;
use std::collections::HashMap;

/// ISO date text -> date, each distinct text parsed once (DateCache).
#[derive(Default)]
pub struct Dates(HashMap<String, Date>);

impl Dates {
    /// `parse` with the location given as parts, joined only for an error.
    pub fn parse_lazy(&mut self, text: &str, parts: &[&str], node: Option<&Node>) -> Result<Date> {
        match self.0.get(text) {
            Some(date) => Ok(*date),
            None => self.parse(text, &parts.concat(), node),
        }
    }

    pub fn parse(&mut self, text: &str, location: &str, node: Option<&Node>) -> Result<Date> {
        if let Some(date) = self.0.get(text) {
            return Ok(*date);
        }
        let head: String = text.chars().take(10).collect();
        if !head.is_ascii() {
            return decline("a date with non-ASCII characters");
        }
        match iso_date(&head) {
            Some(date) => {
                self.0.insert(text.to_string(), date);
                Ok(date)
            }
            None => {
                let place = node.map_or_else(|| location.to_string(), |n| at(location, n));
                error(
                    place,
                    format!("{} is not an ISO date (YYYY-MM-DD)", repr(text)),
                )
            }
        }
    }
}

/// `date.fromisoformat` of a "YYYY-MM-DD" text.
fn iso_date(head: &str) -> Option<Date> {
    let b = head.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32)
        })
    };
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if year == 0 || day == 0 || day > days {
        return None;
    }
    Some(Date {
        year: year as i32,
        month: month as u8,
        day: day as u8,
    })
}

/// A DateAndDateTimeChoice (BookgDt, ValDt): Dt or DtTm; an empty one is an error.
pub fn date_choice(node: &Node, dates: &mut Dates, parts: &[&str]) -> Result<Option<Date>> {
    let dated = |d: &Node<'_>| (d.name == "Dt" || d.name == "DtTm") && !d.text_of().is_empty();
    if let Some(d) = node.find(&dated) {
        return dates.parse_lazy(d.text_of(), parts, Some(node)).map(Some);
    }
    // An empty Dt is an error, not a missing date.
    if let Some(child) = node
        .children
        .iter()
        .find(|c| c.name == "Dt" || c.name == "DtTm")
    {
        return dates
            .parse_lazy(child.text_of(), parts, Some(child))
            .map(Some);
    }
    Ok(None)
}

/// Sts as text or Sts/Cd | Sts/Prtry; Rsn/Cd | Rsn/Prtry; Tp/CdOrPrtry/Cd.
pub fn code_or_text<'n>(node: &'n Node) -> &'n str {
    let own = node.text_of();
    if !own.is_empty() {
        return own;
    }
    for child in &node.children {
        match child.name {
            "Cd" | "Prtry" => return child.text_of(),
            "CdOrPrtry" => return code_or_text(child),
            _ => {}
        }
    }
    ""
}

/// `text.upper()`, borrowed when it has nothing to change (codes are upper case already).
pub fn upper(text: &str) -> Cow<'_, str> {
    if text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_lowercase())
    {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.to_uppercase())
    }
}

/// BkTxCd as "PMNT/RCDT/ESCT" (Domn/Cd, Fmly/Cd, SubFmlyCd), else its proprietary code.
pub fn bank_transaction_code(node: &Node) -> String {
    let mut proprietary = String::new();
    for child in &node.children {
        if child.name == "Domn" {
            let mut all = Vec::new();
            child.collect(&|d| d.name == "Cd" || d.name == "SubFmlyCd", &mut all);
            let mut codes = String::new();
            for code in all.iter().map(|d| d.text_of()).filter(|t| !t.is_empty()) {
                if !codes.is_empty() {
                    codes.push('/');
                }
                codes.push_str(code);
            }
            return codes;
        }
        if child.name == "Prtry" {
            proprietary = child
                .named("Cd")
                .next()
                .map(|c| c.text_of().to_string())
                .unwrap_or_default();
        }
    }
    proprietary
}

/// Nm of a party: Dbtr/Nm (up to .07) or Dbtr/Pty/Nm (.08+).
pub fn party_name(node: &Node) -> String {
    for child in &node.children {
        match child.name {
            "Nm" => return normalized(child.raw_text()),
            "Pty" => return party_name(child),
            _ => {}
        }
    }
    String::new()
}

/// Acct/Id/IBAN or Acct/Id/Othr/Id of an account (Stmt/Acct, DbtrAcct).
pub fn account_id(node: &Node) -> String {
    for id in node.named("Id") {
        for choice in &id.children {
            match choice.name {
                "IBAN" => return choice.text_of().replace(' ', ""),
                "Othr" => {
                    return choice
                        .named("Id")
                        .next()
                        .map(|c| c.text_of().to_string())
                        .unwrap_or_default()
                }
                _ => {}
            }
        }
    }
    String::new()
}
