//! Errors name the file and the JSON pointer of what could not be generated, and why.

use std::path::Path;

use arraymodel_codegen::Generator;

fn err(schema: &str) -> String {
    match Generator::new().schema_str("s.json", schema).generate() {
        Ok(g) => panic!(
            "expected an error, generated {} types",
            g.type_names().len()
        ),
        Err(e) => e.to_string(),
    }
}

#[test]
fn missing_file() {
    let e = Generator::new()
        .schema("no/such/file.json")
        .generate()
        .unwrap_err();
    assert_eq!(e.file(), Path::new("no/such/file.json"));
    assert!(
        e.message().starts_with("cannot read no/such/file.json"),
        "{e}"
    );
}

#[test]
fn invalid_json() {
    let e = err(r#"{"type": "object",}"#);
    assert!(
        e.starts_with("s.json#: not valid JSON: trailing comma"),
        "{e}"
    );
    assert_eq!(
        err("[1, 2]"),
        "s.json#: a schema document must be a JSON object"
    );
}

#[test]
fn missing_ref_target() {
    let e = err(
        r##"{"$defs": {"A": {"type": "object", "properties": {"b": {"$ref": "#/$defs/B"}}}}}"##,
    );
    assert_eq!(
        e,
        r##"s.json#/$defs/A/properties/b: $ref "#/$defs/B": the target does not exist"##
    );
}

/// `$anchor`s, draft 7's `$id: "#name"`, embedded resources (`$id` on a subschema, its
/// `#/...` refs its own) and a bundled document's absolute `$id` are followed without
/// reading anything.
#[test]
fn anchors_and_embedded_ids_are_followed() {
    let schema = r##"{
        "$id": "https://example.com/root.json",
        "title": "Root",
        "type": "object",
        "properties": {
            "a": {"$ref": "#item"},
            "b": {"$ref": "#old-style"},
            "c": {"$ref": "inner.json"},
            "d": {"$ref": "https://example.com/inner.json#/$defs/n"},
            "e": {"$ref": "inner.json#deep"}
        },
        "required": ["a", "b", "c", "d", "e"],
        "$defs": {
            "Item": {"$anchor": "item", "type": "object", "properties": {"x": {"type": "integer"}}},
            "Old": {"$id": "#old-style", "type": "string"},
            "Inner": {
                "$id": "inner.json",
                "type": "object",
                "properties": {"n": {"$ref": "#/$defs/n"}},
                "$defs": {"n": {"type": "number", "$anchor": "deep"}}
            }
        }
    }"##;
    let code = Generator::new()
        .schema_str("s.json", schema)
        .generate()
        .unwrap_or_else(|e| panic!("{e}"));
    let src = code.source();
    assert!(src.contains("pub a: Item,"), "{src}");
    assert!(src.contains("pub b: Old,"), "{src}");
    assert!(src.contains("pub c: Inner,"), "{src}");
    assert!(src.contains("pub d: N,"), "{src}");
    assert!(src.contains("pub e: N,"), "{src}");
    assert!(src.contains("pub n: Option<N>,"), "{src}");
    assert!(src.contains("pub type N = f64;"), "{src}");
}

