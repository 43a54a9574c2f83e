//! The one-to-many and many-to-many result objects (`Solution`, `Candidate`, `ManySolution`,
//! `Group` of engine/matching/solver_types.py) built here, so that a call returns the public
//! result as it is.
//!
//! At n = 10 a search takes well under a microsecond, and turning raw tuples into the
//! NamedTuples in Python (a comprehension, a `tuple.__new__` per candidate, a dict look-up for
//! the outcome) took about 0.45 µs of a 2 µs call. The Python side registers its result types
//! once at import ([`register_result_types`]); an instance is then allocated directly as the
//! tuple subclass it is (what `tuple.__new__(cls, items)` does in CPython: the type's
//! allocator, then the items), and outcome and algorithm are shared objects.

use matcher_core::{Algorithm, ManySolution, Outcome, Solution};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::ffi;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyString, PyTuple, PyType};

/// Every algorithm a one-to-many result may report, in code order.
const ALGORITHMS: [Algorithm; 6] = [
    Algorithm::TwoPointer,
    Algorithm::KsumMitm,
    Algorithm::HorowitzSahni,
    Algorithm::BranchAndBound,
    Algorithm::SubsetDp,
    Algorithm::KsumSharedTriples,
];

/// Candidates of at most this many items share one all-False `discounted` tuple per size
/// (the common case: no item taken at its discount). Larger ones get their own.
const SHARED_FLAGS_MAX_ITEMS: usize = 16;

struct ResultTypes {
    solution: Py<PyType>,
    candidate: Py<PyType>,
    many_solution: Py<PyType>,
    group: Py<PyType>,
    /// The Outcome enum members, in `Outcome::code()` order.
    outcomes: Vec<Py<PyAny>>,
    /// Interned algorithm names, in `Algorithm::code()` order.
    algorithms: Vec<Py<PyString>>,
    /// `no_discounts[n]`: the tuple of `n` False, shared by every result (tuples are
    /// immutable, so a caller sees the same values as with a fresh tuple).
    no_discounts: Vec<Py<PyTuple>>,
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

/// Registers the result types: `solution` and `candidate` (NamedTuples of 5 and 4 fields),
/// `many_solution` and `group` (5 and 4 fields) and `outcomes`, the Outcome members in code
/// order. Called once by engine.matching.solver at import; later calls keep the first
/// registration.
#[pyfunction]
pub(crate) fn register_result_types(
    py: Python<'_>,
    solution: &Bound<'_, PyType>,
    candidate: &Bound<'_, PyType>,
    many_solution: &Bound<'_, PyType>,
    group: &Bound<'_, PyType>,
    outcomes: &Bound<'_, PyTuple>,
) -> PyResult<()> {
    check_tuple_layout(solution, "solution")?;
    check_tuple_layout(candidate, "candidate")?;
    check_tuple_layout(many_solution, "many_solution")?;
    check_tuple_layout(group, "group")?;
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
        many_solution: many_solution.clone().unbind(),
        group: group.clone().unbind(),
        outcomes: outcomes.iter().map(Bound::unbind).collect(),
        algorithms: ALGORITHMS
            .iter()
            .map(|a| PyString::intern(py, a.as_str()).unbind())
            .collect(),
        no_discounts: (0..=SHARED_FLAGS_MAX_ITEMS)
            .map(|n| PyTuple::new(py, vec![false; n]).map(Bound::unbind))
            .collect::<PyResult<_>>()?,
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

/// A new tuple of `len` items made by `item(i)` (each a new reference, NULL with a Python
/// error set on failure). Raw calls instead of `PyTuple::new`: its iterator adapter, the
/// conversion trait and the length re-check cost as much as the tuple itself (about a
/// third of building a one-candidate result at n = 10).
fn tuple_from<'py>(
    py: Python<'py>,
    len: usize,
    mut item: impl FnMut(usize) -> *mut ffi::PyObject,
) -> PyResult<Bound<'py, PyTuple>> {
    // SAFETY: PyTuple_New gives a tuple of `len` NULL slots owned by `tuple` (dropped, with
    // the items set so far, on an early return); each slot is set once, at an index below
    // `len`, with a new reference that PyTuple_SetItem steals. Nothing else sees the tuple
    // before it is returned.
    unsafe {
        let raw = ffi::PyTuple_New(len as ffi::Py_ssize_t);
        if raw.is_null() {
            return Err(PyErr::fetch(py));
        }
        let tuple = Bound::from_owned_ptr(py, raw);
        for i in 0..len {
            let obj = item(i);
            if obj.is_null() || ffi::PyTuple_SetItem(raw, i as ffi::Py_ssize_t, obj) != 0 {
                return Err(PyErr::fetch(py));
            }
        }
        Ok(tuple.cast_into_unchecked())
    }
}

