//! The camt reader (cashapp_camt) for engine/ingest/camt_native.py: reads with the GIL
//! released, then builds the Python records through the classes the caller passes, so this
//! extension needs nothing of the engine.

use cashapp_camt::{Date, Error, Kind, Money, Parsed};
use pyo3::exceptions::PyValueError;
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};
use std::collections::HashMap;

/// (Entry, (EntryKind.PAYMENT, .RETURN, .ADVICE), RemittanceLine, Adjustment, Skipped,
/// ControlTotal, datetime.date); each record class with its field names in order.
type Factories<'py> = (
    Record<'py>,
    (Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>),
    Record<'py>,
    Record<'py>,
    Record<'py>,
    Record<'py>,
    Bound<'py, PyAny>,
);
type Record<'py> = (Bound<'py, PyType>, Vec<Bound<'py, PyString>>);

/// A frozen slots dataclass built the way its generated __init__ builds it (object.__new__,
/// then object.__setattr__ per field) without running a Python frame per record: the readers
/// make 100,000 of them per file. The classes have no __post_init__ (checked by the tests,
/// which compare these records with the lxml reader's).
fn make<'py>(record: &Record<'py>, values: &[Bound<'py, PyAny>]) -> PyResult<Bound<'py, PyAny>> {
    let (class, fields) = record;
    let py = class.py();
    if fields.len() != values.len() {
        return Err(PyValueError::new_err(
            "read_camt: a record class with other fields",
        ));
    }
    let empty = PyTuple::empty(py);
    // SAFETY: the type object and the tuple are live for the call; the result is an owned
    // reference or NULL with the error set.
    let object = unsafe {
        let raw = ffi::PyType_GenericNew(class.as_type_ptr(), empty.as_ptr(), std::ptr::null_mut());
        Bound::from_owned_ptr_or_err(py, raw)?
    };
    for (name, value) in fields.iter().zip(values) {
        // SAFETY: three live objects; -1 with the error set on failure.
        if unsafe { ffi::PyObject_GenericSetAttr(object.as_ptr(), name.as_ptr(), value.as_ptr()) }
            < 0
        {
            return Err(PyErr::fetch(py));
        }
    }
    // A frozen record of strs, ints, dates, None, an enum member and tuples of such records
    // can be in no reference cycle, so the cycle collector need never visit it: untracked (as
    // CPython untracks such tuples itself), the 100,000 records of a file are not scanned by
    // each collection while the importer works, nor by the one due when this call returns
    // (a twentieth of the call's time). Freeing them is unchanged.
    // SAFETY: a live object of a GC type (slots dataclasses are), tracked since created.
    unsafe { ffi::PyObject_GC_UnTrack(object.as_ptr().cast()) };
    Ok(object)
}

/// ("ok", entries, skipped, warnings, controls) | ("error", location, message, reason) |
/// ("decline", why): the lxml reader is to read the file.
#[pyfunction]
pub fn read_camt<'py>(
    py: Python<'py>,
    data: &[u8],
    namespace: &str,
    number: &str,
    exponents: &Bound<'py, PyDict>,
    max_minor: i64,
    factories: Factories<'py>,
) -> PyResult<Bound<'py, PyTuple>> {
    let mut table = HashMap::new();
    for (key, value) in exponents.iter() {
        table.insert(key.extract::<String>()?, value.extract::<u32>()?);
    }
    let money = Money {
        exponents: table,
        max_minor,
    };
    let result = py.detach(|| cashapp_camt::parse(data, namespace, number, &money));
    match result {
        Ok(parsed) => build(py, parsed, &factories),
        Err(Error::Ingest {
            location,
            message,
            reason,
        }) => ("error", location, message, reason).into_pyobject(py),
        Err(Error::Decline(why)) => ("decline", why).into_pyobject(py),
    }
}

