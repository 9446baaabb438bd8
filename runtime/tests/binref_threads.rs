//! The binref writer under concurrency: many threads write arrays into ONE folder at
//! once, with `BinrefWriter` directly and through `to_json_vec` with
//! `EncodeOptions::tesseract(Encoding::Binref).binref_dir(..)`.
//!
//! - every reference resolves to exactly the bytes written for it;
//! - file names are unique, lowercase uuid4s (`xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx.bin`);
//! - until `finish`, no file a reference names exists (data goes to a hidden
//!   `.<name>.partial` file and is renamed into place), and after it no `.partial`
//!   file remains;
//! - a writer dropped without `finish` leaves neither its referenced files nor its
//!   temporary ones.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

use arraymodel::binref::{BinrefReader, BinrefWriter, Reference};
use arraymodel::{
    Array, DType, DecodeOptions, EncodeOptions, Encoding, ErrorKind, Limits, from_json_slice,
    to_json_vec,
};
use serde::{Deserialize, Serialize};

const THREADS: usize = 8;
const PER_THREAD: usize = 40;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "arraymodel-binref-threads-{tag}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Distinct bytes for thread `t`, item `i` (lengths vary, some empty).
fn payload(t: usize, i: usize) -> Vec<u8> {
    let len = (t * 131 + i * 17) % 200;
    (0..len).map(|k| (t * 7 + i * 3 + k) as u8).collect()
}

