use std::collections::BTreeMap;

use arraymodel::{Array, ArrayModel};

/// Stands in for `ndarray::Array1` (the derive knows ndarray fields by their type's name;
/// this crate builds without the `ndarray` feature).
pub struct Array1<T>(Vec<T>);

#[derive(ArrayModel)]
struct M {
    #[array(form = "numpy")]
    unknown: Array,
    #[array(form = "list", form = "truss")]
    twice: Array,
    #[array(form = "list")]
    #[bytes]
    raw: Vec<u8>,
    #[array(form = "truss")]
    grid: Array1<f64>,
    #[array(form = "list")]
    #[serde(serialize_with = "arraymodel::bytes::serialize")]
    with: Array,
    #[array(form = "list", dtype = "float64")]
    #[serde(flatten)]
    flat: BTreeMap<String, Array>,
    #[array(form = "list")]
    name: String,
}

fn main() {}
