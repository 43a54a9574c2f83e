//! What the entries of one Stmt / Ntfctn share, and its control totals (camt_controls.py):
//! Bal (OPBD or PRCD opening, CLBD closing) and TxsSummry against the entries; a mismatch is a
//! warning, never an error.

use crate::amounts::Money;
use crate::fields::code_or_text;
use crate::records::{error, ControlTotal, Date, Parsed, Result};
use crate::text::{at, repr};
use crate::tree::Node;
use std::collections::BTreeSet;

const SUMMARIES: [&str; 3] = ["TtlNtries", "TtlCdtNtries", "TtlDbtNtries"];

#[derive(Default)]
pub struct Statement {
    pub scope: String,
    pub notification: bool,
    pub account: String,
    pub currency: String,
    pub fallback_date: Option<Date>,
    entries: i128,
    entries_minor: i128,
    credits: i128,
    credits_minor: i128,
    debits: i128,
    debits_minor: i128,
    booked_net_minor: i128,
    pub undated: u64,
    pub without_status: u64,
    booked: i128,
    currencies: BTreeSet<String>,
    opening: Option<(String, i128)>,
    closing: Option<(String, i128)>,
    /// (total name, declared count, Sum text, location), in the order first declared.
    summary: Vec<(&'static str, Option<i128>, Option<String>, String)>,
    pub number: u64,
}

impl Statement {
    pub fn new(scope: String, notification: bool, fallback_date: Option<Date>) -> Statement {
        Statement {
            scope,
            notification,
            fallback_date,
            ..Statement::default()
        }
    }

    pub fn tally(&mut self, currency: &str, amount: i64, credit: bool, booked: bool) {
        if !self.currencies.contains(currency) {
            self.currencies.insert(currency.to_string());
        }
        let amount = amount as i128;
        self.entries += 1;
        self.entries_minor += amount;
        if credit {
            self.credits += 1;
            self.credits_minor += amount;
        } else {
            self.debits += 1;
            self.debits_minor += amount;
        }
        if booked {
            self.booked += 1;
            self.booked_net_minor += if credit { amount } else { -amount };
        }
    }

    /// One Bal: the opening and the closing booked balance, signed (DBIT is negative).
    pub fn balance(&mut self, bal: &Node, money: &Money) -> Result<()> {
        let location = format!("{}/Bal", self.scope);
        let (mut code, mut amount, mut sign) = (String::new(), None, 1i128);
        for child in &bal.children {
            match child.name {
                "Tp" => code = code_or_text(child).to_uppercase(),
                "Amt" => amount = Some(money.amount_element(child, &[&location, "/Amt"])?),
                "CdtDbtInd" if child.text_of() == "DBIT" => sign = -1,
                _ => {}
            }
        }
        let Some((currency, minor)) = amount else {
            return error(at(&location, bal), "a balance without an amount (Amt)");
        };
        let signed = sign * minor as i128;
        // OPBD wins over PRCD; a PRCD counts only while no opening is known.
        if code == "OPBD" || (code == "PRCD" && self.opening.is_none()) {
            self.opening = Some((currency.to_string(), signed));
        } else if code == "CLBD" {
            self.closing = Some((currency.to_string(), signed));
        }
        if self.currency.is_empty() {
            self.currency = currency.to_string();
        }
        Ok(())
    }

    /// TxsSummry: the declared count and sum (the Sum read once the currency is known).
    pub fn summary(&mut self, node: &Node) -> Result<()> {
        for child in &node.children {
            let Some(name) = SUMMARIES.iter().find(|s| **s == child.name) else {
                continue;
            };
            let (mut count, mut total) = (None, None);
            for part in &child.children {
                match part.name {
                    "NbOfNtries" => {
                        let raw = part.text_of();
                        if !raw.chars().all(|c| c.is_numeric()) || raw.is_empty() {
                            let place =
                                at(&format!("{}/TxsSummry/{name}/NbOfNtries", self.scope), part);
                            return error(place, format!("{} is not a count", repr(raw)));
                        }
                        if !raw.is_ascii() || raw.len() > 30 {
                            return crate::records::decline("a count in other digits or too long");
                        }
                        count = Some(raw.parse::<i128>().unwrap_or(0));
                    }
                    "Sum" => total = Some(part.text_of().to_string()),
                    _ => {}
                }
            }
            let location = at(&format!("{}/TxsSummry/{name}", self.scope), child);
            let declared = (*name, count, total, location);
            match self.summary.iter_mut().find(|s| s.0 == *name) {
                Some(slot) => *slot = declared,
                None => self.summary.push(declared),
            }
        }
        Ok(())
    }