fn is_uuid4(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

fn file_names(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

/// The file-name part of a reference (`prefix/<uuid>.bin:offset[:size]`).
fn ref_file(reference: &str) -> String {
    let r = Reference::parse(reference).unwrap();
    Path::new(r.path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn assert_clean_names(dir: &Path) -> BTreeSet<String> {
    let names = file_names(dir);
    for n in &names {
        assert!(!n.ends_with(".partial"), "{n} left behind");
        let stem = n
            .strip_suffix(".bin")
            .unwrap_or_else(|| panic!("unexpected file {n}"));
        assert!(is_uuid4(stem), "{n} is not a uuid4 name");
    }
    names
}

#[test]
fn writers_on_many_threads_share_one_folder() {
    let dir = TempDir::new("writers");
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let dir = dir.path().to_path_buf();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                // Small files, so every thread rolls over to new files many times.
                let mut w = BinrefWriter::new(&dir, "").with_max_file_bytes(256);
                barrier.wait();
                let mut refs = Vec::new();
                for i in 0..PER_THREAD {
                    let r = w.append(&payload(t, i), false).unwrap();
                    // Not yet finished: the file the reference names does not exist.
                    assert!(
                        !dir.join(ref_file(&r)).exists(),
                        "{r} is visible before finish"
                    );
                    refs.push((i, r));
                }
                let files = w.finish().unwrap();
                (t, refs, files)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    let names = assert_clean_names(dir.path());
    let mut from_finish = BTreeSet::new();
    for (_, _, files) in &results {
        for f in files {
            assert!(
                from_finish.insert(f.file_name().unwrap().to_string_lossy().into_owned()),
                "{} reported by two writers",
                f.display()
            );
        }
    }
    assert_eq!(
        names, from_finish,
        "the folder holds exactly the files reported"
    );
    assert!(
        names.len() > THREADS * 2,
        "rollover produced {} files",
        names.len()
    );

    let reader = BinrefReader::new(dir.path()).unwrap();
    let mut owner = BTreeMap::new();
    for (t, refs, _) in &results {
        for (i, r) in refs {
            let want = payload(*t, *i);
            let got = reader
                .read(r, DType::UInt8, vec![want.len()], false, &Limits::default())
                .unwrap_or_else(|e| panic!("{r}: {e}"));
            assert_eq!(got.as_slice::<u8>().unwrap(), want.as_slice(), "{r}");
            // A file belongs to one thread only.
            let prev = owner.insert(ref_file(r), *t);
            assert!(
                prev.is_none_or(|p| p == *t),
                "{r} shared by threads {prev:?} and {t}"
            );
        }
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Out {
    result: Array,
    norm: Array,
    items: Vec<Array>,
}

fn out_value(t: usize, k: usize) -> Out {
    let base = (t * 1000 + k) as f64;
    Out {
        result: Array::from_vec(
            (0..(t + k) % 50)
                .map(|i| base + i as f64)
                .collect::<Vec<_>>(),
        ),
        norm: Array::scalar(base),
        items: (0..k % 4)
            .map(|j| Array::from_vec(vec![(t * 10 + j) as i32; j + 1]))
            .collect(),
    }
}

#[test]
fn to_json_vec_on_many_threads_into_one_folder() {
    let dir = TempDir::new("tojson");
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let dir = dir.path().to_path_buf();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                let mut bodies = Vec::new();
                for k in 0..PER_THREAD {
                    // Alternate plain and lz4 buffers, and tesseract's `run_<id>/` prefix
                    // (the files then live in `<dir>/run_shared/`, one folder for all).
                    let mut opts = EncodeOptions::tesseract(Encoding::Binref);
                    if k % 2 == 1 {
                        opts = opts.lz4();
                    }
                    let opts = if k % 3 == 0 {
                        opts.binref_dir(dir.join("run_shared"))
                            .binref_prefix("run_shared/")
                    } else {
                        opts.binref_dir(&dir)
                    };
                    let body = to_json_vec(&out_value(t, k), &opts).unwrap();
                    bodies.push((k, body));
                }
                (t, bodies)
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    let top = assert_clean_names(dir.path().join("run_shared").as_path());
    let mut all: BTreeSet<String> = file_names(dir.path());
    assert!(all.remove("run_shared"));
    let all: BTreeSet<String> = all.into_iter().chain(top).collect();
    for n in &all {
        assert!(is_uuid4(n.strip_suffix(".bin").unwrap()), "{n}");
    }
    // One file per call that wrote at least one array: names never collide.
    assert_eq!(all.len(), THREADS * PER_THREAD);

    let opts = DecodeOptions::default().binref_dir(dir.path());
    for (t, bodies) in &results {
        for (k, body) in bodies {
            let back: Out =
                from_json_slice(body, &opts).unwrap_or_else(|e| panic!("thread {t} call {k}: {e}"));
            assert_eq!(back, out_value(*t, *k), "thread {t} call {k}");
        }
    }
}

#[test]
fn dropped_writers_leave_nothing() {
    let dir = TempDir::new("dropped");
    let barrier = Arc::new(Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let dir = dir.path().to_path_buf();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || {
                let mut w = BinrefWriter::new(&dir, "").with_max_file_bytes(128);
                barrier.wait();
                let refs: Vec<String> = (0..PER_THREAD)
                    .map(|i| w.append(&payload(t, i), t % 2 == 0).unwrap())
                    .collect();
                if t % 4 == 0 {
                    // Unwinding drops the writer too.
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
                        let _w = w;
                        panic!("encoder failed");
                    }));
                    assert!(r.is_err());
                } else {
                    drop(w);
                }
                refs
            })
        })
        .collect();
    let refs: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    assert!(
        file_names(dir.path()).is_empty(),
        "left behind: {:?}",
        file_names(dir.path())
    );
    let reader = BinrefReader::new(dir.path()).unwrap();
    for r in &refs {
        let e = reader
            .read(r, DType::UInt8, vec![1], false, &Limits::default())
            .unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Binref(_)), "{r}: {e}");
    }
}

/// An encode that fails after writing some arrays must not leave files that nothing
/// references: the binref writer is finished (its files renamed into place) only once
/// the whole value is serialized, and dropped (its files removed) otherwise.
#[test]
fn failed_encode_leaves_no_files() {
    #[derive(Serialize)]
    struct Partial {
        a: Array,
        #[serde(with = "arraymodel::bytes")]
        raw: Vec<u8>,
        b: Array,
    }
    let dir = TempDir::new("failed");
    let value = Partial {
        a: Array::from_vec(vec![1.0f64, 2.0]),
        raw: vec![0xff], // not UTF-8: cannot be written to JSON
        b: Array::from_vec(vec![3.0f64]),
    };
    let e = to_json_vec(
        &value,
        &EncodeOptions::tesseract(Encoding::Binref).binref_dir(dir.path()),
    )
    .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Unrepresentable(_)), "{e}");
    assert_eq!(e.path().to_string(), "raw");
    assert!(
        file_names(dir.path()).is_empty(),
        "a failed encode left {:?}",
        file_names(dir.path())
    );
}
