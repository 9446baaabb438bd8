//! Per-function benchmarks behind `bench/compare`, at 1,000,000 float64 (8 MB of array
//! bytes; throughput is reported against those raw bytes, as in the comparison table).
//!
//! ```sh
//! cargo bench -p arraymodel --bench codecs              # everything (under a minute)
//! cargo bench -p arraymodel --bench codecs -- base64    # one group
//! ```
//!
//! Groups: `memcpy` (the limit), `base64`, `json` (tesseract `json` buffer text),
//! `lz4`, `msgpack`, `truss`, and `api` (the whole public call on `{x: Array}`, to see what
//! the serde layer adds on top of the codec; `list` is `EncodeOptions::list()`, plain
//! nested lists), each with the third-party baselines the codec is built from (zmij,
//! fast-float2, base64-simd, serde_json, lz4_flex).

use std::hint::black_box;
use std::time::Duration;

use arraymodel::codec::{base64, json, lz4, tesseract, truss};
use arraymodel::{
    Array, ArrayView, Compression, DType, DecodeOptions, EncodeOptions, Encoding, Limits,
    from_json_slice, from_msgpack_slice, to_json_vec, to_msgpack_vec,
};
use divan::Bencher;
use divan::counter::{BytesCount, BytesFormat};

const N: usize = 1_000_000;
const NBYTES: usize = N * 8;

fn main() {
    // One call per sample, so each returned buffer is freed before the next call, as in
    // bench/compare (divan otherwise keeps a sample's outputs alive, and every call then
    // pays fresh page faults); `fastest` is the figure to compare.
    divan::Divan::default()
        .sample_count(30)
        .sample_size(1)
        .max_time(Duration::from_secs(3))
        .bytes_format(BytesFormat::Decimal)
        .config_with_args()
        .main();
}