    /// The statement's controls and the warnings its entries left.
    pub fn finish(&self, money: &Money, out: &mut Parsed) -> Result<()> {
        let scope = &self.scope;
        if self.without_status > 0 {
            out.warnings.push(format!(
                "{scope}: {} entries without Sts, read as booked (BOOK)",
                self.without_status
            ));
        }
        if self.undated > 0 {
            out.warnings.push(format!(
                "{scope}: {} entries without ValDt or BookgDt, dated from the statement",
                self.undated
            ));
        }
        let currency = if !self.currency.is_empty() {
            self.currency.clone()
        } else if self.currencies.len() == 1 {
            self.currencies.iter().next().cloned().unwrap_or_default()
        } else {
            String::new()
        };
        for (name, declared_count, text, location) in &self.summary {
            let declared_sum =
                self.declared_sum(text.as_deref(), &currency, location, money, out)?;
            let (count, summed) = match *name {
                "TtlNtries" => (self.entries, self.entries_minor),
                "TtlCdtNtries" => (self.credits, self.credits_minor),
                _ => (self.debits, self.debits_minor),
            };
            let control = ControlTotal {
                scope: format!("{scope} {name}"),
                counted: count,
                summed_minor: summed,
                declared_count: *declared_count,
                declared_sum_minor: declared_sum,
            };
            record(control, &currency, out, "", money);
        }
        if let (Some(opening), Some(closing)) = (&self.opening, &self.closing) {
            if self.currencies.iter().all(|c| *c == opening.0) {
                let control = ControlTotal {
                    scope: format!("{scope} balance"),
                    counted: self.booked,
                    summed_minor: opening.1 + self.booked_net_minor,
                    declared_count: None,
                    declared_sum_minor: Some(closing.1),
                };
                let what = "opening balance + booked credits - booked debits";
                record(control, &opening.0, out, what, money);
            } else {
                out.warnings.push(format!(
                    "{scope}: entries in a currency other than the balance's; balance not checked"
                ));
            }
        }
        Ok(())
    }

    fn declared_sum(
        &self,
        text: Option<&str>,
        currency: &str,
        location: &str,
        money: &Money,
        out: &mut Parsed,
    ) -> Result<Option<i128>> {
        let Some(text) = text else { return Ok(None) };
        if currency.is_empty() || self.currencies.len() > 1 {
            out.warnings.push(format!(
                "{location}: a Sum over several currencies; only the count is checked"
            ));
            return Ok(None);
        }
        let exponent = money.exponent_of(currency, location)?;
        let minor = money.minor_units(text, exponent, currency, &format!("{location}/Sum"))?;
        Ok(Some(minor as i128))
    }
}

fn record(control: ControlTotal, currency: &str, out: &mut Parsed, what: &str, money: &Money) {
    let agrees = control.agrees();
    let format = |minor: Option<i128>| match minor {
        Some(m) if !currency.is_empty() => money.format(m, currency),
        Some(m) => m.to_string(),
        None => "None".to_string(),
    };
    if !agrees {
        let warning = if !what.is_empty() {
            format!(
                "{}: {what} = {}, the closing balance (CLBD) says {}",
                control.scope,
                format(Some(control.summed_minor)),
                format(control.declared_sum_minor)
            )
        } else {
            let mut declared = Vec::new();
            if let Some(count) = control.declared_count {
                declared.push(format!("{count} entries"));
            }
            if control.declared_sum_minor.is_some() {
                declared.push(format!("a sum of {}", format(control.declared_sum_minor)));
            }
            format!(
                "{}: the file declares {}; it holds {} entries summing {}",
                control.scope,
                declared.join(" and "),
                control.counted,
                format(Some(control.summed_minor))
            )
        };
        out.controls.push(control);
        out.warnings.push(warning);
    } else {
        out.controls.push(control);
    }
}
