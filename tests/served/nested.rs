//! `tests/apis/nested/tesseract_api.py` in Rust: nested models, an optional array, a map
//! of arrays, a string enum and differentiable outputs, one of them nested
//! (`settings.scale`). The arithmetic is the Python's, operation for operation, so the
//! answers are bit-identical.

use std::collections::BTreeMap;

use arraymodel::server::{
    AbstractInputs, Arrays, BoxError, Endpoint, Jacobian, Paths, ShapeDType, Tesseract,
};
use arraymodel::{Array, ArrayModel, DType, NdArray};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// `Literal["fast", "accurate"]`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Fast.
    #[default]
    Fast,
    /// Accurate.
    Accurate,
}

/// Settings.
#[derive(ArrayModel, Debug)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// How to compute
    #[serde(default)]
    pub mode: Mode,
    /// Multiplier for x
    #[array(shape = [], dtype = "float64", differentiable)]
    pub scale: NdArray<f64>,
}

fn run() -> String {
    "run".into()
}

/// The inputs.
#[derive(ArrayModel, Debug)]
#[serde(deny_unknown_fields)]
pub struct InputSchema {
    /// Points
    #[array(shape = [None, 3], dtype = "float64", differentiable)]
    pub x: NdArray<f64>,
    /// Settings
    pub settings: Settings,
    /// Named weight vectors
    #[array(shape = [None], dtype = "float32")]
    pub weights: BTreeMap<String, NdArray<f32>>,
    /// Added to every point
    #[array(shape = [3], dtype = "float64", differentiable)]
    #[serde(default)]
    pub offset: Option<NdArray<f64>>,
    /// Rows to count
    #[array(shape = [None], dtype = "bool")]
    #[serde(default)]
    pub mask: Option<NdArray<bool>>,
    /// A label
    #[serde(default = "run")]
    pub label: String,
}

/// Summary.
#[derive(ArrayModel, Debug)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Rows counted
    pub count: i64,
    /// The mode used
    pub mode: Mode,
    /// The label
    pub label: String,
}

/// The outputs.
#[derive(ArrayModel, Debug)]
#[serde(deny_unknown_fields)]
pub struct OutputSchema {
    /// scale*x + offset
    #[array(shape = [None, 3], dtype = "float64", differentiable)]
    pub y: NdArray<f64>,
    /// `y[0,0] + y[0,1] + y[0,2]`
    #[array(shape = [], dtype = "float64", differentiable)]
    pub first_row_sum: NdArray<f64>,
    /// Each weight vector times 2
    #[array(shape = [None], dtype = "float32")]
    pub doubled: BTreeMap<String, NdArray<f32>>,
    /// Summary
    pub summary: Summary,
    /// Indices of the rows mask selects
    #[array(shape = [None], dtype = "int64")]
    #[serde(default)]
    pub masked_rows: Option<NdArray<i64>>,
}

/// The tesseract.
pub struct Nested;

fn f64s(a: &Array) -> Result<&[f64], BoxError> {
    a.as_slice::<f64>().ok_or_else(|| "expected float64".into())
}

fn scalar(v: f64) -> Array {
    Array::scalar(v)
}

