//! A schema document's text to a JSON value: JSON or YAML, decided by the content,
//! with YAML aliases bounded and payloads given by mistake recognised.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// What a YAML document may expand to through its aliases, in units of one per node
/// plus one per byte of string: `YAML_BUDGET_PER_BYTE` × the document's size plus
/// `YAML_BUDGET_BASE`. Without aliases a document never comes near it (every node and
/// every string byte has at least one byte of text); a "billion laughs" document of a
/// few hundred bytes that expands to gigabytes stops after at most that much work.
pub(crate) const YAML_BUDGET_PER_BYTE: usize = 4;
/// See [`YAML_BUDGET_PER_BYTE`].
pub(crate) const YAML_BUDGET_BASE: usize = 1 << 16;

/// Reads `bytes` as JSON when the first character that is not blank is `{` or `[`, as
/// YAML otherwise (so a YAML document cannot start with a flow collection, and a JSON
/// file with a trailing comma is broken JSON, as every JSON reader says). Returns the
/// value or a message for the whole document. A `root` document (one the caller named,
/// not one reached through a `$ref`, which may be any JSON holding schemas) must look
/// like a schema.
pub(crate) fn parse(bytes: &[u8], root: bool) -> Result<Value, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    let value = if matches!(first, Some(b'{' | b'[')) {
        serde_json::from_slice::<Value>(bytes).map_err(|e| format!("not valid JSON: {e}"))?
    } else if first.is_none() {
        return Err("empty document (expected JSON or YAML)".into());
    } else {
        yaml(bytes).map_err(|e| format!("not valid YAML: {e}"))?
    };
    if root {
        refuse_payload(&value)?;
    }
    Ok(value)
}

fn yaml(bytes: &[u8]) -> Result<Value, serde_norway::Error> {
    let budget = Budget {
        left: Cell::new(
            bytes
                .len()
                .saturating_mul(YAML_BUDGET_PER_BYTE)
                .saturating_add(YAML_BUDGET_BASE),
        ),
    };
    let de = serde_norway::Deserializer::from_slice(bytes);
    Node(&budget).deserialize(de)
}

struct Budget {
    left: Cell<usize>,
}

impl Budget {
    fn take<E: de::Error>(&self, units: usize) -> Result<(), E> {
        match self.left.get().checked_sub(units.saturating_add(1)) {
            Some(left) => {
                self.left.set(left);
                Ok(())
            }
            None => Err(E::custom(format_args!(
                "the document's aliases expand it beyond {YAML_BUDGET_PER_BYTE} x its size \
                 (+ {YAML_BUDGET_BASE} nodes and bytes of text)"
            ))),
        }
    }
}

/// One YAML node as a JSON value, charged to the budget.
struct Node<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = Value;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-compatible YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.0.take(0)?;
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.0.take(0)?;
        Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom(format_args!("{v} is not a JSON number")))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.0.take(v.len())?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.0.take(0)?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Node(self.0))? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.0.take(0)?;
        let mut out = Map::new();
        while let Some(k) = map.next_key_seed(Key(self.0))? {
            if k == "<<" {
                return Err(de::Error::custom(
                    "YAML merge keys (`<<`) are not supported; write the keys out",
                ));
            }
            let v = map.next_value_seed(Node(self.0))?;
            out.insert(k, v);
        }
        Ok(Value::Object(out))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<Value, A::Error> {
        Err(de::Error::custom(
            "YAML tags (`!name`) have no JSON meaning; remove the tag",
        ))
    }
}

/// A map key as JSON's string: YAML's scalar keys (`200:` in an OpenAPI `responses`
/// map is an integer) in their canonical text; a list or map as a key is refused.
struct Key<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = String;
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number, boolean or null as a map key")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        self.0.take(v.len())?;
        Ok(v.to_owned())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        self.visit_str(if v { "true" } else { "false" })
    }
    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        self.visit_str("null")
    }
}

/// Every keyword of JSON Schema 2020-12 and draft-07 (with OpenAPI's schema extensions)
/// and every top-level field of OpenAPI 3.x and Swagger 2.0.
const SCHEMA_KEYS: &[&str] = &[
    "$schema",
    "$id",
    "$ref",
    "$defs",
    "$anchor",
    "$dynamicRef",
    "$dynamicAnchor",
    "$vocabulary",
    "$comment",
    "id",
    "definitions",
    "type",
    "enum",
    "const",
    "properties",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
    "unevaluatedProperties",
    "required",
    "items",
    "prefixItems",
    "additionalItems",
    "contains",
    "unevaluatedItems",
    "allOf",
    "anyOf",
    "oneOf",
    "not",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "dependencies",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minContains",
    "maxContains",
    "minProperties",
    "maxProperties",
    "title",
    "description",
    "default",
    "examples",
    "example",
    "readOnly",
    "writeOnly",
    "deprecated",
    "nullable",
    "discriminator",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
    "openapi",
    "swagger",
    "info",
    "paths",
    "components",
    "webhooks",
    "servers",
];

