//! The JSON-Schema-Test-Suite (draft 2020-12, `tests/data/corpora/json-schema-test-suite`,
//! MIT): `build.rs` generates a model for every case's schema (as the property `v` of a
//! wrapper object), and every instance is read through it and written back.
//!
//! A valid instance is held (it comes back identical, numbers compared by value),
//! changed, or refused; an invalid one is refused or accepted. Schemas the generator
//! refuses are counted apart. The verdicts are the snapshot
//! `tests/snapshots/json_schema_suite.txt` (`ARRAYMODEL_BLESS=1` updates it): one line
//! per file with its counts, then every instance that is not held or refused as it
//! should be. On top of the snapshot, the keywords `#[check(...)]` implements must
//! refuse every invalid instance of their files.
#![deny(warnings)]

use arraymodel::{DecodeOptions, EncodeOptions, from_json_slice, to_json_vec};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

mod suite {
    use super::through;
    include!(concat!(env!("OUT_DIR"), "/suite.rs"));
}

/// `{"v": instance}` read into `T` and written back; `v` of what comes back.
fn through<T: DeserializeOwned + Serialize>(instance: &Value) -> Result<Value, String> {
    let text =
        serde_json::to_vec(&serde_json::json!({ "v": instance })).map_err(|e| e.to_string())?;
    let t: T = from_json_slice(&text, &DecodeOptions::default()).map_err(|e| e.to_string())?;
    let back = to_json_vec(&t, &EncodeOptions::default()).map_err(|e| e.to_string())?;
    let back: Value = serde_json::from_slice(&back).map_err(|e| e.to_string())?;
    Ok(back.get("v").cloned().unwrap_or(Value::Null))
}

/// JSON equality, numbers by value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(p), Some(q), _, _) => p == q,
                (_, _, Some(p), Some(q)) => p == q,
                _ => x.as_f64() == y.as_f64(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Files whose every invalid instance the generated models must refuse: the keywords
/// `#[check(...)]`, `deny_unknown_fields` and required fields implement.
const ENFORCED: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "required",
    "enum",
    "const",
];

/// Invalid instances of those files that are accepted, and why.
const EXCEPTIONS: &[(&str, &str)] = &[(
    "pattern #2 / Digits do not match",
    "`^\\p{Letter}+$`: regex-lite has no Unicode classes, so the generator leaves the \
     pattern unchecked and says so in its warnings",
)];

#[derive(Default)]
struct Counts {
    schemas: usize,
    refused_schemas: usize,
    held: usize,
    changed: usize,
    refused_valid: usize,
    refused_invalid: usize,
    accepted_invalid: usize,
    not_run: usize,
}

#[test]
fn every_instance_of_the_suite() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/corpora/json-schema-test-suite/draft2020-12");
    let mut lines = Vec::new();
    let mut per_file: Vec<(String, Counts)> = Vec::new();
    let mut enforced_failures = Vec::new();
    for &(file, index, description, outcome) in suite::SCHEMAS {
        let groups: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{file}.json"))).unwrap(),
        )
        .unwrap();
        let group = &groups[index];
        if per_file.last().is_none_or(|(f, _)| f != file) {
            per_file.push((file.to_owned(), Counts::default()));
        }
        let c = &mut per_file.last_mut().unwrap().1;
        c.schemas += 1;
        let tests = group["tests"].as_array().unwrap();
        let module = match outcome {
            Ok(m) => m,
            Err(why) => {
                c.refused_schemas += 1;
                c.not_run += tests.len();
                let why = why.rsplit(": ").next().unwrap_or(why);
                lines.push(format!(
                    "{file} #{index} ({description}): schema refused: {why}"
                ));
                continue;
            }
        };
        for t in tests {
            let valid = t["valid"].as_bool().unwrap();
            let what = t["description"].as_str().unwrap();
            let instance = &t["data"];
            let r = suite::roundtrip(module, instance);
            match (valid, r) {
                (true, Ok(back)) if same(instance, &back) => c.held += 1,
                (true, Ok(back)) => {
                    c.changed += 1;
                    lines.push(format!("{file} #{index} ({description}) / {what}: changed: {instance} became {back}"));
                }
                (true, Err(e)) => {
                    c.refused_valid += 1;
                    lines.push(format!(
                        "{file} #{index} ({description}) / {what}: valid, refused: {e}"
                    ));
                }
                (false, Err(_)) => c.refused_invalid += 1,
                (false, Ok(_)) => {
                    c.accepted_invalid += 1;
                    lines.push(format!(
                        "{file} #{index} ({description}) / {what}: invalid, accepted"
                    ));
                    let id = format!("{file} #{index} / {what}");
                    if ENFORCED.contains(&file) && !EXCEPTIONS.iter().any(|(e, _)| *e == id) {
                        enforced_failures.push(id);
                    }
                }
            }
        }
    }
    let row = |name: &str, c: &Counts| {
        format!(
            "{:<24} {:>7} {:>7} {:>5} {:>7} {:>9} {:>9} {:>9} {:>7}",
            name,
            c.schemas,
            c.refused_schemas,
            c.held,
            c.changed,
            c.refused_valid,
            c.refused_invalid,
            c.accepted_invalid,
            c.not_run
        )
    };
    let mut total = Counts::default();
    let mut table = vec![format!(
        "{:<24} {:>7} {:>7} {:>5} {:>7} {:>9} {:>9} {:>9} {:>7}",
        "file",
        "schemas",
        "refused",
        "held",
        "changed",
        "valid-ref",
        "inv-ref",
        "inv-acc",
        "not-run"
    )];
    for (file, c) in &per_file {
        table.push(row(file, c));
        total.schemas += c.schemas;
        total.refused_schemas += c.refused_schemas;
        total.held += c.held;
        total.changed += c.changed;
        total.refused_valid += c.refused_valid;
        total.refused_invalid += c.refused_invalid;
        total.accepted_invalid += c.accepted_invalid;
        total.not_run += c.not_run;
    }
    table.push(row("total", &total));
    let text = format!("{}\n\n{}\n", table.join("\n"), lines.join("\n"));
    let snapshot =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/json_schema_suite.txt");
    if std::env::var_os("ARRAYMODEL_BLESS").is_some() {
        std::fs::write(&snapshot, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    assert!(
        enforced_failures.is_empty(),
        "invalid instances accepted: {enforced_failures:#?}"
    );
    assert_eq!(
        expected, text,
        "the suite's verdicts changed (ARRAYMODEL_BLESS=1 to accept)"
    );
}
