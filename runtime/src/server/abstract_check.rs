//! `abstract_eval`'s inputs checked against the input model: the model's structure with
//! a `{"shape", "dtype"}` object where each array is. Required fields must be there,
//! unknown ones not; a shape must have the array's rank and fixed dimensions, and its
//! dtype is resolved to the field's as tesseract does (a castable dtype is replaced by
//! the field's, another is refused). Values that are not arrays or models are passed
//! through unchecked.

use serde_json::{Map, Value, json};

use super::schema_walk::{array_title, resolve};
use crate::cast::Casting;
use crate::dtype::DType;
use arraymodel_spec::title::Dim;

/// Checks (and resolves the dtypes of) `value` against the root `schema`; the error is
/// one 422 detail entry.
pub(crate) fn check(schema: &Value, value: &mut Value) -> Result<(), Value> {
    let empty = Map::new();
    let defs = schema
        .get("$defs")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut loc = vec![Value::from("body"), Value::from("inputs")];
    visit(schema, defs, value, &mut loc, 0)
}

fn error(kind: &str, loc: &[Value], msg: String, input: Option<&Value>) -> Value {
    let input = input.filter(|i| i.to_string().len() <= super::MAX_QUOTED_INPUT);
    super::detail::make(kind, loc.to_vec(), msg, input.cloned(), None)
}

fn visit(
    schema: &Value,
    defs: &Map<String, Value>,
    value: &mut Value,
    loc: &mut Vec<Value>,
    depth: usize,
) -> Result<(), Value> {
    if depth > 64 {
        return Ok(());
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return match resolve(defs, r) {
            Some(t) => visit(t, defs, value, loc, depth + 1),
            None => Ok(()),
        };
    }
    if let Some(t) = array_title(schema) {
        return shape_dtype(&t, value, loc);
    }
    if schema.get("type") == Some(&json!("null")) {
        return if value.is_null() {
            Ok(())
        } else {
            Err(error(
                "none_required",
                loc,
                "Input should be None".into(),
                Some(value),
            ))
        };
    }
    if let Some(alts) = schema.get("anyOf").and_then(Value::as_array) {
        if value.is_null() && alts.iter().any(|a| a.get("type") == Some(&json!("null"))) {
            return Ok(());
        }
        let mut first = None;
        for alt in alts {
            let mut attempt = value.clone();
            match visit(alt, defs, &mut attempt, loc, depth + 1) {
                Ok(()) => {
                    *value = attempt;
                    return Ok(());
                }
                Err(e) => {
                    first.get_or_insert(e);
                }
            }
        }
        return first.map_or(Ok(()), Err);
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        let Some(obj) = value.as_object_mut() else {
            return Err(error(
                "model_type",
                loc,
                "Input should be a valid dictionary or instance of the model".into(),
                Some(value),
            ));
        };
        if let Some(required) = schema.get("required").and_then(Value::as_array) {
            for r in required.iter().filter_map(Value::as_str) {
                if !obj.contains_key(r) {
                    loc.push(r.into());
                    let e = error("missing", loc, "Field required".into(), None);
                    loc.pop();
                    return Err(e);
                }
            }
        }
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        for (k, v) in obj.iter_mut() {
            loc.push(Value::from(k.as_str()));
            let r = match props.get(k) {
                Some(p) => visit(p, defs, v, loc, depth + 1),
                None if closed => Err(error(
                    "extra_forbidden",
                    loc,
                    "Extra inputs are not permitted".into(),
                    Some(v),
                )),
                None => Ok(()),
            };
            loc.pop();
            r?;
        }
        return Ok(());
    }
    if let Some(extra) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        if let Some(obj) = value.as_object_mut() {
            for (k, v) in obj.iter_mut() {
                loc.push(Value::from(k.as_str()));
                let r = visit(extra, defs, v, loc, depth + 1);
                loc.pop();
                r?;
            }
        }
        return Ok(());
    }
    if let Some(items) = schema.get("items").filter(|v| v.is_object())
        && let Some(list) = value.as_array_mut()
    {
        for (i, v) in list.iter_mut().enumerate() {
            loc.push(Value::from(i));
            let r = visit(items, defs, v, loc, depth + 1);
            loc.pop();
            r?;
        }
    }
    Ok(())
}

fn shape_dtype(
    t: &arraymodel_spec::title::ArrayTitle<'_>,
    value: &mut Value,
    loc: &mut Vec<Value>,
) -> Result<(), Value> {
    let invalid =
        |loc: &[Value], msg: String, v: &Value| Err(error("value_error", loc, msg, Some(v)));
    let Some(obj) = value.as_object() else {
        return Err(error(
            "model_type",
            loc,
            "Input should be a valid dictionary or instance of ShapeDType".into(),
            Some(value),
        ));
    };
    let shape: Option<Vec<u64>> = obj
        .get("shape")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(Value::as_u64).collect());
    let Some(shape) = shape else {
        loc.push("shape".into());
        let e = error(
            "missing",
            loc,
            "Field required: a list of non-negative integers".into(),
            obj.get("shape"),
        );
        loc.pop();
        return Err(e);
    };
    let Some(dtype) = obj
        .get("dtype")
        .and_then(Value::as_str)
        .and_then(DType::from_name)
    else {
        loc.push("dtype".into());
        let e = error(
            "literal_error",
            loc,
            "Input should be a dtype name".into(),
            obj.get("dtype"),
        );
        loc.pop();
        return Err(e);
    };
    if let Some(dims) = t.dims() {
        let dims: Vec<Dim> = dims.collect();
        let fits = dims.len() == shape.len()
            && dims.iter().zip(&shape).all(|(d, s)| match d {
                Dim::Any => true,
                Dim::Fixed(n) => n == s,
            });
        if !fits {
            let expected: Vec<String> = dims
                .iter()
                .map(|d| match d {
                    Dim::Any => "None".into(),
                    Dim::Fixed(n) => n.to_string(),
                })
                .collect();
            return invalid(
                loc,
                format!(
                    "Value error, Expected shape: ({}). Found: {shape:?}.",
                    expected.join(", ")
                ),
                value,
            );
        }
    }
    if let Some(want) = t.dtype.and_then(|d| DType::from_name(d.name))
        && want != dtype
    {
        if !Casting::Tesseract.allows(dtype, want) {
            return invalid(
                loc,
                format!(
                    "Value error, cannot cast dtype {} to {}",
                    dtype.name(),
                    want.name()
                ),
                value,
            );
        }
        value["dtype"] = Value::from(want.name());
    }
    Ok(())
}
