//! The camt reader (cashapp_camt) for engine/ingest/camt_native.py: reads with the GIL
//! released, then builds the Python records through the classes the caller passes, so this
//! extension needs nothing of the engine.

use cashapp_camt::{Date, Error, Kind, Money, Parsed};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};
use std::collections::HashMap;

/// (Entry, (EntryKind.PAYMENT, .RETURN, .ADVICE), RemittanceLine, Adjustment, Skipped,
/// ControlTotal, datetime.date)
type Factories<'py> = (
    Bound<'py, PyAny>,
    (Bound<'py, PyAny>, Bound<'py, PyAny>, Bound<'py, PyAny>),
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
    Bound<'py, PyAny>,
);

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

fn build<'py>(py: Python<'py>, parsed: Parsed, f: &Factories<'py>) -> PyResult<Bound<'py, PyTuple>> {
    let (entry_class, kinds, line_class, adjustment_class, skipped_class, control_class, date_class) = f;
    let mut dates: HashMap<Date, Bound<'py, PyAny>> = HashMap::new();
    let mut date = |d: Date| -> PyResult<Bound<'py, PyAny>> {
        if let Some(made) = dates.get(&d) {
            return Ok(made.clone());
        }
        let made = date_class.call1((d.year, d.month, d.day))?;
        dates.insert(d, made.clone());
        Ok(made)
    };
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
                adjustments.push(adjustment_class.call1((a.amount_minor, a.reason_code, a.text))?);
            }
            let adjustments = PyTuple::new(py, adjustments)?;
            let args = (l.reference, l.paid_minor, l.invoiced_minor, l.discount_minor, adjustments, l.kind);
            lines.push(line_class.call1(args)?);
        }
        let booking = match e.booking_date {
            Some(d) => Some(date(d)?),
            None => None,
        };
        let args = PyTuple::new(
            py,
            [
                kind.clone(),
                e.currency.into_pyobject(py)?.into_any(),
                e.amount_minor.into_pyobject(py)?.into_any(),
                date(e.value_date)?,
                e.location.into_pyobject(py)?.into_any(),
                booking.into_pyobject(py)?.into_any(),
                e.account.into_pyobject(py)?.into_any(),
                e.payer_name.into_pyobject(py)?.into_any(),
                e.payer_account.into_pyobject(py)?.into_any(),
                e.end_to_end_id.into_pyobject(py)?.into_any(),
                e.bank_reference.into_pyobject(py)?.into_any(),
                e.remittance_text.into_pyobject(py)?.into_any(),
                PyTuple::new(py, lines)?.into_any(),
                e.batch_id.into_pyobject(py)?.into_any(),
                e.original_reference.into_pyobject(py)?.into_any(),
                e.return_reason.into_pyobject(py)?.into_any(),
                e.type_code.into_pyobject(py)?.into_any(),
            ],
        )?;
        entries.append(entry_class.call1(args)?)?;
    }
    let skipped = PyList::empty(py);
    for s in parsed.skipped {
        skipped.append(skipped_class.call1((s.location, s.reason, s.amount_minor, s.currency))?)?;
    }
    let controls = PyList::empty(py);
    for c in parsed.controls {
        let args = (c.scope, c.counted, c.summed_minor, c.declared_count, c.declared_sum_minor);
        controls.append(control_class.call1(args)?)?;
    }
    let warnings = PyList::new(py, parsed.warnings)?;
    ("ok", entries, skipped, warnings, controls).into_pyobject(py)
}
