//! Generates `$OUT_DIR/vectoradd.rs` from tesseract's vectoradd `openapi.json`.

fn main() -> Result<(), arraymodel_codegen::Error> {
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    arraymodel_codegen::Generator::new()
        .schema("../../schemas/tesseract_vectoradd.openapi.json")
        // Prints `cargo:rerun-if-changed` for every schema file read, `$ref`s included.
        .cargo_rerun_if_changed(true)
        .generate_to_file(out.join("vectoradd.rs"))?;
    Ok(())
}
