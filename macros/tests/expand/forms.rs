// `#[array(form = ...)]`: `serialize_with` to the runtime's form functions in the serde
// mirror; with other keys the field keeps its constraints (and a truss form publishes
// truss's schema), alone on a nested model or a flattened field it sets only the form.
#[serde(rename_all = "camelCase")]
struct Mixed {
    #[array(form = "truss")]
    as_truss: Array,
    #[array(form = "list", shape = [None, 2], dtype = "float32")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    as_list: Option<Array>,
    #[array(form = "tesseract")]
    #[serde(rename = "T")]
    as_tesseract: Vec<Array>,
    #[array(form = "list")]
    nested: Inner,
    #[array(form = "truss")]
    #[serde(flatten)]
    extra: std::collections::BTreeMap<String, Array>,
    plain: Array,
}