/// A document that is no schema: a tesseract or truss payload given where a schema
/// belongs, or an object with no schema keyword at all. An actionable error instead
/// of a module holding one `serde_json::Value` alias.
fn refuse_payload(value: &Value) -> Result<(), String> {
    let Some(top) = value.as_object() else {
        return Ok(());
    };
    if top.is_empty() || top.keys().any(|k| SCHEMA_KEYS.contains(&k.as_str())) {
        return Ok(());
    }
    let mut stack: Vec<(&Value, usize)> = vec![(value, 0)];
    while let Some((v, depth)) = stack.pop() {
        let Some(obj) = v.as_object() else {
            if let Some(items) = v.as_array().filter(|_| depth < 8) {
                stack.extend(items.iter().take(64).map(|i| (i, depth + 1)));
            }
            continue;
        };
        if obj.get("object_type").and_then(Value::as_str) == Some("array")
            && obj.contains_key("shape")
            && obj.contains_key("dtype")
        {
            return Err(
                "this looks like a tesseract payload (an `object_type: array` object), not a \
                 schema: give the API's openapi.json (GET /openapi.json of `tesseract-runtime \
                 serve`), or read payloads with `arraymodel inspect` / `convert`"
                    .into(),
            );
        }
        if obj.contains_key("data_b64") && obj.contains_key("shape") && obj.contains_key("dtype") {
            return Err(
                "this looks like a truss payload (a `data_b64` array), not a schema: give the \
                 model's JSON Schema, or read payloads with `arraymodel inspect` / `convert`"
                    .into(),
            );
        }
        if depth < 8 {
            stack.extend(obj.values().take(256).map(|c| (c, depth + 1)));
        }
    }
    let keys: Vec<&str> = top.keys().take(5).map(String::as_str).collect();
    Err(format!(
        "not a JSON Schema or OpenAPI document: no schema keyword or OpenAPI field at the top \
         level (keys: {}{})",
        keys.join(", "),
        if top.len() > 5 { ", ..." } else { "" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_yaml_by_content() {
        let j = parse(br#" {"type": "integer"}"#, true).unwrap();
        let y = parse(b"type: integer\n", true).unwrap();
        assert_eq!(j, y);
        // What starts like JSON is JSON: a YAML flow mapping or a trailing comma is not.
        let e = parse(br#"{"type": "integer",}"#, true).unwrap_err();
        assert!(e.starts_with("not valid JSON:"), "{e}");
        let e = parse(b"{type: integer}", true).unwrap_err();
        assert!(e.starts_with("not valid JSON:"), "{e}");
        let e = parse(b"a: [1,\n", true).unwrap_err();
        assert!(e.starts_with("not valid YAML:"), "{e}");
        assert!(parse(b"  \n", true).unwrap_err().contains("empty"));
    }

    #[test]
    fn yaml_keys_become_strings() {
        let v = parse(
            b"openapi: 3.1.0\nresponses:\n  200: {description: ok}\n  true: 1\n  ~: 2\n",
            true,
        )
        .unwrap();
        let r = v["responses"].as_object().unwrap();
        assert_eq!(
            r.keys().collect::<Vec<_>>(),
            ["200", "true", "null"].iter().collect::<Vec<_>>()
        );
        assert!(parse(b"? [1, 2]\n: x\n", true).is_err());
        assert!(
            parse(b"default: !custom 1\n", true)
                .unwrap_err()
                .contains("tags")
        );
        assert!(
            parse(b"default: .nan\n", true)
                .unwrap_err()
                .contains("not a JSON number")
        );
    }

    #[test]
    fn billion_laughs_stops_within_the_budget() {
        let mut doc = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
        {
            doc.push_str(&format!("{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
        }
        let t = std::time::Instant::now();
        // serde_norway's own limit (alias jumps <= 100 x events) or ours, whichever first.
        let e = parse(doc.as_bytes(), true).unwrap_err();
        assert!(
            e.contains("repetition limit") || e.contains("expand"),
            "{e}"
        );
        assert!(t.elapsed() < std::time::Duration::from_secs(10));
        // One long string aliased many times is charged by its length.
        let long = "x".repeat(100_000);
        let mut doc = format!("s: &s {long}\nl: [");
        doc.push_str(&"*s, ".repeat(100));
        doc.push_str("]\n");
        assert!(parse(doc.as_bytes(), true).unwrap_err().contains("expand"));
        // A few reuses of an anchor are fine.
        let ok = "$defs:\n  base: &b {type: string, maxLength: 3}\n  x: *b\n  y: *b\n";
        assert_eq!(
            parse(ok.as_bytes(), true).unwrap()["$defs"]["y"]["maxLength"],
            3
        );
    }

    #[test]
    fn payloads_are_not_schemas() {
        let tess = br#"{"inputs": {"a": {"object_type": "array", "shape": [3], "dtype": "float64",
            "data": {"buffer": [1, 2, 3], "encoding": "json"}}}}"#;
        assert!(parse(tess, true).unwrap_err().contains("tesseract payload"));
        let truss = br#"{"x": {"data_b64": "AAAA", "shape": [1], "dtype": "float32"}}"#;
        assert!(parse(truss, true).unwrap_err().contains("truss payload"));
        // A schema whose example is a payload is a schema.
        let schema = br#"{"type": "object",
            "examples": [{"object_type": "array", "shape": [1], "dtype": "int8"}]}"#;
        assert!(parse(schema, true).is_ok());
        assert!(parse(b"{}", true).is_ok());
        assert!(parse(b"true", true).is_ok());
        let e = parse(br#"{"name": "x", "size": 3}"#, true).unwrap_err();
        assert!(
            e.contains("not a JSON Schema or OpenAPI document") && e.contains("name, size"),
            "{e}"
        );
    }
}
