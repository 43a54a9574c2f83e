//! Thin PyO3 binding over matcher_core: converts inputs once, releases the GIL, converts results once.
use pyo3::prelude::*;

#[pymodule]
fn _matcher(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", matcher_core::VERSION)?;
    Ok(())
}
