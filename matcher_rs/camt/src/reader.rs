//! One streaming pass over a camt.053 / camt.054 document (camt_reader.py `_Reader`): GrpHdr,
//! each statement's Acct, Bal and TxsSummry, and its entries, each read as a small tree and
//! dropped, so memory stays flat. No DTD, no entities beyond XML's own, no network.

use crate::amounts::Money;
use crate::entries::read_entry;
use crate::fields::{account_id, Dates};
use crate::names::intern;
use crate::records::{decline, error, Parsed, Result};
use crate::statement::Statement;
use crate::tree::{normalize_newlines, Lines, Node};
use quick_xml::events::BytesStart;
use quick_xml::events::Event;
use std::borrow::Cow;

/// The elements read whole when they end; Acct, Bal and TxsSummry only as the statement's own.
fn captured(name: &'static str, parent_is_container: bool) -> bool {
    matches!(name, "GrpHdr" | "Ntry")
        || (parent_is_container
            && matches!(name, "Acct" | "Bal" | "TxsSummry" | "CreDtTm" | "FrToDt"))
}

struct Reader<'m, 'a> {
    money: &'m Money,
    container: &'static str,
    message: &'static str,
    notification: bool,
    dates: Dates,
    group_date: Option<crate::records::Date>,
    statements: usize,
    current: Option<Statement>,
    /// CreDtTm and FrToDt of the current statement, as far as read: Acct dates its entries from them.
    statement_dates: Vec<Node<'a>>,
    /// Children vectors of read entries, cleared, for the next entry's nodes: an entry has a
    /// dozen parents, and a malloc and free for each was a tenth of the reader's time.
    pool: Vec<Vec<Node<'a>>>,
    out: Parsed,
}

/// Reads a camt document whose namespace and message number ("053", "054") the caller
/// checked from its first two start tags.
pub fn parse(data: &[u8], namespace: &str, number: &str, money: &Money) -> Result<Parsed> {
    let (message, container) = match number {
        "053" => ("BkToCstmrStmt", "Stmt"),
        "054" => ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
        _ => return decline("not a camt.053 or camt.054"),
    };
    let mut reader = Reader {
        money,
        container,
        message,
        notification: number == "054",
        dates: Dates::default(),
        group_date: None,
        statements: 0,
        current: None,
        statement_dates: Vec::new(),
        pool: Vec::new(),
        out: Parsed::default(),
    };
    let lines = Lines::new(data);
    reader.run(data, &lines, namespace.as_bytes())?;
    Ok(reader.out)
}

