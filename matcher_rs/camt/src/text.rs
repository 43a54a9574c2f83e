//! Python's string rules where the messages and records depend on them: `repr`, `split`/`join`
//! normalization, `where` locations.

use crate::tree::Node;

/// "loc (line n)": an element's location with the line it starts on.
pub fn at(location: &str, node: &Node) -> String {
    format!("{location} (line {})", node.line())
}

/// Whitespace runs (line breaks included) become one space: `" ".join(text.split())`.
pub fn normalized(text: &str) -> String {
    // Most texts are ASCII words with single spaces already: copied as they are.
    let b = text.as_bytes();
    let plain = b
        .iter()
        .all(|&c| c.is_ascii() && !(b'\t'..=b'\r').contains(&c))
        && b.first() != Some(&b' ')
        && b.last() != Some(&b' ')
        && memchr::memmem::find(b, b"  ").is_none();
    if plain {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Python's `repr` of a str, as the Python reader's messages show it.
pub fn repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if (0x80..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `"{:,}".format(n)`.
pub fn thousands(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::normalized;

    /// The slow way, which the copy of a plain text must agree with.
    fn joined(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn plain_and_spaced_texts_normalize_alike() {
        for text in [
            "",
            " ",
            "Invoice INV-1",
            " Invoice",
            "Invoice ",
            "Invoice  INV-1",
            "Invoice\tINV-1",
            "Invoice\nINV-1\r",
            "a\u{0b}b\u{0c}c",
            "Müller  GmbH",
            "x\u{a0}y\u{2003}z",
            "a\u{1f}b",
        ] {
            assert_eq!(normalized(text), joined(text), "{text:?}");
        }
    }
}
