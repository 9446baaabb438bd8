//! Helpers for the golden-file tests: where the peers' captures are, hex, and
//! element values of any dtype for comparisons.
#![allow(dead_code)]

use std::path::PathBuf;

use arraymodel::{Array, ArrayData};

/// The peers' captures kept in the repository, `tests/data/peers` (see `tests/data/README.md`;
/// `scripts/capture-peers.sh` regenerates them).
pub fn peers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/peers")
}

pub fn read(path: impl AsRef<std::path::Path>) -> Vec<u8> {
    let path = path.as_ref();
    std::fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

pub fn unhex(s: &str) -> Vec<u8> {
    assert_eq!(s.len() & 1, 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// One element, widened without loss (integers exactly, floats as f64).
#[derive(Clone, Copy, Debug)]
pub enum V {
    Bool(bool),
    Int(i128),
    Float(f64),
    Complex(f64, f64),
}

impl V {
    /// As a float (the peers' numeric view), complex only when the imaginary part is 0.
    pub fn as_f64(self) -> f64 {
        match self {
            V::Bool(b) => f64::from(u8::from(b)),
            V::Int(i) => i as f64,
            V::Float(f) => f,
            V::Complex(re, im) => {
                assert_eq!(im, 0.0, "complex value with an imaginary part");
                re
            }
        }
    }
}

/// Same value: NaN equals NaN, and the sign of zero counts.
pub fn same_f64(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || (a == b && a.is_sign_negative() == b.is_sign_negative())
}

pub fn values(a: &Array) -> Vec<V> {
    match a.data() {
        ArrayData::Bool(v) => v.iter().map(|&x| V::Bool(x)).collect(),
        ArrayData::Int8(v) => v.iter().map(|&x| V::Int(x.into())).collect(),
        ArrayData::Int16(v) => v.iter().map(|&x| V::Int(x.into())).collect(),
        ArrayData::Int32(v) => v.iter().map(|&x| V::Int(x.into())).collect(),
        ArrayData::Int64(v) => v.iter().map(|&x| V::Int(x.into())).collect(),
        ArrayData::UInt8(v) => v.iter().map(|&x| V::Int(x.into())).collect(),
        ArrayData::UInt16(v) => v.iter().map(|&x| V::Int(x.into())).collect(),
        ArrayData::UInt32(v) => v.iter().map(|&x| V::Int(x.into())).collect(),
        ArrayData::UInt64(v) => v.iter().map(|&x| V::Int(x.into())).collect(),
        ArrayData::Float16(v) => v.iter().map(|&x| V::Float(x.to_f64())).collect(),
        ArrayData::Float32(v) => v.iter().map(|&x| V::Float(x.into())).collect(),
        ArrayData::Float64(v) => v.iter().map(|&x| V::Float(x)).collect(),
        ArrayData::Complex64(v) => v
            .iter()
            .map(|x| V::Complex(x.re.into(), x.im.into()))
            .collect(),
        ArrayData::Complex128(v) => v.iter().map(|x| V::Complex(x.re, x.im)).collect(),
    }
}

pub fn f64s(a: &Array) -> Vec<f64> {
    values(a).into_iter().map(V::as_f64).collect()
}
