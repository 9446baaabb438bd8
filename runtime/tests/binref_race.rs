//! binref reading and writing while someone who can write into the folders changes
//! them underneath: the normal case for the HTTP clients, which read the binref output
//! folder a (possibly malicious) server writes.
//!
//! - a directory of the base folder swapped with a symlink to a directory outside it,
//!   in a loop (`renameat2(RENAME_EXCHANGE)`), while the same reference is decoded
//!   thousands of times: no decode ever returns the outside file's bytes;
//! - a FIFO at the referenced name, behind a symlink, or swapped in for the file in a
//!   loop: every decode returns promptly (an error for the FIFO), never hangs;
//! - the writer's output folder given as a path whose parent is swapped with a
//!   symlink to elsewhere: every file is created, renamed and removed in the folder
//!   the writer opened first, nothing lands elsewhere.
//!
//! Linux only: `renameat2` with `RENAME_EXCHANGE` swaps two names atomically, which is
//! what makes the race reproducible (the attack that found it used the same call).
#![cfg(target_os = "linux")]

use std::collections::BTreeSet;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arraymodel::binref::{BinrefReader, BinrefWriter};
use arraymodel::{Array, DType, DecodeOptions, ErrorKind, Limits, from_json_slice};
use rustix::fs::{CWD, Mode, OFlags, RenameFlags, mkfifoat, renameat_with};
use serde::Deserialize;

/// Bytes of the file inside the base folder.
const INSIDE: u8 = 0x11;
/// Bytes of the file outside it: a decode returning these escaped the base folder.
const OUTSIDE: u8 = 0xEE;
const LEN: usize = 64;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "arraymodel-binref-race-{tag}-{}",
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

#[derive(Debug, Deserialize)]
struct M {
    x: Array,
}

/// A tesseract payload whose array `x` (uint8, `LEN` bytes) is the binref `reference`.
fn payload(reference: &str) -> String {
    format!(
        r#"{{"x":{{"object_type":"array","shape":[{LEN}],"dtype":"uint8","data":{{"buffer":"{reference}","encoding":"binref"}}}}}}"#
    )
}

/// Swaps the names `a` and `b` in `dir` atomically.
fn exchange(dir: &File, a: &str, b: &str) {
    renameat_with(dir, a, dir, b, RenameFlags::EXCHANGE).unwrap();
}

/// Swaps `a` and `b` in `dir` in a loop on another thread until `stop` is set or
/// `max` swaps are done (bounded either way). Returns the thread and its swap count,
/// once it has swapped at least once.
fn swapper(
    dir: &Path,
    a: &'static str,
    b: &'static str,
    stop: &Arc<AtomicBool>,
    max: u64,
) -> (std::thread::JoinHandle<()>, Arc<AtomicU64>) {
    let dir = File::open(dir).unwrap();
    let count = Arc::new(AtomicU64::new(0));
    let (stop, n) = (stop.clone(), count.clone());
    let handle = std::thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) && n.load(Ordering::Relaxed) < max {
            exchange(&dir, a, b);
            n.fetch_add(1, Ordering::Relaxed);
        }
        // Leave the names as they were.
        if n.load(Ordering::Relaxed) % 2 == 1 {
            exchange(&dir, a, b);
        }
    });
    while count.load(Ordering::Relaxed) == 0 && !handle.is_finished() {
        std::thread::yield_now();
    }
    (handle, count)
}

/// Runs `f` on another thread and waits at most `secs` seconds for it.
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs)).ok()
}

/// Outcomes of decoding one reference many times.
#[derive(Debug, Default)]
struct Tally {
    inside: u64,
    errors: u64,
    outside: u64,
}

/// Decodes `reference` under `base` up to `times` times (or for at most 20 s):
/// each decode must give the inside bytes or a `Binref` error.
fn decode_many(base: &Path, reference: &str, times: u32) -> Tally {
    let opts = DecodeOptions::default().binref_dir(base);
    let doc = payload(reference);
    let end = Instant::now() + Duration::from_secs(20);
    let mut t = Tally::default();
    for _ in 0..times {
        match from_json_slice::<M>(doc.as_bytes(), &opts) {
            Ok(m) => match m.x.as_slice::<u8>().unwrap() {
                b if b == [INSIDE; LEN] => t.inside += 1,
                b if b == [OUTSIDE; LEN] => t.outside += 1,
                b => panic!("read neither file: {b:?}"),
            },
            Err(e) => {
                assert!(matches!(e.kind(), ErrorKind::Binref(_)), "{e}");
                t.errors += 1;
            }
        }
        if Instant::now() > end {
            break;
        }
    }
    t
}

