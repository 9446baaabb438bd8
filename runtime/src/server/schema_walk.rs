//! The structure of a model, read from its JSON Schema (the one `#[derive(ArrayModel)]`
//! publishes): where its arrays are, which are differentiable, and each nested model's
//! field order. tesseract-runtime walks the pydantic types for the same facts; the
//! schema is what both sides publish, so the server reads it rather than a second
//! description of the model.

use serde_json::{Map, Value};

use arraymodel_spec::title::{ArrayTitle, Dim};

/// One step of a path into a model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// A model field.
    Field(String),
    /// Any position of a list (`[]`).
    Index,
    /// Any key of a map (`{}`).
    Key,
}

/// An array field, wherever it sits.
#[derive(Clone, Debug)]
pub(crate) struct ArrayLeaf {
    pub path: Vec<Step>,
    /// `None`: any rank; `Some(dims)`, `None` inside for any size.
    pub dims: Option<Vec<Option<u64>>>,
    /// The dtype name, `None` for any.
    pub dtype: Option<&'static str>,
    pub differentiable: bool,
}

/// What a walk found.
#[derive(Clone, Debug, Default)]
pub(crate) struct Structure {
    pub arrays: Vec<ArrayLeaf>,
    /// Every model's fields in declaration order, by the model's path.
    pub field_order: Vec<(Vec<Step>, Vec<String>)>,
}

/// The array facts of a schema object, if it is one of tesseract's array objects.
pub(crate) fn array_title(schema: &Value) -> Option<ArrayTitle<'_>> {
    let title = schema.get("title")?.as_str()?;
    schema.get("properties")?.get("data")?;
    ArrayTitle::parse(title)
}

/// Follows a local `$ref` (`#/$defs/X`, `#/definitions/X`, `#/components/schemas/X`).
pub(crate) fn resolve<'a>(defs: &'a Map<String, Value>, r: &str) -> Option<&'a Value> {
    let name = r.rsplit_once('/')?.1;
    defs.get(name)
}

/// Walks a root schema with its `$defs`.
pub(crate) fn walk(root: &Value) -> Structure {
    let empty = Map::new();
    let defs = root
        .get("$defs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut out = Structure::default();
    let mut path = Vec::new();
    visit(root, defs, &mut path, &mut out, 0);
    out
}

/// Deeper than this is a recursive model (tesseract refuses those).
const MAX_DEPTH: usize = 64;

fn visit(
    schema: &Value,
    defs: &Map<String, Value>,
    path: &mut Vec<Step>,
    out: &mut Structure,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        if let Some(target) = resolve(defs, r) {
            visit(target, defs, path, out, depth + 1);
        }
        return;
    }
    if let Some(t) = array_title(schema) {
        out.arrays.push(ArrayLeaf {
            path: path.clone(),
            dims: t.dims().map(|d| {
                d.map(|d| match d {
                    Dim::Any => None,
                    Dim::Fixed(n) => Some(n),
                })
                .collect()
            }),
            dtype: t.dtype.map(|d| d.name),
            differentiable: t.differentiable,
        });
        return;
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(alts) = schema.get(key).and_then(Value::as_array) {
            for alt in alts {
                visit(alt, defs, path, out, depth + 1);
            }
        }
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        out.field_order
            .push((path.clone(), props.keys().cloned().collect()));
        for (name, prop) in props {
            path.push(Step::Field(name.clone()));
            visit(prop, defs, path, out, depth + 1);
            path.pop();
        }
    }
    if let Some(extra) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        path.push(Step::Key);
        visit(extra, defs, path, out, depth + 1);
        path.pop();
    }
    if let Some(items) = schema.get("items").filter(|v| v.is_object()) {
        path.push(Step::Index);
        visit(items, defs, path, out, depth + 1);
        path.pop();
    }
    if let Some(items) = schema.get("prefixItems").and_then(Value::as_array) {
        path.push(Step::Index);
        for item in items {
            visit(item, defs, path, out, depth + 1);
        }
        path.pop();
    }
}

/// tesseract's spelling of a path pattern: `a`, `nested.x`, `weights.{}`, `items.[]`.
pub(crate) fn display(path: &[Step]) -> String {
    let parts: Vec<&str> = path
        .iter()
        .map(|s| match s {
            Step::Field(f) => f.as_str(),
            Step::Index => "[]",
            Step::Key => "{}",
        })
        .collect();
    parts.join(".")
}