/// The indices as a tuple of ints.
fn index_tuple<'py>(py: Python<'py>, indices: &[u32]) -> PyResult<Bound<'py, PyTuple>> {
    // SAFETY: PyLong_FromUnsignedLong returns a new reference or NULL with an error set.
    tuple_from(py, indices.len(), |i| unsafe {
        ffi::PyLong_FromUnsignedLong(indices[i].into())
    })
}

/// The discount flags as a tuple of bools; all-False ones of up to
/// [`SHARED_FLAGS_MAX_ITEMS`] items are the shared tuple of their size.
fn flag_tuple<'py>(
    py: Python<'py>,
    types: &ResultTypes,
    flags: &[bool],
) -> PyResult<Bound<'py, PyTuple>> {
    if !flags.contains(&true) {
        if let Some(shared) = types.no_discounts.get(flags.len()) {
            return Ok(shared.bind(py).clone());
        }
    }
    tuple_from(py, flags.len(), |i| {
        let b = if flags[i] {
            PyBool::new(py, true)
        } else {
            PyBool::new(py, false)
        };
        b.to_owned().into_ptr()
    })
}

fn registered(py: Python<'_>) -> PyResult<&ResultTypes> {
    TYPES.get(py).ok_or_else(|| {
        PyRuntimeError::new_err("result types not registered (import engine.matching.solver)")
    })
}

/// A tuple of the objects, which it takes over.
fn tuple_of_objects<'py>(
    py: Python<'py>,
    objects: Vec<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let mut objects = objects.into_iter();
    tuple_from(py, objects.len(), |_| {
        objects.next().map_or(std::ptr::null_mut(), Bound::into_ptr)
    })
}

/// `s` as a `Solution` of `Candidate`s.
pub(crate) fn solution(py: Python<'_>, s: Solution) -> PyResult<Bound<'_, PyAny>> {
    let types = registered(py)?;
    let candidate = types.candidate.bind(py);
    let mut candidates = Vec::with_capacity(s.candidates.len());
    for c in &s.candidates {
        candidates.push(new_tuple_of(
            py,
            candidate,
            [
                index_tuple(py, &c.item_indices)?.into_any(),
                flag_tuple(py, types, &c.discounted)?.into_any(),
                c.total_minor.into_pyobject(py)?.into_any(),
                c.residual_minor.into_pyobject(py)?.into_any(),
            ],
        )?);
    }
    let candidates = tuple_of_objects(py, candidates)?;
    new_tuple_of(
        py,
        types.solution.bind(py),
        [
            types.outcomes[s.outcome.code() as usize].bind(py).clone(),
            candidates.into_any(),
            s.candidate_count.into_pyobject(py)?.into_any(),
            types.algorithms[s.algorithm.code() as usize]
                .bind(py)
                .clone()
                .into_any(),
            s.nodes.into_pyobject(py)?.into_any(),
        ],
    )
}

/// `s` as a `ManySolution` of `Group`s.
pub(crate) fn many_solution(py: Python<'_>, s: ManySolution) -> PyResult<Bound<'_, PyAny>> {
    let types = registered(py)?;
    let group = types.group.bind(py);
    let mut groups = Vec::with_capacity(s.groups.len());
    for g in &s.groups {
        groups.push(new_tuple_of(
            py,
            group,
            [
                index_tuple(py, &g.payment_indices)?.into_any(),
                index_tuple(py, &g.item_indices)?.into_any(),
                flag_tuple(py, types, &g.discounted)?.into_any(),
                g.residual_minor.into_pyobject(py)?.into_any(),
            ],
        )?);
    }
    new_tuple_of(
        py,
        types.many_solution.bind(py),
        [
            types.outcomes[s.outcome.code() as usize].bind(py).clone(),
            tuple_of_objects(py, groups)?.into_any(),
            s.group_count.into_pyobject(py)?.into_any(),
            types.algorithms[s.algorithm.code() as usize]
                .bind(py)
                .clone()
                .into_any(),
            s.nodes.into_pyobject(py)?.into_any(),
        ],
    )
}
