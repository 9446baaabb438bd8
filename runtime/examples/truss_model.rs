//! A truss chainlet model with `#[derive(ArrayModel)]`: `NumpyArrayField` JSON and
//! truss's binary (msgpack-numpy) mode, with bytes, nested models, lists and maps.
//!
//! ```sh
//! cargo run -p arraymodel --example truss_model
//! ```

use std::collections::BTreeMap;

use arraymodel::{Array, ArrayModel, DecodeOptions, EncodeOptions};

/// A nested model.
#[derive(ArrayModel, Debug, PartialEq)]
struct Inner {
    label: String,
    weights: Array,
}

/// Mirrors truss's composite model (truss REPORT §4).
#[derive(ArrayModel, Debug, PartialEq)]
struct Composite {
    name: String,
    #[bytes]
    blob: Vec<u8>,
    count: i64,
    ratio: f64,
    flag: bool,
    nothing: Option<i64>,
    maybe_array: Option<Array>,
    arrays: Vec<Array>,
    named: BTreeMap<String, Array>,
    inner: Inner,
}

fn main() -> arraymodel::Result<()> {
    let m = Composite {
        name: "h\u{e9}llo".into(),
        blob: b"raw\0bytes".to_vec(),
        count: -7,
        ratio: 0.5,
        flag: true,
        nothing: None,
        maybe_array: None,
        arrays: vec![Array::from_vec(vec![1i32, 2, 3])],
        named: BTreeMap::from([("b".to_owned(), Array::scalar(3.0f64))]),
        inner: Inner {
            label: "w".into(),
            weights: Array::new(vec![2, 2], vec![0.5f32, 1.0, 1.5, 2.0])?,
        },
    };
    let json = m.to_json(&EncodeOptions::truss())?;
    println!("application/json: {}", String::from_utf8_lossy(&json));
    let packed = m.to_msgpack()?;
    println!("application/octet-stream: {} bytes", packed.len());
    assert_eq!(Composite::from_json(&json, &DecodeOptions::default())?, m);
    assert_eq!(
        Composite::from_msgpack(&packed, &DecodeOptions::default())?,
        m
    );
    println!("both round trips are exact");
    Ok(())
}