#[test]
fn refs_that_are_not_followed() {
    let e = err(r#"{"properties": {"a": {"$ref": "https://example.com/s.json#/x"}}}"#);
    assert!(e.starts_with("s.json#/properties/a: $ref \"https://example.com/s.json#/x\": remote references are not fetched"), "{e}");
    let e = err(r##"{"properties": {"a": {"$ref": "#anchor"}}}"##);
    assert_eq!(
        e,
        r##"s.json#/properties/a: $ref "#anchor": no schema declares the anchor "anchor""##
    );
    let e = err(r#"{"properties": {"a": {"$ref": "other.json"}}}"#);
    assert!(
        e.contains("no directory to resolve a relative file against"),
        "{e}"
    );
    let e = err(r#"{"properties": {"a": {"$ref": 5}}}"#);
    assert_eq!(e, "s.json#/properties/a/$ref: $ref must be a string");
}

#[test]
fn relative_file_missing() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("main.json");
    std::fs::write(
        &main,
        r#"{"properties": {"p": {"$ref": "defs/missing.json#/$defs/P"}}}"#,
    )
    .unwrap();
    let e = Generator::new().schema(&main).generate().unwrap_err();
    assert_eq!(e.file(), main);
    assert_eq!(e.pointer(), "/properties/p");
    assert!(e.message().contains("cannot read"), "{e}");
    assert!(e.message().contains("missing.json"), "{e}");
}

#[test]
fn relative_file_target_missing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("defs.json"), r#"{"$defs": {}}"#).unwrap();
    let main = dir.path().join("main.json");
    std::fs::write(
        &main,
        r#"{"properties": {"p": {"$ref": "defs.json#/$defs/P"}}}"#,
    )
    .unwrap();
    let e = Generator::new().schema(&main).generate().unwrap_err();
    assert_eq!(e.pointer(), "/properties/p");
    assert!(e.message().ends_with("the target does not exist"), "{e}");
}

#[test]
fn bad_keywords() {
    assert_eq!(
        err(r#"{"properties": {"a": {"type": "thing"}}}"#),
        r#"s.json#/properties/a/type: unknown type "thing""#
    );
    assert_eq!(
        err(r#"{"properties": {"a": 5}}"#),
        "s.json#/properties/a: a schema must be an object or a boolean"
    );
    assert_eq!(
        err(r#"{"properties": {"a": {"anyOf": {}}}}"#),
        "s.json#/properties/a/anyOf: anyOf must be an array"
    );
    assert_eq!(
        err(r#"{"properties": {"a": {"oneOf": []}}}"#),
        "s.json#/properties/a/oneOf: oneOf must not be empty"
    );
    assert_eq!(
        err(r#"{"properties": {"a": {"type": 7}}}"#),
        "s.json#/properties/a/type: type must be a string or an array of strings"
    );
    assert_eq!(
        err(r#"{"type": "object", "properties": []}"#),
        "s.json#/properties: properties must be an object"
    );
    assert_eq!(
        err(r#"{"type": "object", "properties": {"a": {}}, "required": "a"}"#),
        "s.json#/required: required must be an array"
    );
    assert_eq!(
        err(r#"{"openapi": "3.1.0", "components": {"schemas": []}}"#),
        "s.json#/components/schemas: components.schemas must be an object"
    );
}

#[test]
fn too_deep() {
    // Nesting deeper than serde_json's limit is refused while parsing.
    let mut schema = String::from(r#"{"type": "string"}"#);
    for _ in 0..120 {
        schema = format!(r#"{{"type": "object", "properties": {{"x": {schema}}}}}"#);
    }
    let e = err(&schema);
    assert!(e.contains("recursion limit exceeded"), "{e}");
    // A chain of 2000 definitions each referring to the next is fine (every definition
    // is converted on its own) ...
    let mut defs = Vec::new();
    for i in 0..2000 {
        defs.push(format!(
            r##""D{i}": {{"type": "object", "properties": {{"x": {{"$ref": "#/$defs/D{}"}}}}}}"##,
            i + 1
        ));
    }
    defs.push(r#""D2000": {"type": "string"}"#.to_owned());
    let g = Generator::new()
        .schema_str("s.json", format!(r#"{{"$defs": {{{}}}}}"#, defs.join(",")))
        .generate()
        .unwrap();
    assert_eq!(g.type_names().len(), 2001);
    // ... but a chain through inline schemas is cut off, without overflowing the stack.
    let mut defs = Vec::new();
    for i in 0..2000 {
        defs.push(format!(
            r##""D{i}": {{"type": "object", "properties": {{"x": {{"type": "object", "properties": {{"y": {{"$ref": "#/$defs/D{}/properties/x"}}}}}}}}}}"##,
            i + 1
        ));
    }
    defs.push(r#""D2000": {"properties": {"x": {"type": "string"}}}"#.to_owned());
    let e = err(&format!(r#"{{"$defs": {{{}}}}}"#, defs.join(",")));
    assert!(e.contains("deeper than 256 levels"), "{e}");
    // 60 nested models are fine.
    let mut defs = Vec::new();
    for i in 0..60 {
        defs.push(format!(
            r##""D{i}": {{"type": "object", "properties": {{"x": {{"$ref": "#/$defs/D{}"}}}}}}"##,
            i + 1
        ));
    }
    defs.push(r#""D60": {"type": "string"}"#.to_owned());
    Generator::new()
        .schema_str("s.json", format!(r#"{{"$defs": {{{}}}}}"#, defs.join(",")))
        .generate()
        .unwrap();
}

#[test]
fn bad_options() {
    let e = Generator::new()
        .schema_str("s.json", "{}")
        .crate_path("not a path")
        .generate()
        .unwrap_err();
    assert!(
        e.message()
            .starts_with("crate_path \"not a path\" is not a Rust path"),
        "{e}"
    );
    let e = Generator::new().generate().unwrap_err();
    assert_eq!(e.message(), "no schema given");
}

#[test]
fn cycles_are_fine() {
    // Self-reference through Option, mutual references, an alias cycle through Vec,
    // and a pure $ref cycle (boxed; never constructible, but no crash).
    let out = Generator::new()
        .schema_str(
            "c.json",
            r##"{"$defs": {
                "Node": {"type": "object", "properties": {"next": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}, "other": {"$ref": "#/$defs/Other"}}},
                "Other": {"type": "object", "properties": {"back": {"$ref": "#/$defs/Node"}}, "required": ["back"]},
                "List": {"type": "array", "items": {"$ref": "#/$defs/List"}},
                "A": {"$ref": "#/$defs/B"},
                "B": {"$ref": "#/$defs/A"}
            }}"##,
        )
        .generate()
        .unwrap();
    let src = out.source();
    assert!(src.contains("pub next: Option<Box<Node>>,"), "{src}");
    assert!(src.contains("pub struct List(pub Vec<List>);"), "{src}");
    assert!(
        src.contains("pub struct A(pub Box<B>);") || src.contains("pub struct B(pub Box<A>);"),
        "{src}"
    );
}

#[test]
fn names_do_not_collide() {
    let out = Generator::new()
        .schema_str(
            "n.json",
            r#"{"$defs": {
                "Apply_InputSchema": {"type": "object", "properties": {"a": {"type": "integer"}}},
                "ApplyInputSchema": {"type": "object", "properties": {"inputs": {"$ref": "" }}},
                "Option": {"type": "string"},
                "type": {"type": "object", "properties": {"type": {"type": "string"}, "Type": {"type": "string"}, "self": {"type": "integer"}, "": {"type": "integer"}}}
            }}"#,
        )
        .generate();
    // `$ref: ""` is the document itself: a pure $defs bundle is an object type here.
    let out = out.unwrap();
    let names = out.type_names();
    assert_eq!(
        names,
        [
            "ApplyInputSchema",
            "ApplyInputSchema2",
            "OptionModel",
            "Type",
            "N"
        ]
    );
    let src = out.source();
    assert!(src.contains("pub r#type: Option<String>,"), "{src}");
    assert!(src.contains("#[serde(rename = \"Type\", default, skip_serializing_if = \"Option::is_none\")]\n    pub type_2: Option<String>,"), "{src}");
    assert!(src.contains("pub self_: Option<i64>,"), "{src}");
    assert!(src.contains("#[serde(rename = \"\", default, skip_serializing_if = \"Option::is_none\")]\n    pub field: Option<i64>,"), "{src}");
}

/// A Rust path from a schema is pasted into the generated code: only type paths pass.
#[test]
fn x_rust_type_is_a_type_path_and_nothing_else() {
    let schema = |path: &str| {
        serde_json::json!({
            "title": "T", "type": "object", "required": ["a"],
            "properties": {"a": {"$ref": "#/$defs/A"}},
            "$defs": {"A": {"type": "string", "x-rust-type": {"crate": "x", "version": "*", "path": path}}}
        })
        .to_string()
    };
    let ok = Generator::new()
        .schema_str(
            "s.json",
            schema("::std::collections::BTreeMap<String, Vec<(u8, &'static str)>>"),
        )
        .generate()
        .unwrap();
    assert!(ok.source().contains("pub type A ="), "{}", ok.source());
    for evil in [
        "::core::array::IntoIter<u8, { #[used] static I: u8 = 0; 0 }>",
        "Vec<[u8; { 1 + 1 }]>",
        "Box<dyn Fn()>",
        "u8; fn evil() {}",
        "Fn(u8) -> u8",
    ] {
        let e = Generator::new()
            .schema_str("s.json", schema(evil))
            .generate()
            .unwrap_err();
        assert!(e.message().contains("not a Rust type path"), "{evil}: {e}");
        assert_eq!(e.pointer(), "/$defs/A/x-rust-type", "{evil}");
    }
    let e = Generator::new()
        .schema_str("s.json", schema("String"))
        .replace("T", "Vec<[u8; 3]>")
        .generate()
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("replace \"Vec<[u8; 3]>\" is not a Rust type path"),
        "{e}"
    );
}

/// A file reached through `$ref` may be any JSON that holds schemas (a plain map of
/// them); only the documents given must look like schemas. `allOf: []` is an object.
#[test]
fn referenced_documents_are_not_held_to_the_root_check() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("defs.yaml"),
        "Pet:\n  type: object\n  properties:\n    name: {type: string}\n",
    )
    .unwrap();
    let code = Generator::new()
        .schema_str_in(
            "root.json",
            r#"{"title": "Owner", "type": "object", "properties": {"pet": {"$ref": "defs.yaml#/Pet"}, "any": {"allOf": []}}}"#,
            dir.path(),
        )
        .generate()
        .unwrap();
    assert!(
        code.source().contains("pub struct OwnerPet {"),
        "{}",
        code.source()
    );
    assert!(
        code.source().contains("pub struct OwnerAny {}"),
        "{}",
        code.source()
    );
    let e = Generator::new()
        .schema_str(
            "m.yaml",
            "$defs:\n  A: &a {type: string}\n  B:\n    <<: *a\n    maxLength: 3\n",
        )
        .generate()
        .unwrap_err();
    assert!(e.message().contains("merge keys"), "{e}");
}

/// A schema whose `$ref`s reuse a large definition thousands of times is refused within
/// a budget (64 x the documents' nodes read) instead of running for minutes; real
/// documents read 4-12x theirs.
#[test]
fn reused_refs_are_bounded() {
    let big: serde_json::Map<String, serde_json::Value> = (0..200)
        .map(|i| {
            let inner: serde_json::Map<String, serde_json::Value> = (0..20)
                .map(|j| (format!("q{j}"), serde_json::json!({"type": "string"})))
                .collect();
            (
                format!("p{i}"),
                serde_json::json!({"type": "object", "properties": inner}),
            )
        })
        .collect();
    let props: serde_json::Map<String, serde_json::Value> = (0..20000)
        .map(|i| (format!("r{i}"), serde_json::json!({"$ref": "#/$defs/Big"})))
        .collect();
    let doc = serde_json::json!({
        "title": "Root", "type": "object", "properties": props,
        "$defs": {"Big": {"type": "object", "properties": big}}
    });
    let t = std::time::Instant::now();
    let e = Generator::new()
        .schema_str("bomb.json", doc.to_string())
        .generate()
        .unwrap_err();
    assert!(
        e.message()
            .contains("reads more than 64 times its own size"),
        "{e}"
    );
    assert!(
        t.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        t.elapsed()
    );
}

/// Documents fetched for `$ref`s count against one budget for the whole generation
/// (256 MiB), whatever each one's own limit: a chain of 40 MiB documents is refused at
/// the seventh, not read until memory runs out.
#[test]
fn fetched_documents_share_one_budget() {
    struct Chain;
    impl arraymodel_codegen::Fetcher for Chain {
        fn resolve(&self, _: Option<&str>, reference: &str) -> Result<String, String> {
            Ok(reference.to_owned())
        }
        fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
            let k: usize = url
                .trim_start_matches("https://example.com/")
                .trim_end_matches(".json")
                .parse()
                .map_err(|e| format!("{e}"))?;
            let mut doc =
                format!(r#"{{"$ref": "https://example.com/{}.json"}}"#, k + 1).into_bytes();
            doc.resize(doc.len() + (40 << 20), b' ');
            Ok(doc)
        }
    }
    let err = Generator::new()
        .schema_str(
            "s.json",
            r#"{"properties": {"a": {"$ref": "https://example.com/0.json"}}}"#,
        )
        .remote_refs(Chain)
        .generate()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(
            "https://example.com/6.json: the schema documents hold more than 256 MiB in all"
        ),
        "{err}"
    );
}

/// Recursive types reached through aliases or lists do not send the constraint pass
/// around in circles (it stopped only at a stack overflow).
#[test]
fn recursive_aliases_and_lists_have_bounded_constraints() {
    for schema in [
        r##"{"type": "object", "properties": {"x": {"$ref": "#/$defs/A"}}, "$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}}"##,
        r##"{"type": "object", "properties": {"x": {"$ref": "#/$defs/L"}}, "$defs": {"L": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/L"}}}}"##,
        r##"{"type": "object", "properties": {"t": {"$ref": "#/$defs/Tree"}}, "$defs": {"Tree": {"type": "object", "maxProperties": 3, "additionalProperties": {"$ref": "#/$defs/Tree"}}}}"##,
    ] {
        let code = Generator::new().schema_str("s.json", schema).generate();
        assert!(
            code.is_ok(),
            "{schema}: {:?}",
            code.err().map(|e| e.to_string())
        );
    }
}

/// A keyword's constraints land only where the keyword applies: `items` after
/// `prefixItems` is about the later positions, `additionalProperties` beside patterns or
/// properties about the other keys (so neither is checked on the whole list or map).
#[test]
fn constraints_apply_where_the_keyword_does() {
    let schema = r##"{"title": "T", "type": "object", "required": ["p", "m"], "properties": {
        "p": {"type": "array", "prefixItems": [{"type": "integer"}], "items": {"type": "integer", "minimum": 10}},
        "m": {"type": "object", "patternProperties": {"^n_": {"type": "integer"}}, "additionalProperties": {"type": "integer", "minimum": 0}}
    }}"##;
    let code = Generator::new()
        .schema_str("s.json", schema)
        .generate()
        .unwrap();
    assert!(!code.source().contains("minimum"), "{}", code.source());
}
