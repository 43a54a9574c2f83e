//! One small element tree per entry (or balance, account, header): what lxml's iterparse
//! gives the Python reader, reduced to what the camt rules read. Names are interned local
//! names of the document's namespace (names.rs); text borrows the file unless it had to be
//! unescaped, so reading an entry allocates little.

use crate::records::{decline, Result};
use quick_xml::events::attributes::Attributes;
use quick_xml::events::BytesStart;
use std::borrow::Cow;
use std::cell::Cell;

#[derive(Debug)]
pub struct Node<'a> {
    pub name: &'static str,
    /// lxml's `.text`: the character data before the first child (element, comment or PI).
    pub text: Option<Cow<'a, str>>,
    /// The Ccy attribute (amounts), None when absent.
    pub ccy: Option<Cow<'a, str>>,
    /// Where the start tag ends in the document: line() counts its line (lxml's sourceline).
    end: usize,
    lines: &'a Lines<'a>,
    pub children: Vec<Node<'a>>,
    /// A child (or comment) has been seen: later character data is a tail, not `.text`.
    pub closed_text: bool,
}

impl<'a> Node<'a> {
    /// `data` is the document `start` was read from (validated as UTF-8).
    pub fn new(
        name: &'static str,
        start: &BytesStart<'_>,
        data: &'a str,
        lines: &'a Lines<'a>,
        end: usize,
    ) -> Result<Node<'a>> {
        let mut ccy = None;
        if name.ends_with("Amt") {
            // The tag as a slice of the document itself, so the currency borrows the document
            // instead of being copied per amount: quick-xml's slice reader hands out subslices.
            let offset = (start.as_ptr() as usize).wrapping_sub(data.as_ptr() as usize);
            let Some(tag) = data.get(offset..offset.wrapping_add(start.len())) else {
                return decline("a start tag outside the document");
            };
            let attributes = Attributes::new(tag, start.name().as_ref().len());
            for attribute in attributes {
                let Ok(attribute) = attribute else {
                    return decline("a malformed attribute");
                };
                if attribute.key.as_ref() == b"Ccy" {
                    match attribute.unescape_value() {
                        Ok(value) => ccy = Some(normalize_attribute(value)),
                        Err(_) => return decline("an attribute the reader cannot unescape"),
                    }
                }
            }
        }
        Ok(Node {
            name,
            text: None,
            ccy,
            end,
            lines,
            children: Vec::new(),
            closed_text: false,
        })
    }

    /// The line the start tag ends on: libxml2 numbers an element so.
    pub fn line(&self) -> usize {
        self.lines.line(self.end)
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

/// Line numbers of a document, counted only when a message names one: counted at every start
/// tag they were a twentieth of the reader's time, and most files need none.
#[derive(Debug)]
pub struct Lines<'a> {
    data: &'a [u8],
    /// (offset, line at that offset) of the last count: messages come in document order, so
    /// each counts on from the one before.
    counted: Cell<(usize, usize)>,
}

impl<'a> Lines<'a> {
    pub fn new(data: &'a [u8]) -> Lines<'a> {
        Lines {
            data,
            counted: Cell::new((0, 1)),
        }
    }

    /// The line of the byte at `offset` (1 + the line breaks before it).
    pub fn line(&self, offset: usize) -> usize {
        let offset = offset.min(self.data.len());
        let (mut from, mut line) = self.counted.get();
        if offset < from {
            (from, line) = (0, 1);
        }
        line += memchr::memchr_iter(b'\n', &self.data[from..offset]).count();
        self.counted.set((offset, line));
        line
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
