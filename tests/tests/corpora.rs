//! Public OpenAPI documents nobody here wrote (`tests/data/corpora`, see its README):
//! the models `build.rs` generates from GitHub's REST API (with `fill_defaults(false)`, as its
//! servers leave defaults out) and Oxide's nexus, propolis and
//! buildomat documents compile under `#![deny(warnings)]`, and every example GitHub's
//! document gives for a response whose schema is a component (or a list of one) is read
//! through the generated type and written back. Each example is identical (JSON
//! equality, numbers by value: `2` and `2.0` are one number), changed (the first
//! difference is named), or refused (the error); the verdicts other than identical are
//! the snapshot `tests/snapshots/github_examples.txt` (`ARRAYMODEL_BLESS=1` updates it),
//! whose first line counts them.
#![deny(warnings)]

use arraymodel::{DecodeOptions, EncodeOptions, from_json_slice, to_json_vec};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

#[allow(dead_code)]
mod github {
    include!(concat!(env!("OUT_DIR"), "/github.rs"));
}
#[allow(dead_code)]
mod nexus {
    include!(concat!(env!("OUT_DIR"), "/nexus.rs"));
}
#[allow(dead_code)]
mod propolis {
    include!(concat!(env!("OUT_DIR"), "/propolis.rs"));
}
#[allow(dead_code)]
mod buildomat {
    include!(concat!(env!("OUT_DIR"), "/buildomat.rs"));
}

#[allow(dead_code)]
mod keeper {
    include!(concat!(env!("OUT_DIR"), "/keeper.rs"));
}

/// typify's test schemas (`data/corpora/typify`): `(file, structs and enums, warnings)`
/// each, and the modules, compiled here under `#![deny(warnings)]`.
mod typify {
    include!(concat!(env!("OUT_DIR"), "/typify_corpus.rs"));
}

mod examples {
    use super::*;
    include!(concat!(env!("OUT_DIR"), "/github_examples.rs"));
}

/// The example read into `T` by the runtime's JSON decoder and written by its encoder.
fn through<T: DeserializeOwned + Serialize>(v: &Value) -> Result<Value, String> {
    let text = serde_json::to_vec(v).map_err(|e| e.to_string())?;
    let t: T = from_json_slice(&text, &DecodeOptions::default()).map_err(|e| e.to_string())?;
    let back = to_json_vec(&t, &EncodeOptions::default()).map_err(|e| e.to_string())?;
    serde_json::from_slice(&back).map_err(|e| e.to_string())
}

/// The first place `b` differs from `a`, numbers compared by value; `None` when equal.
fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let same = match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(p), Some(q), _, _) => p == q,
                (_, _, Some(p), Some(q)) => p == q,
                _ => x.as_f64() == y.as_f64(),
            };
            (!same).then(|| format!("{at}: {x} became {y}"))
        }
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                match y.get(k) {
                    Some(w) => {
                        if let Some(d) = first_difference(v, w, &format!("{at}/{k}")) {
                            return Some(d);
                        }
                    }
                    None => return Some(format!("{at}/{k} dropped")),
                }
            }
            y.iter()
                .find(|(k, _)| !x.contains_key(*k))
                .map(|(k, v)| format!("{at}/{k} added ({v})"))
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| first_difference(v, w, &format!("{at}/{i}"))),
        _ => (a != b).then(|| format!("{at}: {a} became {b}")),
    }
}

#[test]
fn github_examples_round_trip() {
    let mut lines = Vec::new();
    let (mut identical, mut changed, mut refused) = (0, 0, 0);
    for (name, _pointer, list, ty, json) in examples::CASES {
        let value: Value = serde_json::from_str(json).unwrap();
        let what = format!(
            "{name} as {}{ty}{}",
            if *list { "Vec<" } else { "" },
            if *list { ">" } else { "" }
        );
        match examples::roundtrip(ty, *list, &value) {
            Ok(back) => match first_difference(&value, &back, "") {
                None => identical += 1,
                Some(d) => {
                    changed += 1;
                    lines.push(format!("changed  {what}: {d}"));
                }
            },
            Err(e) => {
                refused += 1;
                lines.push(format!("refused  {what}: {e}"));
            }
        }
    }
    let total = examples::CASES.len();
    assert!(total >= 290, "{total} examples");
    let mut text =
        format!("{total} examples: {identical} identical, {changed} changed, {refused} refused\n");
    for l in &lines {
        text.push_str(l);
        text.push('\n');
    }
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots/github_examples.txt");
    if std::env::var_os("ARRAYMODEL_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
    }
    let snapshot = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        snapshot == text,
        "GitHub's examples through the generated types differ from {} \
         (ARRAYMODEL_BLESS=1 to accept):\n{text}",
        path.display()
    );
}