/// Standard-normal float64 (splitmix64 + Box-Muller), the same kind of data as
/// bench/compare: about 19 characters per element in JSON.
fn data() -> Vec<f64> {
    let mut s = 0x5EEDu64;
    let mut next = move || {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (((z ^ (z >> 31)) >> 11) + 1) as f64 / (1u64 << 53) as f64
    };
    (0..N)
        .map(|_| {
            let (u, v) = (next(), next());
            (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
        })
        .collect()
}

fn array() -> Array {
    Array::from_vec(data())
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Doc {
    x: Array,
}

#[derive(serde::Deserialize)]
struct DocView<'a> {
    #[serde(borrow)]
    x: ArrayView<'a>,
}

mod memcpy {
    use super::*;

    /// Into a reused, faulted-in buffer: the physical limit.
    #[divan::bench]
    fn warm(b: Bencher) {
        let a = array();
        let mut dst = vec![1u8; NBYTES];
        b.counter(BytesCount::new(NBYTES))
            .bench_local(|| dst.copy_from_slice(black_box(a.as_bytes())));
    }

    /// Into a new vector each time.
    #[divan::bench]
    fn fresh(b: Bencher) {
        let a = array();
        b.counter(BytesCount::new(NBYTES))
            .bench_local(|| black_box(a.as_bytes()).to_vec());
    }
}

mod base64_group {
    use super::*;

    #[divan::bench]
    fn encode_into(b: Bencher) {
        let a = array();
        let mut out = Vec::with_capacity(base64::encoded_len(NBYTES));
        b.counter(BytesCount::new(NBYTES)).bench_local(|| {
            out.clear();
            base64::encode_into(black_box(a.as_bytes()), &mut out);
        });
    }

    #[divan::bench]
    fn decode_into(b: Bencher) {
        let a = array();
        let mut text = Vec::new();
        base64::encode_into(a.as_bytes(), &mut text);
        let mut dst = vec![0u8; NBYTES];
        b.counter(BytesCount::new(NBYTES))
            .bench_local(|| base64::decode_into(black_box(&text), &mut dst).unwrap());
    }

    /// serde_json reading the base64 text as a borrowed string: the scan every JSON
    /// decode of a base64 buffer pays before the base64 decoder sees the text.
    #[divan::bench]
    fn serde_json_borrowed_str_scan(b: Bencher) {
        let a = array();
        let mut text = b"\"".to_vec();
        base64::encode_into(a.as_bytes(), &mut text);
        text.push(b'"');
        b.counter(BytesCount::new(NBYTES)).bench_local(|| {
            let s: &str = serde_json::from_slice(black_box(&text)).unwrap();
            s.len()
        });
    }

    /// serde_json writing a finished base64 string (escape scan + copy), what a
    /// structured (non-raw) serializer path costs on top of the encoding.
    #[divan::bench]
    fn serde_json_write_str(b: Bencher) {
        let a = array();
        let mut text = Vec::new();
        base64::encode_into(a.as_bytes(), &mut text);
        let text = String::from_utf8(text).unwrap();
        let mut out = Vec::with_capacity(text.len() + 2);
        b.counter(BytesCount::new(NBYTES)).bench_local(|| {
            out.clear();
            serde_json::to_writer(&mut out, black_box(&text)).unwrap();
        });
    }
}

mod json_group {
    use super::*;

    /// tesseract `json` buffer text (`[x,y,...]`, orjson's float format) into a reused vector.
    #[divan::bench]
    fn write_buffer(b: Bencher) {
        let a = array();
        let mut out = Vec::new();
        b.counter(BytesCount::new(NBYTES)).bench_local(|| {
            out.clear();
            json::write_buffer(black_box(&a), &mut out);
        });
    }

    /// The float formatter alone (zmij, no separators): the floor of `write_buffer`.
    #[divan::bench]
    fn zmij_format_only(b: Bencher) {
        let v = data();
        let mut out = Vec::with_capacity(N * 25);
        b.counter(BytesCount::new(NBYTES)).bench_local(|| {
            out.clear();
            let mut buf = zmij::Buffer::new();
            for &x in black_box(&v) {
                out.extend_from_slice(buf.format_finite(x).as_bytes());
            }
        });
    }

    /// Parsing the buffer text into a new float64 array.
    #[divan::bench]
    fn parse_buffer(b: Bencher) {
        let a = array();
        let mut text = Vec::new();
        json::write_buffer(&a, &mut text);
        let limits = Limits::default();
        b.counter(BytesCount::new(NBYTES)).bench_local(|| {
            json::parse_buffer(black_box(&text), DType::Float64, vec![N], &limits).unwrap()
        });
    }

    /// The float parser alone over the same text (fast-float2, commas skipped): the
    /// floor of `parse_buffer`.
    #[divan::bench]
    fn fast_float2_parse_only(b: Bencher) {
        let a = array();
        let mut text = Vec::new();
        json::write_buffer(&a, &mut text);
        let mut out = vec![0f64; N];
        b.counter(BytesCount::new(NBYTES)).bench_local(|| {
            let t = black_box(&text[1..text.len() - 1]);
            let mut i = 0;
            for slot in out.iter_mut() {
                let (x, used) = fast_float2::parse_partial::<f64, _>(&t[i..]).unwrap();
                *slot = x;
                i += used + 1;
            }
        });
    }

    /// Anchor from the issue: serde_json writing a `Vec<f64>`.
    #[divan::bench]
    fn serde_json_vec_f64_write(b: Bencher) {
        let v = data();
        let mut out = Vec::with_capacity(N * 25);
        b.counter(BytesCount::new(NBYTES)).bench_local(|| {
            out.clear();
            serde_json::to_writer(&mut out, black_box(&v)).unwrap();
        });
    }

    /// Anchor from the issue: serde_json parsing a `Vec<f64>` (float_roundtrip on).
    #[divan::bench]
    fn serde_json_vec_f64_parse(b: Bencher) {
        let v = data();
        let text = serde_json::to_vec(&v).unwrap();
        b.counter(BytesCount::new(NBYTES))
            .bench_local(|| serde_json::from_slice::<Vec<f64>>(black_box(&text)).unwrap());
    }
}

mod lz4_group {
    use super::*;

    #[divan::bench]
    fn compress_into(b: Bencher) {
        let a = array();
        let mut out = Vec::with_capacity(NBYTES + NBYTES / 100 + 64);
        b.counter(BytesCount::new(NBYTES)).bench_local(|| {
            out.clear();
            lz4::compress_into(black_box(a.as_bytes()), &mut out).unwrap();
        });
    }

    #[divan::bench]
    fn decompress_into(b: Bencher) {
        let a = array();
        let mut frame = Vec::new();
        lz4::compress_into(a.as_bytes(), &mut frame).unwrap();
        let mut dst = vec![0u8; NBYTES];
        b.counter(BytesCount::new(NBYTES))
            .bench_local(|| lz4::decompress_into(black_box(&frame), &mut dst).unwrap());
    }

    /// The pre-allocation check alone (walks the block headers).
    #[divan::bench(sample_size = 1000)]
    fn check_frame(b: Bencher) {
        let a = array();
        let mut frame = Vec::new();
        lz4::compress_into(a.as_bytes(), &mut frame).unwrap();
        b.counter(BytesCount::new(NBYTES))
            .bench_local(|| lz4::check_frame(black_box(&frame), NBYTES).unwrap());
    }

    /// lz4_flex's block API on the whole buffer (one block, no frame): what the
    /// compressor itself costs without the 64 KiB frame blocks.
    #[divan::bench]
    fn lz4_flex_block_compress(b: Bencher) {
        let a = array();
        b.counter(BytesCount::new(NBYTES))
            .bench_local(|| lz4_flex::block::compress(black_box(a.as_bytes())));
    }
}

mod msgpack_group {
    use super::*;

    #[divan::bench]
    fn to_msgpack_vec(b: Bencher) {
        let doc = Doc { x: array() };
        b.counter(BytesCount::new(NBYTES))
            .bench_local(|| super::to_msgpack_vec(black_box(&doc)).unwrap());
    }

    #[divan::bench]
    fn from_msgpack_slice_owned(b: Bencher) {
        let bytes = super::to_msgpack_vec(&Doc { x: array() }).unwrap();
        let opts = DecodeOptions::default();
        b.counter(BytesCount::new(NBYTES))
            .bench_local(|| from_msgpack_slice::<Doc>(black_box(&bytes), &opts).unwrap());
    }

    #[divan::bench(sample_size = 1000)]
    fn from_msgpack_slice_borrowed(b: Bencher) {
        let bytes = super::to_msgpack_vec(&Doc { x: array() }).unwrap();
        let opts = DecodeOptions::default();
        b.counter(BytesCount::new(NBYTES)).bench_local(|| {
            from_msgpack_slice::<DocView<'_>>(black_box(&bytes), &opts)
                .unwrap()
                .x
                .as_bytes()
                .len()
        });
    }
}

mod truss_group {
    use super::*;

    /// The codec alone (no serde layer).
    #[divan::bench]
    fn write_array(b: Bencher) {
        let a = array();
        let mut out = Vec::new();
        b.counter(BytesCount::new(NBYTES)).bench_local(|| {
            out.clear();
            truss::write_array(black_box(&a), &mut out);
        });
    }
}

/// The public calls `bench/compare` times, on `{x: Array}`.
mod api {
    use super::*;

    fn opts(codec: &str) -> EncodeOptions {
        match codec {
            "json" => EncodeOptions::tesseract(Encoding::Json),
            "json+base64" => EncodeOptions::tesseract(Encoding::Base64),
            "json+base64+lz4" => EncodeOptions::tesseract(Encoding::Base64).lz4(),
            "list" => EncodeOptions::list(),
            _ => EncodeOptions::truss(),
        }
    }

    const CODECS: &[&str] = &[
        "json",
        "json+base64",
        "json+base64+lz4",
        "truss-json",
        "list",
    ];

    #[divan::bench(args = CODECS)]
    fn to_json_vec(b: Bencher, codec: &str) {
        let doc = Doc { x: array() };
        let o = opts(codec);
        b.counter(BytesCount::new(NBYTES))
            .bench_local(|| super::to_json_vec(black_box(&doc), &o).unwrap());
    }

    #[divan::bench(args = CODECS)]
    fn from_json_slice(b: Bencher, codec: &str) {
        let text = super::to_json_vec(&Doc { x: array() }, &opts(codec)).unwrap();
        let o = DecodeOptions::default();
        b.counter(BytesCount::new(NBYTES))
            .bench_local(|| super::from_json_slice::<Doc>(black_box(&text), &o).unwrap());
    }

    /// `tesseract::write_array` alone for json+base64: `to_json_vec` minus this is the
    /// serde layer (raw-value hand-over, second copy of the text).
    #[divan::bench]
    fn tesseract_write_array_base64(b: Bencher) {
        let a = array();
        let mut out = Vec::new();
        b.counter(BytesCount::new(NBYTES)).bench_local(|| {
            out.clear();
            tesseract::write_array(
                black_box(&a),
                Encoding::Base64,
                Compression::None,
                None,
                &mut out,
            )
            .unwrap();
        });
    }
}
