//! Golden tests: the generated source of every schema in `schemas/`, byte for byte;
//! for OpenAPI documents with `paths`, also with the typed clients (`--client --async`)
//! in `<name>.client.rs`. The golden files are what a user gets: rustfmt's output
//! (these tests need rustfmt, a component in `rust-toolchain.toml`; `$RUSTFMT` names
//! another). They pass `rustfmt --check`, stay current (`Generated::differences`)
//! after rustfmt with default or other settings, name no `#[doc(hidden)]` runtime path,
//! and the prettyplease fallback, the `import_schema!` tokens and the build.rs file
//! have the same tokens.
//!
//! Bless after an intended change with `ARRAYMODEL_BLESS=1 cargo test -p arraymodel-codegen --test golden`.

use std::path::{Path, PathBuf};
use std::process::Command;

use arraymodel_codegen::Generator;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// `schemas/*.json`, sorted.
fn schemas() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("schemas"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

fn golden_name(schema: &str) -> String {
    format!("{}.rs", schema.trim_end_matches(".json").replace('.', "_"))
}

fn client_golden_name(schema: &str) -> String {
    format!(
        "{}.client.rs",
        schema.trim_end_matches(".json").replace('.', "_")
    )
}

/// OpenAPI documents with `paths` get a client golden file too.
fn has_paths(schema: &str) -> bool {
    let text = std::fs::read_to_string(repo().join("schemas").join(schema)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v.get("openapi").is_some() && v.get("paths").is_some()
}

fn generator(schema: &str, client: bool) -> Generator {
    // Relative to this package, so the header and doc lines do not depend on the machine.
    let path = format!("../schemas/{schema}");
    Generator::new()
        .schema(&path)
        .client(client)
        .async_client(client)
}

fn generate_with(schema: &str, client: bool) -> String {
    let generated = generator(schema, client)
        .generate()
        .unwrap_or_else(|e| panic!("{schema}: {e}"));
    assert!(
        generated.formatted_by_rustfmt(),
        "{schema}: rustfmt did not run (install the rustfmt component or set $RUSTFMT); \
         the golden files are rustfmt's output"
    );
    generated.source().to_owned()
}

fn generate(schema: &str) -> String {
    generate_with(schema, false)
}

/// `(golden file name, generated source)` for every golden file.
fn outputs() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for schema in schemas() {
        out.push((golden_name(&schema), generate(&schema)));
        if has_paths(&schema) {
            out.push((client_golden_name(&schema), generate_with(&schema, true)));
        }
    }
    out
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  golden: {x}\n  now:    {y}", i + 1);
        }
    }
    format!(
        "lengths differ: golden {} lines, now {} lines",
        a.lines().count(),
        b.lines().count()
    )
}

