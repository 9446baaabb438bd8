//! Property tests: every wire form round-trips every dtype and shape bit-exactly
//! (the lossy tesseract `json` encoding excepted, see [`assert_json_equivalent`]),
//! and the two JSON serialization paths (the raw fast path of `to_json_vec` and the
//! structured path of `EncodeOptions::with` around serde_json) write the same bytes.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use arraymodel::model::ArraySpec;
use arraymodel::{
    Array, ArrayView, ByteOrder, DType, DecodeOptions, EncodeOptions, Encoding, Limits,
    from_json_slice, from_msgpack_slice, to_json_vec, to_msgpack_vec,
};
use proptest::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize)]
struct M {
    x: Array,
}

#[derive(Debug, Serialize, Deserialize)]
struct MView<'a> {
    #[serde(borrow)]
    x: ArrayView<'a>,
}

// ---------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------

/// Bit patterns worth forcing into float elements: NaNs with payloads (quiet and
/// signalling, both signs), infinities, signed zeros, subnormals, extremes.
fn specials(dtype: DType) -> Vec<Vec<u8>> {
    let part: Vec<Vec<u8>> = match dtype {
        DType::Float16 => [
            0x7e01u16, 0xfe55, 0x7c01, 0x7c00, 0xfc00, 0x8000, 0x0001, 0x7bff, 0x03ff,
        ]
        .iter()
        .map(|b| b.to_le_bytes().to_vec())
        .collect(),
        DType::Float32 | DType::Complex64 => [
            0x7fc0_1234u32,
            0xffc0_0001,
            0x7f80_0001,
            0x7f80_0000,
            0xff80_0000,
            0x8000_0000,
            0x0000_0001,
            0x7f7f_ffff,
            0x3dcc_cccd,
        ]
        .iter()
        .map(|b| b.to_le_bytes().to_vec())
        .collect(),
        DType::Float64 | DType::Complex128 => [
            0x7ff8_0000_dead_beefu64,
            0xfff0_0000_0000_0001,
            0x7ff0_0000_0000_0001,
            0x7ff0_0000_0000_0000,
            0xfff0_0000_0000_0000,
            0x8000_0000_0000_0000,
            0x0000_0000_0000_0001,
            0x7fef_ffff_ffff_ffff,
            0x4340_0000_0000_0000, // 2^53
            0x4341_c379_37e0_8000, // 1e16
            0x3e7a_d7f2_9abc_af48, // 1e-7
        ]
        .iter()
        .map(|b| b.to_le_bytes().to_vec())
        .collect(),
        _ => Vec::new(),
    };
    part
}

fn shape_strategy() -> impl Strategy<Value = Vec<usize>> {
    prop_oneof![
        1 => Just(vec![]),
        1 => Just(vec![0]),
        1 => Just(vec![2, 0, 4]),
        6 => prop::collection::vec(0usize..4, 0..=5),
    ]
}

/// An array of any dtype and shape with random element bytes (bool: 0/1), float
/// elements sometimes overwritten by the special bit patterns above.
fn array_strategy() -> impl Strategy<Value = Array> {
    (0..DType::ALL.len(), shape_strategy())
        .prop_flat_map(|(d, shape)| {
            let dtype = DType::ALL[d];
            let n: usize = shape.iter().product();
            let nbytes = n * dtype.itemsize();
            (
                Just(dtype),
                Just(shape),
                prop::collection::vec(any::<u8>(), nbytes),
                prop::collection::vec(
                    (any::<prop::sample::Index>(), any::<prop::sample::Index>()),
                    0..4,
                ),
            )
        })
        .prop_map(|(dtype, shape, mut bytes, overrides)| {
            if dtype == DType::Bool {
                bytes.iter_mut().for_each(|b| *b &= 1);
            }
            let sp = specials(dtype);
            if !sp.is_empty() {
                let w = sp[0].len();
                let parts = bytes.len() / w;
                if parts > 0 {
                    for (at, which) in overrides {
                        let p = at.index(parts);
                        bytes[p * w..(p + 1) * w].copy_from_slice(&sp[which.index(sp.len())]);
                    }
                }
            }
            Array::from_bytes(dtype, shape, &bytes, ByteOrder::Little, &Limits::default())
                .expect("valid generated array")
        })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

fn assert_bit_exact(got: &Array, want: &Array, form: &str) {
    assert_eq!(got.dtype(), want.dtype(), "{form}: dtype");
    assert_eq!(got.shape(), want.shape(), "{form}: shape");
    assert_eq!(got.as_bytes(), want.as_bytes(), "{form}: bytes of {want:?}");
}

/// A fresh, empty temporary folder (removed by the guard).
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "arraymodel-rt-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn json_round_trip(a: &Array, opts: &EncodeOptions, dec: &DecodeOptions) -> Array {
    let m = M { x: a.clone() };
    let text = to_json_vec(&m, opts).unwrap_or_else(|e| panic!("encode {opts:?}: {e}"));
    let back: M = from_json_slice(&text, dec).unwrap_or_else(|e| {
        panic!(
            "decode {opts:?}: {e}\n{}",
            String::from_utf8_lossy(&text[..text.len().min(400)])
        )
    });
    back.x
}

