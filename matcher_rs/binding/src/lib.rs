//! Thin PyO3 binding over matcher_core: converts inputs once, releases the GIL,
//! converts results once. The public, typed API is `engine/matching/solver.py`;
//! this module is private and described by `matcher_rs/python/cashapp_matcher/_matcher.pyi`.
mod camt;
mod results;

use matcher_core::{CountLimits, FlatBatch, Item, Limits, ManyLimits, SolveError, SubsetCount};
use numpy::{
    PyArray1, PyArrayDescr, PyArrayMethods, PyReadonlyArray1, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyTuple;
use std::borrow::Cow;

/// (outcome, explanation_count, item_indices, discounted, residual_minor, witness_available)
type RawCount<'py> = (
    &'static str,
    Option<u8>,
    Bound<'py, PyTuple>,
    Bound<'py, PyTuple>,
    Option<i64>,
    bool,
);

/// Every Rust allocation of the extension (the items, the kernels' tables, the candidates'
/// vectors) comes from mimalloc: a small call makes about ten allocations, and glibc's
/// malloc and free cost about 130 instructions a pair against mimalloc's few dozen. Python's
/// own objects keep Python's allocator; nothing allocated on one side is freed on the other.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A one-payment search over at most this many items keeps the GIL: releasing and
/// taking it back costs more than such a search (about half a microsecond at n = 10),
/// and even its worst case (every set of up to 5 of 16 items, 6,900 sets) is short.
const HOLD_GIL_MAX_ITEMS: usize = 16;

/// The one place where core errors become Python exceptions.
fn to_py_err(error: SolveError) -> PyErr {
    match error {
        SolveError::Invalid(m) | SolveError::Overflow(m) => PyValueError::new_err(m),
        SolveError::ThreadPool(m) => PyRuntimeError::new_err(m),
    }
}

/// numpy's int64 dtype object, looked up once.
static INT64_DTYPE: PyOnceLock<Py<PyArrayDescr>> = PyOnceLock::new();

/// `obj` as a one-dimensional int64 array, if it is one. An array of numpy's own int64 dtype
/// object (every array numpy makes with dtype=int64) is told by a pointer comparison;
/// numpy's full check (an API call for the dtype, then an equivalence test: a tenth of a
/// small call for the four columns) runs only for the others.
fn int64_array<'a, 'py>(obj: &'a Bound<'py, PyAny>) -> Option<&'a Bound<'py, PyArray1<i64>>> {
    let py = obj.py();
    // SAFETY: PyArray_Check is a type check through numpy's API table.
    if unsafe { numpy::npyffi::PyArray_Check(py, obj.as_ptr()) } == 0 {
        return None;
    }
    // SAFETY: obj is a numpy array (checked above).
    let array = unsafe { obj.cast_unchecked::<PyUntypedArray>() };
    let int64 = INT64_DTYPE.get_or_init(py, || numpy::dtype::<i64>(py).unbind());
    if array.ndim() == 1 && array.dtype().is(int64) {
        // SAFETY: a one-dimensional array of int64 elements.
        return Some(unsafe { obj.cast_unchecked::<PyArray1<i64>>() });
    }
    obj.cast::<PyArray1<i64>>().ok()
}

/// An int64 column: a numpy int64 array (read in place) or a sequence of ints (converted).
enum Column<'a, 'py> {
    Array(&'a Bound<'py, PyArray1<i64>>),
    List(Vec<i64>),
}

impl<'a, 'py> Column<'a, 'py> {
    /// A type check, not a failed extraction, picks the variant: a failed extraction
    /// would build a Python exception on every call of the sequence path.
    fn of(obj: &'a Bound<'py, PyAny>) -> PyResult<Self> {
        match int64_array(obj) {
            Some(array) => Ok(Column::Array(array)),
            None => Ok(Column::List(obj.extract()?)),
        }
    }

