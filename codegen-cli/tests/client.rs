//! `arraymodel generate --client [--async]` / `Generator::client`: what is generated
//! from `paths`, what is skipped (and listed), and that no `paths` make it panic.

use std::process::Command;

use arraymodel_codegen::Generator;
use proptest::prelude::*;
use serde_json::{Value, json};

const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../schemas/tesseract_vectoradd.openapi.json"
);

fn generate(doc: &Value) -> String {
    Generator::new()
        .schema_str("api.json", doc.to_string())
        .client(true)
        .async_client(true)
        .generate()
        .unwrap_or_else(|e| panic!("{e}"))
        .source()
        .to_owned()
}

#[test]
fn cli_flags_match_the_library() {
    let out = Command::new(env!("CARGO_BIN_EXE_arraymodel"))
        .args(["generate", SCHEMA, "--client", "--async"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let lib = Generator::new()
        .schema(SCHEMA)
        .client(true)
        .async_client(true)
        .generate()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, lib.source());
    assert!(text.contains("pub struct Client {") && text.contains("pub struct AsyncClient {"));
    assert!(lib.type_names().iter().any(|t| t == "AsyncClient"));

    // Only the async client: no blocking one (and no need for the `client` feature).
    let only_async = Generator::new()
        .schema(SCHEMA)
        .async_client(true)
        .generate()
        .unwrap();
    assert!(only_async.source().contains("pub struct AsyncClient {"));
    assert!(!only_async.source().contains("client::blocking::"));

    // --check names the flags to regenerate with.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("client.rs");
    std::fs::write(&file, "stale").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_arraymodel"))
        .args(["generate", SCHEMA, "--client", "--check", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--client -o"), "{err}");
}

#[test]
fn every_operation_of_any_document_gets_a_method() {
    let doc = json!({
        "openapi": "3.0.3",
        "paths": {
            "/pets": {
                "get": {"operationId": "listPets", "responses": {"200": {"description": "ok"}}},
                "post": {"operationId": "createPet", "responses": {"201": {"description": "ok"}}}
            },
            "/pets/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "delete": {"responses": {}},
                "get": {"operationId": "show_pet_pets__id__get", "responses": {"200": {"description": "ok",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}}}}
            },
            "/owners/{id}": {"get": {"operationId": "show_pet_owners__id__get",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}}}}
        },
        "components": {"schemas": {"Pet": {"type": "object", "properties": {"name": {"type": "string"}}}}}
    });
    let code = generate(&doc);
    syn::parse_file(&code).unwrap();
    assert!(code.contains("pub struct Client {"), "{code}");
    assert!(code.contains("pub struct Pet {"));
    assert!(!code.contains("SKIPPED_OPERATIONS"), "{code}");
    for method in [
        "pub fn list_pets(",
        "pub fn create_pet(",
        "pub fn delete_pets_id(",
        "pub async fn list_pets(",
    ] {
        assert!(code.contains(method), "{method}\n{code}");
    }
    // FastAPI's long ids are shortened to the function's name, unless two operations
    // would then share it (here both are `show_pet`): then both keep their long ids.
    assert!(
        code.contains("pub fn show_pet_pets_id_get(\n        &self,\n        id: i64,"),
        "{code}"
    );
    assert!(
        code.contains("pub fn show_pet_owners_id_get(\n        &self,\n        id: &str,"),
        "{code}"
    );
    // Hostile keys: no status (`+404`, `€`), a range given twice, a path that would leave
    // the base URL: skipped and listed, and the code still parses (the golden-style
    // compile checks are in tests/).
    let odd = json!({"openapi": "3.1.0", "paths": {
        "/a": {"get": {"operationId": "a", "responses": {
            "200": {"description": "ok"}, "+404": {"description": "x"}, "€": {"description": "x"},
            "4XX": {"description": "x"}, "4xx": {"description": "y"}, "0404": {"description": "z"}}}},
        "@evil.example/x": {"get": {"operationId": "evil", "responses": {}}},
        "/q?x=1": {"get": {"operationId": "q", "responses": {}}}
    }});
    let code = generate(&odd);
    syn::parse_file(&code).unwrap();
    assert_eq!(code.matches("Status4xx(").count(), 0, "{code}");
    assert_eq!(code.matches("    Status4xx,").count(), 1, "{code}");
    assert!(!code.contains("Status404"), "{code}");
    assert!(
        code.contains("\"GET @evil.example/x (evil): the path must start with `/`"),
        "{code}"
    );
    assert!(
        !code.contains("pub fn evil(") && !code.contains("pub fn q("),
        "{code}"
    );

    let once = json!({"openapi": "3.1.0", "paths": {"/items/{item_id}": {"get": {
        "operationId": "read_item_items__item_id__get",
        "parameters": [{"name": "item_id", "in": "path", "required": true, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "ok"}}}}}});
    assert!(generate(&once).contains("pub fn read_item("));

    // Without `client`, nothing about operations.
    let plain = Generator::new()
        .schema_str("api.json", doc.to_string())
        .generate()
        .unwrap();
    assert!(!plain.source().contains("SKIPPED_OPERATIONS"));
    // JSON Schema documents get nothing either.
    let js = generate(
        &json!({"title": "X", "type": "object", "properties": {"a": {"type": "integer"}}}),
    );
    assert!(!js.contains("SKIPPED_OPERATIONS") && !js.contains("Client"));
}