/// The float parts of one element's bytes, widened to f64 bits-preserving enough to
/// compare: returns `(is_nan, is_inf, bits)` per part.
fn float_parts(dtype: DType, bytes: &[u8]) -> Vec<(bool, bool, u64)> {
    let w = match dtype {
        DType::Float16 => 2,
        DType::Float32 | DType::Complex64 => 4,
        DType::Float64 | DType::Complex128 => 8,
        _ => unreachable!(),
    };
    bytes
        .chunks_exact(w)
        .map(|c| match w {
            2 => {
                let h = arraymodel::f16::from_le_bytes([c[0], c[1]]);
                (h.is_nan(), h.is_infinite(), u64::from(h.to_bits()))
            }
            4 => {
                let f = f32::from_le_bytes(c.try_into().unwrap());
                (f.is_nan(), f.is_infinite(), u64::from(f.to_bits()))
            }
            _ => {
                let f = f64::from_le_bytes(c.try_into().unwrap());
                (f.is_nan(), f.is_infinite(), f.to_bits())
            }
        })
        .collect()
}

/// What tesseract's `json` encoding preserves (it follows orjson/pydantic):
/// - bool, all integer dtypes (including the full uint64 range): exact;
/// - finite floats (float16/32/64): bit-exact, including `-0.0` and subnormals;
/// - NaN and ±Inf in real float arrays are written as `null` and read back as NaN
///   (payload and the distinction between NaN and Inf are lost);
/// - complex: each part is written with Rust's `Display` (`"1+2j"`, `"NaN+infj"`),
///   so finite parts and infinities are exact, NaN parts come back as NaN. A real
///   part equal to zero is omitted (`"-0.5j"`) as pydantic does, so a real part of
///   `-0.0` comes back as `+0.0` (compared by value, not by bits).
fn assert_json_equivalent(got: &Array, want: &Array) {
    assert_eq!(got.dtype(), want.dtype(), "json: dtype");
    assert_eq!(got.shape(), want.shape(), "json: shape");
    let d = want.dtype();
    if !(d.is_float() || d.is_complex()) {
        assert_eq!(got.as_bytes(), want.as_bytes(), "json: bytes of {want:?}");
        return;
    }
    let g = float_parts(d, got.as_bytes());
    let w = float_parts(d, want.as_bytes());
    let part_bits = 8 * d.itemsize() / if d.is_complex() { 2 } else { 1 };
    let sign = 1u64 << (part_bits - 1);
    for (i, (gp, wp)) in g.iter().zip(&w).enumerate() {
        let is_real_part_of_complex = d.is_complex() && i % 2 == 0;
        let ok = if wp.0 || (wp.1 && d.is_float()) {
            gp.0
        } else if is_real_part_of_complex && (wp.2 & !sign) == 0 {
            (gp.2 & !sign) == 0 // ±0.0 real part: value only
        } else {
            gp.2 == wp.2
        };
        assert!(
            ok,
            "json: part {i} of {d}: got bits {:#x}, want {:#x} ({want:?} -> {got:?})",
            gp.2, wp.2
        );
    }
}

