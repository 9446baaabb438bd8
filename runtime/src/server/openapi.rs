//! The `openapi.json` a Rust tesseract publishes: the structure tesseract-runtime 1.15
//! publishes for the same models (FastAPI's document with tesseract's schemas), for the
//! endpoints implemented.
//!
//! tesseract-core's client reads `paths` (which endpoints exist) and the
//! `x-supported-*` extensions; `arraymodel generate --client` reads the schemas.

use serde_json::{Map, Value, json};

use super::Endpoint;
use super::negotiate;
use super::schema_walk::{self, ArrayLeaf, Structure};
use crate::model::ArraySpec;

/// The definitions every array schema shares: components under their own names (a
/// model's other definitions get the endpoint's prefix: `Apply_`, `Jacobian_`, `Jvp_`,
/// `Vjp_`, `AbstractEval_`).
const SHARED_DEFS: [&str; 3] = ["BinrefArrayData", "Base64ArrayData", "JsonArrayData"];

/// The facts the document is built from.
pub(crate) struct Models<'a> {
    pub input: &'a Value,
    pub output: &'a Value,
    pub input_structure: &'a Structure,
    pub output_structure: &'a Structure,
    pub endpoints: &'a [Endpoint],
    pub title: &'a str,
    pub version: &'a str,
    pub description: &'a str,
    pub binref: bool,
}

fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// Rewrites `$ref`s of a model schema to components, renaming model definitions with
/// `prefix` (the root is `<prefix><root_name>`), and adds them to `components`.
fn add_model(
    components: &mut Map<String, Value>,
    schema: &Value,
    prefix: &str,
    root_name: &str,
    abstract_arrays: bool,
) {
    let mut root = schema.clone();
    let defs = root
        .as_object_mut()
        .and_then(|o| {
            o.remove("$schema");
            o.remove("$defs")
        })
        .and_then(|d| match d {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .unwrap_or_default();
    let rename = |name: &str| -> String {
        if SHARED_DEFS.contains(&name) {
            name.to_string()
        } else {
            format!("{prefix}{name}")
        }
    };
    let mut put = |name: String, mut s: Value| {
        rewrite(&mut s, &rename, abstract_arrays);
        untitle_contained_arrays(&mut s);
        if let Some(o) = s.as_object_mut()
            && o.contains_key("properties")
        {
            o.insert("title".into(), Value::from(name.clone()));
        }
        components.insert(name, s);
    };
    // String enums are written in place, as pydantic writes a `Literal`.
    let enums: Map<String, Value> = defs
        .iter()
        .filter_map(|(n, d)| Some((n.clone(), Value::Array(string_enum(d)?))))
        .collect();
    for (name, mut def) in defs {
        if abstract_arrays && SHARED_DEFS.contains(&name.as_str()) || enums.contains_key(&name) {
            continue;
        }
        inline_enums(&mut def, &enums);
        put(rename(&name), def);
    }
    inline_enums(&mut root, &enums);
    put(format!("{prefix}{root_name}"), root);
}

/// The values of a definition that is only a list of strings: `{"type": "string",
/// "enum": [...]}`, or schemars' `oneOf` of string `const`s (variants with docs).
fn string_enum(def: &Value) -> Option<Vec<Value>> {
    if def.get("properties").is_some() {
        return None;
    }
    if def.get("type") == Some(&json!("string")) {
        return def.get("enum")?.as_array().cloned();
    }
    def.get("oneOf")?
        .as_array()?
        .iter()
        .map(|v| {
            (v.get("type") == Some(&json!("string")))
                .then(|| v.get("const").filter(|c| c.is_string()).cloned())
                .flatten()
        })
        .collect()
}

/// Replaces references to string enums by the enums (`{"type": "string", "enum"}`),
/// keeping the referring schema's other keys (its description, default).
fn inline_enums(v: &mut Value, enums: &Map<String, Value>) {
    match v {
        Value::Object(o) => {
            let target = o
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.rsplit_once('/'))
                .and_then(|(_, name)| enums.get(name));
            if let Some(values) = target {
                o.remove("$ref");
                o.insert("type".into(), "string".into());
                o.insert("enum".into(), values.clone());
            }
            o.values_mut().for_each(|c| inline_enums(c, enums));
        }
        Value::Array(a) => a.iter_mut().for_each(|c| inline_enums(c, enums)),
        _ => {}
    }
}

/// pydantic writes no `title` on the array schema of a map's values or a list's items.
fn untitle_contained_arrays(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for key in ["additionalProperties", "items"] {
                if let Some(inner) = o.get_mut(key)
                    && schema_walk::array_title(inner).is_some()
                    && let Some(io) = inner.as_object_mut()
                {
                    io.remove("title");
                }
            }
            o.values_mut().for_each(untitle_contained_arrays);
        }
        Value::Array(a) => a.iter_mut().for_each(untitle_contained_arrays),
        _ => {}
    }
}

