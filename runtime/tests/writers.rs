//! The buffer-reusing and streaming encoders (`to_json_into`, `to_json_writer`,
//! `to_msgpack_into`, `to_msgpack_writer`) write exactly what `to_json_vec` and
//! `to_msgpack_vec` write, in every form, for documents small and larger than the
//! streaming chunk; a failing writer is an `Io` error; a failed call leaves a reused
//! buffer as it was.

use std::io::{self, Write};

use arraymodel::{
    Array, DType, EncodeOptions, Encoding, ErrorKind, from_json_slice, to_json_into, to_json_vec,
    to_json_writer, to_msgpack_into, to_msgpack_vec, to_msgpack_writer,
};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Doc {
    name: String,
    arrays: Vec<Array>,
}

fn doc(n: usize) -> Doc {
    Doc {
        name: "w\u{e9}".into(),
        arrays: vec![
            Array::from_vec((0..n).map(|i| i as f64 * 0.25 - 3.0).collect::<Vec<_>>()),
            Array::new(vec![2, 0, 4], Vec::<i8>::new()).unwrap(),
            Array::scalar(u64::MAX),
            Array::from_vec((0..n / 3).map(|i| (i % 7) as u8).collect::<Vec<_>>()),
        ],
    }
}

fn forms() -> Vec<(&'static str, EncodeOptions)> {
    vec![
        ("json", EncodeOptions::tesseract(Encoding::Json)),
        ("json+base64", EncodeOptions::tesseract(Encoding::Base64)),
        (
            "json+base64+lz4",
            EncodeOptions::tesseract(Encoding::Base64).lz4(),
        ),
        ("truss", EncodeOptions::truss()),
    ]
}

/// Records how the writer was called.
#[derive(Default)]
struct Recorder {
    bytes: Vec<u8>,
    writes: usize,
    flushed: bool,
}

impl Write for Recorder {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.writes += 1;
        self.bytes.extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.flushed = true;
        Ok(())
    }
}

#[test]
fn json_into_and_writer_match_vec() {
    // 8 elements and 600k elements (about 5 MB of base64, several streaming chunks).
    for n in [8usize, 600_000] {
        let d = doc(n);
        for (name, opts) in forms() {
            let expected = to_json_vec(&d, &opts).unwrap();
            let mut rec = Recorder::default();
            to_json_writer(&d, &opts, &mut rec).unwrap();
            assert_eq!(rec.bytes, expected, "{name} {n}: writer");
            assert!(rec.flushed, "{name} {n}: the writer is flushed");
            if expected.len() > 3 << 20 {
                assert!(rec.writes >= 2, "{name} {n}: streamed in pieces");
            }
            let mut buf = b"prefix".to_vec();
            to_json_into(&d, &opts, &mut buf).unwrap();
            assert_eq!(&buf[..6], b"prefix");
            assert_eq!(&buf[6..], &expected[..], "{name} {n}: into");
            let back: Doc = from_json_slice(&buf[6..], &Default::default()).unwrap();
            assert_eq!(back, d, "{name} {n}");
        }
    }
}

#[test]
fn binref_writer_output_matches_and_files_are_kept() {
    let dir = std::env::temp_dir().join(format!("arraymodel-writers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = doc(1000);
    let opts = EncodeOptions::tesseract(Encoding::Binref).binref_dir(&dir);
    let mut rec = Recorder::default();
    to_json_writer(&d, &opts, &mut rec).unwrap();
    let back: Doc = from_json_slice(
        &rec.bytes,
        &arraymodel::DecodeOptions::default().binref_dir(&dir),
    )
    .unwrap();
    assert_eq!(back, d);
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(files, 1, "one side file, finished (renamed into place)");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn msgpack_into_and_writer_match_vec() {
    for n in [8usize, 600_000] {
        let d = doc(n);
        let expected = to_msgpack_vec(&d).unwrap();
        let mut rec = Recorder::default();
        to_msgpack_writer(&d, &mut rec).unwrap();
        assert_eq!(rec.bytes, expected, "{n}: writer");
        assert!(rec.flushed);
        let mut buf = vec![0xc0];
        to_msgpack_into(&d, &mut buf).unwrap();
        assert_eq!(buf[0], 0xc0);
        assert_eq!(&buf[1..], &expected[..], "{n}: into");
    }
}

/// Fails after `budget` bytes.
struct Failing {
    budget: usize,
}

impl Write for Failing {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        if b.len() > self.budget {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
        }
        self.budget -= b.len();
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn failing_writers_are_io_errors() {
    let d = doc(600_000);
    for budget in [0usize, 10, 2 << 20] {
        let e = to_json_writer(&d, &EncodeOptions::default(), Failing { budget }).unwrap_err();
        match e.kind() {
            ErrorKind::Io(io) => assert_eq!(io.kind(), io::ErrorKind::StorageFull, "{e}"),
            other => panic!("json, budget {budget}: {other:?}"),
        }
        let e = to_msgpack_writer(&d, Failing { budget }).unwrap_err();
        match e.kind() {
            ErrorKind::Io(io) => assert_eq!(io.kind(), io::ErrorKind::StorageFull, "{e}"),
            other => panic!("msgpack, budget {budget}: {other:?}"),
        }
    }
}

#[test]
fn failed_encodes_leave_a_reused_buffer_as_it_was() {
    // bytes that are not UTF-8 cannot be written as a JSON string in the default style.
    #[derive(Serialize)]
    struct Bad {
        a: Array,
        #[serde(with = "arraymodel::bytes")]
        b: Vec<u8>,
    }
    let bad = Bad {
        a: Array::zeros(DType::Float32, vec![1000]).unwrap(),
        b: vec![0xff, 0xfe],
    };
    let mut buf = b"kept".to_vec();
    let r = to_json_into(&bad, &EncodeOptions::default(), &mut buf);
    assert!(r.is_err(), "{r:?}");
    assert_eq!(buf, b"kept");
}

/// Class: a failed call leaves binref files behind. `to_json_writer` renamed its `.bin`
/// files into place before handing the writer its last piece; a writer failing there
/// returned an error but left files that nothing references.
#[test]
fn a_writer_failing_on_its_last_piece_leaves_no_binref_files() {
    /// Takes everything until `flush`, which fails.
    struct FailsAtFlush(Vec<u8>);
    impl Write for FailsAtFlush {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::other("disk full"))
        }
    }
    let dir =
        std::env::temp_dir().join(format!("arraymodel-writers-failing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let opts = EncodeOptions::tesseract(Encoding::Binref).binref_dir(&dir);
    let e = to_json_writer(&doc(100), &opts, FailsAtFlush(Vec::new())).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Io(_)), "{e}");
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(left.is_empty(), "files left behind: {left:?}");
    // The same call with a working writer publishes its file.
    to_json_writer(&doc(100), &opts, Vec::new()).unwrap();
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}