#[test]
fn every_schema_matches_its_golden_file() {
    let bless = std::env::var_os("ARRAYMODEL_BLESS").is_some();
    let mut failures = Vec::new();
    let names = schemas();
    assert!(names.len() >= 8, "schemas/ has {} files", names.len());
    let outputs = outputs();
    assert!(
        outputs.len() >= names.len() + 3,
        "expected client goldens for the tesseract and petstore documents"
    );
    for (golden_file, now) in &outputs {
        syn::parse_file(now)
            .unwrap_or_else(|e| panic!("{golden_file}: output does not parse: {e}"));
        let golden = golden_dir().join(golden_file);
        if bless {
            std::fs::write(&golden, now).unwrap();
            continue;
        }
        match std::fs::read_to_string(&golden) {
            Ok(g) if g == *now => {}
            Ok(g) => failures.push(format!("{golden_file}: {}", first_difference(&g, now))),
            Err(_) => failures.push(format!("no golden file {}", golden.display())),
        }
    }
    for schema in &names {
        assert_eq!(
            generate(schema),
            generate(schema),
            "{schema}: output is not deterministic"
        );
        if has_paths(schema) {
            assert_eq!(
                generate_with(schema, true),
                generate_with(schema, true),
                "{schema}: client output is not deterministic"
            );
        }
    }
    // No golden file without its schema.
    let expected: Vec<&String> = outputs.iter().map(|(n, _)| n).collect();
    for entry in std::fs::read_dir(golden_dir()).unwrap() {
        let n = entry.unwrap().file_name().into_string().unwrap();
        if n.ends_with(".rs") && !expected.contains(&&n) {
            failures.push(format!("golden file {n} has no schema in schemas/"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} golden mismatch(es) (bless with ARRAYMODEL_BLESS=1):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Without `client`, the models are exactly the same: the client only adds items.
#[test]
fn the_client_only_adds_items() {
    for schema in schemas().into_iter().filter(|s| has_paths(s)) {
        let models = generate(&schema);
        let with_client = generate_with(&schema, true);
        let models_items = syn::parse_file(&models).unwrap().items;
        let client_items = syn::parse_file(&with_client).unwrap().items;
        for item in &models_items {
            assert!(client_items.contains(item), "{schema}: an item changed");
        }
        assert!(client_items.len() > models_items.len(), "{schema}");
    }
}

/// Every golden configuration: `(golden file name, schema, with the clients)`.
fn configurations() -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    for schema in schemas() {
        out.push((golden_name(&schema), schema.clone(), false));
        if has_paths(&schema) {
            out.push((client_golden_name(&schema), schema, true));
        }
    }
    out
}

fn rustfmt_program() -> std::ffi::OsString {
    std::env::var_os("RUSTFMT")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "rustfmt".into())
}

/// Runs rustfmt on `file` with `config` as its whole configuration (`--check` with
/// `check`); returns whether it succeeded and its output.
fn run_rustfmt(file: &Path, config: &str, check: bool) -> (bool, String) {
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
    let out = command
        .arg(file)
        .output()
        .expect("running rustfmt (install the rustfmt component or set $RUSTFMT)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Not the default: narrow, tabs, every line break rustfmt may choose differently.
const OTHER_RUSTFMT_TOML: &str = "max_width = 60\nhard_tabs = true\n\
    use_small_heuristics = \"Max\"\nfn_params_layout = \"Vertical\"\n\
    use_field_init_shorthand = true\nuse_try_shorthand = true\n\
    match_block_trailing_comma = true\nnewline_style = \"Windows\"\n";

/// `rustfmt --check --edition 2024` with default settings passes on every golden file
/// (and so on what users get: the golden files are the generated bytes).
#[test]
fn golden_files_pass_rustfmt_check() {
    let mut failures = Vec::new();
    let configurations = configurations();
    for (golden_file, _, _) in &configurations {
        let (ok, text) = run_rustfmt(&golden_dir().join(golden_file), "", true);
        if !ok {
            failures.push(format!("{golden_file}:\n{text}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden files fail rustfmt --check:\n{}",
        failures.len(),
        configurations.len(),
        failures.join("\n")
    );
}

/// After rustfmt with default settings or with [`OTHER_RUSTFMT_TOML`], the file is still
/// current; a renamed field, an edited doc comment, a removed item are not.
#[test]
fn reformatted_files_stay_current_and_real_edits_do_not() {
    let dir = tempfile::tempdir().unwrap();
    for (golden_file, schema, client) in configurations() {
        let generated = generator(&schema, client).generate().unwrap();
        let source = generated.source();
        assert!(generated.differences(source).is_empty(), "{golden_file}");
        for (config, what) in [
            ("", "default settings"),
            (OTHER_RUSTFMT_TOML, "rustfmt.toml"),
        ] {
            let file = dir.path().join(&golden_file);
            std::fs::write(&file, source).unwrap();
            let (ok, text) = run_rustfmt(&file, config, false);
            assert!(ok, "{golden_file}: rustfmt with {what} failed: {text}");
            let formatted = std::fs::read_to_string(&file).unwrap();
            if !config.is_empty() {
                assert_ne!(formatted, source, "{golden_file}: {what} changed nothing");
            }
            assert_eq!(
                generated.differences(&formatted),
                Vec::<String>::new(),
                "{golden_file}: after rustfmt with {what}"
            );
        }

        // A renamed field: the first `pub x:` line inside a struct.
        let (line, field) = source
            .lines()
            .find_map(|l| {
                let name = l.strip_prefix("    pub ")?.split_once(':')?.0;
                (!name.contains(' ')).then(|| (l.to_owned(), name.to_owned()))
            })
            .unwrap_or_else(|| panic!("{golden_file}: no field"));
        let renamed = source.replacen(&line, &line.replacen(&field, "renamed_field", 1), 1);
        let diffs = generated.differences(&renamed);
        assert!(
            diffs
                .iter()
                .any(|d| d.contains(&format!("field `{field}` is generated but not in the file")))
                && diffs
                    .iter()
                    .any(|d| d.contains("field `renamed_field` is in the file")),
            "{golden_file}: {diffs:?}"
        );
        assert!(diffs[0].starts_with("struct `"), "{golden_file}: {diffs:?}");

        // An edited doc comment (docs are attributes).
        let edited = source.replacen("/// Generated from `", "/// Made from `", 1);
        let diffs = generated.differences(&edited);
        assert_eq!(diffs.len(), 1, "{golden_file}: {diffs:?}");
        assert!(diffs[0].contains("attributes"), "{golden_file}: {diffs:?}");

        // A removed item, an added one, text that does not parse.
        let file = syn::parse_file(source).unwrap();
        let mut fewer = file.clone();
        fewer.items.remove(0);
        let diffs = generated.differences(&prettyplease::unparse(&fewer));
        assert!(
            diffs[0].ends_with("is generated but not in the file"),
            "{diffs:?}"
        );
        let more = format!("{source}\npub struct Extra;\n");
        assert_eq!(
            generated.differences(&more),
            ["struct `Extra` is in the file but not generated"]
        );
        assert!(generated.differences("pub struct {")[0].starts_with("the file does not parse"));
    }
}

/// The generated code names only documented runtime paths, and says which generator
/// and runtime versions it belongs to.
#[test]
fn generated_code_names_no_private_runtime_path() {
    let version = env!("CARGO_PKG_VERSION");
    let mut names = 0;
    for entry in std::fs::read_dir(golden_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        names += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("__private"), "{}", path.display());
        let header: Vec<&str> = text.lines().take(3).collect();
        assert!(
            header[0].starts_with(&format!(
                "// @generated by arraymodel-codegen {version} from "
            )),
            "{}: {header:?}",
            path.display()
        );
        assert!(
            header[1].starts_with(&format!("// Needs the arraymodel runtime >={version}, <")),
            "{}: {header:?}",
            path.display()
        );
    }
    assert_eq!(names, configurations().len());
}

/// Without rustfmt the source is prettyplease's text with the golden file's tokens;
/// `import_schema!` expands to the same tokens; the build.rs API writes the golden bytes.
#[test]
fn fallback_macro_and_build_rs_outputs_agree_with_the_goldens() {
    let dir = tempfile::tempdir().unwrap();
    for (golden_file, schema, client) in configurations() {
        let golden = std::fs::read_to_string(golden_dir().join(&golden_file)).unwrap();
        let plain = generator(&schema, client)
            .rustfmt(false)
            .generate()
            .unwrap();
        assert!(!plain.formatted_by_rustfmt());
        assert_eq!(
            plain.differences(&golden),
            Vec::<String>::new(),
            "{golden_file}"
        );
        assert_eq!(
            plain.differences(&plain.tokens().to_string()),
            Vec::<String>::new(),
            "{golden_file}: tokens"
        );
        let out = dir.path().join(&golden_file);
        let written = generator(&schema, client).generate_to_file(&out).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), written.source());
        assert_eq!(written.source(), golden, "{golden_file}: build.rs output");
    }
}