fn rewrite(v: &mut Value, rename: &dyn Fn(&str) -> String, abstract_arrays: bool) {
    if abstract_arrays && schema_walk::array_title(v).is_some() {
        *v = shape_dtype_ref(v);
        return;
    }
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref")
                && let Some((_, name)) = r.rsplit_once('/')
            {
                *r = format!("#/components/schemas/{}", rename(name));
            }
            if let Some(Value::Object(m)) = o
                .get_mut("discriminator")
                .and_then(|d| d.get_mut("mapping"))
            {
                for target in m.values_mut() {
                    if let Value::String(r) = target
                        && let Some((_, name)) = r.rsplit_once('/')
                    {
                        *r = format!("#/components/schemas/{}", rename(name));
                    }
                }
            }
            for (k, child) in o.iter_mut() {
                if k != "$ref" && k != "discriminator" {
                    rewrite(child, rename, abstract_arrays);
                }
            }
        }
        Value::Array(a) => a
            .iter_mut()
            .for_each(|c| rewrite(c, rename, abstract_arrays)),
        _ => {}
    }
}

/// An array field of an abstract model: a `ShapeDType` reference keeping the field's
/// description, its default as a shape and dtype.
fn shape_dtype_ref(array: &Value) -> Value {
    let mut out = schema_ref("ShapeDType");
    if let Some(d) = array.get("description") {
        out["description"] = d.clone();
    }
    if let Some(default) = array.get("default") {
        let dtype = array
            .get("title")
            .and_then(Value::as_str)
            .and_then(arraymodel_spec::title::ArrayTitle::parse)
            .and_then(|t| t.dtype)
            .map(|d| d.name);
        if let Some(dtype) = dtype {
            out["default"] = json!({"shape": default_shape(default), "dtype": dtype});
        }
    }
    out
}

fn default_shape(v: &Value) -> Vec<usize> {
    let mut shape = Vec::new();
    let mut cur = v;
    while let Some(a) = cur.as_array() {
        shape.push(a.len());
        match a.first() {
            Some(f) => cur = f,
            None => break,
        }
    }
    shape
}

/// `differentiable_arrays` of an `Apply*Schema`: `{path: {"dtype", "shape"}}`.
fn differentiable_arrays(leaves: &[ArrayLeaf]) -> Value {
    let mut m = Map::new();
    for l in leaves.iter().filter(|l| l.differentiable) {
        m.insert(
            schema_walk::display(&l.path),
            json!({"dtype": l.dtype, "shape": l.dims}),
        );
    }
    Value::Object(m)
}

fn field_order(s: &Structure) -> Value {
    let mut m = Map::new();
    for (path, fields) in &s.field_order {
        m.entry(schema_walk::display(path))
            .or_insert_with(|| json!(fields));
    }
    Value::Object(m)
}

/// The schema of a set of differentiable paths (`jac_inputs`, ...): literal names as
/// `const`s, paths through lists and maps as anchored patterns.
fn path_item_schema(leaves: &[ArrayLeaf]) -> Value {
    let alts: Vec<Value> = leaves
        .iter()
        .filter(|l| l.differentiable)
        .map(|l| {
            let (literal, p) = super::gradient::pattern(&l.path);
            if literal {
                json!({"type": "string", "const": p})
            } else {
                json!({"type": "string", "pattern": p})
            }
        })
        .collect();
    if alts.len() == 1 {
        alts.into_iter().next().expect("one")
    } else {
        json!({"anyOf": alts})
    }
}