impl<'a> Reader<'_, 'a> {
    fn run(&mut self, data: &'a [u8], lines: &'a Lines<'a>, namespace: &[u8]) -> Result<()> {
        // Validated once, so each text is a str without validating it again (text_of).
        let Ok(document) = std::str::from_utf8(data) else {
            return decline("bytes that are not UTF-8");
        };
        let mut xml = quick_xml::Reader::from_reader(data);
        let config = xml.config_mut();
        config.expand_empty_elements = true;
        config.check_comments = true;
        let mut scopes = Scopes::default();
        let mut path: Vec<&'static str> = Vec::new(); // local names from the root down
        let mut stack: Vec<Node<'a>> = Vec::new(); // the captured element being read, outermost first
        let mut root_closed = false;
        loop {
            let event = match xml.read_event() {
                Ok(event) => event,
                Err(_) => return decline("not well-formed XML"),
            };
            match event {
                Event::Start(start) => {
                    if root_closed {
                        return decline("content after the root element");
                    }
                    scopes.enter(&start, path.len(), namespace)?;
                    let qname = start.name();
                    let name = scopes.local_name(qname.as_ref())?;
                    // A name the rules read is an XML name: only the others need the check.
                    check_names(
                        &start,
                        name.is_empty() || qname.as_ref().len() != name.len(),
                    )?;
                    if let Some(parent) = stack.last_mut() {
                        parent.closed_text = true;
                    }
                    // Inside a captured element every element is kept; outside, few are.
                    if !stack.is_empty()
                        || captured(name, path.last().is_some_and(|p| *p == self.container))
                    {
                        let end = xml.buffer_position() as usize;
                        stack.push(Node::new(name, &start, document, lines, end)?);
                    }
                    path.push(name);
                }
                Event::End(_) => {
                    let name = path.pop().unwrap_or("");
                    scopes.leave(path.len());
                    if path.is_empty() {
                        root_closed = true;
                    }
                    if let Some(node) = stack.pop() {
                        match stack.last_mut() {
                            Some(parent) => {
                                if parent.children.capacity() == 0 {
                                    parent.children =
                                        self.pool.pop().unwrap_or_else(|| Vec::with_capacity(8));
                                }
                                parent.children.push(node)
                            }
                            None => self
                                .element(node, path.last().is_some_and(|p| *p == self.container))?,
                        }
                    } else if name == self.container {
                        self.end_statement()?;
                    }
                }
                Event::Text(text) => {
                    if let Some(node) = stack.last_mut().filter(|n| !n.closed_text) {
                        match text_of(text.into_inner()) {
                            Some(t) => node.add_text(t),
                            None => return decline("an entity the reader does not expand"),
                        }
                    } else if path.is_empty() && !text.iter().all(u8::is_ascii_whitespace) {
                        return decline("text outside the root element");
                    }
                }
                Event::CData(cdata) => {
                    if let Some(node) = stack.last_mut() {
                        match String::from_utf8(cdata.into_inner().into_owned()) {
                            Ok(t) => node.add_text(normalize_newlines(t.into())),
                            Err(_) => return decline("CDATA that is not UTF-8"),
                        }
                    }
                }
                Event::Comment(_) | Event::PI(_) => {
                    if let Some(node) = stack.last_mut() {
                        node.closed_text = true;
                    }
                }
                Event::Decl(decl) => {
                    if let Some(Ok(encoding)) = decl.encoding() {
                        let encoding = encoding.to_ascii_lowercase();
                        if encoding != b"utf-8" && encoding != b"utf8" {
                            return decline("an encoding other than UTF-8");
                        }
                    }
                }
                Event::DocType(_) => return decline("a DOCTYPE"),
                Event::Eof => break,
                Event::Empty(_) => return decline("an empty element not expanded"),
            }
        }
        if !path.is_empty() || !root_closed {
            return decline("a truncated document");
        }
        if self.statements == 0 {
            return error(
                format!("Document/{}", self.message),
                format!("no {}: the file reports nothing", self.container),
            );
        }
        Ok(())
    }

    fn statement(&mut self) -> &mut Statement {
        let scope = format!("{}[{}]", self.container, self.statements + 1);
        let (notification, fallback) = (self.notification, self.group_date);
        self.current
            .get_or_insert_with(|| Statement::new(scope, notification, fallback))
    }

    fn element(&mut self, mut node: Node<'a>, parent_is_container: bool) -> Result<()> {
        match node.name {
            "Ntry" => {
                let result = self.entry(&node);
                recycle(&mut node, &mut self.pool);
                result
            }
            "GrpHdr" => {
                for child in node.named("CreDtTm") {
                    let location = format!("GrpHdr/CreDtTm (line {})", child.line());
                    self.group_date = Some(self.dates.parse(child.text_of(), &location, None)?);
                }
                Ok(())
            }
            "Acct" if parent_is_container => self.account(&node),
            "Bal" if parent_is_container => {
                let money = self.money;
                self.statement().balance(&node, money)
            }
            "TxsSummry" if parent_is_container => self.statement().summary(&node),
            "CreDtTm" | "FrToDt" if parent_is_container => {
                self.statement_dates.push(node);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn entry(&mut self, ntry: &Node) -> Result<()> {
        let container = self.container;
        let money = self.money;
        let st = self.statement();
        if st.account.is_empty() {
            return error(
                format!("{}/Acct", st.scope),
                format!("a {container} without its account (Acct/Id)"),
            );
        }
        st.number += 1;
        let st = self.current.as_mut().expect("created above");
        read_entry(ntry, money, &mut self.dates, st, &mut self.out)
    }

    fn end_statement(&mut self) -> Result<()> {
        let money = self.money;
        self.statement();
        let st = self.current.take().expect("created above");
        st.finish(money, &mut self.out)?;
        self.statements += 1;
        self.statement_dates.clear();
        Ok(())
    }

    /// Acct: the statement's own account and currency, and its date (FrToDt/ToDtTm, else
    /// CreDtTm) for entries that give none.
    fn account(&mut self, acct: &Node) -> Result<()> {
        let account = account_id(acct);
        let st = self.statement();
        st.account = account;
        if st.account.is_empty() {
            return error(
                format!("{}/Acct/Id (line {})", st.scope, acct.line()),
                "no IBAN or Othr/Id",
            );
        }
        for child in acct.named("Ccy") {
            st.currency = child.text_of().to_uppercase();
        }
        let scope = st.scope.clone();
        let mut fallback = st.fallback_date;
        'children: for child in &self.statement_dates {
            if child.name == "CreDtTm" {
                fallback = Some(self.dates.parse(
                    child.text_of(),
                    &format!("{scope}/CreDtTm"),
                    None,
                )?);
            } else {
                if let Some(part) = child.named("ToDtTm").next() {
                    let location = format!("{scope}/FrToDt/ToDtTm");
                    fallback = Some(self.dates.parse(part.text_of(), &location, None)?);
                    break 'children;
                }
            }
        }
        if let Some(st) = self.current.as_mut() {
            st.fallback_date = fallback;
        }
        Ok(())
    }
}

/// Character data as a str, unescaped only when it holds a reference ('&') and with line ends
/// normalized only when it holds a CR; None for a reference the reader does not expand. `run`
/// checked that the whole document is UTF-8.
fn text_of(raw: Cow<'_, [u8]>) -> Option<Cow<'_, str>> {
    let borrowed = match raw {
        Cow::Borrowed(bytes) => bytes,
        // quick-xml hands out the document's own bytes; an owned copy is read the slow way.
        Cow::Owned(bytes) => {
            let text = String::from_utf8(bytes).ok()?;
            let unescaped = match quick_xml::escape::unescape(&text).ok()? {
                Cow::Borrowed(_) => text,
                Cow::Owned(unescaped) => unescaped,
            };
            return Some(normalize_newlines(Cow::Owned(unescaped)));
        }
    };
    // SAFETY: a slice of the document, which `run` validated as UTF-8 before reading it, cut
    // by quick-xml at '<' / '>' (ASCII), so never inside a character.
    let text = unsafe { std::str::from_utf8_unchecked(borrowed) };
    if memchr::memchr2(b'&', b'\r', borrowed).is_none() {
        return Some(Cow::Borrowed(text));
    }
    Some(normalize_newlines(quick_xml::escape::unescape(text).ok()?))
}

/// Hands the children vectors of a read tree back to the pool, emptied; the nodes are dropped
/// where they are (moved out one by one, they cost more than the reading of some).
fn recycle<'a>(node: &mut Node<'a>, pool: &mut Vec<Vec<Node<'a>>>) {
    for child in node.children.iter_mut() {
        recycle(child, pool);
    }
    let mut children = std::mem::take(&mut node.children);
    if children.capacity() > 0 {
        children.clear();
        pool.push(children);
    }
}

/// The namespace declarations in scope: camt files declare one or two, on the root, so a
/// stack searched from the end resolves a prefix in a step or two.
#[derive(Default)]
struct Scopes {
    /// (prefix, "" for the default namespace; whether it binds the document's namespace;
    /// depth of the declaring element). The comparison with the namespace is made once, when
    /// declared: made per element it took a sixth of the reader's time.
    bindings: Vec<(Vec<u8>, bool, usize)>,
}

impl Scopes {
    fn enter(&mut self, start: &BytesStart<'_>, depth: usize, namespace: &[u8]) -> Result<()> {
        if memchr::memmem::find(start.attributes_raw(), b"xmlns").is_none() {
            return Ok(());
        }
        for attribute in start.attributes() {
            let Ok(attribute) = attribute else {
                return decline("a malformed attribute");
            };
            let key = attribute.key.as_ref();
            let prefix = if key == b"xmlns" {
                Vec::new()
            } else if let Some(prefix) = key.strip_prefix(b"xmlns:") {
                prefix.to_vec()
            } else {
                continue;
            };
            let Ok(value) = attribute.unescape_value() else {
                return decline("a namespace the reader cannot unescape");
            };
            self.bindings
                .push((prefix, value.as_bytes() == namespace, depth));
        }
        Ok(())
    }

    fn leave(&mut self, depth: usize) {
        while self.bindings.last().is_some_and(|b| b.2 >= depth) {
            self.bindings.pop();
        }
    }

    /// The interned local name when the element is in `namespace`, else "".
    fn local_name(&self, qname: &[u8]) -> Result<&'static str> {
        let (prefix, local) = match memchr::memchr(b':', qname) {
            Some(i) => (&qname[..i], &qname[i + 1..]),
            None => (&qname[..0], qname),
        };
        let binding = if prefix.is_empty() {
            self.bindings.iter().rev().find(|b| b.0.is_empty())
        } else {
            self.bindings.iter().rev().find(|b| b.0 == prefix)
        };
        match binding {
            Some(binding) if binding.1 => Ok(intern(local)),
            Some(_) => Ok(""),
            None if prefix.is_empty() => Ok(""),
            None => decline("an undeclared namespace prefix"),
        }
    }
}

/// XML names as libxml2 checks them (ASCII here; a name with other characters is left to it):
/// a letter, '_' or ':' first, then letters, digits, '-', '.', '_', ':'.
fn valid_name(name: &[u8]) -> Result<bool> {
    if !name.is_ascii() {
        return decline("a name with non-ASCII characters");
    }
    let first = name
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_' || *b == b':');
    Ok(first
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(b)))
}

/// The start tag's element and attribute names are XML names, no attribute is repeated, and no
/// attribute value holds a raw '<' (not well-formed; quick-xml reads it as text): lxml refuses
/// such a file, so this reader must not read it.
fn check_names(start: &BytesStart<'_>, check_element: bool) -> Result<()> {
    if check_element && !valid_name(start.name().as_ref())? {
        return decline("an element name that is not an XML name");
    }
    if start.attributes_raw().iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    for attribute in start.attributes() {
        match attribute {
            Ok(attribute) if attribute.value.contains(&b'<') => {
                return decline("'<' in an attribute value");
            }
            Ok(attribute) if valid_name(attribute.key.as_ref())? => {}
            _ => return decline("a malformed attribute"),
        }
    }
    Ok(())
}
