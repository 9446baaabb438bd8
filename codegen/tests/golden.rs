//! Golden tests: the generated source of every schema in `schemas/`, byte for byte;
//! for OpenAPI documents with `paths`, also with the typed clients (`--client --async`)
//! in `<name>.client.rs`.
//!
//! Bless after an intended change with `ARRAYMODEL_BLESS=1 cargo test -p arraymodel-codegen --test golden`.

use std::path::{Path, PathBuf};

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

fn generate_with(schema: &str, client: bool) -> String {
    // Relative to this package, so the header and doc lines do not depend on the machine.
    let path = format!("../schemas/{schema}");
    Generator::new()
        .schema(&path)
        .client(client)
        .async_client(client)
        .generate()
        .unwrap_or_else(|e| panic!("{schema}: {e}"))
        .source()
        .to_owned()
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

/// The output is already formatted: prettyplease over it changes nothing.
#[test]
fn output_is_a_fixed_point_of_the_formatter() {
    for (name, now) in outputs() {
        let body = now.split_once("\n\n").map_or(now.as_str(), |(_, b)| b);
        let file = syn::parse_file(body).unwrap();
        assert_eq!(prettyplease::unparse(&file), body, "{name}");
    }
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

/// The generated code names only documented runtime paths (`arraymodel::serde`,
/// `arraymodel::schemars`, `arraymodel::serde_json`, ...), never `#[doc(hidden)]` ones.
#[test]
fn generated_code_names_no_private_runtime_path() {
    let mut names = 0;
    for entry in std::fs::read_dir(golden_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rs") {
            names += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(!text.contains("__private"), "{}", path.display());
        }
    }
    assert!(names >= schemas().len());
}
