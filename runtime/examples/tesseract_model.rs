//! A tesseract model with `#[derive(ArrayModel)]`: the vectoradd API's inputs and
//! outputs, encoded as tesseract's client sends them and decoded from a real response.
//!
//! ```sh
//! cargo run -p arraymodel --example tesseract_model
//! ```

use arraymodel::{Array, ArrayModel, DecodeOptions, EncodeOptions, Encoding, NdArray};

fn one() -> Array {
    Array::scalar(1.0f64)
}

/// vectoradd's `InputSchema`: `a`, `b` vectors and a scalar `s` (default 1.0).
#[derive(ArrayModel, Debug)]
#[serde(deny_unknown_fields)]
struct ApplyInput {
    /// First vector
    #[array(shape = [None], dtype = "float64", differentiable)]
    a: NdArray<f64>,
    /// Second vector
    #[array(shape = [None], dtype = "float64", differentiable)]
    b: NdArray<f64>,
    /// Scalar multiplier for a
    #[array(shape = [], dtype = "float64", differentiable)]
    #[serde(default = "one")]
    s: Array,
}

/// vectoradd's `OutputSchema`.
#[derive(ArrayModel, Debug)]
struct ApplyOutput {
    /// s*a + b
    #[array(shape = [None], dtype = "float64", differentiable)]
    result: NdArray<f64>,
    /// L2 norm of result
    #[array(shape = [], dtype = "float64")]
    norm: NdArray<f64>,
}

fn main() -> arraymodel::Result<()> {
    let input = ApplyInput {
        a: NdArray::new(vec![3], vec![1.0, 2.0, 3.0])?,
        b: NdArray::new(vec![3], vec![0.5, -1.25, 1e-300])?,
        s: Array::scalar(2.0f64),
    };
    for enc in [Encoding::Json, Encoding::Base64] {
        let body = input.to_tesseract_request(&EncodeOptions::tesseract(enc))?;
        println!(
            "POST /apply ({}): {}",
            enc.media_type(),
            String::from_utf8_lossy(&body)
        );
    }
    // A response captured from tesseract-core 1.15.0 for exactly these inputs.
    let response = br#"{"result":{"object_type":"array","shape":[3],"dtype":"float64","data":{"buffer":[2.5,2.75,6.0],"encoding":"json"}},"norm":{"object_type":"array","shape":[],"dtype":"float64","data":{"buffer":7.057797106746552,"encoding":"json"}}}"#;
    let out = ApplyOutput::from_json(response, &DecodeOptions::default())?;
    println!(
        "result = {:?}, norm = {}",
        out.result.as_slice(),
        out.norm.as_slice()[0]
    );
    // The request shape tesseract publishes in its openapi.json, from the same model.
    let schema = ApplyInput::json_schema_value();
    println!("schema of `a`: {}", schema["properties"]["a"]["title"]);
    // Constraints are checked on decode, with the path in the error.
    let bad = br#"{"inputs":{"a":[[1.0]],"b":[1.0]}}"#;
    let err = ApplyInput::from_tesseract_request(bad, &DecodeOptions::default()).unwrap_err();
    println!("refused: {err}");
    Ok(())
}
