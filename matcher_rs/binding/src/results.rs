//! The one-to-many result objects (`Solution`, `Candidate` of engine/matching/solver_types.py)
//! built here, so that a call returns the public result as it is.
//!
//! At n = 10 a search takes well under a microsecond, and turning raw tuples into the
//! NamedTuples in Python (a comprehension, a `tuple.__new__` per candidate, a dict look-up for
//! the outcome) took about 0.45 µs of a 2 µs call. The Python side registers its result types
//! once at import ([`register_result_types`]); an instance is then allocated directly as the
//! tuple subclass it is (what `tuple.__new__(cls, items)` does in CPython: the type's
//! allocator, then the items), and outcome and algorithm are shared objects.

use matcher_core::{Algorithm, Outcome, Solution};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyString, PyTuple, PyType};

/// Every algorithm a one-to-many result may report, in code order.
const ALGORITHMS: [Algorithm; 6] = [
    Algorithm::TwoPointer,
    Algorithm::KsumMitm,
    Algorithm::HorowitzSahni,
    Algorithm::BranchAndBound,
    Algorithm::SubsetDp,
    Algorithm::KsumSharedTriples,
];

struct ResultTypes {
    solution: Py<PyType>,
    candidate: Py<PyType>,
    /// The Outcome enum members, in `Outcome::code()` order.
    outcomes: Vec<Py<PyAny>>,
    /// Interned algorithm names, in `Algorithm::code()` order.
    algorithms: Vec<Py<PyString>>,
}

static TYPES: PyOnceLock<ResultTypes> = PyOnceLock::new();

/// A tuple subclass that adds no fields of its own (a NamedTuple): its instances have the
/// tuple's layout, so they can be allocated as tuples of its type.
fn check_tuple_layout(ty: &Bound<'_, PyType>, name: &str) -> PyResult<()> {
    let py = ty.py();
    let tuple = py.get_type::<PyTuple>();
    let same = |attr: &str| -> PyResult<bool> {
        Ok(ty.getattr(attr)?.extract::<isize>()? == tuple.getattr(attr)?.extract::<isize>()?)
    };
    if !ty.is_subclass(&tuple)?
        || ty.is(&tuple)
        || !same("__basicsize__")?
        || !same("__itemsize__")?
    {
        return Err(PyTypeError::new_err(format!(
            "{name} must be a tuple subclass without fields of its own (a NamedTuple)"
        )));
    }
    Ok(())
}

/// Registers the result types: `solution` and `candidate` (NamedTuples of 5 and 4 fields)
/// and `outcomes`, the Outcome members in code order. Called once by
/// engine.matching.solver at import; later calls keep the first registration.
#[pyfunction]
pub(crate) fn register_result_types(
    py: Python<'_>,
    solution: &Bound<'_, PyType>,
    candidate: &Bound<'_, PyType>,
    outcomes: &Bound<'_, PyTuple>,
) -> PyResult<()> {
    check_tuple_layout(solution, "solution")?;
    check_tuple_layout(candidate, "candidate")?;
    if outcomes.len() != Outcome::ALL.len() {
        return Err(PyTypeError::new_err(format!(
            "outcomes must hold the {} outcomes in code order",
            Outcome::ALL.len()
        )));
    }
    for (member, outcome) in outcomes.iter().zip(Outcome::ALL) {
        if member.getattr("value")?.extract::<String>()? != outcome.as_str() {
            return Err(PyTypeError::new_err(format!(
                "outcomes[{}] must be the outcome {}",
                outcome.code(),
                outcome.as_str()
            )));
        }
    }
    let types = ResultTypes {
        solution: solution.clone().unbind(),
        candidate: candidate.clone().unbind(),
        outcomes: outcomes.iter().map(Bound::unbind).collect(),
        algorithms: ALGORITHMS
            .iter()
            .map(|a| PyString::intern(py, a.as_str()).unbind())
            .collect(),
    };
    let _ = TYPES.set(py, types);
    Ok(())
}

/// A new instance of the tuple subclass `ty` holding `items`.
fn new_tuple_of<'py, const N: usize>(
    py: Python<'py>,
    ty: &Bound<'py, PyType>,
    items: [Bound<'py, PyAny>; N],
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: `ty` passed check_tuple_layout, so its allocator makes a tuple of N (NULL)
    // items of type `ty`, which PyTuple_SetItem fills (it accepts subclasses and steals each
    // reference). The items exist before the allocation, so no code runs while a slot is NULL
    // except the tuple's own traversal, which skips NULL slots.
    unsafe {
        let raw = ffi::PyType_GenericAlloc(ty.as_type_ptr(), N as ffi::Py_ssize_t);
        if raw.is_null() {
            return Err(PyErr::fetch(py));
        }
        let obj = Bound::from_owned_ptr(py, raw);
        for (i, item) in items.into_iter().enumerate() {
            if ffi::PyTuple_SetItem(raw, i as ffi::Py_ssize_t, item.into_ptr()) != 0 {
                return Err(PyErr::fetch(py));
            }
        }
        Ok(obj)
    }
}

/// `s` as a `Solution` of `Candidate`s.
pub(crate) fn solution(py: Python<'_>, s: Solution) -> PyResult<Bound<'_, PyAny>> {
    let types = TYPES.get(py).ok_or_else(|| {
        PyRuntimeError::new_err("result types not registered (import engine.matching.solver)")
    })?;
    let candidate = types.candidate.bind(py);
    let mut candidates = Vec::with_capacity(s.candidates.len());
    for c in s.candidates {
        candidates.push(new_tuple_of(
            py,
            candidate,
            [
                PyTuple::new(py, c.item_indices)?.into_any(),
                PyTuple::new(py, c.discounted)?.into_any(),
                c.total_minor.into_pyobject(py)?.into_any(),
                c.residual_minor.into_pyobject(py)?.into_any(),
            ],
        )?);
    }
    new_tuple_of(
        py,
        types.solution.bind(py),
        [
            types.outcomes[s.outcome.code() as usize].bind(py).clone(),
            PyTuple::new(py, candidates)?.into_any(),
            s.candidate_count.into_pyobject(py)?.into_any(),
            types.algorithms[s.algorithm.code() as usize]
                .bind(py)
                .clone()
                .into_any(),
            s.nodes.into_pyobject(py)?.into_any(),
        ],
    )
}
