//! What the reader yields: the same normalized records as engine/ingest/records.py, in file
//! order, with amounts in exact integer minor units.

/// A calendar date, validated as Python's `date.fromisoformat` would.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Payment,
    Return,
    Advice,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Payment => "PAYMENT",
            Kind::Return => "RETURN",
            Kind::Advice => "ADVICE",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adjustment {
    pub amount_minor: i64,
    pub reason_code: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemittanceLine {
    pub reference: String,
    pub paid_minor: Option<i64>,
    pub invoiced_minor: Option<i64>,
    pub discount_minor: i64,
    pub adjustments: Vec<Adjustment>,
    pub kind: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    pub currency: String,
    pub amount_minor: i64,
    pub value_date: Date,
    pub location: String,
    pub booking_date: Option<Date>,
    pub account: String,
    pub payer_name: String,
    pub payer_account: String,
    pub end_to_end_id: String,
    pub bank_reference: String,
    pub remittance_text: String,
    pub remittance: Vec<RemittanceLine>,
    pub batch_id: String,
    pub original_reference: String,
    pub return_reason: String,
    pub type_code: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    pub location: String,
    pub reason: String,
    pub amount_minor: i64,
    pub currency: String,
}

/// Counts and sums are i128: a file's sum of amounts may pass i64 (100,000 x 10^15).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlTotal {
    pub scope: String,
    pub counted: i128,
    pub summed_minor: i128,
    pub declared_count: Option<i128>,
    pub declared_sum_minor: Option<i128>,
}

impl ControlTotal {
    pub fn agrees(&self) -> bool {
        self.declared_count.is_none_or(|c| c == self.counted)
            && self
                .declared_sum_minor
                .is_none_or(|s| s == self.summed_minor)
    }
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    pub skipped: Vec<Skipped>,
    pub warnings: Vec<String>,
    pub controls: Vec<ControlTotal>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    /// The file cannot be read as camt: IngestError(location, message, reason) on the Python side.
    Ingest {
        location: String,
        message: String,
        reason: &'static str,
    },
    /// Not for this reader to judge (XML that is not well-formed, another encoding, a DOCTYPE,
    /// non-ASCII digits): the lxml reader reads the file and gives its own answer.
    Decline(String),
}

pub type Result<T> = std::result::Result<T, Error>;

pub fn error<T>(location: impl Into<String>, message: impl Into<String>) -> Result<T> {
    Err(Error::Ingest {
        location: location.into(),
        message: message.into(),
        reason: "MALFORMED_FILE",
    })
}

pub fn decline<T>(why: impl Into<String>) -> Result<T> {
    Err(Error::Decline(why.into()))
}
