//! Derived models mirroring the two tesseract APIs under `tests/apis/` (and the golden
//! captures of them in `tests/data/peers/tesseract`).

use std::collections::BTreeMap;

use arraymodel::{Array, ArrayModel, Complex, NdArray, f16};

pub fn one() -> Array {
    Array::scalar(1.0f64)
}

/// vectoradd's InputSchema.
#[derive(ArrayModel, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VecAddIn {
    /// First vector
    #[array(shape = [None], dtype = "float64", differentiable)]
    pub a: Array,
    /// Second vector
    #[array(shape = [None], dtype = "float64", differentiable)]
    pub b: NdArray<f64>,
    /// Scalar multiplier for a
    #[array(shape = [], dtype = "float64", differentiable)]
    #[serde(default = "one")]
    pub s: Array,
}

/// vectoradd's OutputSchema.
#[derive(ArrayModel, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VecAddOut {
    /// s*a + b
    #[array(shape = [None], dtype = "float64", differentiable)]
    pub result: NdArray<f64>,
    /// L2 norm of result
    #[array(shape = [], dtype = "float64")]
    pub norm: NdArray<f64>,
}

/// dtypes' Nested model.
#[derive(ArrayModel, Debug, Clone, PartialEq)]
pub struct Nested {
    #[array(shape = [2, 3], dtype = "float32")]
    pub m: Array,
    #[serde(default = "default_tag")]
    pub tag: String,
}

pub fn default_tag() -> String {
    "n".into()
}

/// The arrays and plain fields the dtypes tesseract echoes back.
#[derive(ArrayModel, Debug, Clone, PartialEq)]
pub struct DTypes {
    #[array(shape = [None], dtype = "int8")]
    pub i8: Array,
    #[array(shape = [None], dtype = "int16")]
    pub i16: Array,
    #[array(shape = [None], dtype = "int32")]
    pub i32: Array,
    #[array(shape = [None], dtype = "int64")]
    pub i64: Array,
    #[array(shape = [None], dtype = "uint8")]
    pub u8: Array,
    #[array(shape = [None], dtype = "uint16")]
    pub u16: Array,
    #[array(shape = [None], dtype = "uint32")]
    pub u32: Array,
    #[array(shape = [None], dtype = "uint64")]
    pub u64: Array,
    #[array(shape = [None], dtype = "float16")]
    pub f16: Array,
    #[array(shape = [None], dtype = "float32")]
    pub f32: Array,
    #[array(shape = [None], dtype = "float64")]
    pub f64: Array,
    #[array(shape = [None], dtype = "bool")]
    pub b: Array,
    #[array(shape = [None], dtype = "complex64")]
    pub c64: Array,
    #[array(shape = [None], dtype = "complex128")]
    pub c128: Array,
    #[array(shape = [2, None], dtype = "float64")]
    pub mat: Array,
    #[array(shape = [None, None, 2], dtype = "int32")]
    pub cube: Array,
    #[array(shape = .., dtype = "float64")]
    pub anyrank: Array,
    #[array(shape = [None])]
    pub anydtype: Array,
    #[array(shape = [3], dtype = "float64")]
    pub fixed3: Array,
    #[array(shape = [], dtype = "int32")]
    pub scalar_i32: Array,
    #[array(shape = [], dtype = "bool")]
    pub scalar_bool: Array,
    #[array(shape = [None], dtype = "float32", differentiable)]
    pub diff: Array,
    pub label: String,
    pub count: i64,
    pub ratio: f64,
    pub flag: bool,
    #[bytes]
    pub raw: Vec<u8>,
    #[array(shape = [None], dtype = "float64")]
    pub items: Vec<Array>,
    #[array(shape = [None], dtype = "float64")]
    pub named: BTreeMap<String, Array>,
    pub nested: Option<Nested>,
    #[array(shape = [None], dtype = "float64")]
    pub maybe: Option<Array>,
}

/// The dtypes tesseract's output: the inputs echoed plus `empty` and `dtypes_seen`.
#[derive(ArrayModel, Debug, Clone, PartialEq)]
pub struct DTypesOut {
    #[serde(flatten)]
    pub echo: DTypes,
    #[array(shape = [None], dtype = "float64")]
    pub empty: Array,
    pub dtypes_seen: BTreeMap<String, String>,
}

pub fn dtypes_input() -> DTypes {
    let v = |a: Array| a;
    DTypes {
        i8: v(Array::from_vec(vec![-128i8, 0, 127])),
        i16: v(Array::from_vec(vec![-32768i16, 1, 32767])),
        i32: v(Array::from_vec(vec![i32::MIN, 2, i32::MAX])),
        i64: v(Array::from_vec(vec![i64::MIN, 3, i64::MAX])),
        u8: v(Array::from_vec(vec![0u8, 1, 255])),
        u16: v(Array::from_vec(vec![0u16, 1, 65535])),
        u32: v(Array::from_vec(vec![0u32, 1, u32::MAX])),
        // Below 2^53: tesseract's own json decoder corrupts larger uint64 values.
        u64: v(Array::from_vec(vec![0u64, 1, 1 << 52])),
        f16: v(Array::from_vec(vec![
            f16::from_f64(0.1),
            f16::from_f64(-2.5),
            f16::MAX,
        ])),
        f32: v(Array::from_vec(vec![0.1f32, -2.5, 3.4e38])),
        f64: v(Array::from_vec(vec![0.1f64, -2.5, f64::MAX])),
        b: v(Array::from_vec(vec![true, false, true])),
        c64: v(Array::from_vec(vec![
            Complex::new(1.0f32, 2.0),
            Complex::new(0.5, -0.5),
        ])),
        c128: v(Array::from_vec(vec![
            Complex::new(1.0f64, 2.0),
            Complex::new(0.25, -0.5),
        ])),
        mat: Array::new(vec![2, 3], vec![0.0f64, 1.0, 2.0, 3.0, 4.0, 5.0]).unwrap(),
        cube: Array::new(vec![2, 2, 2], (0..8).collect::<Vec<i32>>()).unwrap(),
        anyrank: Array::new(vec![2, 3, 4], (0..24).map(f64::from).collect::<Vec<_>>()).unwrap(),
        anydtype: v(Array::from_vec(vec![7u16, 8])),
        fixed3: v(Array::from_vec(vec![1.0f64, 2.0, 3.0])),
        scalar_i32: Array::scalar(-7i32),
        scalar_bool: Array::scalar(true),
        diff: v(Array::from_vec(vec![1.5f32, 2.5])),
        label: "h\u{e9}llo \"quoted\" \u{2603}".into(),
        count: 42,
        ratio: 0.25,
        flag: false,
        raw: b"bytes-as-text".to_vec(),
        items: vec![
            Array::from_vec(vec![1.0f64, 2.0]),
            Array::from_vec(vec![3.0f64]),
        ],
        named: BTreeMap::from([("x".to_owned(), Array::from_vec(vec![9.0f64]))]),
        nested: Some(Nested {
            m: Array::new(vec![2, 3], vec![0.0f32, 1.0, 2.0, 3.0, 4.0, 5.0]).unwrap(),
            tag: "t".into(),
        }),
        maybe: None,
    }
}
