//! engine.ingest.records.entry_identity, for the batch_id a batch's transactions carry (the
//! identity of the unsplit entry). The Python side computes every other identity itself.

use crate::records::{Entry, Kind};
use sha2::{Digest, Sha256};

const MAX_ID_LENGTH: usize = 128;

fn hex(data: &[u8], chars: usize) -> String {
    let digest = Sha256::digest(data);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out.truncate(chars);
    out
}

pub fn entry_identity(entry: &Entry) -> String {
    let scope = if entry.account.is_empty() {
        "-"
    } else {
        entry.account.as_str()
    };
    let mut raw = if !entry.bank_reference.is_empty() {
        format!("{scope}/{}", entry.bank_reference)
    } else if !entry.end_to_end_id.is_empty() {
        format!(
            "{scope}/e2e/{}/{}/{}",
            entry.end_to_end_id,
            entry.amount_minor,
            entry.value_date.iso()
        )
    } else {
        let content = [
            entry.kind.name().to_string(),
            entry.currency.clone(),
            entry.amount_minor.to_string(),
            entry.value_date.iso(),
            entry.payer_account.clone(),
            entry.payer_name.clone(),
            entry.remittance_text.clone(),
        ]
        .join("\u{1f}");
        format!("{scope}/h/{}", hex(content.as_bytes(), 32))
    };
    if entry.kind != Kind::Payment {
        raw.push('/');
        raw.push_str(&entry.kind.name().to_lowercase());
    }
    // isascii, isprintable and no surrounding whitespace: printable ASCII without edge spaces.
    let printable = raw.bytes().all(|b| (0x20..0x7f).contains(&b));
    if raw.chars().count() <= MAX_ID_LENGTH && printable && raw == raw.trim() {
        return raw;
    }
    let short: String = scope.chars().take(40).collect();
    format!("{short}/h/{}", hex(raw.as_bytes(), 40))
}
