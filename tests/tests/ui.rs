//! Compile-time validation of `#[derive(ArrayModel)]`: each file in `tests/ui/` must fail
//! with exactly the errors (and spans) in its `.stderr` snapshot. The snapshots are for
//! the workspace's pinned toolchain (`rust-toolchain.toml`); bless with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
}
