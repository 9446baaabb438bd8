//! No schema makes the generator panic: random schema shapes (valid and broken,
//! with dangling and cyclic `$ref`s, odd names, defaults of the wrong type, array
//! schema look-alikes) either generate parseable, deterministic code or an error.

use arraymodel_codegen::Generator;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_owned()),
        Just("type".to_owned()),
        Just("self".to_owned()),
        Just("Self".to_owned()),
        Just("".to_owned()),
        Just("2nd".to_owned()),
        Just("Apply_InputSchema".to_owned()),
        Just("ApplyInputSchema".to_owned()),
        Just("héllo wörld".to_owned()),
        Just("a/b~c".to_owned()),
        Just("Option".to_owned()),
        Just("shape".to_owned()),
        Just("dtype".to_owned()),
        Just("data".to_owned()),
        "[a-zA-Z_ -]{0,8}",
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        name().prop_map(Value::String),
        Just(json!([1.0, 2.0])),
        Just(json!({"k": [1]})),
    ]
}

fn reference() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => Just(json!("#/$defs/A")),
        8 => Just(json!("#/$defs/B")),
        2 => Just(json!("#")),
        2 => Just(json!("")),
        4 => Just(json!("#/definitions/C")),
        4 => Just(json!("#/components/schemas/A")),
        1 => Just(json!("#/$defs/Missing")),
        1 => Just(json!("#/properties/x")),
        1 => Just(json!("#/$defs/A/properties/x")),
        1 => Just(json!("other.json#/x")),
        1 => Just(json!("http://example.com/x")),
        1 => Just(json!("#anchor")),
        1 => Just(json!("#/%zz")),
        1 => Just(json!(5)),
    ]
}

fn type_name() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => Just(json!("object")),
        4 => Just(json!("array")),
        4 => Just(json!("string")),
        4 => Just(json!("integer")),
        4 => Just(json!("number")),
        4 => Just(json!("boolean")),
        2 => Just(json!("null")),
        2 => Just(json!(["string", "null"])),
        2 => Just(json!(["integer", "string", "object"])),
        1 => Just(json!("nonsense")),
        1 => Just(json!(3)),
    ]
}

/// An object built from a random subset of schema keywords.
fn schema() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(json!({})),
        Just(json!(true)),
        Just(json!(false)),
        type_name().prop_map(|t| json!({"type": t})),
        reference().prop_map(|r| json!({"$ref": r})),
        Just(json!(7)),
        prop::collection::vec(scalar(), 0..4).prop_map(|e| json!({"enum": e})),
        scalar().prop_map(|c| json!({"const": c})),
        Just(json!({"type": "string", "format": "binary"})),
        Just(json!({"type": "integer", "format": "int8", "default": 300})),
        Just(
            json!({"title": "EncodedArrayModel__2_any__float64__DIFFERENTIABLE", "properties": {"shape": {}, "dtype": {}, "data": {}}, "default": [[1.0]]})
        ),
        Just(
            json!({"title": "EncodedArrayModel__x__y__z", "properties": {"object_type": {"const": "array"}, "shape": {"prefixItems": [{"const": 1}, {"enum": [1, 99999999999u64]}]}, "dtype": {"const": "float16"}, "data": {}}, "default": 1e300})
        ),
        Just(
            json!({"properties": {"data": {"type": "string"}, "shape": {"type": "array"}, "dtype": {"type": "string"}}})
        ),
        Just(
            json!({"properties": {"data_type": {"default": "int8"}, "data": {}}, "description": "NumPy ndarray with shape tuple[int, int, int] and dtype int8"})
        ),
        Just(
            json!({"type": "array", "dtype": "numpy.bool_", "items": {"type": "array", "minItems": 2, "maxItems": 2}})
        ),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        let props = prop::collection::vec((name(), inner.clone()), 0..5).prop_map(|ps| {
            let mut m = Map::new();
            for (k, v) in ps {
                m.insert(k, v);
            }
            Value::Object(m)
        });
        (
            prop::option::of(type_name()),
            prop::option::of(props),
            prop::option::of(prop::collection::vec(name(), 0..4)),
            prop::option::of(prop_oneof![
                inner.clone(),
                Just(json!(false)),
                Just(json!(true))
            ]),
            prop::option::of(prop_oneof![
                inner.clone(),
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array)
            ]),
            prop::option::of(prop::collection::vec(inner.clone(), 0..4)),
            prop::option::of((0usize..4, prop::collection::vec(inner.clone(), 1..4))),
            prop::option::of(scalar()),
            prop::option::of(prop_oneof![
                name().prop_map(Value::String),
                Just(json!("kind"))
            ]),
            prop::option::of(any::<bool>()),
            prop::option::weighted(0.15, reference()),
        )
            .prop_map(
                |(
                    ty,
                    props,
                    required,
                    additional,
                    items,
                    prefix,
                    comb,
                    default,
                    disc,
                    nullable,
                    r,
                )| {
                    let mut o = Map::new();
                    if let Some(t) = ty {
                        o.insert("type".into(), t);
                    }
                    if let Some(p) = props {
                        o.insert("properties".into(), p);
                    }
                    if let Some(r) = required {
                        o.insert("required".into(), json!(r));
                    }
                    if let Some(a) = additional {
                        o.insert("additionalProperties".into(), a);
                    }
                    if let Some(i) = items {
                        o.insert("items".into(), i);
                    }
                    if let Some(p) = prefix {
                        o.insert("prefixItems".into(), Value::Array(p));
                    }
                    if let Some((k, members)) = comb {
                        let key = ["anyOf", "oneOf", "allOf", "anyOf"][k];
                        let mut members = members;
                        if k == 3 {
                            members.push(json!({"type": "null"}));
                        }
                        o.insert(key.into(), Value::Array(members));
                    }
                    if let Some(d) = default {
                        o.insert("default".into(), d);
                    }
                    if let Some(d) = disc {
                        o.insert(
                            "discriminator".into(),
                            json!({"propertyName": d, "mapping": {"x": "#/$defs/A"}}),
                        );
                    }
                    if let Some(n) = nullable {
                        o.insert("nullable".into(), Value::Bool(n));
                    }
                    if let Some(r) = r {
                        o.insert("$ref".into(), r);
                    }
                    Value::Object(o)
                },
            )
    })
}

fn document() -> impl Strategy<Value = Value> {
    (schema(), schema(), schema(), schema(), any::<bool>()).prop_map(|(root, a, b, c, openapi)| {
        if openapi {
            json!({"openapi": "3.1.0", "components": {"schemas": {"A": a, "B": b, "Apply_InputSchema": root}}, "definitions": {"C": c}})
        } else {
            let mut root = match root {
                Value::Object(o) => o,
                other => {
                    let mut o = Map::new();
                    o.insert("allOf".into(), json!([other]));
                    o
                }
            };
            root.insert("$defs".into(), json!({"A": a, "B": b}));
            root.insert("definitions".into(), json!({"C": c}));
            Value::Object(root)
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn generator_never_panics(doc in document()) {
        let text = serde_json::to_string(&doc).unwrap();
        // prettyplease only (a rustfmt process per case is slow): rustfmt's output is
        // covered by the golden tests.
        let run = || Generator::new().schema_str("fuzz.json", text.clone()).rustfmt(false).generate();
        match run() {
            Ok(g) => {
                syn::parse_file(g.source()).unwrap();
                let again = run().unwrap();
                prop_assert_eq!(g.source(), again.source());
            }
            Err(e) => {
                prop_assert!(e.to_string().starts_with("fuzz.json#"), "{}", e);
            }
        }
    }
}
