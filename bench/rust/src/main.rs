//! The Rust side of `bench/compare`: times arraymodel's public API on the benchmark data,
//! writes the payloads the report compares with the peers', and measures peak RSS in
//! fresh child processes.
//!
//! ```text
//! arraymodel-bench gen DIR                      write DIR/cases.json and DIR/data/<case>.raw
//! arraymodel-bench run DIR [--quick]            time every codec and memcpy -> DIR/rust.json,
//!                                               payloads for the identity check -> DIR/out/rust/
//! arraymodel-bench rss DIR                      peak RSS of decoding/encoding the 128 MB case in
//!                                               every codec, one child per case -> DIR/rss-rust.json
//! arraymodel-bench rss-decode CODEC FILE BINDIR (child) decode FILE once, print the peak RSS
//! arraymodel-bench rss-encode CODEC RAW BINDIR  (child) load RAW, encode once, print the peak RSS
//! arraymodel-bench loop DIR CASE CODEC OP SECS  repeat one (case, codec, encode|decode) for SECS
//!                                               seconds, e.g. under `perf record -g`
//! ```
//!
//! Everything goes through what users call: `to_json_into` (a reused output buffer) and
//! `to_json_vec` (a fresh one) / `from_json_slice`, and `to_msgpack_into` /
//! `to_msgpack_vec` / `from_msgpack_slice` on a one-field struct `{x: Array}`
//! (`{x: ArrayView}` for the borrowed msgpack decode).

use std::fs;
use std::hint::black_box;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use arraymodel::{
    Array, ArrayView, DecodeOptions, EncodeOptions, Encoding, from_json_slice, from_msgpack_slice,
    to_json_into, to_json_vec, to_msgpack_into, to_msgpack_vec,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

type BoxError = Box<dyn std::error::Error>;
type Res<T> = std::result::Result<T, BoxError>;

/// The one-field model every codec is measured on.
#[derive(Serialize, Deserialize)]
struct Doc {
    x: Array,
}

/// The same model, borrowing the array data from the msgpack input.
#[derive(Deserialize)]
struct DocView<'a> {
    #[serde(borrow)]
    x: ArrayView<'a>,
}

/// Every codec, in report order.
const CODECS: [&str; 8] = [
    "json",
    "json+base64",
    "json+binref",
    "json+base64+lz4",
    "json+binref+lz4",
    "truss-json",
    "msgpack",
    "msgpack-borrowed",
];

/// The benchmark cases: (dtype, elements). The 16M float64 case is the 128 MB array of
/// the peak-RSS measurement.
const CASES: [(&str, usize); 4] = [
    ("float64", 1_000_000),
    ("float64", 16_000_000),
    ("int8", 1_000_000),
    ("float32", 1_000_000),
];

/// Elements of the peak-RSS case (float64, 128 MB).
const RSS_ELEMENTS: usize = 16_000_000;

