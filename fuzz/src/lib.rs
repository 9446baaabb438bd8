//! The harnesses of the cargo-fuzz targets in `fuzz_targets/`.
//!
//! Everything but the generator's schema reader is in `harness.rs`, which the stable
//! replay test `runtime/tests/fuzz_regressions.rs` includes too.
#![forbid(unsafe_code)]

mod harness;

pub use harness::*;

/// The code generator's schema reader: any text as a JSON Schema / OpenAPI document
/// (relative file `$ref`s are refused for text sources, so nothing is read from disk).
/// It must return a result, never panic; generated code must be valid Rust (the engine
/// parses it before returning).
pub fn schema_reader(data: &[u8]) -> Result<(), arraymodel_codegen::Error> {
    let text = String::from_utf8_lossy(data);
    let generated = arraymodel_codegen::Generator::new()
        .schema_str("fuzz.json", text)
        .generate()?;
    assert!(
        !generated.source().is_empty(),
        "the generator returned no source"
    );
    Ok(())
}
