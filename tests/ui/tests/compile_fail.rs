//! Compile-time validation of `#[derive(ArrayModel)]`: each `tests/ui/*.rs` file must fail
//! with exactly the errors (and spans) in its `.stderr` snapshot. The snapshots are for the
//! workspace's pinned toolchain (`rust-toolchain.toml`); bless with `TRYBUILD=overwrite`.

#[test]
fn compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("*.rs");
}