#[test]
fn tesseract_operations_that_cannot_be_typed_are_skipped() {
    let body = |schema: Value| json!({"content": {"application/json": {"schema": schema}}});
    let ok = |schema: Value| json!({"200": body(schema)});
    let doc = json!({
        "openapi": "3.1.0",
        "paths": {
            "/apply": {"post": {
                "requestBody": body(json!({"$ref": "#/components/schemas/ApplyInputSchema"})),
                "responses": ok(json!({"type": "object", "properties": {"y": {"type": "number"}}, "required": ["y"]}))
            }},
            "/health": {"get": {"responses": ok(json!({"type": "object"}))}},
            "/input_schema": {"get": {"operationId": "schema_get", "responses": ok(json!({}))}},
            "/a/b": {"post": {"responses": ok(json!({}))}},
            "/no_body": {"post": {"responses": ok(json!({}))}},
            "/no_inputs": {"post": {
                "requestBody": body(json!({"type": "object", "properties": {"x": {"type": "string"}}})),
                "responses": ok(json!({}))
            }},
            "/no_response": {"post": {
                "requestBody": body(json!({"$ref": "#/components/schemas/ApplyInputSchema"})),
                "responses": {"422": {"description": "bad"}}
            }},
            "/Client": {"post": {
                "requestBody": body(json!({"type": "object", "required": ["inputs", "type"], "properties": {
                    "inputs": {"type": "object", "properties": {"v": {"type": "integer"}}},
                    "type": {"type": "string"},
                    "opts": {"type": "array", "items": {"type": "string"}},
                    "maybe": {"type": "integer"}
                }})),
                "responses": ok(json!({"type": "integer"}))
            }},
            "/weird": 3
        },
        "components": {"schemas": {
            "ApplyInputSchema": {"type": "object", "required": ["inputs"],
                "properties": {"inputs": {"$ref": "#/components/schemas/Client"}}},
            "Client": {"type": "object", "properties": {"a": {"type": "number"}}}
        }}
    });
    let code = generate(&doc);
    syn::parse_file(&code).unwrap();
    // A schema type called `Client` keeps its name; the client takes the next one.
    assert!(code.contains("pub struct Client {"));
    assert!(code.contains("pub struct Client2 {"));
    assert!(code.contains("pub struct AsyncClient {"));
    assert!(code.contains("pub type ApplyInputs = Client;"), "{code}");
    assert!(
        code.contains("pub type ApplyOutputs = ApplyResponse;"),
        "{code}"
    );
    // Parameters: keywords escaped, `opts` taken by a property, lists as slices (an
    // optional list as `Option<&[T]>`: left out of the body when `None`).
    assert!(code.contains("r#type: &str,"), "{code}");
    assert!(code.contains("opts: Option<&[String]>,"), "{code}");
    assert!(code.contains("maybe: Option<&i64>,"), "{code}");
    assert!(
        code.contains("opts_2: &::arraymodel::client::CallOptions,"),
        "{code}"
    );
    assert!(code.contains(r#"#[serde(skip_serializing_if = "Option::is_none")]"#));
    // The operations that are no tesseract endpoints are methods of the same client,
    // typed by the generic reading of operations.
    assert!(!code.contains("SKIPPED_OPERATIONS"), "{code}");
    for method in [
        "pub fn schema_get(",
        "pub fn post_a_b(",
        "pub fn post_no_body(",
        "pub fn post_no_inputs(",
        "pub fn post_no_response(",
    ] {
        assert!(code.contains(method), "{method}\n{code}");
    }
}

#[test]
fn bad_paths_are_errors_not_panics() {
    let err = Generator::new()
        .schema_str("api.json", r#"{"openapi": "3.1.0", "paths": []}"#)
        .client(true)
        .generate()
        .unwrap_err();
    assert_eq!(err.to_string(), "api.json#/paths: paths must be an object");
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (0i64..3).prop_map(|i| json!(i)),
        prop_oneof![
            Just("inputs"),
            Just("application/json"),
            Just("#/components/schemas/A"),
            Just("#/paths"),
            Just("object"),
            Just("string"),
        ]
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("$ref"),
                        Just("content"),
                        Just("application/json"),
                        Just("schema"),
                        Just("type"),
                        Just("properties"),
                        Just("inputs"),
                        Just("required"),
                        Just("items"),
                        Just("200"),
                    ],
                    inner
                ),
                0..4
            )
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}

