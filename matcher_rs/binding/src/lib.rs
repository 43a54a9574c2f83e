//! Thin PyO3 binding over matcher_core: converts inputs once, releases the GIL,
//! converts results once. The public, typed API is `engine/matching/solver.py`;
//! this module is private and described by `engine/matching/_matcher.pyi`.
use matcher_core::{FlatBatch, Item, Limits, ManyLimits, SolveError};
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

/// (item_indices, discounted, total_minor, residual_minor)
type RawCandidate = (Vec<u32>, Vec<bool>, i64, i64);
/// (outcome, candidates, candidate_count, algorithm, nodes)
type RawSolution = (&'static str, Vec<RawCandidate>, u64, &'static str, u64);
/// (payment_indices, item_indices, discounted, residual_minor)
type RawGroup = (Vec<u32>, Vec<u32>, Vec<bool>, i64);
/// (outcome, groups, group_count, algorithm, nodes)
type RawManySolution = (&'static str, Vec<RawGroup>, u64, &'static str, u64);

/// The one place where core errors become Python exceptions.
fn to_py_err(error: SolveError) -> PyErr {
    match error {
        SolveError::Invalid(m) | SolveError::Overflow(m) => PyValueError::new_err(m),
        SolveError::ThreadPool(m) => PyRuntimeError::new_err(m),
    }
}

fn items_of(
    amounts_minor: Vec<i64>,
    discounted_minor: Vec<Option<i64>>,
    due_ordinal: Vec<i64>,
    reference_score: Vec<i64>,
) -> Result<Vec<Item>, SolveError> {
    let n = amounts_minor.len();
    if discounted_minor.len() != n || due_ordinal.len() != n || reference_score.len() != n {
        return Err(SolveError::Invalid(
            "amounts_minor, discounted_minor, due_ordinal and reference_score must have equal lengths"
                .into(),
        ));
    }
    Ok((0..n)
        .map(|i| Item {
            amount_minor: amounts_minor[i],
            discounted_minor: discounted_minor[i],
            due_ordinal: due_ordinal[i],
            reference_score: reference_score[i],
        })
        .collect())
}

fn raw_solution(s: matcher_core::Solution) -> RawSolution {
    let candidates = s
        .candidates
        .into_iter()
        .map(|c| {
            (
                c.item_indices,
                c.discounted,
                c.total_minor,
                c.residual_minor,
            )
        })
        .collect();
    (
        s.outcome.as_str(),
        candidates,
        s.candidate_count,
        s.algorithm.as_str(),
        s.nodes,
    )
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn solve_one_to_many(
    py: Python<'_>,
    amounts_minor: Vec<i64>,
    discounted_minor: Vec<Option<i64>>,
    due_ordinal: Vec<i64>,
    reference_score: Vec<i64>,
    payment_minor: i64,
    max_items: i64,
    tolerance_minor: i64,
    node_budget: i64,
    max_candidates: i64,
) -> PyResult<RawSolution> {
    let limits = Limits {
        max_items,
        tolerance_minor,
        node_budget,
        max_candidates,
    };
    let result = py.detach(|| {
        let items = items_of(
            amounts_minor,
            discounted_minor,
            due_ordinal,
            reference_score,
        )?;
        matcher_core::solve_one_to_many(&items, payment_minor, &limits)
    });
    Ok(raw_solution(result.map_err(to_py_err)?))
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn solve_one_to_many_multi(
    py: Python<'_>,
    amounts_minor: Vec<i64>,
    discounted_minor: Vec<Option<i64>>,
    due_ordinal: Vec<i64>,
    reference_score: Vec<i64>,
    payments_minor: Vec<i64>,
    max_items: i64,
    tolerance_minor: i64,
    node_budget: i64,
    max_candidates: i64,
) -> PyResult<Vec<RawSolution>> {
    let limits = Limits {
        max_items,
        tolerance_minor,
        node_budget,
        max_candidates,
    };
    let result = py.detach(|| {
        let items = items_of(
            amounts_minor,
            discounted_minor,
            due_ordinal,
            reference_score,
        )?;
        matcher_core::solve_one_to_many_multi(&items, &payments_minor, &limits)
    });
    let solutions = result.map_err(to_py_err)?;
    Ok(solutions.into_iter().map(raw_solution).collect())
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn solve_many_to_many(
    py: Python<'_>,
    amounts_minor: Vec<i64>,
    discounted_minor: Vec<Option<i64>>,
    due_ordinal: Vec<i64>,
    reference_score: Vec<i64>,
    payments_minor: Vec<i64>,
    max_payments: i64,
    max_items: i64,
    tolerance_minor: i64,
    node_budget: i64,
    max_candidates: i64,
) -> PyResult<RawManySolution> {
    let limits = ManyLimits {
        max_payments,
        max_items,
        tolerance_minor,
        node_budget,
        max_candidates,
    };
    let result = py.detach(|| {
        let items = items_of(
            amounts_minor,
            discounted_minor,
            due_ordinal,
            reference_score,
        )?;
        matcher_core::solve_many_to_many(&items, &payments_minor, &limits)
    });
    let s = result.map_err(to_py_err)?;
    let groups = s
        .groups
        .into_iter()
        .map(|g| {
            (
                g.payment_indices,
                g.item_indices,
                g.discounted,
                g.residual_minor,
            )
        })
        .collect();
    Ok((
        s.outcome.as_str(),
        groups,
        s.group_count,
        s.algorithm.as_str(),
        s.nodes,
    ))
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
    m.add_function(wrap_pyfunction!(solve_one_to_many, m)?)?;
    m.add_function(wrap_pyfunction!(solve_one_to_many_multi, m)?)?;
    m.add_function(wrap_pyfunction!(solve_many_to_many, m)?)?;
    m.add_function(wrap_pyfunction!(solve_batch, m)?)?;
    Ok(())
}