/// Guards: binref check-then-open race. `base/d` (a directory holding the inside
/// file) is swapped with `base/lnk`, a symlink to a directory outside holding a file
/// of the same name, while `d/f.bin` is decoded; an absolute and a relative symlink,
/// since the reader handles absolute ones on a second path. Before the reader
/// resolved and opened in one step, about 0.3% of such decodes returned the outside
/// file.
#[test]
fn directory_swapped_with_symlink_never_reads_outside() {
    for (tag, absolute) in [("abs", true), ("rel", false)] {
        let root = TempDir::new(&format!("dir-{tag}"));
        let (base, outside) = (root.path().join("base"), root.path().join("outside"));
        std::fs::create_dir_all(base.join("d")).unwrap();
        std::fs::create_dir_all(outside.join("d")).unwrap();
        std::fs::write(base.join("d/f.bin"), [INSIDE; LEN]).unwrap();
        std::fs::write(outside.join("d/f.bin"), [OUTSIDE; LEN]).unwrap();
        let target = if absolute {
            outside.join("d")
        } else {
            PathBuf::from("../outside/d")
        };
        std::os::unix::fs::symlink(target, base.join("lnk")).unwrap();
        // Without the swapper: the inside file, and the symlink refused.
        let t = decode_many(&base, "d/f.bin", 1);
        assert_eq!((t.inside, t.errors), (1, 0), "{t:?}");
        let t = decode_many(&base, "lnk/f.bin", 1);
        assert_eq!((t.inside, t.errors), (0, 1), "{t:?}");

        let stop = Arc::new(AtomicBool::new(false));
        let (swapping, swaps) = swapper(&base, "d", "lnk", &stop, 50_000_000);
        let t = decode_many(&base, "d/f.bin", 20_000);
        stop.store(true, Ordering::Relaxed);
        swapping.join().unwrap();
        eprintln!(
            "{tag} symlink: {t:?} with {} swaps",
            swaps.load(Ordering::Relaxed)
        );
        assert_eq!(t.outside, 0, "{tag} symlink: read the outside file: {t:?}");
        assert!(swaps.load(Ordering::Relaxed) > 0);
    }
}