/// `propertyNames` for a map keyed by differentiable paths, as pydantic writes it: only
/// for a single literal path.
fn property_names(leaves: &[ArrayLeaf]) -> Option<Value> {
    let diff: Vec<&ArrayLeaf> = leaves.iter().filter(|l| l.differentiable).collect();
    match diff.as_slice() {
        [one] => match super::gradient::pattern(&one.path) {
            (true, p) => Some(json!({"const": p})),
            (false, _) => None,
        },
        _ => None,
    }
}

/// `Array[..., None]` as a gradient schema publishes it (no title).
fn any_array(generator: &mut schemars::SchemaGenerator) -> Value {
    let mut v = ArraySpec::ANY.json_schema(generator).to_value();
    if let Some(o) = v.as_object_mut() {
        o.remove("title");
    }
    v
}

fn title_words(name: &str) -> String {
    name.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

fn operation(name: &str, description: &str, request: &str, response: &str) -> Value {
    let mut op = Map::new();
    op.insert("summary".into(), title_words(name).into());
    op.insert("description".into(), description.into());
    op.insert("operationId".into(), format!("{name}_{name}_post").into());
    if name != "abstract_eval" {
        op.insert(
            "parameters".into(),
            json!([{
                "name": "accept", "in": "header", "required": false,
                "schema": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Accept"},
            }]),
        );
    }
    op.insert(
        "requestBody".into(),
        json!({"required": true, "content": {"application/json": {"schema": schema_ref(request)}}}),
    );
    op.insert(
        "responses".into(),
        json!({
            "200": {"description": "Successful Response", "content": {"application/json": {"schema": schema_ref(response)}}},
            "422": {"description": "Validation Error", "content": {"application/json": {"schema": schema_ref("HTTPValidationError")}}},
        }),
    );
    json!({"post": op})
}

/// The whole document.
pub(crate) fn document(m: &Models<'_>) -> Value {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator();
    let any = any_array(&mut generator);
    let mut components = Map::new();
    for (name, def) in generator.take_definitions(true) {
        components.insert(name, def);
    }
    let inputs = &m.input_structure.arrays;
    let outputs = &m.output_structure.arrays;
    let has = |e: Endpoint| m.endpoints.contains(&e);
    let mut paths = Map::new();

    add_model(&mut components, m.input, "Apply_", "InputSchema", false);
    add_model(&mut components, m.output, "Apply_", "OutputSchema", false);
    components.insert(
        "ApplyInputSchema".into(),
        json!({
            "properties": {"inputs": {"$ref": "#/components/schemas/Apply_InputSchema",
                "description": "The input data to apply the Tesseract to."}},
            "additionalProperties": false, "type": "object", "required": ["inputs"],
            "title": "ApplyInputSchema",
            "differentiable_arrays": differentiable_arrays(inputs),
            "field_order": field_order(m.input_structure),
        }),
    );
    components.insert(
        "ApplyOutputSchema".into(),
        json!({
            "$ref": "#/components/schemas/Apply_OutputSchema", "title": "ApplyOutputSchema",
            "description": "The output data from applying the Tesseract.",
            "differentiable_arrays": differentiable_arrays(outputs),
            "field_order": field_order(m.output_structure),
        }),
    );
    paths.insert(
        "/apply".into(),
        operation(
            "apply",
            "Apply the Tesseract to the input data.",
            "ApplyInputSchema",
            "ApplyOutputSchema",
        ),
    );

    let gradients = [
        (
            Endpoint::Jacobian,
            "jac",
            "Jacobian",
            "Jacobian_",
            "JacobianInputSchema",
            "JacobianOutputSchema",
            "Computes the Jacobian of the Tesseract.\n\nDifferentiates ``jac_outputs`` with respect to ``jac_inputs``, at the point ``inputs``.",
            "The input data to compute the Jacobian at.",
        ),
        (
            Endpoint::JacobianVectorProduct,
            "jvp",
            "JVP",
            "Jvp_",
            "JVPInputSchema",
            "JVPOutputSchema",
            "Compute the Jacobian vector product of the Tesseract at the input data.\n\nEvaluates the Jacobian vector product between the Jacobian given by ``jvp_outputs``\nwith respect to ``jvp_inputs`` at the point ``inputs`` and the given tangent vector.",
            "The input data to compute the JVP at.",
        ),
        (
            Endpoint::VectorJacobianProduct,
            "vjp",
            "VJP",
            "Vjp_",
            "VJPInputSchema",
            "VJPOutputSchema",
            "Compute the Jacobian vector product of the Tesseract at the input data.\n\nComputes the vector Jacobian product between the Jacobian given by ``vjp_outputs``\nwith respect to ``vjp_inputs`` at the point ``inputs`` and the given cotangent vector.",
            "The input data to compute the VJP at.",
        ),
    ];
    for (endpoint, short, long, prefix, req, resp, description, inputs_doc) in gradients {
        if !has(endpoint) {
            continue;
        }
        add_model(&mut components, m.input, prefix, "InputSchema", false);
        let title = |s: &str| title_words(&format!("{short}_{s}"));
        let set = |leaves: &[ArrayLeaf], s: &str, doc: String| {
            json!({"items": path_item_schema(leaves), "type": "array", "minItems": 1,
                "uniqueItems": true, "title": title(s), "description": doc})
        };
        let mut props = Map::new();
        props.insert(
            "inputs".into(),
            json!({"$ref": format!("#/components/schemas/{prefix}InputSchema"), "description": inputs_doc}),
        );
        let what = if endpoint == Endpoint::Jacobian {
            "the Jacobian".to_string()
        } else {
            format!("the {long}")
        };
        props.insert(
            format!("{short}_inputs"),
            set(
                inputs,
                "inputs",
                format!("The set of differentiable inputs to compute {what} with respect to."),
            ),
        );
        props.insert(
            format!("{short}_outputs"),
            set(
                outputs,
                "outputs",
                format!("The set of differentiable outputs to compute {what} of."),
            ),
        );
        let mut required = vec![
            "inputs".to_string(),
            format!("{short}_inputs"),
            format!("{short}_outputs"),
        ];
        let map_of = |leaves: &[ArrayLeaf], title: &str, doc: &str| {
            let mut s = json!({"additionalProperties": any.clone(), "type": "object", "title": title, "description": doc});
            if let Some(p) = property_names(leaves) {
                s["propertyNames"] = p;
            }
            s
        };
        match endpoint {
            Endpoint::JacobianVectorProduct => {
                props.insert("tangent_vector".into(), map_of(inputs, "Tangent Vector",
                    "Tangent vector to multiply the Jacobian with. Expected to be a mapping with structure ``{jvp_inputs: array}``. The shape of each array is the same as the shape of the corresponding input array."));
                required.push("tangent_vector".into());
            }
            Endpoint::VectorJacobianProduct => {
                props.insert("cotangent_vector".into(), map_of(outputs, "Cotangent Vector",
                    "Cotangent vector to multiply the Jacobian with. Expected to be a mapping with structure ``{vjp_outputs: array}``. The shape of each array is the same as the shape of the corresponding output array."));
                required.push("cotangent_vector".into());
            }
            _ => {}
        }
        components.insert(
            req.into(),
            json!({"properties": props, "additionalProperties": false, "type": "object",
                "required": required, "title": req}),
        );
        let mut out = match endpoint {
            Endpoint::Jacobian => json!({
                "additionalProperties": {"additionalProperties": any.clone(), "type": "object"},
                "type": "object",
                "description": "Container for the results of Jacobian computations. The result represents a nested structure of the Jacobian matrix as a mapping with structure ``{jac_outputs: {jac_inputs: array}}``. The shape of each array is the concatenation of the shapes of the output and input arrays, i.e. ``(*output_array.shape, *input_array.shape)``."}),
            Endpoint::JacobianVectorProduct => json!({
                "additionalProperties": any.clone(), "type": "object",
                "description": "Container for the results of Jacobian-vector products. The result is a mapping with structure ``{jvp_outputs: array}``. The shape of each array is the same as the shape of the corresponding output array."}),
            _ => json!({
                "additionalProperties": any.clone(), "type": "object",
                "description": "Container for the results of vector-Jacobian products. The result is a mapping with structure ``{vjp_inputs: array}``. The shape of each array is the same as the shape of the corresponding input array."}),
        };
        out["title"] = resp.into();
        let keyed_by = if endpoint == Endpoint::VectorJacobianProduct {
            inputs
        } else {
            outputs
        };
        if let Some(p) = property_names(keyed_by) {
            out["propertyNames"] = p;
        }
        components.insert(resp.into(), out);
        paths.insert(
            format!("/{}", endpoint.name()),
            operation(endpoint.name(), description, req, resp),
        );
    }

    paths.insert(
        "/health".into(),
        json!({"get": {"summary": "Health", "description": "Get health status of the Tesseract instance.",
            "operationId": "health_health_get",
            "responses": {"200": {"description": "Successful Response", "content": {"application/json": {
                "schema": {"additionalProperties": true, "type": "object", "title": "Response Health Health Get"}}}}}}}),
    );

    if has(Endpoint::AbstractEval) {
        add_model(
            &mut components,
            m.input,
            "AbstractEval_",
            "InputSchema",
            true,
        );
        add_model(
            &mut components,
            m.output,
            "AbstractEval_",
            "OutputSchema",
            true,
        );
        components.insert("AbstractInputSchema".into(), json!({
            "properties": {"inputs": {"$ref": "#/components/schemas/AbstractEval_InputSchema",
                "description": "The abstract input data to evaluate the Tesseract on. Has the same structure as InputSchema, but with array fields replaced by ShapeDType."}},
            "additionalProperties": false, "type": "object", "required": ["inputs"], "title": "AbstractInputSchema"}));
        components.insert("AbstractOutputSchema".into(), json!({
            "$ref": "#/components/schemas/AbstractEval_OutputSchema", "title": "AbstractOutputSchema",
            "description": "Abstract outputs with the same structure as OutputSchema, but with array fields replaced by ShapeDType."}));
        let names: Vec<&str> = crate::cast::TESSERACT_ORDER
            .iter()
            .map(|d| d.name())
            .collect();
        components.insert("ShapeDType".into(), json!({
            "properties": {"shape": {"items": {"type": "integer"}, "type": "array", "title": "Shape"},
                "dtype": {"type": "string", "enum": names, "title": "Dtype"}},
            "type": "object", "required": ["shape", "dtype"], "title": "ShapeDType",
            "description": "Data structure describing an array's shape and data type."}));
        paths.insert(
            "/abstract_eval".into(),
            operation(
                "abstract_eval",
                "Perform abstract evaluation of the Tesseract on the input data.",
                "AbstractInputSchema",
                "AbstractOutputSchema",
            ),
        );
    }

    components.insert("HTTPValidationError".into(), json!({
        "properties": {"detail": {"items": {"$ref": "#/components/schemas/ValidationError"}, "type": "array", "title": "Detail"}},
        "type": "object", "title": "HTTPValidationError"}));
    components.insert("ValidationError".into(), json!({
        "properties": {"loc": {"items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "type": "array", "title": "Location"},
            "msg": {"type": "string", "title": "Message"}, "type": {"type": "string", "title": "Error Type"},
            "input": {"title": "Input"}, "ctx": {"type": "object", "title": "Context"}},
        "type": "object", "required": ["loc", "msg", "type"], "title": "ValidationError"}));

    let mut sorted: Vec<(String, Value)> = components.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let mut info = json!({"title": m.title, "version": m.version});
    if !m.description.is_empty() {
        info["description"] = m.description.into();
    }
    json!({
        "openapi": "3.1.0",
        "info": info,
        "paths": paths,
        "components": {"schemas": Map::from_iter(sorted)},
        "x-supported-output-formats": negotiate::formats(m.binref),
        "x-supported-gpu-transports": negotiate::GPU_TRANSPORTS,
        "x-supported-compressions": negotiate::COMPRESSIONS,
    })
}
