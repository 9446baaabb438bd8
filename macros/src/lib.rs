//! Procedural macros for [`arraymodel`](https://docs.rs/arraymodel): `#[derive(ArrayModel)]`.
//!
//! The derive is split like serde_derive and thiserror: `ast` reads the input and
//! its attributes into a typed view (collecting every error with its span in a
//! `ctxt::Ctxt`), `check` validates combinations, `expand` writes the code, and
//! `fallback` writes the errors plus stub impls when there are any (so one mistake is
//! one error, not one more at every use of the type).
//! The expansion is wrapped in `const _: () = { ... };` and reaches everything through
//! `::arraymodel::__private` (or the name the user's Cargo.toml gives the crate), and
//! the documented `::arraymodel::model::field_dtype_conflict`, which checks each
//! `#[array(dtype = ...)]` against the field's type at compile time. The `JsonSchema`
//! impl goes through `__private::schema_items! { ... }`, a `macro_rules!` the runtime
//! defines twice: it passes the impl through with feature `schema` and drops it without.
#![forbid(unsafe_code)]

mod ast;
mod attr;
mod check;
mod ctxt;
mod expand;
mod fallback;
#[cfg(test)]
mod snapshot_tests;

use proc_macro::TokenStream;

/// Derives `arraymodel::ArrayModel`, serde's `Serialize` and `Deserialize` (honouring
/// `#[serde(...)]` attributes) and, when the runtime has feature `schema`, schemars'
/// `JsonSchema` for a struct with named fields.
///
/// The `JsonSchema` impl is always written, inside the runtime's hidden
/// `arraymodel::__private::schema_items! { ... }` gate, which keeps it with the feature
/// and drops it without (a derive cannot see its runtime's features).
///
/// See the `arraymodel` crate documentation for the attributes (`#[array(...)]`,
/// `#[bytes]`, `#[check(...)]`, `#[arraymodel(...)]`).
#[proc_macro_derive(ArrayModel, attributes(array, bytes, check, arraymodel, serde))]
pub fn derive_array_model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input)
        .unwrap_or_else(|e| fallback::expand(&input, e))
        .into()
}