    /// The values, read while the GIL is held and copied into the items before it is
    /// released. No borrow is registered with numpy's borrow checker (its shared hash map
    /// took an eighth of a call at n = 10): no Python code runs during the read, so none can
    /// write the array, and a native thread writing it without the GIL races every reader
    /// (numpy's own included) whatever this code does.
    fn values(&self) -> Cow<'_, [i64]> {
        match self {
            // SAFETY: see above; the slice does not outlive the GIL-holding caller.
            Column::Array(a) => match unsafe { a.as_slice() } {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => Cow::Owned(a.to_owned_array().to_vec()),
            },
            Column::List(v) => Cow::Borrowed(v),
        }
    }
}

/// Discounted amounts: in a numpy int64 array 0 means "no discount" (the columnar and
/// batch convention); in a sequence, None does.
enum Discounts<'a, 'py> {
    Array(Column<'a, 'py>),
    List(Vec<Option<i64>>),
}

impl<'a, 'py> Discounts<'a, 'py> {
    fn of(obj: &'a Bound<'py, PyAny>) -> PyResult<Self> {
        match int64_array(obj) {
            Some(array) => Ok(Discounts::Array(Column::Array(array))),
            None => Ok(Discounts::List(obj.extract()?)),
        }
    }
}

/// The items of four columns of equal lengths. Zipped slices, not indices: the copy then
/// has no bounds checks (a fifth of `items_of` at n = 10).
fn zip_items(
    amounts: &[i64],
    due: &[i64],
    refs: &[i64],
    discounts: impl Iterator<Item = Option<i64>>,
) -> Vec<Item> {
    amounts
        .iter()
        .zip(due)
        .zip(refs)
        .zip(discounts)
        .map(
            |(((&amount_minor, &due_ordinal), &reference_score), discounted_minor)| Item {
                amount_minor,
                discounted_minor,
                due_ordinal,
                reference_score,
            },
        )
        .collect()
}