impl Tesseract for Nested {
    type Input = InputSchema;
    type Output = OutputSchema;
    const ENDPOINTS: &'static [Endpoint] = &[
        Endpoint::Jacobian,
        Endpoint::JacobianVectorProduct,
        Endpoint::VectorJacobianProduct,
        Endpoint::AbstractEval,
    ];

    fn apply(&self, i: InputSchema) -> Result<OutputSchema, BoxError> {
        let x = i.x.as_slice();
        let n = i.x.shape()[0];
        if n == 0 {
            return Err("x has no rows".into());
        }
        let s = i.settings.scale.as_slice()[0];
        let mut y: Vec<f64> = x.iter().map(|v| s * v).collect();
        if let Some(o) = &i.offset {
            let o = o.as_slice();
            y.iter_mut().enumerate().for_each(|(k, v)| *v += o[k % 3]);
        }
        let first_row_sum = y[0] + y[1] + y[2];
        let doubled = i
            .weights
            .iter()
            .map(|(k, w)| {
                let d: Vec<f32> = w.as_slice().iter().map(|v| v * 2.0).collect();
                Ok((k.clone(), NdArray::new(w.shape(), d)?))
            })
            .collect::<Result<BTreeMap<_, _>, BoxError>>()?;
        let (count, masked_rows) = match &i.mask {
            Some(m) => {
                let rows: Vec<i64> = m
                    .as_slice()
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b)
                    .map(|(k, _)| k as i64)
                    .collect();
                (rows.len() as i64, Some(NdArray::new([rows.len()], rows)?))
            }
            None => (n as i64, None),
        };
        Ok(OutputSchema {
            y: NdArray::new([n, 3], y)?,
            first_row_sum: NdArray::new(Vec::<usize>::new(), vec![first_row_sum])?,
            doubled,
            summary: Summary {
                count,
                mode: i.settings.mode,
                label: i.label,
            },
            masked_rows,
        })
    }

    fn jacobian(
        &self,
        i: InputSchema,
        jac_inputs: &Paths,
        jac_outputs: &Paths,
    ) -> Result<Jacobian, BoxError> {
        let x = i.x.as_slice();
        let n = i.x.shape()[0];
        let s = i.settings.scale.as_slice()[0];
        let mut out = Jacobian::new();
        for o in jac_outputs {
            let mut row = Arrays::new();
            for inp in jac_inputs {
                let d = match (o.as_str(), inp.as_str()) {
                    ("y", "x") => {
                        let m = n * 3;
                        let mut v = vec![0.0; m * m];
                        for k in 0..m {
                            v[k * m + k] = s;
                        }
                        Array::new(vec![n, 3, n, 3], v)?
                    }
                    ("y", "settings.scale") => Array::new(vec![n, 3], x.to_vec())?,
                    ("y", _) => {
                        let mut v = vec![0.0; n * 9];
                        for r in 0..n {
                            for j in 0..3 {
                                v[r * 9 + j * 3 + j] = 1.0;
                            }
                        }
                        Array::new(vec![n, 3, 3], v)?
                    }
                    (_, "x") => {
                        let mut v = vec![0.0; n * 3];
                        v[..3].fill(s);
                        Array::new(vec![n, 3], v)?
                    }
                    (_, "settings.scale") => scalar(x[0] + x[1] + x[2]),
                    _ => Array::new(vec![3], vec![1.0f64; 3])?,
                };
                row.insert(inp.clone(), d);
            }
            out.insert(o.clone(), row);
        }
        Ok(out)
    }

    fn jacobian_vector_product(
        &self,
        i: InputSchema,
        jvp_inputs: &Paths,
        jvp_outputs: &Paths,
        t: Arrays,
    ) -> Result<Arrays, BoxError> {
        let x = i.x.as_slice();
        let n = i.x.shape()[0];
        let s = i.settings.scale.as_slice()[0];
        let mut out = Arrays::new();
        if jvp_outputs.contains("y") {
            let mut r = vec![0.0; n * 3];
            if jvp_inputs.contains("x") {
                let tx = f64s(&t["x"])?;
                r.iter_mut().zip(tx).for_each(|(r, tx)| *r += s * tx);
            }
            if jvp_inputs.contains("settings.scale") {
                let ts = f64s(&t["settings.scale"])?[0];
                r.iter_mut().zip(x).for_each(|(r, x)| *r += ts * x);
            }
            if jvp_inputs.contains("offset") {
                let to = f64s(&t["offset"])?;
                r.iter_mut().enumerate().for_each(|(k, r)| *r += to[k % 3]);
            }
            out.insert("y".into(), Array::new(vec![n, 3], r)?);
        }
        if jvp_outputs.contains("first_row_sum") {
            let mut acc = 0.0;
            if jvp_inputs.contains("x") {
                let tx = f64s(&t["x"])?;
                acc += s * tx[0] + s * tx[1] + s * tx[2];
            }
            if jvp_inputs.contains("settings.scale") {
                let ts = f64s(&t["settings.scale"])?[0];
                acc += ts * (x[0] + x[1] + x[2]);
            }
            if jvp_inputs.contains("offset") {
                let to = f64s(&t["offset"])?;
                acc += to[0] + to[1] + to[2];
            }
            out.insert("first_row_sum".into(), scalar(acc));
        }
        Ok(out)
    }

    fn vector_jacobian_product(
        &self,
        i: InputSchema,
        vjp_inputs: &Paths,
        vjp_outputs: &Paths,
        ct: Arrays,
    ) -> Result<Arrays, BoxError> {
        let x = i.x.as_slice();
        let n = i.x.shape()[0];
        let s = i.settings.scale.as_slice()[0];
        let cy = if vjp_outputs.contains("y") {
            Some(f64s(&ct["y"])?)
        } else {
            None
        };
        let cf = if vjp_outputs.contains("first_row_sum") {
            Some(f64s(&ct["first_row_sum"])?[0])
        } else {
            None
        };
        let mut out = Arrays::new();
        if vjp_inputs.contains("x") {
            let mut g = vec![0.0; n * 3];
            if let Some(cy) = cy {
                g.iter_mut().zip(cy).for_each(|(g, c)| *g += s * c);
            }
            if let Some(cf) = cf {
                g[..3].iter_mut().for_each(|g| *g += s * cf);
            }
            out.insert("x".into(), Array::new(vec![n, 3], g)?);
        }
        if vjp_inputs.contains("settings.scale") {
            let mut acc = 0.0;
            if let Some(cy) = cy {
                for (x, c) in x.iter().zip(cy) {
                    acc += x * c;
                }
            }
            if let Some(cf) = cf {
                acc += cf * (x[0] + x[1] + x[2]);
            }
            out.insert("settings.scale".into(), scalar(acc));
        }
        if vjp_inputs.contains("offset") {
            let mut g = [0.0f64; 3];
            if let Some(cy) = cy {
                for r in 0..n {
                    for j in 0..3 {
                        g[j] += cy[r * 3 + j];
                    }
                }
            }
            if let Some(cf) = cf {
                g.iter_mut().for_each(|g| *g += cf);
            }
            out.insert("offset".into(), Array::new(vec![3], g.to_vec())?);
        }
        Ok(out)
    }

    fn abstract_eval(&self, i: AbstractInputs) -> Result<serde_json::Value, BoxError> {
        let x = i.shape_dtype("x").ok_or("inputs.x has no shape")?;
        let v = i.value();
        let doubled: serde_json::Map<String, serde_json::Value> = v["weights"]
            .as_object()
            .ok_or("inputs.weights is no map")?
            .iter()
            .map(|(k, w)| {
                let shape: Vec<usize> =
                    serde_json::from_value(w["shape"].clone()).unwrap_or_default();
                (
                    k.clone(),
                    json!(ShapeDType {
                        shape,
                        dtype: DType::Float32
                    }),
                )
            })
            .collect();
        Ok(json!({
            "y": ShapeDType { shape: x.shape, dtype: DType::Float64 },
            "first_row_sum": ShapeDType { shape: vec![], dtype: DType::Float64 },
            "doubled": doubled,
            "summary": {"count": -1, "mode": v["settings"].get("mode").cloned().unwrap_or(json!("fast")), "label": v.get("label").cloned().unwrap_or(json!("run"))},
            "masked_rows": null,
        }))
    }
}
