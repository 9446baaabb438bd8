//! Procedural macros for [`arraymodel`](https://docs.rs/arraymodel): `#[derive(ArrayModel)]`.
//!
//! The derive is split like serde_derive and thiserror: `ast` reads the input and
//! its attributes into a typed view (collecting every error with its span in a
//! `ctxt::Ctxt`), `check` validates combinations, `expand` writes the code.
//! The expansion is wrapped in `const _: () = { ... };` and reaches everything through
//! `::arraymodel::__private` (or the name the user's Cargo.toml gives the crate).
#![forbid(unsafe_code)]

mod ast;
mod attr;
mod check;
mod ctxt;
mod dtype;
mod expand;
mod import;
#[cfg(test)]
mod snapshot_tests;

use proc_macro::TokenStream;

/// Derives `arraymodel::ArrayModel`, serde's `Serialize` and `Deserialize` (honouring
/// `#[serde(...)]` attributes) and schemars' `JsonSchema` for a struct with named fields.
///
/// See the `arraymodel` crate documentation for the attributes (`#[array(...)]`,
/// `#[bytes]`, `#[arraymodel(...)]`).
#[proc_macro_derive(ArrayModel, attributes(array, bytes, arraymodel, serde))]
pub fn derive_array_model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    expand::derive(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Generates `#[derive(ArrayModel)]` models from a JSON Schema or OpenAPI file at
/// compile time: `import_schema!("schemas/tesseract_vectoradd.openapi.json");`.
///
/// The path is relative to the crate's `Cargo.toml` directory; every schema file read
/// (including files reached by `$ref`) is tracked, so editing one rebuilds the crate,
/// and a schema change that breaks user code is a compile error. Options:
/// `map_type = "::indexmap::IndexMap"` (maps without arrays), `crate_path = "::am"`,
/// `client = true` (a typed blocking client for a tesseract `openapi.json`; needs the
/// runtime's `client` feature) and `async_client = true` (feature `client-async`).
#[proc_macro]
pub fn import_schema(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as import::ImportInput);
    import::expand(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
