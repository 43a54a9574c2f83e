//! ISO 20022 decimal amounts as exact integer minor units (engine/ingest/camt_fields.py
//! minor_units / amount_element), and Money.format for the control-total warnings.

use crate::records::{decline, Error, Result};
use crate::text::{at, repr, thousands};
use crate::tree::Node;
use std::collections::HashMap;

/// What amounts are checked against: engine.money's currency exponents and largest amount.
pub struct Money {
    pub exponents: HashMap<String, u32>,
    pub max_minor: i64,
}

impl Money {
    pub fn exponent_of(&self, currency: &str, location: &str) -> Result<u32> {
        match self.exponents.get(currency) {
            Some(e) => Ok(*e),
            None => Err(Error::Ingest {
                location: location.to_string(),
                message: format!("unknown ISO 4217 currency code {} (Ccy)", repr(currency)),
                reason: "MALFORMED_FILE",
            }),
        }
    }

    /// `minor_units(text, exponent, currency, location)`.
    pub fn minor_units(
        &self,
        text: &str,
        exponent: u32,
        currency: &str,
        location: &str,
    ) -> Result<i64> {
        let raw = text.trim();
        if !raw.is_ascii() {
            // Python's \d and int() read other scripts' digits; leave those to the lxml reader.
            return decline("an amount with non-ASCII characters");
        }
        let (whole, fraction) = match raw.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (raw, None),
        };
        let good =
            |part: &str| (1..=18).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
        if !good(whole) || fraction.is_some_and(|f| !good(f)) {
            return fail(
                location,
                format!(
                    "amount {} is not an ISO 20022 decimal (digits, '.')",
                    repr(raw)
                ),
                "MALFORMED_FILE",
            );
        }
        let mut fraction = fraction.unwrap_or("");
        let exponent_len = exponent as usize;
        if fraction.len() > exponent_len {
            if fraction[exponent_len..].bytes().any(|b| b != b'0') {
                return fail(
                    location,
                    format!("amount {raw} has more decimals than {currency}'s {exponent}"),
                    "INVALID_AMOUNT",
                );
            }
            fraction = &fraction[..exponent_len];
        }
        let whole_value: i128 = whole.parse().unwrap_or(0);
        let mut fraction_value: i128 = if fraction.is_empty() {
            0
        } else {
            fraction.parse().unwrap_or(0)
        };
        for _ in fraction.len()..exponent_len {
            fraction_value *= 10;
        }
        let amount = whole_value * 10i128.pow(exponent) + fraction_value;
        if amount > self.max_minor as i128 {
            return fail(
                location,
                format!("amount {raw} exceeds the largest amount cashapp books"),
                "INVALID_AMOUNT",
            );
        }
        Ok(amount as i64)
    }

    /// (currency, minor units) of an <Amt Ccy="..."> element; its location is `parts`
    /// joined, built only for an error message.
    pub fn amount_element<'n>(&self, node: &'n Node, parts: &[&str]) -> Result<(&'n str, i64)> {
        let currency = node.ccy.as_deref().unwrap_or("");
        if let Some(exponent) = self.exponents.get(currency) {
            if let Some(amount) = self.quick(node.raw_text(), *exponent) {
                return Ok((currency, amount));
            }
        }
        // The careful path, with the element's line in any message.
        let where_ = at(&parts.concat(), node);
        if currency.is_empty() {
            return fail(
                &where_,
                "amount without a Ccy currency attribute".into(),
                "MALFORMED_FILE",
            );
        }
        let exponent = self.exponent_of(currency, &where_)?;
        let amount = self.minor_units(node.raw_text(), exponent, currency, &where_)?;
        Ok((currency, amount))
    }

    /// The common case without building any message: digits, maybe a dot and at most the
    /// currency's decimals, in range. None sends the text down the careful path.
    fn quick(&self, text: &str, exponent: u32) -> Option<i64> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || whole.len() > 18 || !digits(whole) || !digits(fraction) {
            return None;
        }
        if text.contains('.') && (fraction.is_empty() || fraction.len() > exponent as usize) {
            return None;
        }
        let mut amount: i128 = whole.parse().ok()?;
        for _ in 0..exponent {
            amount *= 10;
        }
        if !fraction.is_empty() {
            let scale = 10i128.pow(exponent - fraction.len() as u32);
            amount += fraction.parse::<i128>().ok()? * scale;
        }
        (amount <= self.max_minor as i128).then_some(amount as i64)
    }

    /// Money(minor, currency).format(): "EUR 1,234.50".
    pub fn format(&self, minor: i128, currency: &str) -> String {
        let exponent = self.exponents.get(currency).copied().unwrap_or(2);
        let sign = if minor < 0 { "-" } else { "" };
        let scale = 10u128.pow(exponent);
        let (whole, frac) = (minor.unsigned_abs() / scale, minor.unsigned_abs() % scale);
        let text = if exponent > 0 {
            format!(
                "{}.{:0width$}",
                thousands(whole),
                frac,
                width = exponent as usize
            )
        } else {
            thousands(whole)
        };
        format!("{currency} {sign}{text}")
    }
}

fn fail<T>(location: &str, message: String, reason: &'static str) -> Result<T> {
    Err(Error::Ingest {
        location: location.to_string(),
        message,
        reason,
    })
}