fn operation() -> impl Strategy<Value = Value> {
    (any_json(), any_json(), any::<bool>()).prop_map(|(request, response, wrap)| {
        let request = if wrap {
            json!({"content": {"application/json": {"schema": request}}})
        } else {
            request
        };
        json!({"requestBody": request, "responses": {"200": {"content": {"application/json": {"schema": response}}}}})
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn client_generation_never_panics(
        ops in prop::collection::vec(
            (prop_oneof![Just("/apply"), Just("/jacobian"), Just("/health"), Just("/x/y"), Just("/abstract_eval")],
             prop_oneof![Just("post"), Just("get")],
             operation()),
            0..5),
        apply in any::<bool>(),
    ) {
        let mut paths = serde_json::Map::new();
        for (path, method, op) in ops {
            paths.entry(path).or_insert_with(|| json!({}))[method] = op;
        }
        if apply {
            paths.insert("/apply".into(), json!({"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/In"}}}},
                "responses": {"200": {"content": {"application/json": {"schema": {"type": "object"}}}}}
            }}));
        }
        let doc = json!({
            "openapi": "3.1.0",
            "paths": paths,
            "components": {"schemas": {
                "A": {"type": "object", "properties": {"inputs": {"type": "string"}}},
                "In": {"type": "object", "required": ["inputs"], "properties": {"inputs": {"$ref": "#/components/schemas/A"}}}
            }}
        });
        let text = doc.to_string();
        // prettyplease only (a rustfmt process per case is slow): rustfmt's output is
        // covered by the golden and `generate --check` tests.
        let run = || Generator::new().schema_str("fuzz.json", text.clone()).client(true).async_client(true).rustfmt(false).generate();
        match run() {
            Ok(g) => {
                syn::parse_file(g.source()).unwrap();
                let again = run().unwrap();
                prop_assert_eq!(g.source(), again.source());
            }
            Err(e) => prop_assert!(e.to_string().starts_with("fuzz.json#"), "{}", e),
        }
    }
}
