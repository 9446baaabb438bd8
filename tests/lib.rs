//! Helpers shared by the cross-crate and interop tests in `tests/tests/`.