// ---------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config())]

    #[test]
    fn tesseract_base64(a in array_strategy()) {
        let back = json_round_trip(&a, &EncodeOptions::tesseract(Encoding::Base64), &DecodeOptions::default());
        assert_bit_exact(&back, &a, "json+base64");
    }

    #[test]
    fn tesseract_base64_lz4(a in array_strategy()) {
        let back = json_round_trip(&a, &EncodeOptions::tesseract(Encoding::Base64).lz4(), &DecodeOptions::default());
        assert_bit_exact(&back, &a, "json+base64+lz4");
    }

    #[test]
    fn tesseract_binref(a in array_strategy(), lz4 in any::<bool>()) {
        let dir = TempDir::new("binref");
        let mut opts = EncodeOptions::tesseract(Encoding::Binref).binref_dir(&dir.0);
        if lz4 {
            opts = opts.lz4();
        }
        let back = json_round_trip(&a, &opts, &DecodeOptions::default().binref_dir(&dir.0));
        assert_bit_exact(&back, &a, if lz4 { "json+binref+lz4" } else { "json+binref" });
    }

    #[test]
    fn tesseract_binref_with_prefix(a in array_strategy()) {
        let dir = TempDir::new("prefix");
        std::fs::create_dir_all(dir.0.join("run_7")).unwrap();
        let opts = EncodeOptions::tesseract(Encoding::Binref)
            .binref_dir(dir.0.join("run_7"))
            .binref_prefix("run_7/");
        let back = json_round_trip(&a, &opts, &DecodeOptions::default().binref_dir(&dir.0));
        assert_bit_exact(&back, &a, "json+binref (prefix)");
    }

    #[test]
    fn truss(a in array_strategy()) {
        let back = json_round_trip(&a, &EncodeOptions::truss(), &DecodeOptions::default());
        assert_bit_exact(&back, &a, "truss");
    }

    #[test]
    fn tesseract_json_lossy_only_for_nan_inf(a in array_strategy()) {
        let back = json_round_trip(&a, &EncodeOptions::tesseract(Encoding::Json), &DecodeOptions::default());
        assert_json_equivalent(&back, &a);
    }

    #[test]
    fn msgpack_owned_and_view(a in array_strategy()) {
        let m = M { x: a.clone() };
        let bytes = to_msgpack_vec(&m).unwrap();
        let back: M = from_msgpack_slice(&bytes, &DecodeOptions::default()).unwrap();
        assert_bit_exact(&back.x, &a, "msgpack");
        let view: MView<'_> = from_msgpack_slice(&bytes, &DecodeOptions::default()).unwrap();
        prop_assert_eq!(view.x.dtype(), a.dtype());
        prop_assert_eq!(view.x.shape(), a.shape());
        prop_assert_eq!(view.x.as_bytes(), a.as_bytes());
        // The view points into the input, and re-encodes to the same bytes.
        let again = to_msgpack_vec(&MView { x: view.x.clone() }).unwrap();
        prop_assert_eq!(&again, &bytes);
        assert_bit_exact(&view.x.to_array().unwrap(), &a, "msgpack view");
        // A bare array too.
        let bare = to_msgpack_vec(&a).unwrap();
        let back: Array = from_msgpack_slice(&bare, &DecodeOptions::default()).unwrap();
        assert_bit_exact(&back, &a, "msgpack (bare)");
    }

    /// The structured serde path (any serializer, given the options by
    /// `EncodeOptions::with`) and the raw fast path of `to_json_vec` must write the
    /// same bytes.
    #[test]
    fn structured_path_matches_to_json_vec(a in array_strategy()) {
        let m = M { x: a };
        for opts in [
            EncodeOptions::tesseract(Encoding::Json),
            EncodeOptions::tesseract(Encoding::Base64),
            EncodeOptions::tesseract(Encoding::Base64).lz4(),
            EncodeOptions::truss(),
            EncodeOptions::list(),
        ] {
            let fast = to_json_vec(&m, &opts).unwrap();
            let structured = serde_json::to_vec(&opts.with(&m)).unwrap();
            prop_assert_eq!(
                String::from_utf8_lossy(&structured),
                String::from_utf8_lossy(&fast),
                "{:?}", opts
            );
        }
    }

    /// Plain nested lists (`EncodeOptions::list()`), read back into a field that declares
    /// the dtype: what tesseract's `json` encoding keeps (the same element writer), but
    /// the dimensions after the first 0, which a list cannot say, and a 0-d NaN or
    /// infinity, which is a bare `null`.
    #[test]
    fn list_into_declared_dtype(a in array_strategy()) {
        let bare_null = a.ndim() == 0
            && a.dtype().is_float()
            && float_parts(a.dtype(), a.as_bytes()).iter().any(|p| p.0 || p.1);
        prop_assume!(!bare_null);
        let back = json_round_trip(&a, &EncodeOptions::list(), &DecodeOptions::default());
        let spec = ArraySpec { dtype: Some(a.dtype()), ..ArraySpec::ANY };
        let back = spec.conform(back).unwrap_or_else(|e| panic!("{a:?}: {e}"));
        let kept = match a.shape().iter().position(|&d| d == 0) {
            Some(i) => &a.shape()[..=i],
            None => a.shape(),
        };
        if kept.len() < a.ndim() {
            prop_assert_eq!(back.dtype(), a.dtype());
            prop_assert_eq!(back.shape(), kept);
        } else {
            assert_json_equivalent(&back, &a);
        }
    }

    /// A bare array in tesseract's `json` encoding, outside any struct.
    #[test]
    fn bare_array_json_buffer(a in array_strategy()) {
        let opts = EncodeOptions::tesseract(Encoding::Json);
        let text = to_json_vec(&a, &opts).unwrap();
        let back: Array = from_json_slice(&text, &DecodeOptions::default())
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&text)));
        assert_json_equivalent(&back, &a);
        // Re-writing what was read gives the same text (the lossy cases are stable).
        let again = to_json_vec(&back, &opts).unwrap();
        prop_assert_eq!(String::from_utf8_lossy(&again), String::from_utf8_lossy(&text));
    }
}