fn case_name(dtype: &str, n: usize) -> String {
    format!("{dtype}-{n}")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = match args.as_slice() {
        ["gen", dir] => gen_data(Path::new(dir)),
        ["run", dir] => run(Path::new(dir), false),
        ["run", dir, "--quick"] => run(Path::new(dir), true),
        ["rss", dir] => rss(Path::new(dir)),
        ["loop", dir, case, codec, op, secs] => profile_loop(Path::new(dir), case, codec, op, secs),
        ["rss-decode", codec, file, bindir] => {
            rss_decode(codec, Path::new(file), Path::new(bindir))
        }
        ["rss-encode", codec, raw, bindir] => rss_encode(codec, Path::new(raw), Path::new(bindir)),
        _ => {
            eprintln!(
                "usage: arraymodel-bench gen DIR | run DIR [--quick] | rss DIR \
                 | rss-decode CODEC FILE BINDIR | rss-encode CODEC RAW BINDIR \
                 | loop DIR CASE CODEC encode|decode SECS"
            );
            std::process::exit(2);
        }
    };
    if let Err(e) = r {
        eprintln!("arraymodel-bench: {e}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------

/// splitmix64: a tiny, fast, well-mixed generator (the data only has to be fixed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box-Muller), like the peers' `standard_normal` benchmark data:
    /// full 17-digit floats, about 19 characters each in JSON.
    fn normal_pair(&mut self) -> (f64, f64) {
        let (u, v) = (self.unit(), self.unit());
        let r = (-2.0 * u.ln()).sqrt();
        let t = std::f64::consts::TAU * v;
        (r * t.cos(), r * t.sin())
    }
}

/// The little-endian bytes of the case's data.
fn make_data(dtype: &str, n: usize, seed: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(n * itemsize(dtype));
    match dtype {
        "float64" | "float32" => {
            let mut i = 0;
            while i < n {
                let (a, b) = rng.normal_pair();
                for x in [a, b].into_iter().take(n - i) {
                    if dtype == "float64" {
                        out.extend_from_slice(&x.to_le_bytes());
                    } else {
                        out.extend_from_slice(&(x as f32).to_le_bytes());
                    }
                }
                i += 2;
            }
        }
        "int8" => {
            while out.len() < n {
                let w = rng.next().to_le_bytes();
                out.extend_from_slice(&w[..(n - out.len()).min(8)]);
            }
        }
        other => panic!("no data for {other}"),
    }
    out
}

fn itemsize(dtype: &str) -> usize {
    match dtype {
        "float64" => 8,
        "float32" => 4,
        "int8" => 1,
        other => panic!("unknown dtype {other}"),
    }
}

fn gen_data(dir: &Path) -> Res<()> {
    fs::create_dir_all(dir.join("data"))?;
    let mut cases = Vec::new();
    for (i, (dtype, n)) in CASES.iter().enumerate() {
        let name = case_name(dtype, *n);
        let raw = dir.join("data").join(format!("{name}.raw"));
        fs::write(&raw, make_data(dtype, *n, 0x5EED + i as u64))?;
        cases.push(json!({"name": name, "dtype": dtype, "elements": n, "raw": raw}));
    }
    let meta = json!({
        "cases": cases,
        "codecs": CODECS,
        "rss_case": case_name("float64", RSS_ELEMENTS),
    });
    fs::write(dir.join("cases.json"), serde_json::to_vec_pretty(&meta)?)?;
    Ok(())
}

/// Loads a raw little-endian file into an array in one allocation (no intermediate
/// byte vector, so the peak-RSS child does not count the array twice).
fn load_raw(dtype: &str, path: &Path) -> Res<Array> {
    let mut f = fs::File::open(path)?;
    let len = usize::try_from(f.metadata()?.len())?;
    let size = itemsize(dtype);
    let mut chunk = vec![0u8; 64 << 10];
    macro_rules! read_typed {
        ($t:ty) => {{
            let mut v: Vec<$t> = Vec::with_capacity(len / size);
            let mut left = len;
            while left > 0 {
                let k = left.min(chunk.len());
                f.read_exact(&mut chunk[..k])?;
                v.extend(
                    chunk[..k]
                        .chunks_exact(size)
                        .map(|c| <$t>::from_le_bytes(c.try_into().expect("item"))),
                );
                left -= k;
            }
            Array::from_vec(v)
        }};
    }
    Ok(match dtype {
        "float64" => read_typed!(f64),
        "float32" => read_typed!(f32),
        "int8" => read_typed!(i8),
        other => return Err(format!("unknown dtype {other}").into()),
    })
}

// ---------------------------------------------------------------------------------
// The codecs through the public API
// ---------------------------------------------------------------------------------

fn encode_options(codec: &str, bindir: &Path) -> Option<EncodeOptions> {
    let t = EncodeOptions::tesseract;
    Some(match codec {
        "json" => t(Encoding::Json),
        "json+base64" => t(Encoding::Base64),
        "json+base64+lz4" => t(Encoding::Base64).lz4(),
        "json+binref" => t(Encoding::Binref).binref_dir(bindir),
        "json+binref+lz4" => t(Encoding::Binref).lz4().binref_dir(bindir),
        "truss-json" => EncodeOptions::truss(),
        _ => return None, // msgpack
    })
}

fn encode(codec: &str, doc: &Doc, bindir: &Path) -> Res<Vec<u8>> {
    Ok(match encode_options(codec, bindir) {
        Some(opts) => to_json_vec(doc, &opts)?,
        None => to_msgpack_vec(doc)?,
    })
}

/// Encodes into `out` (appending), reusing its memory.
fn encode_into(codec: &str, doc: &Doc, bindir: &Path, out: &mut Vec<u8>) -> Res<()> {
    match encode_options(codec, bindir) {
        Some(opts) => to_json_into(doc, &opts, out)?,
        None => to_msgpack_into(doc, out)?,
    }
    Ok(())
}

fn decode_options(bindir: &Path) -> DecodeOptions {
    DecodeOptions::default().binref_dir(bindir)
}

/// Decodes an owned array (every codec but `msgpack-borrowed`).
fn decode(codec: &str, bytes: &[u8], opts: &DecodeOptions) -> Res<Array> {
    Ok(if codec.starts_with("msgpack") {
        from_msgpack_slice::<Doc>(bytes, opts)?.x
    } else {
        from_json_slice::<Doc>(bytes, opts)?.x
    })
}

/// The codec that writes a decoder's input (`msgpack-borrowed` reads msgpack).
fn writer_of(codec: &str) -> &str {
    if codec == "msgpack-borrowed" {
        "msgpack"
    } else {
        codec
    }
}

fn is_binref(codec: &str) -> bool {
    codec.contains("binref")
}

/// Removes the `.bin` files an encode left in `dir` (between repetitions, untimed).
fn clear_dir(dir: &Path) -> Res<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    fs::create_dir_all(dir)?;
    Ok(())
}

// ---------------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------------

/// Wall-clock and thread CPU time of one repetition. The wall time is the figure (as
/// `time.perf_counter` on the Python side); the CPU time of the measuring thread
/// (`CLOCK_THREAD_CPUTIME_ID`, user + system, so page faults count) is kept beside it
/// because other processes on this 2-core machine inflate wall times but not CPU times.
#[derive(Clone, Copy)]
struct Lap {
    wall: f64,
    cpu: f64,
}

struct Timer {
    wall: Instant,
    cpu: f64,
}

impl Timer {
    fn start() -> Timer {
        Timer {
            cpu: thread_cpu_seconds(),
            wall: Instant::now(),
        }
    }

    fn elapsed(&self) -> Lap {
        let wall = self.wall.elapsed().as_secs_f64();
        Lap {
            wall,
            cpu: thread_cpu_seconds() - self.cpu,
        }
    }
}

#[allow(unsafe_code)]
fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the valid, exclusively borrowed `ts`.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return f64::NAN;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// How many repetitions: at least `min_reps` (1 in quick mode when one takes over a
/// second), then more until `budget` is spent or `max_reps` are done. The figure is the
/// best (shortest) repetition, as the peers' scripts report.
#[derive(Clone, Copy)]
struct Reps {
    min_reps: usize,
    max_reps: usize,
    budget: Duration,
    quick: bool,
}

impl Reps {
    fn new(quick: bool) -> Reps {
        if quick {
            Reps {
                min_reps: 2,
                max_reps: 10,
                budget: Duration::from_millis(300),
                quick,
            }
        } else {
            Reps {
                min_reps: 5,
                max_reps: 40,
                budget: Duration::from_millis(1500),
                quick,
            }
        }
    }

    /// `once` runs one repetition and returns its timed part. Returns the best wall time,
    /// the best CPU time (each the minimum over the repetitions) and the repetitions.
    fn best(self, mut once: impl FnMut() -> Res<Lap>) -> Res<(Lap, usize)> {
        let start = Instant::now();
        let mut best = Lap {
            wall: f64::INFINITY,
            cpu: f64::INFINITY,
        };
        let mut reps = 0;
        loop {
            let t = once()?;
            best.wall = best.wall.min(t.wall);
            best.cpu = best.cpu.min(t.cpu);
            reps += 1;
            let min = if self.quick && t.wall > 1.0 {
                1
            } else {
                self.min_reps
            };
            if reps >= self.max_reps || (reps >= min && start.elapsed() >= self.budget) {
                return Ok((best, reps));
            }
        }
    }
}

fn mbps(bytes: usize, secs: f64) -> f64 {
    bytes as f64 / 1e6 / secs
}

/// A copy into a new allocation advised for transparent huge pages, as numpy does for
/// arrays of 4 MiB and more (`madvise(MADV_HUGEPAGE)`, effective when
/// /sys/kernel/mm/transparent_hugepage/enabled is `madvise` or `always`): the reference
/// for what a fresh output buffer can cost.
#[allow(unsafe_code)]
fn fresh_thp_copy(src: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = Vec::with_capacity(src.len());
    let p = v.as_mut_ptr() as usize;
    let start = (p + 4095) & !4095;
    let end = (p + src.len()) & !4095;
    if src.len() >= 4 << 20 && end > start {
        // SAFETY: the range lies inside the allocation `v` owns; madvise only changes
        // how the kernel backs those pages, never their contents or validity.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
    v.extend_from_slice(src);
    v
}

// ---------------------------------------------------------------------------------
// run
// ---------------------------------------------------------------------------------

fn run(dir: &Path, quick: bool) -> Res<()> {
    let reps = Reps::new(quick);
    let meta: Value = serde_json::from_slice(&fs::read(dir.join("cases.json"))?)?;
    let out_dir = dir.join("out").join("rust");
    fs::create_dir_all(&out_dir)?;
    let mut records = Vec::new();
    for case in meta["cases"].as_array().ok_or("cases.json: no cases")? {
        let name = case["name"].as_str().ok_or("case name")?;
        let dtype = case["dtype"].as_str().ok_or("case dtype")?;
        let n = case["elements"].as_u64().ok_or("case elements")? as usize;
        let raw_path = PathBuf::from(case["raw"].as_str().ok_or("case raw")?);
        let doc = Doc {
            x: load_raw(dtype, &raw_path)?,
        };
        let nbytes = doc.x.nbytes();
        let rec = |codec: &str, op: &str, t: Lap, reps: usize, payload: Option<usize>| {
            let v = json!({
                "case": name, "dtype": dtype, "elements": n, "codec": codec, "op": op,
                "seconds": t.wall, "cpu_seconds": t.cpu, "reps": reps,
                "mb_per_s": mbps(nbytes, t.wall), "cpu_mb_per_s": mbps(nbytes, t.cpu),
                "payload_bytes": payload,
            });
            eprintln!(
                "  rust {name:<17} {codec:<17} {op:<7} {:>10.1} MB/s  (cpu {:>10.1})  ({reps} reps)",
                mbps(nbytes, t.wall),
                mbps(nbytes, t.cpu)
            );
            v
        };

        // memcpy of the same bytes: into a reused, already faulted-in buffer (the
        // physical limit), and into a fresh allocation (what any decoder that returns a
        // new array pays at sizes the allocator serves with fresh pages).
        let src = doc.x.as_bytes();
        let mut dst = vec![1u8; nbytes];
        let (t, r) = reps.best(|| {
            let t0 = Timer::start();
            dst.copy_from_slice(black_box(src));
            let dt = t0.elapsed();
            black_box(&mut dst);
            Ok(dt)
        })?;
        records.push(rec("memcpy", "copy", t, r, None));
        drop(dst);
        let (t, r) = reps.best(|| {
            let t0 = Timer::start();
            let v = black_box(src).to_vec();
            let dt = t0.elapsed();
            drop(black_box(v));
            Ok(dt)
        })?;
        records.push(rec("memcpy-fresh", "copy", t, r, None));
        let (t, r) = reps.best(|| {
            let t0 = Timer::start();
            let v = fresh_thp_copy(black_box(src));
            let dt = t0.elapsed();
            drop(black_box(v));
            Ok(dt)
        })?;
        records.push(rec("memcpy-fresh-thp", "copy", t, r, None));

        for codec in CODECS {
            let bindir = dir.join("binref-rust").join(name).join(codec);
            // Encode (binref: into a clean folder each time, files removed untimed): into
            // an output buffer reused across repetitions (`to_json_into` /
            // `to_msgpack_into`, as a service reusing its response buffer does; the figure
            // compared with the warm memcpy), and into a fresh `Vec` each time
            // (`to_json_vec` / `to_msgpack_vec`, op `encode-fresh`).
            if codec != "msgpack-borrowed" {
                clear_dir(&bindir)?;
                let mut out = Vec::new();
                for (op, reuse) in [("encode", true), ("encode-fresh", false)] {
                    let (t, r) = reps.best(|| {
                        // Untimed: empty the reused buffer, or free the last fresh one.
                        if reuse {
                            out.clear();
                        } else {
                            out = Vec::new();
                        }
                        let t0 = Timer::start();
                        if reuse {
                            encode_into(codec, &doc, &bindir, &mut out)?;
                        } else {
                            out = encode(codec, &doc, &bindir)?;
                        }
                        let dt = t0.elapsed();
                        black_box(&mut out);
                        if is_binref(codec) {
                            clear_dir(&bindir)?;
                        }
                        Ok(dt)
                    })?;
                    records.push(rec(codec, op, t, r, Some(out.len())));
                }
            }
            // The input every decode repetition reads (binref: its file stays in place).
            clear_dir(&bindir)?;
            let payload = encode(writer_of(codec), &doc, &bindir)?;
            if !is_binref(codec) && codec != "msgpack-borrowed" {
                fs::write(out_dir.join(format!("{name}.{codec}")), &payload)?;
            }
            let opts = decode_options(&bindir);
            let (t, r) = if codec == "msgpack-borrowed" {
                // Check once that the view borrows the input: no array byte is copied.
                let v = from_msgpack_slice::<DocView<'_>>(&payload, &opts)?;
                let range = payload.as_ptr_range();
                let data = v.x.as_bytes();
                if data != doc.x.as_bytes() || !range.contains(&data.as_ptr()) {
                    return Err(format!("{name}: msgpack-borrowed view does not borrow").into());
                }
                reps.best(|| {
                    let t0 = Timer::start();
                    let v = from_msgpack_slice::<DocView<'_>>(black_box(&payload), &opts)?;
                    let dt = t0.elapsed();
                    black_box(v.x.as_bytes());
                    Ok(dt)
                })?
            } else {
                let back = decode(codec, &payload, &opts)?;
                if back.as_bytes() != doc.x.as_bytes() || back.shape() != doc.x.shape() {
                    return Err(format!("{name} {codec}: decoded array differs").into());
                }
                drop(back);
                reps.best(|| {
                    let t0 = Timer::start();
                    let a = decode(codec, black_box(&payload), &opts)?;
                    let dt = t0.elapsed();
                    drop(black_box(a));
                    Ok(dt)
                })?
            };
            records.push(rec(codec, "decode", t, r, Some(payload.len())));
            drop(payload);
            if bindir.exists() {
                fs::remove_dir_all(&bindir)?;
            }
        }
    }
    fs::write(dir.join("rust.json"), serde_json::to_vec_pretty(&records)?)?;
    Ok(())
}

/// Repeats one measurement for `secs` seconds (for `perf record`), printing MB/s.
fn profile_loop(dir: &Path, case: &str, codec: &str, op: &str, secs: &str) -> Res<()> {
    let (dtype, _) = case.split_once('-').ok_or("CASE is DTYPE-ELEMENTS")?;
    let doc = Doc {
        x: load_raw(dtype, &dir.join("data").join(format!("{case}.raw")))?,
    };
    let bindir = dir.join("binref-loop");
    clear_dir(&bindir)?;
    let payload = encode(writer_of(codec), &doc, &bindir)?;
    let opts = decode_options(&bindir);
    let end = Instant::now() + Duration::from_secs_f64(secs.parse()?);
    let (mut n, mut busy) = (0u32, Duration::ZERO);
    while Instant::now() < end {
        let t0 = Instant::now();
        match (op, codec) {
            ("encode", _) => {
                let enc_dir = bindir.join("enc");
                drop(black_box(encode(codec, &doc, &enc_dir)?));
                busy += t0.elapsed();
                if is_binref(codec) {
                    clear_dir(&enc_dir)?;
                }
            }
            ("decode", "msgpack-borrowed") => {
                let v = from_msgpack_slice::<DocView<'_>>(black_box(&payload), &opts)?;
                black_box(v.x.as_bytes());
                busy += t0.elapsed();
            }
            ("decode", _) => {
                drop(black_box(decode(codec, &payload, &opts)?));
                busy += t0.elapsed();
            }
            _ => return Err(format!("op {op}: expected encode or decode").into()),
        }
        n += 1;
    }
    let secs = busy.as_secs_f64() / f64::from(n.max(1));
    println!(
        "{case} {codec} {op}: {n} runs, mean {:.1} MB/s",
        mbps(doc.x.nbytes(), secs)
    );
    fs::remove_dir_all(&bindir)?;
    Ok(())
}

// ---------------------------------------------------------------------------------
// Peak RSS
// ---------------------------------------------------------------------------------

/// A field of /proc/self/status, in kB.
fn status_kb(field: &str) -> Res<u64> {
    let s = fs::read_to_string("/proc/self/status")?;
    let line = s
        .lines()
        .find(|l| l.starts_with(field))
        .ok_or_else(|| format!("no {field} in /proc/self/status"))?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .ok_or("status line")?
        .parse()?)
}

/// The resident set now, after resetting the peak to it (`clear_refs` 5), so that the
/// peak read later belongs to what happens in between.
fn reset_peak() -> Res<u64> {
    fs::OpenOptions::new()
        .write(true)
        .open("/proc/self/clear_refs")?
        .write_all(b"5")?;
    status_kb("VmRSS:")
}

/// Bytes of the binref side files in `dir` (they live in the page cache, not in RSS, but
/// they are part of the input or output of a binref decode or encode).
fn side_bytes(dir: &Path) -> Res<u64> {
    let mut total = 0;
    if dir.exists() {
        for e in fs::read_dir(dir)? {
            total += e?.metadata()?.len();
        }
    }
    Ok(total)
}

fn print_peak(baseline_kb: u64, extra: Value) -> Res<()> {
    let peak_kb = status_kb("VmHWM:")?;
    let mut v = json!({
        "baseline_kb": baseline_kb,
        "peak_kb": peak_kb,
        "peak_rss_mb": (peak_kb.saturating_sub(baseline_kb) * 1024) as f64 / 1e6,
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut v, extra) {
        m.extend(e);
    }
    println!("{v}");
    Ok(())
}

/// Child: read one payload file and decode it once. The peak counts the input too.
fn rss_decode(codec: &str, file: &Path, bindir: &Path) -> Res<()> {
    let opts = decode_options(bindir);
    let baseline = reset_peak()?;
    let input = fs::read(file)?;
    let nbytes = if codec == "msgpack-borrowed" {
        let v = from_msgpack_slice::<DocView<'_>>(&input, &opts)?;
        black_box(v.x.as_bytes()).len()
    } else {
        let a = decode(codec, &input, &opts)?;
        black_box(a.as_bytes()).len()
    };
    print_peak(
        baseline,
        json!({"input_bytes": input.len(), "side_bytes": side_bytes(bindir)?, "array_bytes": nbytes}),
    )
}

/// Child: load the array, then encode it once. The peak counts the array too.
fn rss_encode(codec: &str, raw: &Path, bindir: &Path) -> Res<()> {
    let baseline = reset_peak()?;
    let doc = Doc {
        x: load_raw("float64", raw)?,
    };
    let out = encode(codec, &doc, bindir)?;
    print_peak(
        baseline,
        json!({
            "output_bytes": black_box(&out).len(),
            "side_bytes": side_bytes(bindir)?,
            "array_bytes": doc.x.nbytes(),
        }),
    )
}

/// Parent: writes the 128 MB case in every codec and runs one fresh child per
/// (codec, op).
fn rss(dir: &Path) -> Res<()> {
    let name = case_name("float64", RSS_ELEMENTS);
    let raw = dir.join("data").join(format!("{name}.raw"));
    let doc = Doc {
        x: load_raw("float64", &raw)?,
    };
    let exe = std::env::current_exe()?;
    let rss_dir = dir.join("rss-rust");
    let child = |args: &[&std::ffi::OsStr]| -> Res<Value> {
        let out = Command::new(&exe).args(args).output()?;
        if !out.status.success() {
            return Err(format!(
                "rss child {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        Ok(serde_json::from_slice(&out.stdout)?)
    };
    let mut records = Vec::new();
    for codec in CODECS {
        let bindir = rss_dir.join(codec);
        clear_dir(&bindir)?;
        let payload = encode(writer_of(codec), &doc, &bindir)?;
        let file = rss_dir.join(format!("{codec}.payload"));
        fs::write(&file, &payload)?;
        drop(payload);
        let mut v = child(&[
            "rss-decode".as_ref(),
            codec.as_ref(),
            file.as_os_str(),
            bindir.as_os_str(),
        ])?;
        v["codec"] = json!(codec);
        v["op"] = json!("decode");
        eprintln!("  rust rss {codec:<17} decode {v}");
        records.push(v);
        if codec != "msgpack-borrowed" {
            let enc_dir = rss_dir.join(format!("{codec}.enc"));
            clear_dir(&enc_dir)?;
            let mut v = child(&[
                "rss-encode".as_ref(),
                codec.as_ref(),
                raw.as_os_str(),
                enc_dir.as_os_str(),
            ])?;
            v["codec"] = json!(codec);
            v["op"] = json!("encode");
            eprintln!("  rust rss {codec:<17} encode {v}");
            records.push(v);
            fs::remove_dir_all(&enc_dir)?;
        }
        fs::remove_file(&file)?;
        fs::remove_dir_all(&bindir)?;
    }
    fs::write(
        dir.join("rss-rust.json"),
        serde_json::to_vec_pretty(&records)?,
    )?;
    Ok(())
}
