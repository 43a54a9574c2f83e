"""Pure-Python kernels that answer one question each, mirrored in ``matcher_rs/core/src/kernels``."""
