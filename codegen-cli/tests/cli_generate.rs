//! `arraymodel generate SCHEMA [-o FILE] [--check]`.

use std::path::{Path, PathBuf};
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
    // It names what differs (a doc comment is an attribute).
    assert!(
        stderr.contains(
            "is stale (formatting and comments aside): struct `AbstractEvalInputSchema`: \
             field `a`: its attributes or doc comments differ; struct `ApplyInputSchema2`: \
             field `a`: its attributes or doc comments differ;"
        ) && stderr.trim_end().lines().count() == 1,
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

/// `--server` writes the library's server trait, and says why a document gets none.
#[test]
fn server_trait_from_a_tesseract_document() {
    let out = bin()
        .args(["generate", SCHEMA, "--server"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lib = arraymodel_codegen::Generator::new()
        .schema(SCHEMA)
        .server(true)
        .generate()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, lib.source());
    for item in [
        "pub trait Tesseract: Send + Sync + 'static {",
        "pub struct Server<T>(pub T);",
        "::arraymodel::server::Endpoint::AbstractEval,",
    ] {
        assert!(text.contains(item), "{item}");
    }
    let petstore = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schemas/petstore_nullable.openapi.json"
    );
    let out = bin()
        .args(["generate", petstore, "--server"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        !String::from_utf8(out.stdout)
            .unwrap()
            .contains("pub trait Tesseract")
    );
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("no server generated: the document is not a tesseract API"),
        "{err}"
    );
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

fn rustfmt_program() -> std::ffi::OsString {
    std::env::var_os("RUSTFMT")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "rustfmt".into())
}

/// rustfmt on `file` with `config` as its whole configuration (`--check` with `check`).
fn rustfmt(file: &Path, config: &str, check: bool) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("rustfmt.toml");
    std::fs::write(&config_path, config).unwrap();
    let mut command = Command::new(rustfmt_program());
    command
        .args(["--edition", "2024", "--config-path"])
        .arg(&config_path);
    if check {
        command.arg("--check");
    }
    command
        .arg(file)
        .output()
        .expect("running rustfmt (install the rustfmt component or set $RUSTFMT)")
}

fn check(schema: &Path, flags: &[&str], file: &Path) -> std::process::Output {
    bin()
        .arg("generate")
        .arg(schema)
        .args(flags)
        .args(["--check", "-o"])
        .arg(file)
        .output()
        .unwrap()
}

/// For every schema in `schemas/`, with and without `--client --async`: the written file
/// passes `rustfmt --check --edition 2024`; after `rustfmt` with default settings and
/// with a rustfmt.toml of other settings, `--check` still passes; a renamed field fails
/// it, naming the struct and the field.
#[test]
fn every_schema_passes_rustfmt_check_and_check_survives_rustfmt() {
    let schemas_dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas"));
    let mut schemas: Vec<PathBuf> = std::fs::read_dir(&schemas_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    schemas.sort();
    assert!(schemas.len() >= 8);
    let other = "max_width = 60\nhard_tabs = true\nuse_small_heuristics = \"Max\"\n\
                 fn_params_layout = \"Vertical\"\n";
    let dir = tempfile::tempdir().unwrap();
    let mut files = 0;
    let mut rustfmt_clean = 0;
    for schema in &schemas {
        for flags in [&[][..], &["--client", "--async"][..]] {
            let name = schema.file_stem().unwrap().to_string_lossy().into_owned();
            let what = format!("{name} {flags:?}");
            let file = dir.path().join(format!("{name}{}.rs", flags.len()));
            let out = bin()
                .arg("generate")
                .arg(schema)
                .args(flags)
                .arg("-o")
                .arg(&file)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{what}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let generated = std::fs::read_to_string(&file).unwrap();
            files += 1;

            let fmt = rustfmt(&file, "", true);
            if fmt.status.success() {
                rustfmt_clean += 1;
            } else {
                panic!(
                    "{what}: rustfmt --check: {}",
                    String::from_utf8_lossy(&fmt.stdout)
                );
            }
            for config in ["", other] {
                std::fs::write(&file, &generated).unwrap();
                assert!(rustfmt(&file, config, false).status.success(), "{what}");
                let out = check(schema, flags, &file);
                assert!(
                    out.status.success(),
                    "{what}: --check after rustfmt with {config:?}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            assert_ne!(std::fs::read_to_string(&file).unwrap(), generated, "{what}");

            // A real edit: the first field renamed.
            let (line, field) = generated
                .lines()
                .find_map(|l| {
                    let name = l.strip_prefix("    pub ")?.split_once(':')?.0;
                    (!name.contains(' ')).then(|| (l.to_owned(), name.to_owned()))
                })
                .unwrap_or_else(|| panic!("{what}: no field"));
            let edited = generated.replacen(&line, &line.replacen(&field, "renamed", 1), 1);
            std::fs::write(&file, edited).unwrap();
            let out = check(schema, flags, &file);
            assert_eq!(out.status.code(), Some(1), "{what}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                stderr.contains(&format!("field `{field}` is generated but not in the file")),
                "{what}: {stderr}"
            );
        }
    }
    assert_eq!(
        rustfmt_clean, files,
        "{rustfmt_clean} of {files} files pass rustfmt --check"
    );
    assert_eq!(files, 2 * schemas.len());
}
