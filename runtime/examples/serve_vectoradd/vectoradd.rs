//! tesseract's vectoradd (`result = s*a + b`, `norm = |result|`) as a Rust tesseract:
//! the models, `apply`, the Jacobian, JVP, VJP and `abstract_eval`. The `serve_vectoradd`
//! example serves it; the test suite serves it next to the same function in Python.

use arraymodel::server::{
    AbstractInputs, Arrays, BoxError, Endpoint, Jacobian, Paths, ShapeDType, Tesseract,
};
use arraymodel::{Array, ArrayModel, DType, NdArray};
use serde_json::json;

fn one() -> NdArray<f64> {
    NdArray::new(Vec::<usize>::new(), vec![1.0]).expect("a scalar")
}

/// The inputs: two vectors and a scalar. Unknown fields are refused, as tesseract-runtime
/// refuses them.
#[derive(ArrayModel, Debug)]
#[serde(deny_unknown_fields)]
pub struct InputSchema {
    /// First vector
    #[array(shape = [None], dtype = "float64", differentiable)]
    pub a: NdArray<f64>,
    /// Second vector
    #[array(shape = [None], dtype = "float64", differentiable)]
    pub b: NdArray<f64>,
    /// Scalar multiplier for a
    #[array(shape = [], dtype = "float64", differentiable)]
    #[serde(default = "one")]
    pub s: NdArray<f64>,
}

/// The outputs.
#[derive(ArrayModel, Debug)]
#[serde(deny_unknown_fields)]
pub struct OutputSchema {
    /// s*a + b
    #[array(shape = [None], dtype = "float64", differentiable)]
    pub result: NdArray<f64>,
    /// L2 norm of result
    #[array(shape = [], dtype = "float64")]
    pub norm: NdArray<f64>,
}

/// The tesseract.
pub struct VectorAdd;

fn vector(v: Vec<f64>) -> Result<Array, BoxError> {
    Ok(Array::new(vec![v.len()], v)?)
}

/// The float64 elements of a (cast, checked) tangent or cotangent.
fn f64s(a: &Array) -> Result<&[f64], BoxError> {
    a.as_slice::<f64>().ok_or_else(|| "expected float64".into())
}

/// `x · y`. Under 16 elements: one fused multiply-add per element in order, what numpy's
/// `np.dot` (OpenBLAS `ddot`) computes there, bit for bit. Longer vectors OpenBLAS sums in
/// SIMD lanes in an order of its own, so the last bit may differ from numpy's anyway: they
/// are summed in 8 lanes here, several times faster than one chain.
fn dot(x: &[f64], y: &[f64]) -> f64 {
    if x.len() < 16 {
        return x.iter().zip(y).fold(0.0, |acc, (x, y)| x.mul_add(*y, acc));
    }
    let mut lanes = [0.0f64; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (a, b) in xc.zip(yc) {
        for k in 0..8 {
            lanes[k] += a[k] * b[k];
        }
    }
    let tail: f64 = xr.iter().zip(yr).map(|(a, b)| a * b).sum();
    lanes.iter().sum::<f64>() + tail
}

/// `np.linalg.norm`: `sqrt(r · r)`.
fn norm(r: &[f64]) -> f64 {
    dot(r, r).sqrt()
}

impl Tesseract for VectorAdd {
    type Input = InputSchema;
    type Output = OutputSchema;
    const ENDPOINTS: &'static [Endpoint] = &[
        Endpoint::Jacobian,
        Endpoint::JacobianVectorProduct,
        Endpoint::VectorJacobianProduct,
        Endpoint::AbstractEval,
    ];

    fn apply(&self, inputs: InputSchema) -> Result<OutputSchema, BoxError> {
        let (a, b, s) = (
            inputs.a.as_slice(),
            inputs.b.as_slice(),
            inputs.s.as_slice()[0],
        );
        if a.len() != b.len() {
            return Err("a and b must have the same shape".into());
        }
        let r: Vec<f64> = a.iter().zip(b).map(|(a, b)| s * a + b).collect();
        let n = norm(&r);
        Ok(OutputSchema {
            result: NdArray::new([r.len()], r)?,
            norm: NdArray::new(Vec::<usize>::new(), vec![n])?,
        })
    }

    fn jacobian(
        &self,
        inputs: InputSchema,
        jac_inputs: &Paths,
        jac_outputs: &Paths,
    ) -> Result<Jacobian, BoxError> {
        let n = inputs.a.as_slice().len();
        let s = inputs.s.as_slice()[0];
        let eye = |scale: f64| -> Result<Array, BoxError> {
            let mut m = vec![0.0; n * n];
            for i in 0..n {
                m[i * n + i] = scale;
            }
            Ok(Array::new(vec![n, n], m)?)
        };
        let mut out = Jacobian::new();
        for o in jac_outputs {
            let mut row = Arrays::new();
            for i in jac_inputs {
                let d = match i.as_str() {
                    "a" => eye(s)?,
                    "b" => eye(1.0)?,
                    _ => vector(inputs.a.as_slice().to_vec())?,
                };
                row.insert(i.clone(), d);
            }
            out.insert(o.clone(), row);
        }
        Ok(out)
    }

    fn jacobian_vector_product(
        &self,
        inputs: InputSchema,
        jvp_inputs: &Paths,
        _jvp_outputs: &Paths,
        tangent: Arrays,
    ) -> Result<Arrays, BoxError> {
        let (a, s) = (inputs.a.as_slice(), inputs.s.as_slice()[0]);
        let mut r = vec![0.0; a.len()];
        if jvp_inputs.contains("a") {
            let t = f64s(&tangent["a"])?;
            r.iter_mut().zip(t).for_each(|(r, t)| *r += s * t);
        }
        if jvp_inputs.contains("b") {
            let t = f64s(&tangent["b"])?;
            r.iter_mut().zip(t).for_each(|(r, t)| *r += t);
        }
        if jvp_inputs.contains("s") {
            let t = f64s(&tangent["s"])?[0];
            r.iter_mut().zip(a).for_each(|(r, a)| *r += t * a);
        }
        Ok(Arrays::from([("result".to_string(), vector(r)?)]))
    }

    fn vector_jacobian_product(
        &self,
        inputs: InputSchema,
        vjp_inputs: &Paths,
        _vjp_outputs: &Paths,
        cotangent: Arrays,
    ) -> Result<Arrays, BoxError> {
        let (a, s) = (inputs.a.as_slice(), inputs.s.as_slice()[0]);
        let ct = f64s(&cotangent["result"])?;
        let mut out = Arrays::new();
        if vjp_inputs.contains("a") {
            out.insert("a".into(), vector(ct.iter().map(|c| s * c).collect())?);
        }
        if vjp_inputs.contains("b") {
            out.insert("b".into(), vector(ct.to_vec())?);
        }
        if vjp_inputs.contains("s") {
            out.insert("s".into(), Array::scalar(dot(ct, a)));
        }
        Ok(out)
    }

    fn abstract_eval(&self, inputs: AbstractInputs) -> Result<serde_json::Value, BoxError> {
        let a = inputs.shape_dtype("a").ok_or("inputs.a has no shape")?;
        Ok(json!({
            "result": ShapeDType { shape: a.shape, dtype: DType::Float64 },
            "norm": ShapeDType { shape: vec![], dtype: DType::Float64 },
        }))
    }
}