/// The items of four columns, read while the GIL is held (numpy arrays are borrowed).
fn items_of(
    amounts_minor: &Bound<'_, PyAny>,
    discounted_minor: &Bound<'_, PyAny>,
    due_ordinal: &Bound<'_, PyAny>,
    reference_score: &Bound<'_, PyAny>,
) -> PyResult<Vec<Item>> {
    let (amounts, due, refs) = (
        Column::of(amounts_minor)?,
        Column::of(due_ordinal)?,
        Column::of(reference_score)?,
    );
    let (amounts, due, refs) = (amounts.values(), due.values(), refs.values());
    let discounts = Discounts::of(discounted_minor)?;
    let n = amounts.len();
    let unequal = || {
        to_py_err(SolveError::Invalid(
            "amounts_minor, discounted_minor, due_ordinal and reference_score must have equal lengths"
                .into(),
        ))
    };
    if due.len() != n || refs.len() != n {
        return Err(unequal());
    }
    match &discounts {
        Discounts::Array(column) => {
            let d = column.values();
            if d.len() != n {
                return Err(unequal());
            }
            let d = d.iter().map(|&x| if x == 0 { None } else { Some(x) });
            Ok(zip_items(&amounts, &due, &refs, d))
        }
        Discounts::List(d) if d.len() == n => {
            Ok(zip_items(&amounts, &due, &refs, d.iter().copied()))
        }
        Discounts::List(_) => Err(unequal()),
    }
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn solve_one_to_many<'py>(
    py: Python<'py>,
    amounts_minor: &Bound<'py, PyAny>,
    discounted_minor: &Bound<'py, PyAny>,
    due_ordinal: &Bound<'py, PyAny>,
    reference_score: &Bound<'py, PyAny>,
    payment_minor: i64,
    max_items: i64,
    tolerance_minor: i64,
    node_budget: i64,
    max_candidates: i64,
    memory_limit_bytes: i64,
    max_solutions: i64,
) -> PyResult<Bound<'py, PyAny>> {
    let limits = Limits {
        max_items,
        tolerance_minor,
        node_budget,
        max_candidates,
        memory_limit_bytes,
        max_solutions,
    };
    let items = items_of(
        amounts_minor,
        discounted_minor,
        due_ordinal,
        reference_score,
    )?;
    let result = if items.len() <= HOLD_GIL_MAX_ITEMS {
        matcher_core::solve_one_to_many(&items, payment_minor, &limits)
    } else {
        py.detach(|| matcher_core::solve_one_to_many(&items, payment_minor, &limits))
    };
    results::solution(py, result.map_err(to_py_err)?)
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn solve_one_to_many_multi<'py>(
    py: Python<'py>,
    amounts_minor: &Bound<'py, PyAny>,
    discounted_minor: &Bound<'py, PyAny>,
    due_ordinal: &Bound<'py, PyAny>,
    reference_score: &Bound<'py, PyAny>,
    payments_minor: Vec<i64>,
    max_items: i64,
    tolerance_minor: i64,
    node_budget: i64,
    max_candidates: i64,
    memory_limit_bytes: i64,
    max_solutions: i64,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let limits = Limits {
        max_items,
        tolerance_minor,
        node_budget,
        max_candidates,
        memory_limit_bytes,
        max_solutions,
    };
    let items = items_of(
        amounts_minor,
        discounted_minor,
        due_ordinal,
        reference_score,
    )?;
    let result =
        py.detach(|| matcher_core::solve_one_to_many_multi(&items, &payments_minor, &limits));
    let solutions = result.map_err(to_py_err)?;
    solutions
        .into_iter()
        .map(|s| results::solution(py, s))
        .collect()
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn solve_many_to_many<'py>(
    py: Python<'py>,
    amounts_minor: &Bound<'py, PyAny>,
    discounted_minor: &Bound<'py, PyAny>,
    due_ordinal: &Bound<'py, PyAny>,
    reference_score: &Bound<'py, PyAny>,
    payments_minor: Vec<i64>,
    max_payments: i64,
    max_items: i64,
    tolerance_minor: i64,
    node_budget: i64,
    max_candidates: i64,
    memory_limit_bytes: i64,
) -> PyResult<Bound<'py, PyAny>> {
    let limits = ManyLimits {
        max_payments,
        max_items,
        tolerance_minor,
        node_budget,
        max_candidates,
        memory_limit_bytes,
    };
    let items = items_of(
        amounts_minor,
        discounted_minor,
        due_ordinal,
        reference_score,
    )?;
    let result = py.detach(|| matcher_core::solve_many_to_many(&items, &payments_minor, &limits));
    results::many_solution(py, result.map_err(to_py_err)?)
}

fn raw_count(py: Python<'_>, c: SubsetCount) -> PyResult<RawCount<'_>> {
    Ok((
        c.outcome.as_str(),
        c.explanation_count,
        PyTuple::new(py, c.item_indices)?,
        PyTuple::new(py, c.discounted)?,
        c.residual_minor,
        c.witness_available,
    ))
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn count_subsets<'py>(
    py: Python<'py>,
    amounts_minor: &Bound<'py, PyAny>,
    discounted_minor: &Bound<'py, PyAny>,
    due_ordinal: &Bound<'py, PyAny>,
    reference_score: &Bound<'py, PyAny>,
    payment_minor: i64,
    tolerance_minor: i64,
    max_bits: i64,
    max_witness_bits: i64,
) -> PyResult<RawCount<'py>> {
    let limits = CountLimits {
        max_bits,
        max_witness_bits,
    };
    let items = items_of(
        amounts_minor,
        discounted_minor,
        due_ordinal,
        reference_score,
    )?;
    let result =
        py.detach(|| matcher_core::count_subsets(&items, payment_minor, tolerance_minor, &limits));
    raw_count(py, result.map_err(to_py_err)?)
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn count_subsets_multi<'py>(
    py: Python<'py>,
    amounts_minor: &Bound<'py, PyAny>,
    discounted_minor: &Bound<'py, PyAny>,
    due_ordinal: &Bound<'py, PyAny>,
    reference_score: &Bound<'py, PyAny>,
    payments_minor: Vec<i64>,
    tolerance_minor: i64,
    max_bits: i64,
    max_witness_bits: i64,
) -> PyResult<Vec<RawCount<'py>>> {
    let limits = CountLimits {
        max_bits,
        max_witness_bits,
    };
    let items = items_of(
        amounts_minor,
        discounted_minor,
        due_ordinal,
        reference_score,
    )?;
    let result = py.detach(|| {
        matcher_core::count_subsets_multi(&items, &payments_minor, tolerance_minor, &limits)
    });
    let counts = result.map_err(to_py_err)?;
    counts.into_iter().map(|c| raw_count(py, c)).collect()
}

