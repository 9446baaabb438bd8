//! Procedural macros for [`arraymodel`](https://docs.rs/arraymodel).
//!
//! The `#[derive(ArrayModel)]` macro lands with its own issue; this crate is the
//! placeholder the workspace builds today.
