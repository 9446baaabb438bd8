//! The Rust side of `bench/s3-compare`: a 128 MB float64 array written to and read back
//! from S3-compatible object storage (the local `scripts/s3-server.py`) as json+binref,
//! through arraymodel's public API, against the same bytes moved by `object_store` alone.
//!
//! ```text
//! s3-bench run URL [--runs N] [--warmup N] [--elements N] [--prefix KEY-PREFIX]
//!                  [--part-size BYTES] [--concurrency N] [--multipart-threshold BYTES]
//!                  [--unsigned-payload]
//!                  [--no-floor] [--out FILE]
//! ```
//!
//! URL is the server's (`http://127.0.0.1:PORT`); objects go to bucket `arraymodel` under
//! KEY-PREFIX (default `bench-arraymodel`). Sizes take a K/M/G suffix (binary: 8M = 8 MiB).
//! Prints one JSON object (also written to --out), the same shape as
//! bench/peers/s3_peer_bench.py's: {"peer", "endpoint", "elements", "bytes", "runs",
//! "settings", "results": [{"op", "path", "median_s", "min_s", "max_s", "seconds",
//! "cpu_median_s", "mb_per_s", "server"}]}; progress goes to stderr. MB/s = array bytes /
//! 1e6 / median wall seconds; CPU = the whole process (all threads: the store's tokio
//! workers too), user + system, the clock of Python's `time.process_time()`. "server" is
//! what the server's byte counter saw for the op's object during the last run.
//!
//! `--part-size`, `--concurrency` and `--multipart-threshold` set the StoreBase's `part_size`,
//! `max_concurrency` and `multipart_threshold` (and the floors' parts); `--unsigned-payload` adds `aws_unsigned_payload=true` to both clients' settings (the
//! body's SHA-256 is then left out of the request signature).
//!
//! Ops, each timed `--runs` times after `--warmup` untimed ones:
//! - write: `to_json_vec(&Doc { x }, &EncodeOptions::tesseract(Encoding::Binref)
//!   .binref_store(base))`: the array appended to the writer's in-memory file, then
//!   uploaded as one `<uuid>.bin` object (one PUT up to `multipart_threshold`, else a
//!   multipart upload of `part_size` parts, `max_concurrency` in flight). A new object every run,
//!   deleted after it (outside the timed part) except the last one, which `read` reads.
//! - read: `from_json_slice::<Doc>(&json, &DecodeOptions::default().binref_store(base))`:
//!   the references listed, the object fetched in ranged GETs (one, or `part_size` parts
//!   with `max_concurrency` in flight, as the runtime decides), the array filled from them.
//!   Every read is checked bit for bit against the written array (dtype, shape, bytes),
//!   outside the timed part. The write and read descriptions in the output name the
//!   requests the server counted.
//! - floors (`object_store` alone on the same store settings, no arraymodel; the bytes
//!   ready in memory beforehand): `floor_put` one PutObject; `floor_multipart` a multipart
//!   upload of `part_size` parts, `max_concurrency` in flight (what the writer makes past
//!   `multipart_threshold`; no copy into a buffer first); `floor_get` one GET of the whole
//!   object into `Bytes`; `floor_get_parts` the very ranged GETs the reader made (taken
//!   from the server's counter), `max_concurrency` in flight, kept as they arrive, not
//!   assembled; `floor_get_into_array` what the reader could do: the same ranged
//!   GETs, each body streamed straight into its slice of the array's own buffer, which then
//!   becomes the `Array` without a copy. Each checked against the array.

use std::hint::black_box;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arraymodel::binref::store::{
    DEFAULT_MAX_CONCURRENCY, DEFAULT_MULTIPART_THRESHOLD, DEFAULT_PART_SIZE, StoreBase,
};
use arraymodel::{Array, DecodeOptions, EncodeOptions, Encoding, from_json_slice, to_json_vec};
use bytes::Bytes;
use futures::StreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as Key;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

type Res<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const BUCKET: &str = "arraymodel";

/// The document: one array field, as the other benches' `Doc`.
#[derive(Serialize, Deserialize)]
struct Doc {
    x: Array,
}