type I64Array<'py> = Bound<'py, PyArray1<i64>>;
type RawBatch<'py> = (
    I64Array<'py>,
    I64Array<'py>,
    I64Array<'py>,
    I64Array<'py>,
    I64Array<'py>,
    I64Array<'py>,
    I64Array<'py>,
    I64Array<'py>,
    I64Array<'py>,
    Bound<'py, PyArray1<bool>>,
);

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn solve_batch<'py>(
    py: Python<'py>,
    item_offsets: PyReadonlyArray1<'py, i64>,
    amounts_minor: PyReadonlyArray1<'py, i64>,
    discounted_minor: PyReadonlyArray1<'py, i64>,
    due_ordinal: PyReadonlyArray1<'py, i64>,
    reference_score: PyReadonlyArray1<'py, i64>,
    payments_minor: PyReadonlyArray1<'py, i64>,
    max_items: i64,
    tolerance_minor: i64,
    node_budget: i64,
    max_candidates: i64,
    memory_limit_bytes: i64,
    max_solutions: i64,
    num_threads: usize,
) -> PyResult<RawBatch<'py>> {
    let offsets = item_offsets.as_array().to_vec();
    let amounts = amounts_minor.as_array().to_vec();
    let discounted = discounted_minor.as_array().to_vec();
    let due = due_ordinal.as_array().to_vec();
    let refs = reference_score.as_array().to_vec();
    let payments = payments_minor.as_array().to_vec();
    let limits = Limits {
        max_items,
        tolerance_minor,
        node_budget,
        max_candidates,
        memory_limit_bytes,
        max_solutions,
    };
    let result = py.detach(|| {
        let batch = FlatBatch {
            item_offsets: &offsets,
            amounts_minor: &amounts,
            discounted_minor: &discounted,
            due_ordinal: &due,
            reference_score: &refs,
            payments_minor: &payments,
            limits,
        };
        matcher_core::solve_batch(&batch, num_threads)
    });
    let f = result.map_err(to_py_err)?;
    Ok((
        PyArray1::from_vec(py, f.outcome_codes),
        PyArray1::from_vec(py, f.algorithm_codes),
        PyArray1::from_vec(py, f.candidate_counts),
        PyArray1::from_vec(py, f.nodes),
        PyArray1::from_vec(py, f.candidate_offsets),
        PyArray1::from_vec(py, f.candidate_total_minor),
        PyArray1::from_vec(py, f.candidate_residual_minor),
        PyArray1::from_vec(py, f.member_offsets),
        PyArray1::from_vec(py, f.member_item_indices),
        PyArray1::from_vec(py, f.member_discounted),
    ))
}

#[pymodule]
fn _matcher(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", matcher_core::VERSION)?;
    m.add_function(wrap_pyfunction!(results::register_result_types, m)?)?;
    m.add_function(wrap_pyfunction!(solve_one_to_many, m)?)?;
    m.add_function(wrap_pyfunction!(solve_one_to_many_multi, m)?)?;
    m.add_function(wrap_pyfunction!(solve_many_to_many, m)?)?;
    m.add_function(wrap_pyfunction!(solve_batch, m)?)?;
    m.add_function(wrap_pyfunction!(count_subsets, m)?)?;
    m.add_function(wrap_pyfunction!(count_subsets_multi, m)?)?;
    m.add_function(wrap_pyfunction!(camt::read_camt, m)?)?;
    Ok(())
}