/// Guards: FIFO swap (a FIFO at the referenced name, or behind a symlink). Opening a
/// FIFO for reading blocks until a writer appears; the decode must instead fail at
/// once with a `Binref` error.
#[test]
fn fifo_at_the_name_or_behind_a_symlink_fails_promptly() {
    let root = TempDir::new("fifo");
    let base = root.path().join("base");
    std::fs::create_dir_all(&base).unwrap();
    mkfifoat(CWD, base.join("p.bin"), Mode::from_raw_mode(0o600)).unwrap();
    std::os::unix::fs::symlink("p.bin", base.join("rel.bin")).unwrap();
    std::os::unix::fs::symlink(base.join("p.bin"), base.join("abs.bin")).unwrap();
    for (reference, compressed) in [
        ("p.bin", false),
        ("p.bin:0:16", true),
        ("rel.bin:0", false),
        ("abs.bin:0", false),
    ] {
        let base = base.clone();
        let r = within(10, move || {
            BinrefReader::new(&base)
                .unwrap()
                .read(
                    reference,
                    DType::UInt8,
                    vec![LEN],
                    compressed,
                    &Limits::default(),
                )
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .unwrap_or_else(|| {
            unblock(&root.path().join("base/p.bin"));
            panic!("{reference}: reading a FIFO blocked")
        });
        let e = r.unwrap_err();
        assert!(e.contains("not a regular file"), "{reference}: {e}");
    }
}

/// Guards: FIFO swap. A regular file and a FIFO swap names in a loop while the file's
/// name is decoded: every decode returns (the file's bytes or an error) within the
/// time limit. Before the reader checked the type on the open handle, a swap between
/// its check by name and the open left it blocked in `open` for good.
#[test]
fn fifo_swapped_for_the_file_never_hangs() {
    let root = TempDir::new("fifo-swap");
    let base = root.path().join("base");
    std::fs::create_dir_all(&base).unwrap();
    std::fs::write(base.join("f.bin"), [INSIDE; LEN]).unwrap();
    mkfifoat(CWD, base.join("p.bin"), Mode::from_raw_mode(0o600)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (swapping, swaps) = swapper(&base, "f.bin", "p.bin", &stop, 50_000_000);
    let b = base.clone();
    let t = within(30, move || decode_many(&b, "f.bin", 20_000));
    stop.store(true, Ordering::Relaxed);
    let Some(t) = t else {
        swapping.join().unwrap();
        unblock(&base.join("f.bin"));
        unblock(&base.join("p.bin"));
        panic!("a decode blocked on the FIFO");
    };
    swapping.join().unwrap();
    eprintln!(
        "FIFO swap: {t:?} with {} swaps",
        swaps.load(Ordering::Relaxed)
    );
    assert_eq!(t.outside, 0);
}

/// Releases a reader blocked opening the FIFO at `path` (if it is one) by opening
/// its write end, so that a failing test does not leave a thread stuck for good.
fn unblock(path: &Path) {
    let _ = rustix::fs::open(path, OFlags::WRONLY | OFlags::NONBLOCK, Mode::empty());
}

/// The `.bin` and `.partial` files directly in `dir`.
fn written(dir: &Path) -> (BTreeSet<String>, usize) {
    let mut bins = BTreeSet::new();
    let mut partial = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".partial") {
            partial += 1;
        } else if name.ends_with(".bin") {
            bins.insert(name);
        }
    }
    (bins, partial)
}

/// `root/p/out` (the writer's folder, marked `A`) and `root/elsewhere/out` (marked
/// `B`), with `root/q` a symlink to `root/elsewhere`: swapping `p` and `q` makes the
/// writer's path `root/p/out` lead to `elsewhere/out`.
fn writer_layout(tag: &str) -> (TempDir, PathBuf) {
    let root = TempDir::new(tag);
    let r = root.path();
    std::fs::create_dir_all(r.join("p/out")).unwrap();
    std::fs::create_dir_all(r.join("elsewhere/out")).unwrap();
    std::fs::write(r.join("p/out/A"), "").unwrap();
    std::fs::write(r.join("elsewhere/out/B"), "").unwrap();
    std::os::unix::fs::symlink(r.join("elsewhere"), r.join("q")).unwrap();
    let out = r.join("p/out");
    (root, out)
}

/// The writer's opened folder (marked `A`) and the other one, wherever they are now.
fn marked(root: &Path) -> (PathBuf, PathBuf) {
    let (p, e) = (root.join("p/out"), root.join("elsewhere/out"));
    let p = p.canonicalize().unwrap();
    if p.join("A").exists() {
        (p, e)
    } else {
        // `p` and `q` were left swapped: `p` is the symlink, the real folder is at `q`.
        (root.join("q/out"), e)
    }
}

/// Guards: binref check-then-open race, writer side. The output folder is given as a
/// path whose parent is swapped with a symlink to elsewhere, once between two
/// appends and then in a loop during them: every file is created and renamed in the
/// folder the writer opened first, every reference reads back its bytes there, and
/// nothing (no `.bin`, no `.partial`) appears in the other folder.
#[test]
fn writer_only_writes_into_the_folder_it_opened() {
    let (root, out) = writer_layout("writer");
    let parent = File::open(root.path()).unwrap();
    let mut w = BinrefWriter::new(&out, "").with_max_file_bytes(0);
    let data = |i: usize| vec![i as u8; 1 + i % 7];
    let mut refs = vec![w.append(&data(0), false).unwrap()];
    // Once, between two appends: a new file is created at once (max_file_bytes 0).
    exchange(&parent, "p", "q");
    refs.push(w.append(&data(1), false).unwrap());
    // In a loop, during many appends.
    let stop = Arc::new(AtomicBool::new(false));
    let (swapping, _) = swapper(root.path(), "p", "q", &stop, 10_000_000);
    for i in 2..400 {
        refs.push(w.append(&data(i), false).unwrap());
    }
    let finished = w.finish();
    stop.store(true, Ordering::Relaxed);
    swapping.join().unwrap();
    finished.unwrap();

    let (mine, other) = marked(root.path());
    let (bins, partial) = written(&mine);
    assert_eq!((bins.len(), partial), (refs.len(), 0));
    assert_eq!(
        written(&other),
        (BTreeSet::new(), 0),
        "wrote outside its folder"
    );
    let reader = BinrefReader::new(&mine).unwrap();
    for (i, r) in refs.iter().enumerate() {
        let d = data(i);
        let a = reader
            .read(r, DType::UInt8, vec![d.len()], false, &Limits::default())
            .unwrap();
        assert_eq!(a.as_slice::<u8>().unwrap(), &d[..]);
    }
}

/// Guards: binref check-then-open race, writer side. A writer dropped without
/// `finish` after its folder's parent was swapped removes its temporary files from
/// the folder it opened, and touches nothing elsewhere.
#[test]
fn dropped_writer_cleans_the_folder_it_opened() {
    let (root, out) = writer_layout("writer-drop");
    let parent = File::open(root.path()).unwrap();
    let mut w = BinrefWriter::new(&out, "").with_max_file_bytes(0);
    for i in 0..5u8 {
        w.append(&[i; 3], false).unwrap();
        exchange(&parent, "p", "q");
    }
    drop(w);
    let (mine, other) = marked(root.path());
    assert_eq!(written(&mine), (BTreeSet::new(), 0));
    assert_eq!(written(&other), (BTreeSet::new(), 0));
    assert!(mine.join("A").exists() && other.join("B").exists());
}
