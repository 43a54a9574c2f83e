//! One streaming pass over a camt.053 / camt.054 document (camt_reader.py `_Reader`): GrpHdr,
//! each statement's Acct, Bal and TxsSummry, and its entries, each read as a small tree and
//! dropped, so memory stays flat. No DTD, no entities beyond XML's own, no network.

use crate::amounts::Money;
use crate::entries::read_entry;
use crate::fields::{account_id, Dates};
use crate::records::{decline, error, Parsed, Result};
use crate::statement::Statement;
use crate::names::intern;
use crate::tree::{normalize_newlines, Node};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

/// The elements read whole when they end; Acct, Bal and TxsSummry only as the statement's own.
fn captured(name: &'static str, parent_is_container: bool) -> bool {
    matches!(name, "GrpHdr" | "Ntry")
        || (parent_is_container && matches!(name, "Acct" | "Bal" | "TxsSummry" | "CreDtTm" | "FrToDt"))
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
        out: Parsed::default(),
    };
    reader.run(data, namespace.as_bytes())?;
    Ok(reader.out)
}

impl<'a> Reader<'_, 'a> {
    fn run(&mut self, data: &'a [u8], namespace: &[u8]) -> Result<()> {
        let mut xml = NsReader::from_reader(data);
        let config = xml.config_mut();
        config.expand_empty_elements = true;
        config.check_comments = true;
        let mut path: Vec<&'static str> = Vec::new(); // local names from the root down
        let mut stack: Vec<Node<'a>> = Vec::new(); // the captured element being read, outermost first
        let (mut line, mut counted_to) = (1usize, 0usize);
        let mut root_closed = false;
        loop {
            let position = xml.buffer_position() as usize;
            let event = match xml.read_resolved_event() {
                Ok(event) => event,
                Err(_) => return decline("not well-formed XML"),
            };
            match event {
                (resolved, Event::Start(start)) => {
                    if root_closed {
                        return decline("content after the root element");
                    }
                    line += memchr::memchr_iter(b'\n', &data[counted_to..position]).count();
                    counted_to = position;
                    let name = match resolved {
                        ResolveResult::Bound(ns) if ns.as_ref() == namespace => intern(start.local_name().as_ref()),
                        ResolveResult::Unknown(_) => return decline("an undeclared namespace prefix"),
                        _ => "",
                    };
                    if let Some(parent) = stack.last_mut() {
                        parent.closed_text = true;
                    }
                    let parent_is_container = path.last().is_some_and(|p| *p == self.container);
                    if !stack.is_empty() || captured(&name, parent_is_container) {
                        stack.push(Node::new(name, &start, line)?);
                    }
                    path.push(name);
                }
                (_, Event::End(_)) => {
                    let name = path.pop().unwrap_or("");
                    if path.is_empty() {
                        root_closed = true;
                    }
                    if let Some(node) = stack.pop() {
                        match stack.last_mut() {
                            Some(parent) => parent.children.push(node),
                            None => self.element(node, path.last().is_some_and(|p| *p == self.container))?,
                        }
                    } else if name == self.container {
                        self.end_statement()?;
                    }
                }
                (_, Event::Text(text)) => {
                    if let Some(node) = stack.last_mut().filter(|n| !n.closed_text) {
                        match text.unescape() {
                            Ok(t) => node.add_text(normalize_newlines(t)),
                            Err(_) => return decline("an entity the reader does not expand"),
                        }
                    } else if path.is_empty() && !text.iter().all(u8::is_ascii_whitespace) {
                        return decline("text outside the root element");
                    }
                }
                (_, Event::CData(cdata)) => {
                    if let Some(node) = stack.last_mut() {
                        match String::from_utf8(cdata.into_inner().into_owned()) {
                            Ok(t) => node.add_text(normalize_newlines(t.into())),
                            Err(_) => return decline("CDATA that is not UTF-8"),
                        }
                    }
                }
                (_, Event::Comment(_) | Event::PI(_)) => {
                    if let Some(node) = stack.last_mut() {
                        node.closed_text = true;
                    }
                }
                (_, Event::Decl(decl)) => {
                    if let Some(Ok(encoding)) = decl.encoding() {
                        let encoding = encoding.to_ascii_lowercase();
                        if encoding != b"utf-8" && encoding != b"utf8" {
                            return decline("an encoding other than UTF-8");
                        }
                    }
                }
                (_, Event::DocType(_)) => return decline("a DOCTYPE"),
                (_, Event::Eof) => break,
                (_, Event::Empty(_)) => return decline("an empty element not expanded"),
            }
        }
        if !path.is_empty() || !root_closed {
            return decline("a truncated document");
        }
        if std::str::from_utf8(data).is_err() {
            return decline("bytes that are not UTF-8");
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

    fn element(&mut self, node: Node<'a>, parent_is_container: bool) -> Result<()> {
        match node.name {
            "Ntry" => self.entry(&node),
            "GrpHdr" => {
                for child in node.named("CreDtTm") {
                    let location = format!("GrpHdr/CreDtTm (line {})", child.line);
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
            return error(format!("{}/Acct/Id (line {})", st.scope, acct.line), "no IBAN or Othr/Id");
        }
        for child in acct.named("Ccy") {
            st.currency = child.text_of().to_uppercase();
        }
        let scope = st.scope.clone();
        let mut fallback = st.fallback_date;
        'children: for child in &self.statement_dates {
            if child.name == "CreDtTm" {
                fallback = Some(self.dates.parse(child.text_of(), &format!("{scope}/CreDtTm"), None)?);
            } else {
                for part in child.named("ToDtTm") {
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
