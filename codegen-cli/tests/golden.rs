//! Golden tests: the generated source of every schema in `schemas/`, byte for byte.
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

fn generate(schema: &str) -> String {
    // Relative to this package, so the header and doc lines do not depend on the machine.
    let path = format!("../schemas/{schema}");
    Generator::new()
        .schema(&path)
        .generate()
        .unwrap_or_else(|e| panic!("{schema}: {e}"))
        .source()
        .to_owned()
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
    for schema in &names {
        let now = generate(schema);
        assert_eq!(
            now,
            generate(schema),
            "{schema}: output is not deterministic"
        );
        syn::parse_file(&now).unwrap_or_else(|e| panic!("{schema}: output does not parse: {e}"));
        let golden = golden_dir().join(golden_name(schema));
        if bless {
            std::fs::write(&golden, &now).unwrap();
            continue;
        }
        match std::fs::read_to_string(&golden) {
            Ok(g) if g == now => {}
            Ok(g) => failures.push(format!("{schema}: {}", first_difference(&g, &now))),
            Err(_) => failures.push(format!("{schema}: no golden file {}", golden.display())),
        }
    }
    // No golden file without its schema.
    let expected: Vec<String> = names.iter().map(|s| golden_name(s)).collect();
    for entry in std::fs::read_dir(golden_dir()).unwrap() {
        let n = entry.unwrap().file_name().into_string().unwrap();
        if n.ends_with(".rs") && !expected.contains(&n) {
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
    for schema in schemas() {
        let now = generate(&schema);
        let body = now.split_once("\n\n").map_or(now.as_str(), |(_, b)| b);
        let file = syn::parse_file(body).unwrap();
        assert_eq!(prettyplease::unparse(&file), body, "{schema}");
    }
}
