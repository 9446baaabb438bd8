/// Inputs of the vectoradd tesseract.
#[serde(deny_unknown_fields)]
struct ApplyInput {
    /// First vector
    #[array(shape = [None], dtype = "float64", differentiable)]
    a: Array,
    #[array(shape = [None], dtype = "float64", differentiable)]
    b: NdArray<f64>,
    #[array(shape = [], dtype = "float64")]
    #[serde(default = "one")]
    s: Array,
    #[bytes]
    image: Vec<u8>,
    #[serde(rename = "Label", skip_serializing_if = "Option::is_none")]
    label: Option<String>,
}
