//! Compile-fail tests of `#[derive(ArrayModel)]`: see `tests/compile_fail.rs`. Each
//! `*.rs` file in this folder must fail to compile with exactly the errors and spans in
//! its `.stderr` snapshot.