struct Args {
    url: String,
    runs: usize,
    warmup: usize,
    elements: usize,
    prefix: String,
    part_size: usize,
    concurrency: usize,
    multipart_threshold: usize,
    unsigned_payload: bool,
    floor: bool,
    out: Option<String>,
}

fn size(v: &str) -> Res<usize> {
    let (num, mult) = match v.as_bytes().last() {
        Some(b'K' | b'k') => (&v[..v.len() - 1], 1usize << 10),
        Some(b'M' | b'm') => (&v[..v.len() - 1], 1 << 20),
        Some(b'G' | b'g') => (&v[..v.len() - 1], 1 << 30),
        _ => (v, 1),
    };
    Ok(num
        .parse::<usize>()
        .map_err(|e| format!("size {v:?}: {e}"))?
        * mult)
}

fn parse_args(rest: &[&str], url: &str) -> Res<Args> {
    let mut a = Args {
        url: url.trim_end_matches('/').to_owned(),
        runs: 5,
        warmup: 0,
        elements: 16_000_000,
        prefix: "bench-arraymodel".to_owned(),
        part_size: DEFAULT_PART_SIZE,
        concurrency: DEFAULT_MAX_CONCURRENCY,
        multipart_threshold: DEFAULT_MULTIPART_THRESHOLD,
        unsigned_payload: false,
        floor: true,
        out: None,
    };
    let mut it = rest.iter();
    while let Some(&flag) = it.next() {
        let mut val = || {
            it.next()
                .copied()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag {
            "--runs" => a.runs = val()?.parse()?,
            "--warmup" => a.warmup = val()?.parse()?,
            "--elements" => a.elements = val()?.parse()?,
            "--prefix" => a.prefix = val()?.trim_matches('/').to_owned(),
            "--part-size" => a.part_size = size(val()?)?,
            "--concurrency" => a.concurrency = val()?.parse()?,
            "--multipart-threshold" => a.multipart_threshold = size(val()?)?,
            "--unsigned-payload" => a.unsigned_payload = true,
            "--no-floor" => a.floor = false,
            "--out" => a.out = Some(val()?.to_owned()),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if a.runs == 0 {
        return Err("--runs must be 1 or more".into());
    }
    Ok(a)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = match args.as_slice() {
        ["run", url, rest @ ..] => parse_args(rest, url).and_then(run),
        _ => {
            eprintln!(
                "usage: s3-bench run URL [--runs N] [--warmup N] [--elements N] [--prefix P] \
                 [--part-size BYTES] [--concurrency N] [--multipart-threshold BYTES] [--unsigned-payload] \
                 [--no-floor] [--out FILE]"
            );
            std::process::exit(2);
        }
    };
    if let Err(e) = r {
        eprintln!("s3-bench: {e}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------------
// Data and clocks
// ---------------------------------------------------------------------------------

/// splitmix64 (as the other benches): the data only has to be fixed and full-precision.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn normal(&mut self) -> f64 {
        let unit = |x: u64| ((x >> 11) + 1) as f64 / (1u64 << 53) as f64;
        let (u, v) = (unit(self.next()), unit(self.next()));
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// CPU time of the whole process (all threads, user + system), in seconds.
fn process_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let m = s.len() / 2;
    if s.len() % 2 == 1 {
        s[m]
    } else {
        (s[m - 1] + s[m]) / 2.0
    }
}

// ---------------------------------------------------------------------------------
// The server's byte counter (scripts/s3-server.py's /__counter__), over plain HTTP/1.0
// ---------------------------------------------------------------------------------

struct Counter {
    /// host:port
    addr: String,
}

impl Counter {
    fn new(url: &str) -> Res<Counter> {
        let addr = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("{url}: an http:// URL is expected"))?
            .trim_end_matches('/')
            .to_owned();
        Ok(Counter { addr })
    }

    fn request(&self, method: &str, target: &str) -> Res<Value> {
        let mut s = TcpStream::connect(&self.addr)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            s,
            "{method} {target} HTTP/1.0\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        )?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf)?;
        let at = buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or("counter: no end of headers")?;
        let head = String::from_utf8_lossy(&buf[..at]);
        if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
            return Err(format!(
                "counter {method} {target}: {}",
                head.lines().next().unwrap_or("")
            )
            .into());
        }
        Ok(serde_json::from_slice(&buf[at + 4..])?)
    }

    fn reset(&self) -> Res<()> {
        self.request("POST", "/__counter__/reset").map(drop)
    }

    /// The counts of one object (`BUCKET/KEY`), as the Python peer records them.
    fn key(&self, key: &str) -> Res<Value> {
        let q: String = key
            .bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect();
        let d = self.request("GET", &format!("/__counter__?key={q}"))?;
        let sum = |v: &Value| -> u64 {
            v.as_object()
                .map_or(0, |m| m.values().filter_map(Value::as_u64).sum())
        };
        Ok(json!({
            "requests": d["requests"],
            "bytes_in": sum(&d["bytes_in"]),
            "bytes_out": sum(&d["bytes_out"]),
            "get_ranges": d["get_ranges"],
        }))
    }
}

// ---------------------------------------------------------------------------------
// The measurements
// ---------------------------------------------------------------------------------

struct Op {
    walls: Vec<f64>,
    cpus: Vec<f64>,
    vmstat: Vec<Value>,
    server: Value,
}

impl Op {
    fn new() -> Op {
        Op {
            walls: Vec::new(),
            cpus: Vec::new(),
            vmstat: Vec::new(),
            server: Value::Null,
        }
    }

    /// One timed run (with the /proc/vmstat deltas of the `timed` call that measured it).
    fn push(&mut self, wall: f64, cpu: f64) {
        self.walls.push(wall);
        self.cpus.push(cpu);
        let d = LAST_VMSTAT.get();
        self.vmstat.push(Value::Object(
            VMSTAT
                .iter()
                .zip(d)
                .map(|(k, v)| ((*k).to_owned(), json!(v)))
                .collect(),
        ));
    }

    fn record(self, op: &str, path: &str, nbytes: usize, results: &mut Vec<Value>) {
        let med = median(&self.walls);
        let min = self.walls.iter().copied().fold(f64::INFINITY, f64::min);
        let max = self.walls.iter().copied().fold(0.0, f64::max);
        eprintln!(
            "  arraymodel {op:<16} {:>8.1} MB/s  median {med:.3} s (min {min:.3}, max {max:.3}) of {}  cpu {:.3} s",
            nbytes as f64 / 1e6 / med,
            self.walls.len(),
            median(&self.cpus),
        );
        results.push(json!({
            "op": op,
            "path": path,
            "median_s": med,
            "min_s": min,
            "max_s": max,
            "seconds": self.walls,
            "cpu_median_s": median(&self.cpus),
            "cpu_seconds": self.cpus,
            "vmstat": self.vmstat,
            "mb_per_s": nbytes as f64 / 1e6 / med,
            "server": self.server,
        }));
    }
}

/// `bytes=A-B` (inclusive) as `A..B + 1`.
fn parse_range(r: &str) -> Option<std::ops::Range<u64>> {
    let (a, b) = r.strip_prefix("bytes=")?.split_once('-')?;
    Some(a.parse().ok()?..b.parse::<u64>().ok()? + 1)
}

/// "1 ranged GET of the whole array", "8 ranged GETs of 16 MiB, 8 in flight".
fn gets(ranges: &[std::ops::Range<u64>], conc: usize) -> String {
    match ranges {
        [_] => "1 ranged GET of the whole array".to_owned(),
        [first, ..] => format!(
            "{} of {:.3} MiB, {} in flight",
            count(ranges.len(), "ranged GET"),
            (first.end - first.start) as f64 / (1 << 20) as f64,
            conc.min(ranges.len())
        )
        .replace(".000 MiB", " MiB"),
        [] => "no GET".to_owned(),
    }
}

/// "1 part", "16 parts".
fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

/// The kernel's counters of transparent huge pages and memory compaction (system-wide,
/// from /proc/vmstat) that a run's fresh buffers can move: a huge page fault on memory
/// advised MADV_HUGEPAGE may first compact memory (a "compact_stall"), which can take
/// longer than the copy it serves.
const VMSTAT: [&str; 4] = [
    "thp_fault_alloc",
    "thp_fault_fallback",
    "compact_stall",
    "pgfault",
];

fn vmstat() -> [u64; 4] {
    let mut out = [0; 4];
    if let Ok(text) = std::fs::read_to_string("/proc/vmstat") {
        for line in text.lines() {
            if let Some((k, v)) = line.split_once(' ')
                && let Some(i) = VMSTAT.iter().position(|n| *n == k)
            {
                out[i] = v.trim().parse().unwrap_or(0);
            }
        }
    }
    out
}

thread_local! {
    /// The /proc/vmstat deltas of the last `timed` call.
    static LAST_VMSTAT: std::cell::Cell<[u64; 4]> = const { std::cell::Cell::new([0; 4]) };
}

/// Times `f` (wall and process CPU); the /proc/vmstat deltas over it (read outside the
/// timed part) are kept for `Op::push`.
fn timed<T>(f: impl FnOnce() -> T) -> (f64, f64, T) {
    let v0 = vmstat();
    let (c0, t0) = (process_cpu(), Instant::now());
    let r = f();
    let (wall, c1) = (t0.elapsed().as_secs_f64(), process_cpu());
    let v1 = vmstat();
    LAST_VMSTAT.set(std::array::from_fn(|i| v1[i].saturating_sub(v0[i])));
    (wall, c1 - c0, r)
}

/// The object name of the one binref reference in a written document.
fn object_of(json: &[u8]) -> Res<String> {
    let v: Value = serde_json::from_slice(json)?;
    let buffer = v["x"]["data"]["buffer"]
        .as_str()
        .ok_or("the document has no x.data.buffer")?;
    let (name, offset) = buffer
        .rsplit_once(':')
        .ok_or_else(|| format!("buffer {buffer:?} is not NAME:OFFSET"))?;
    if offset != "0" {
        return Err(format!("buffer {buffer:?}: the array should start the object").into());
    }
    Ok(name.to_owned())
}

fn check(got: &Array, want: &Array, what: &str) -> Res<()> {
    if got.dtype() != want.dtype()
        || got.shape() != want.shape()
        || got.as_bytes() != want.as_bytes()
    {
        return Err(format!(
            "{what}: the array read back differs from the one written (dtype {:?}, shape {:?})",
            got.dtype(),
            got.shape()
        )
        .into());
    }
    Ok(())
}

fn run(a: Args) -> Res<()> {
    let mut rng = Rng(0x5EED_0053);
    let values: Vec<f64> = (0..a.elements).map(|_| rng.normal()).collect();
    let doc = Doc {
        x: Array::from_vec(values),
    };
    let nbytes = doc.x.as_bytes().len();
    let counter = Counter::new(&a.url)?;
    counter.reset()?;

    let mut options: Vec<(&str, String)> = vec![
        ("aws_endpoint", a.url.clone()),
        ("aws_allow_http", "true".into()),
        ("aws_access_key_id", "testing".into()),
        ("aws_secret_access_key", "testing".into()),
        ("aws_region", "us-east-1".into()),
    ];
    if a.unsigned_payload {
        options.push(("aws_unsigned_payload", "true".into()));
    }
    let base_url = format!("s3://{BUCKET}/{}", a.prefix);
    let base = StoreBase::from_url_with(&base_url, options.iter().map(|(k, v)| (*k, v.clone())))?
        .part_size(a.part_size)
        .multipart_threshold(a.multipart_threshold)
        .max_concurrency(a.concurrency);
    // The raw store of the floors and of the bench's own housekeeping (deletes, checks):
    // the same settings, on a runtime of its own like the StoreBase's (2 workers).
    let mut builder = AmazonS3Builder::new().with_bucket_name(BUCKET);
    for (k, v) in &options {
        builder = builder.with_config(k.parse::<AmazonS3ConfigKey>()?, v.clone());
    }
    let raw: Arc<dyn ObjectStore> = Arc::new(builder.build()?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let key_of = |name: &str| Key::from(format!("{}/{name}", a.prefix));
    let counter_key = |name: &str| format!("{BUCKET}/{}/{name}", a.prefix);
    // Effective settings (the StoreBase clamps the part size to 5 MiB and up).
    let part = a.part_size.max(5 << 20);
    let conc = a.concurrency.max(1);
    let threshold = a.multipart_threshold.max(part);
    let one_put = nbytes <= threshold;

    let wopts = EncodeOptions::tesseract(Encoding::Binref).binref_store(base.clone());
    let ropts = DecodeOptions::default().binref_store(base.clone());
    let mut results = Vec::new();

    // write
    let mut op = Op::new();
    let mut last: Option<(Vec<u8>, String)> = None;
    for i in 0..a.warmup + a.runs {
        if let Some((_, name)) = last.take() {
            rt.block_on(raw.delete(&key_of(&name)))?;
        }
        counter.reset()?;
        let (wall, cpu, json) = timed(|| to_json_vec(black_box(&doc), &wopts));
        let json = json?;
        let name = object_of(&json)?;
        if i >= a.warmup {
            op.push(wall, cpu);
            op.server = counter.key(&counter_key(&name))?;
        }
        if i == 0 {
            let got = rt.block_on(async { raw.get(&key_of(&name)).await?.bytes().await })?;
            if got.as_ref() != doc.x.as_bytes() {
                return Err("write: the object differs from the array".into());
            }
        }
        last = Some((json, name));
    }
    let (json, read_name) = last.expect("at least one write");
    // The requests as the server counted them (the runtime's rules decide, not this bench).
    let uploaded_parts = op.server["requests"]["upload_part"].as_u64().unwrap_or(0);
    let write_path = if uploaded_parts == 0 {
        "to_json_vec json+binref -> StoreWriter: in-memory file, then one PutObject".to_owned()
    } else {
        format!(
            "to_json_vec json+binref -> StoreWriter: in-memory file, then a multipart upload, {} \
             ({} MiB parts), {conc} in flight",
            count(uploaded_parts as usize, "part"),
            part >> 20
        )
    };
    op.record("write", &write_path, nbytes, &mut results);

    // read
    let mut op = Op::new();
    for i in 0..a.warmup + a.runs {
        counter.reset()?;
        let (wall, cpu, got) = timed(|| from_json_slice::<Doc>(black_box(&json), &ropts));
        let got = got?;
        if i >= a.warmup {
            op.push(wall, cpu);
            op.server = counter.key(&counter_key(&read_name))?;
        }
        check(&got.x, &doc.x, "read")?;
        drop(got);
    }
    // The reader's ranged GETs as the server saw them: the floors make the same ones.
    let ranges: Vec<std::ops::Range<u64>> = op.server["get_ranges"]
        .as_array()
        .map(|v| v.iter().filter_map(|r| parse_range(r.as_str()?)).collect())
        .unwrap_or_default();
    let ranges = if ranges.is_empty() {
        (0..nbytes)
            .step_by(part)
            .map(|at| at as u64..(at + part).min(nbytes) as u64)
            .collect()
    } else {
        let mut r = ranges;
        r.sort_by_key(|r| r.start);
        r
    };
    let read_path = format!(
        "from_json_slice json+binref: references listed, {}, array filled",
        gets(&ranges, conc)
    );
    op.record("read", &read_path, nbytes, &mut results);

    if a.floor {
        floors(
            &a,
            &rt,
            &raw,
            &counter,
            &doc,
            part,
            conc,
            &ranges,
            &mut results,
        )?;
    }
    rt.block_on(raw.delete(&key_of(&read_name)))?;

    let out = json!({
        "peer": "arraymodel",
        "endpoint": a.url,
        "elements": a.elements,
        "bytes": nbytes,
        "runs": a.runs,
        "warmup": a.warmup,
        "settings": {
            "part_size": part,
            "multipart_threshold": threshold,
            "write_one_put": one_put,
            "max_concurrency": conc,
            "unsigned_payload": a.unsigned_payload,
            "defaults": {
                "part_size": DEFAULT_PART_SIZE,
                "max_concurrency": DEFAULT_MAX_CONCURRENCY,
                "multipart_threshold": DEFAULT_MULTIPART_THRESHOLD,
            },
        },
        "results": results,
    });
    let text = serde_json::to_string(&out)?;
    if let Some(path) = &a.out {
        std::fs::write(path, format!("{text}\n"))?;
    }
    println!("{text}");
    Ok(())
}

/// The same bytes through `object_store` alone (see the module documentation).
#[allow(clippy::too_many_arguments)]
fn floors(
    a: &Args,
    rt: &tokio::runtime::Runtime,
    raw: &Arc<dyn ObjectStore>,
    counter: &Counter,
    doc: &Doc,
    part: usize,
    conc: usize,
    ranges: &[std::ops::Range<u64>],
    results: &mut Vec<Value>,
) -> Res<()> {
    let nbytes = doc.x.as_bytes().len();
    let payload = Bytes::copy_from_slice(doc.x.as_bytes());
    let key = Key::from(format!("{}/floor.bin", a.prefix));
    let ckey = format!("{BUCKET}/{}/floor.bin", a.prefix);

    let put = |raw: Arc<dyn ObjectStore>, key: Key, payload: Bytes| async move {
        raw.put(&key, PutPayload::from(payload)).await.map(drop)
    };
    let multipart = |raw: Arc<dyn ObjectStore>, key: Key, payload: Bytes| async move {
        let mut upload = raw.put_multipart(&key).await?;
        let parts: Vec<_> = (0..payload.len())
            .step_by(part)
            .map(|at| upload.put_part(payload.slice(at..(at + part).min(payload.len())).into()))
            .collect();
        let mut done = futures::stream::iter(parts).buffered(conc);
        while let Some(r) = done.next().await {
            r?;
        }
        drop(done);
        upload.complete().await.map(drop)
    };
    for (op_name, path, multi) in [
        (
            "floor_put",
            "object_store put: one PutObject of the bytes".to_owned(),
            false,
        ),
        (
            "floor_multipart",
            format!(
                "object_store put_multipart: {} of {} MiB, {conc} in flight",
                count(nbytes.div_ceil(part), "part"),
                part >> 20
            ),
            true,
        ),
    ] {
        let mut op = Op::new();
        for i in 0..a.warmup + a.runs {
            counter.reset()?;
            let (r, p, k) = (raw.clone(), payload.clone(), key.clone());
            let (wall, cpu, res) = timed(|| {
                if multi {
                    rt.block_on(multipart(r, k, p))
                } else {
                    rt.block_on(put(r, k, p))
                }
            });
            res?;
            if i >= a.warmup {
                op.push(wall, cpu);
                op.server = counter.key(&ckey)?;
            }
            if i == 0 {
                let got = rt.block_on(async { raw.get(&key).await?.bytes().await })?;
                if got != payload {
                    return Err(format!("{op_name}: the object differs from the array").into());
                }
            }
            rt.block_on(raw.delete(&key))?;
        }
        op.record(op_name, &path, nbytes, results);
    }

    // the reads: of one object written once
    rt.block_on(raw.put(&key, PutPayload::from(payload.clone())))?;
    let mut op = Op::new();
    for i in 0..a.warmup + a.runs {
        counter.reset()?;
        let (wall, cpu, got) = timed(|| rt.block_on(async { raw.get(&key).await?.bytes().await }));
        let got = got?;
        if i >= a.warmup {
            op.push(wall, cpu);
            op.server = counter.key(&ckey)?;
        }
        if got != payload {
            return Err("floor_get: the bytes differ from the array".into());
        }
    }
    op.record(
        "floor_get",
        "object_store get: one GET of the whole object",
        nbytes,
        results,
    );

    let mut op = Op::new();
    let ranges = ranges.to_vec();
    // The parts of the buffer the ranges fill, in order (the ranges tile 0..nbytes).
    let lens: Vec<usize> = ranges.iter().map(|r| (r.end - r.start) as usize).collect();
    let tiles = ranges.windows(2).all(|w| w[0].end == w[1].start);
    if !tiles
        || lens.iter().sum::<usize>() != nbytes
        || ranges.first().is_some_and(|r| r.start != 0)
    {
        return Err(format!("the reader's ranges do not cover the array: {ranges:?}").into());
    }
    for i in 0..a.warmup + a.runs {
        counter.reset()?;
        let (r, k, rs) = (raw.clone(), key.clone(), ranges.clone());
        let (wall, cpu, got) = timed(|| {
            rt.block_on(async move {
                let mut parts: Vec<(u64, Bytes)> = Vec::with_capacity(rs.len());
                let mut s = futures::stream::iter(rs)
                    .map(|range| {
                        let (r, k) = (r.clone(), k.clone());
                        async move {
                            r.get_range(&k, range.clone())
                                .await
                                .map(|b| (range.start, b))
                        }
                    })
                    .buffer_unordered(conc);
                while let Some(p) = s.next().await {
                    parts.push(p?);
                }
                Ok::<_, object_store::Error>(parts)
            })
        });
        let mut got = got?;
        if i >= a.warmup {
            op.push(wall, cpu);
            op.server = counter.key(&ckey)?;
        }
        got.sort_by_key(|(at, _)| *at);
        let same = got.len() == ranges.len()
            && got
                .iter()
                .all(|(at, b)| &payload[*at as usize..*at as usize + b.len()] == b.as_ref())
            && got.iter().map(|(_, b)| b.len()).sum::<usize>() == nbytes;
        if !same {
            return Err("floor_get_parts: the bytes differ from the array".into());
        }
    }
    op.record(
        "floor_get_parts",
        &format!(
            "object_store get_range: the reader's GETs ({}), not assembled",
            gets(&ranges, conc)
        ),
        nbytes,
        results,
    );

    // What the reader could do: the same ranged GETs, each body streamed straight into its
    // slice of the array's own (fresh) buffer, which then becomes the Array without a copy.
    let mut op = Op::new();
    for i in 0..a.warmup + a.runs {
        counter.reset()?;
        let (wall, cpu, got) = timed(|| -> Res<Array> {
            let mut dst = vec![0f64; a.elements];
            // SAFETY: any bytes are a valid f64; the slice covers exactly dst's elements.
            let out: &mut [u8] =
                unsafe { std::slice::from_raw_parts_mut(dst.as_mut_ptr().cast::<u8>(), nbytes) };
            rt.block_on(async {
                let mut slices = Vec::with_capacity(lens.len());
                let mut rest = out;
                for &n in &lens {
                    let (head, tail) = rest.split_at_mut(n);
                    slices.push(head);
                    rest = tail;
                }
                let mut s = futures::stream::iter(ranges.iter().cloned().zip(slices))
                    .map(|(range, out)| {
                        let (raw, key) = (raw.clone(), key.clone());
                        async move {
                            let opts = GetOptions {
                                range: Some(GetRange::Bounded(range)),
                                ..GetOptions::default()
                            };
                            let mut body = raw.get_opts(&key, opts).await?.into_stream();
                            let mut at = 0;
                            while let Some(chunk) = body.next().await {
                                let chunk = chunk?;
                                let Some(to) = out.get_mut(at..at + chunk.len()) else {
                                    return Err("floor_get_into_array: a longer body".into());
                                };
                                to.copy_from_slice(&chunk);
                                at += chunk.len();
                            }
                            if at != out.len() {
                                return Err("floor_get_into_array: a shorter body".into());
                            }
                            Ok::<(), Box<dyn std::error::Error>>(())
                        }
                    })
                    .buffer_unordered(conc);
                while let Some(r) = s.next().await {
                    r?;
                }
                Ok::<(), Box<dyn std::error::Error>>(())
            })?;
            Ok(Array::from_vec(dst))
        });
        let got = got?;
        if i >= a.warmup {
            op.push(wall, cpu);
            op.server = counter.key(&ckey)?;
        }
        check(&got, &doc.x, "floor_get_into_array")?;
        drop(got);
    }
    op.record(
        "floor_get_into_array",
        &format!(
            "object_store get_opts: the reader's GETs ({}), each body streamed into the array's own \
             buffer (Array::from_vec, no assembling copy)",
            gets(&ranges, conc)
        ),
        nbytes,
        results,
    );
    rt.block_on(raw.delete(&key))?;
    Ok(())
}