/// Schemas written inline in operations get types, named as progenitor names them
/// (title, else `{operationId}Body` / `Response`): keeper's 10, progenitor's 10, the three
/// identical `ReportResult` responses being one type.
#[test]
fn inline_operation_schemas_have_types() {
    let body = br#"{"id": {"host": "h", "job": "j", "pid": 1, "time": "2024-01-01T00:00:00Z", "uuid": "u"}, "duration_millis": 5, "end_time": "2024-01-01T00:00:01Z", "exit_status": 0}"#;
    let v: keeper::ReportFinishBody = from_json_slice(body, &DecodeOptions::default()).unwrap();
    assert_eq!(v.duration_millis, 5);
    let r: keeper::ReportResult =
        from_json_slice(br#"{"existed_already": true}"#, &DecodeOptions::default()).unwrap();
    assert!(r.existed_already);
    let _: keeper::EnrolBody =
        from_json_slice(br#"{"host": "h", "key": "k"}"#, &DecodeOptions::default()).unwrap();
    let _: keeper::PingResult =
        from_json_slice(br#"{"host": "h", "ok": true}"#, &DecodeOptions::default()).unwrap();
    let _: keeper::GlobalJobsResult =
        from_json_slice(br#"{"summary": []}"#, &DecodeOptions::default()).unwrap();
    let _: keeper::ReportStartBody = from_json_slice(br#"{"id": {"host": "h", "job": "j", "pid": 1, "time": "t", "uuid": "u"}, "script": "s", "start_time": "t"}"#, &DecodeOptions::default()).unwrap();
    let _: keeper::ReportOutputBody = from_json_slice(br#"{"id": {"host": "h", "job": "j", "pid": 1, "time": "t", "uuid": "u"}, "record": {"msg": "m", "stream": "s", "time": "t"}}"#, &DecodeOptions::default()).unwrap();
    let src = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/keeper.rs")).unwrap();
    let types = src.matches("pub struct ").count() + src.matches("pub enum ").count();
    // Besides the models: the two generated clients (keeper declares no error bodies, so
    // there are no error enums).
    assert!(src.contains("pub struct Client {") && src.contains("pub struct AsyncClient {"));
    assert_eq!(types - 2, 10, "progenitor's keeper_positional.rs has 10");
}

/// typify's own test schemas all generate and compile; three refer to definitions under a
/// section they are not in (`#/components/schemas/X` beside `definitions/X`), which
/// typify resolves by name: so does the generator, with a warning each.
#[test]
fn typify_test_schemas_generate() {
    use typify::*;
    let all = [
        ARRAYS_AND_TUPLES,
        DENY_LIST,
        EXTRANEOUS_ENUM,
        ID_OR_NAME,
        MAPS,
        MERGED_SCHEMAS,
        MORE_TYPES,
        MULTIPLE_INSTANCE_TYPES,
        NOISY_TYPES,
        PROPERTY_PATTERN,
        REFLEXIVE,
        RUST_COLLISIONS,
        SIMPLE_TYPES,
        STRING_ENUM_WITH_DEFAULT,
        TYPE_WITH_MODIFIED_GENERATION,
        TYPES_WITH_DEFAULTS,
        TYPES_WITH_MORE_IMPLS,
        UNTYPED_ENUM_WITH_NULL,
        VARIOUS_ENUMS,
        X_RUST_TYPE,
    ];
    assert_eq!(all.len(), 20);
    let warned: Vec<&str> = all
        .iter()
        .filter(|(_, _, w)| *w > 0)
        .map(|(n, _, _)| *n)
        .collect();
    assert_eq!(
        warned,
        ["merged-schemas", "types-with-defaults", "various-enums"]
    );
    // The merged `allOf`s of typify's `merged-schemas` are types of their own.
    assert!(MERGED_SCHEMAS.1 >= 10, "{MERGED_SCHEMAS:?}");
}