// ---------------------------------------------------------------------------------
// Fixed cases for the edge shapes and values, every dtype
// ---------------------------------------------------------------------------------

#[test]
fn every_dtype_edge_shapes_every_form() {
    for dtype in DType::ALL {
        for shape in [
            vec![],
            vec![0],
            vec![2, 0, 4],
            vec![1, 1, 1, 1, 1],
            vec![3, 2],
        ] {
            let n: usize = shape.iter().product();
            let bytes: Vec<u8> = (0..n * dtype.itemsize())
                .map(|i| {
                    if dtype == DType::Bool {
                        (i % 2) as u8
                    } else {
                        (i * 89 % 256) as u8
                    }
                })
                .collect();
            let a = Array::from_bytes(
                dtype,
                shape.clone(),
                &bytes,
                ByteOrder::Little,
                &Limits::default(),
            )
            .unwrap();
            let dir = TempDir::new("edge");
            for opts in [
                EncodeOptions::tesseract(Encoding::Base64),
                EncodeOptions::tesseract(Encoding::Base64).lz4(),
                EncodeOptions::tesseract(Encoding::Binref).binref_dir(&dir.0),
                EncodeOptions::tesseract(Encoding::Binref)
                    .binref_dir(&dir.0)
                    .lz4(),
                EncodeOptions::truss(),
            ] {
                let back = json_round_trip(&a, &opts, &DecodeOptions::default().binref_dir(&dir.0));
                assert_bit_exact(&back, &a, &format!("{opts:?}"));
            }
            let back = json_round_trip(
                &a,
                &EncodeOptions::tesseract(Encoding::Json),
                &DecodeOptions::default(),
            );
            assert_json_equivalent(&back, &a);
            let packed = to_msgpack_vec(&M { x: a.clone() }).unwrap();
            let back: M = from_msgpack_slice(&packed, &DecodeOptions::default()).unwrap();
            assert_bit_exact(&back.x, &a, "msgpack");
        }
    }
}

#[test]
fn nan_payloads_survive_binary_forms() {
    let a = Array::from_vec(vec![
        f64::from_bits(0x7ff8_0000_dead_beef),
        f64::from_bits(0xfff0_0000_0000_0001),
        f64::NEG_INFINITY,
        -0.0,
    ]);
    for opts in [
        EncodeOptions::tesseract(Encoding::Base64),
        EncodeOptions::tesseract(Encoding::Base64).lz4(),
        EncodeOptions::truss(),
    ] {
        assert_bit_exact(
            &json_round_trip(&a, &opts, &DecodeOptions::default()),
            &a,
            "nan",
        );
    }
    let packed = to_msgpack_vec(&a).unwrap();
    let back: Array = from_msgpack_slice(&packed, &DecodeOptions::default()).unwrap();
    assert_bit_exact(&back, &a, "msgpack nan");
    // json: NaN and Inf become null and read back as NaN; -0.0 survives.
    let back = json_round_trip(
        &a,
        &EncodeOptions::tesseract(Encoding::Json),
        &DecodeOptions::default(),
    );
    let v = back.as_slice::<f64>().unwrap();
    assert!(v[0].is_nan() && v[1].is_nan() && v[2].is_nan());
    assert_eq!(v[3].to_bits(), (-0.0f64).to_bits());
}

#[test]
fn json_integers_full_range() {
    let a = Array::from_vec(vec![u64::MAX, 0, 1 << 63]);
    let back = json_round_trip(
        &a,
        &EncodeOptions::tesseract(Encoding::Json),
        &DecodeOptions::default(),
    );
    assert_bit_exact(&back, &a, "uint64");
    let a = Array::from_vec(vec![i64::MIN, i64::MAX, -1]);
    let back = json_round_trip(
        &a,
        &EncodeOptions::tesseract(Encoding::Json),
        &DecodeOptions::default(),
    );
    assert_bit_exact(&back, &a, "int64");
}
