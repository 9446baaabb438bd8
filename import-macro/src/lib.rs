//! `import_schema!`: [`arraymodel`](https://docs.rs/arraymodel) models (and optionally typed
//! clients) generated from a JSON Schema or OpenAPI file at compile time, by the same
//! engine as `arraymodel generate` and the build.rs API ([`arraymodel-codegen`](https://docs.rs/arraymodel-codegen)).
//!
//! Use it through the `arraymodel` crate's `import` feature (`arraymodel::import_schema!`):
//! a crate that only derives `ArrayModel` does not compile the generator.
#![forbid(unsafe_code)]

mod import;

use proc_macro::TokenStream;

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