fn build<'py>(
    py: Python<'py>,
    parsed: Parsed,
    f: &Factories<'py>,
) -> PyResult<Bound<'py, PyTuple>> {
    let (
        entry_class,
        kinds,
        line_class,
        adjustment_class,
        skipped_class,
        control_class,
        date_class,
    ) = f;
    let mut dates: HashMap<Date, Bound<'py, PyAny>> = HashMap::new();
    let mut date = |d: Date| -> PyResult<Bound<'py, PyAny>> {
        if let Some(made) = dates.get(&d) {
            return Ok(made.clone());
        }
        let made = date_class.call1((d.year, d.month, d.day))?;
        dates.insert(d, made.clone());
        Ok(made)
    };
    // The statement's account, the currency and the transaction code repeat from entry to
    // entry: the string made for the last value is shared instead of making another.
    let (mut account, mut currency, mut type_code) = (Last::new(py), Last::new(py), Last::new(py));
    let entries = PyList::empty(py);
    for e in parsed.entries {
        let kind = match e.kind {
            Kind::Payment => &kinds.0,
            Kind::Return => &kinds.1,
            Kind::Advice => &kinds.2,
        };
        let mut lines = Vec::with_capacity(e.remittance.len());
        for l in e.remittance {
            let mut adjustments = Vec::with_capacity(l.adjustments.len());
            for a in l.adjustments {
                let values = [
                    a.amount_minor.into_pyobject(py)?.into_any(),
                    s(py, a.reason_code),
                    s(py, a.text),
                ];
                adjustments.push(make(adjustment_class, &values)?);
            }
            let adjustments = PyTuple::new(py, adjustments)?;
            let values = [
                s(py, l.reference),
                l.paid_minor.into_pyobject(py)?.into_any(),
                l.invoiced_minor.into_pyobject(py)?.into_any(),
                l.discount_minor.into_pyobject(py)?.into_any(),
                adjustments.into_any(),
                PyString::intern(py, l.kind).into_any(),
            ];
            lines.push(make(line_class, &values)?);
        }
        let booking = match e.booking_date {
            Some(d) => Some(date(d)?),
            None => None,
        };
        let values = [
            kind.clone(),
            currency.get(py, e.currency),
            e.amount_minor.into_pyobject(py)?.into_any(),
            date(e.value_date)?,
            s(py, e.location),
            booking.into_pyobject(py)?.into_any(),
            account.get(py, e.account),
            s(py, e.payer_name),
            s(py, e.payer_account),
            s(py, e.end_to_end_id),
            s(py, e.bank_reference),
            s(py, e.remittance_text),
            PyTuple::new(py, lines)?.into_any(),
            s(py, e.batch_id),
            s(py, e.original_reference),
            s(py, e.return_reason),
            type_code.get(py, e.type_code),
        ];
        entries.append(make(entry_class, &values)?)?;
    }
    let skipped = PyList::empty(py);
    for k in parsed.skipped {
        let values = [
            s(py, k.location),
            s(py, k.reason),
            k.amount_minor.into_pyobject(py)?.into_any(),
            s(py, k.currency),
        ];
        skipped.append(make(skipped_class, &values)?)?;
    }
    let controls = PyList::empty(py);
    for c in parsed.controls {
        let values = [
            s(py, c.scope),
            c.counted.into_pyobject(py)?.into_any(),
            c.summed_minor.into_pyobject(py)?.into_any(),
            c.declared_count.into_pyobject(py)?.into_any(),
            c.declared_sum_minor.into_pyobject(py)?.into_any(),
        ];
        controls.append(make(control_class, &values)?)?;
    }
    let warnings = PyList::new(py, parsed.warnings)?;
    ("ok", entries, skipped, warnings, controls).into_pyobject(py)
}

fn s(py: Python<'_>, text: String) -> Bound<'_, PyAny> {
    str_of(py, &text)
}

fn str_of<'py>(py: Python<'py>, text: &str) -> Bound<'py, PyAny> {
    // "" is the common value of most fields: one shared empty string.
    if text.is_empty() {
        return PyString::intern(py, "").into_any();
    }
    PyString::new(py, text).into_any()
}

/// The string made for a field's last value, reused while the value repeats.
struct Last<'py> {
    text: String,
    made: Bound<'py, PyAny>,
}

impl<'py> Last<'py> {
    fn new(py: Python<'py>) -> Last<'py> {
        Last {
            text: String::new(),
            made: s(py, String::new()),
        }
    }

    fn get(&mut self, py: Python<'py>, text: String) -> Bound<'py, PyAny> {
        if text != self.text {
            self.made = str_of(py, &text);
            self.text = text;
        }
        self.made.clone()
    }
}
