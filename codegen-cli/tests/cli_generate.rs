//! `arraymodel generate SCHEMA [-o FILE] [--check]`.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_arraymodel"))
}

const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../schemas/tesseract_vectoradd.openapi.json"
);

#[test]
fn writes_checks_and_detects_drift() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("models.rs");
    let status = bin()
        .args(["generate", SCHEMA, "-o"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.contains("pub struct ApplyInputSchema {"));

    // Same schema: --check passes and leaves the file alone.
    let check = bin()
        .args(["generate", SCHEMA, "--check", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );

    // Edited file: --check fails with exit code 1 and says how to fix it.
    std::fs::write(&out, written.replace("First vector", "1st vector")).unwrap();
    let check = bin()
        .args(["generate", SCHEMA, "--check", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&check.stderr);
    assert!(
        stderr.starts_with("error: ") && stderr.contains("is stale"),
        "{stderr}"
    );
    // A missing file is stale too.
    let missing = dir.path().join("none.rs");
    let check = bin()
        .args(["generate", SCHEMA, "--check", "-o"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(1));
    assert!(!missing.exists());
}

#[test]
fn stdout_matches_the_library() {
    let out = bin().args(["generate", SCHEMA]).output().unwrap();
    assert!(out.status.success());
    let lib = arraymodel_codegen::Generator::new()
        .schema(SCHEMA)
        .generate()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), lib.source());
}

#[test]
fn schema_errors_name_file_and_pointer() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r##"{"properties": {"a": {"$ref": "#/$defs/Nope"}}}"##).unwrap();
    let out = bin().arg("generate").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.trim_end().ends_with(
            r##"bad.json#/properties/a: $ref "#/$defs/Nope": the target does not exist"##
        ),
        "{stderr}"
    );
    // --check needs -o (a usage error).
    let out = bin()
        .args(["generate", SCHEMA, "--check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
