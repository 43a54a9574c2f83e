//! One small element tree per entry (or balance, account, header): what lxml's iterparse
//! gives the Python reader, reduced to what the camt rules read. Names are interned local
//! names of the document's namespace (names.rs); text borrows the file unless it had to be
//! unescaped, so reading an entry allocates little.

use crate::records::{decline, Result};
use quick_xml::events::BytesStart;
use std::borrow::Cow;

#[derive(Debug, Default)]
pub struct Node<'a> {
    pub name: &'static str,
    /// lxml's `.text`: the character data before the first child (element, comment or PI).
    pub text: Option<Cow<'a, str>>,
    /// The Ccy attribute (amounts), None when absent.
    pub ccy: Option<Cow<'a, str>>,
    /// The line the start tag is on (lxml's sourceline).
    pub line: usize,
    pub children: Vec<Node<'a>>,
    /// A child (or comment) has been seen: later character data is a tail, not `.text`.
    pub closed_text: bool,
}

impl<'a> Node<'a> {
    pub fn new(name: &'static str, start: &BytesStart<'a>, line: usize) -> Result<Node<'a>> {
        let mut ccy = None;
        if name.ends_with("Amt") {
            for attribute in start.attributes() {
                let Ok(attribute) = attribute else {
                    return decline("a malformed attribute");
                };
                if attribute.key.as_ref() == b"Ccy" {
                    match attribute.unescape_value() {
                        Ok(value) => {
                            ccy = Some(Cow::Owned(normalize_attribute(value).into_owned()))
                        }
                        Err(_) => return decline("an attribute the reader cannot unescape"),
                    }
                }
            }
        }
        Ok(Node {
            name,
            ccy,
            line,
            ..Node::default()
        })
    }

    pub fn add_text(&mut self, text: Cow<'a, str>) {
        if self.closed_text {
            return;
        }
        match &mut self.text {
            Some(own) => own.to_mut().push_str(&text),
            None => self.text = Some(text),
        }
    }

    /// The text stripped (text_of).
    pub fn text_of(&self) -> &str {
        self.raw_text().trim()
    }

    pub fn raw_text(&self) -> &str {
        self.text.as_deref().unwrap_or("")
    }

    pub fn named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Node<'a>> + 's {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first descendant (document order, not the node itself) that `want` accepts.
    pub fn find<'s>(&'s self, want: &dyn Fn(&Node<'a>) -> bool) -> Option<&'s Node<'a>> {
        for child in &self.children {
            if want(child) {
                return Some(child);
            }
            if let Some(found) = child.find(want) {
                return Some(found);
            }
        }
        None
    }

    /// Every descendant `want` accepts, in document order.
    pub fn collect<'s>(&'s self, want: &dyn Fn(&Node<'a>) -> bool, out: &mut Vec<&'s Node<'a>>) {
        for child in &self.children {
            if want(child) {
                out.push(child);
            }
            child.collect(want, out);
        }
    }
}

/// XML attribute-value normalization: each whitespace character becomes a space.
fn normalize_attribute(value: Cow<'_, str>) -> Cow<'_, str> {
    if !value.contains(['\t', '\n', '\r']) {
        return value;
    }
    Cow::Owned(value.replace(['\t', '\n', '\r'], " "))
}

/// Line ends as an XML parser reports them: CR LF and a lone CR become LF.
pub fn normalize_newlines(text: Cow<'_, str>) -> Cow<'_, str> {
    if !text.contains('\r') {
        return text;
    }
    Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
}
