//! The Rust side of `bench/client-compare`: the client generated from the FastAPI test app
//! (`codegen/tests/golden/fastapi_arrays_openapi.client.rs`) calling the app's echo
//! operations with a 1M float32 array, per call: wall time and the client process's CPU
//! time (user + system; the server is another process, so none of its work is counted).
//!
//! ```text
//! client-bench gen DIR                      write DIR/values-f32.raw (1M float32, little-endian)
//! client-bench run URL DIR [--calls N] [--warmup N] [--out NAME.json]
//!                                           time echo_truss / echo_binary -> DIR/rust.json
//! client-bench loop URL DIR json|msgpack N  N calls, nothing timed (for callgrind / perf)
//! ```
//!
//! `run` measures, in this order: memcpy of the 4 MB payload (the floor); the generated
//! methods `echo_truss(&block)` (JSON, truss `data_b64`) and `echo_binary(&block)`
//! (msgpack, msgpack-numpy arrays), N calls each after warm-up, every answer checked bit
//! for bit, once with each answer dropped after its check and once with it kept alive
//! during the next call; the transport floor (the same bytes through a minimal HTTP/1.1
//! exchange over `std::net::TcpStream`); then the same calls split into the three steps the
//! generated method makes (`Request::json`/`msgpack`, `Client::send`,
//! `Client::json`/`msgpack`), to show where the client's time goes.

use std::fs;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use arraymodel::client::{ApiError, ClientConfig, Request};
use arraymodel::{Array, EncodeOptions};
use serde_json::{Value, json};

/// The client generated from the committed FastAPI document.
#[allow(dead_code, clippy::all)]
mod api {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../codegen/tests/golden/fastapi_arrays_openapi.client.rs"
    ));
}

type Res<T> = std::result::Result<T, Box<dyn std::error::Error>>;

const ELEMENTS: usize = 1_000_000;
const RAW: &str = "values-f32.raw";
const LABEL: &str = "bench";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = match args.as_slice() {
        ["gen", dir] => gen_values(Path::new(dir)),
        ["run", url, dir, rest @ ..] => {
            let opt = |name: &str| {
                rest.iter()
                    .position(|a| *a == name)
                    .and_then(|i| rest.get(i + 1).copied())
            };
            let num = |name: &str, default: usize| -> Res<usize> {
                opt(name).map_or(Ok(default), |v| {
                    v.parse::<usize>()
                        .map_err(|e| format!("{name} {v}: {e}").into())
                })
            };
            match (num("--calls", 40), num("--warmup", 5)) {
                (Ok(n), Ok(warm)) if n >= 2 => run(
                    url,
                    Path::new(dir),
                    warm,
                    n,
                    opt("--out").unwrap_or("rust.json"),
                ),
                (Err(e), _) | (_, Err(e)) => Err(e),
                _ => Err("--calls must be 2 or more".into()),
            }
        }
        ["loop", url, dir, wire, n] => profile_loop(url, Path::new(dir), wire, n),
        _ => {
            eprintln!(
                "usage: client-bench gen DIR | run URL DIR [--calls N] [--warmup N] [--out NAME.json] \
                 | loop URL DIR json|msgpack N"
            );
            std::process::exit(2);
        }
    };
    if let Err(e) = r {
        eprintln!("client-bench: {e}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------

/// splitmix64 (as `arraymodel-bench`): the data only has to be fixed and full-precision.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f64 {
        let unit = |x: u64| ((x >> 11) + 1) as f64 / (1u64 << 53) as f64;
        let (u, v) = (unit(self.next()), unit(self.next()));
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

fn gen_values(dir: &Path) -> Res<()> {
    fs::create_dir_all(dir)?;
    let mut rng = Rng(0x05EE_DF32);
    let mut bytes = Vec::with_capacity(ELEMENTS * 4);
    for _ in 0..ELEMENTS {
        bytes.extend_from_slice(&(rng.normal() as f32).to_le_bytes());
    }
    fs::write(dir.join(RAW), bytes)?;
    Ok(())
}

fn load_values(dir: &Path) -> Res<Vec<f32>> {
    let bytes = fs::read(dir.join(RAW))?;
    if bytes.len() != ELEMENTS * 4 {
        return Err(format!("{RAW}: {} bytes, expected {}", bytes.len(), ELEMENTS * 4).into());
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
        .collect())
}

fn block(values: Vec<f32>) -> api::TrussBlock {
    api::TrussBlock {
        label: LABEL.to_owned(),
        values: Array::from_vec(values),
        weights: None,
    }
}

/// The echo is the input, bit for bit (dtype, shape, bytes, label, no weights).
fn check(got: &api::TrussBlock, sent: &api::TrussBlock, what: &str) -> Res<()> {
    let (g, s) = (&got.values, &sent.values);
    if got.label != sent.label
        || got.weights.is_some()
        || g.dtype() != s.dtype()
        || g.shape() != s.shape()
        || g.as_bytes() != s.as_bytes()
    {
        return Err(format!(
            "{what}: the echo differs from the input (label {:?}, dtype {:?}, shape {:?})",
            got.label,
            g.dtype(),
            g.shape()
        )
        .into());
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// Clocks
// ---------------------------------------------------------------------------------

/// CPU time of the whole process (all threads, user + system), in seconds: the same clock
/// as Python's `time.process_time()`.
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

/// (user, system) CPU seconds and minor page faults of the process so far, from
/// getrusage(RUSAGE_SELF).
fn rusage() -> (f64, f64, i64) {
    // SAFETY: an all-zero rusage is a valid value, and getrusage only writes into it.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `ru` is a valid, writable rusage.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    assert_eq!(rc, 0, "getrusage");
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    (secs(ru.ru_utime), secs(ru.ru_stime), ru.ru_minflt)
}

/// Per-call samples of one measured loop.
struct Samples {
    wall: Vec<f64>,
    cpu: Vec<f64>,
    user: f64,
    sys: f64,
    minflt: f64,
}

/// `warm` untimed calls, then `n` timed ones, each timed on its own; the answer is checked
/// outside the timed part. `keep`: the answer stays alive during the next call and is
/// dropped at its start (inside the timed part, as Python frees the previous answer when
/// the next one is assigned); otherwise it is dropped right after the check, untimed.
fn measure(
    warm: usize,
    n: usize,
    keep: bool,
    mut call: impl FnMut() -> Res<api::TrussBlock>,
    check_one: impl Fn(&api::TrussBlock) -> Res<()>,
) -> Res<Samples> {
    for _ in 0..warm {
        check_one(&call()?)?;
    }
    let (mut wall, mut cpu) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut previous: Option<api::TrussBlock> = None;
    let (u0, s0, f0) = rusage();
    for _ in 0..n {
        let (c0, t0) = (process_cpu(), Instant::now());
        drop(previous.take());
        let got = call()?;
        let (t1, c1) = (t0.elapsed().as_secs_f64(), process_cpu());
        wall.push(t1);
        cpu.push(c1 - c0);
        check_one(&got)?;
        if keep {
            previous = Some(got);
        }
    }
    drop(previous);
    let (u1, s1, f1) = rusage();
    Ok(Samples {
        wall,
        cpu,
        user: (u1 - u0) / n as f64,
        sys: (s1 - s0) / n as f64,
        minflt: (f1 - f0) as f64 / n as f64,
    })
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

fn stats(v: &[f64]) -> Value {
    json!({
        "median": median(v),
        "mean": v.iter().sum::<f64>() / v.len() as f64,
        "min": v.iter().copied().fold(f64::INFINITY, f64::min),
        "max": v.iter().copied().fold(0.0, f64::max),
        "samples": v,
    })
}

fn summary(s: &Samples) -> Value {
    json!({
        "calls": s.wall.len(),
        "wall": stats(&s.wall),
        "cpu": stats(&s.cpu),
        "rusage_user_per_call": s.user,
        "rusage_sys_per_call": s.sys,
        "minor_faults_per_call": s.minflt,
    })
}

fn ms(x: f64) -> String {
    format!("{:.2} ms", x * 1e3)
}

// ---------------------------------------------------------------------------------
// The calls
// ---------------------------------------------------------------------------------

fn api_err<E: std::fmt::Debug>(e: ApiError<E>) -> Box<dyn std::error::Error> {
    format!("{e:?}").into()
}

/// The generated client, writing truss `data_b64` for `TrussBlock.values`. With a
/// generator that gives truss fields `#[array(form = "truss")]` the default client does;
/// before that, the field follows the client's `encode_options` (tesseract's form by
/// default, which the app refuses), and this sets them to truss's form. Which one was
/// used is recorded in the results as `json_form`.
fn client_for(url: &str, block: &api::TrussBlock) -> Res<(api::Client, &'static str)> {
    let config = ClientConfig::new(url);
    let client = api::Client::new(config.clone());
    let probe = Request::new("POST", "/echo-truss").json(block, client.encoding())?;
    let body = probe.body().map_or(&[][..], |(_, b)| b);
    let truss_form = body.windows(10).any(|w| w == b"\"data_b64\"");
    let (client, form) = if truss_form {
        (client, "the field's own form (#[array(form = \"truss\")])")
    } else {
        eprintln!(
            "  client-bench: the generated TrussBlock writes tesseract's form by default (the \
             golden has no #[array(form = \"truss\")] yet); using \
             encode_options(EncodeOptions::truss())"
        );
        (
            api::Client::new(config).encode_options(EncodeOptions::truss()),
            "client.encode_options(EncodeOptions::truss()) (fallback: no per-field form in the golden)",
        )
    };
    let got = client.echo_truss(block).map_err(api_err)?;
    check(&got, block, "echo_truss (first call)")?;
    Ok((client, form))
}

fn call_json(client: &api::Client, block: &api::TrussBlock) -> Res<api::TrussBlock> {
    client.echo_truss(black_box(block)).map_err(api_err)
}

fn call_msgpack(client: &api::Client, block: &api::TrussBlock) -> Res<api::TrussBlock> {
    client.echo_binary(black_box(block)).map_err(api_err)
}

/// The generated method's three steps, timed apart (same calls as the generated code).
struct Phases {
    encode: Vec<f64>,
    http: Vec<f64>,
    decode: Vec<f64>,
    encode_cpu: Vec<f64>,
    http_cpu: Vec<f64>,
    decode_cpu: Vec<f64>,
    request_bytes: usize,
    response_bytes: usize,
}

fn phases(
    client: &api::Client,
    block: &api::TrussBlock,
    msgpack: bool,
    warm: usize,
    n: usize,
) -> Res<Phases> {
    let http = client.inner();
    let mut p = Phases {
        encode: Vec::new(),
        http: Vec::new(),
        decode: Vec::new(),
        encode_cpu: Vec::new(),
        http_cpu: Vec::new(),
        decode_cpu: Vec::new(),
        request_bytes: 0,
        response_bytes: 0,
    };
    for i in 0..warm + n {
        let (c0, t0) = (process_cpu(), Instant::now());
        let req = if msgpack {
            Request::new("POST", "/echo-binary")
                .msgpack("application/octet-stream", black_box(block))?
                .accept("application/octet-stream")
        } else {
            Request::new("POST", "/echo-truss")
                .json(black_box(block), client.encoding())?
                .accept("application/json")
        };
        let (t1, c1) = (Instant::now(), process_cpu());
        let request_bytes = req.body().map_or(0, |(_, b)| b.len());
        let (c1b, t1b) = (process_cpu(), Instant::now());
        let r = http.send(req)?;
        let (t2, c2) = (Instant::now(), process_cpu());
        if r.status != 200 {
            return Err(format!("status {}", r.status).into());
        }
        let response_bytes = r.body.len();
        let (c2b, t2b) = (process_cpu(), Instant::now());
        let got: api::TrussBlock = if msgpack {
            http.msgpack(r)?
        } else {
            http.json(r)?
        };
        let (t3, c3) = (Instant::now(), process_cpu());
        check(&got, block, "phases")?;
        drop(got);
        if i >= warm {
            p.encode.push((t1 - t0).as_secs_f64());
            p.http.push((t2 - t1b).as_secs_f64());
            p.decode.push((t3 - t2b).as_secs_f64());
            p.encode_cpu.push(c1 - c0);
            p.http_cpu.push(c2 - c1b);
            p.decode_cpu.push(c3 - c2b);
            p.request_bytes = request_bytes;
            p.response_bytes = response_bytes;
        }
    }
    Ok(p)
}

fn phases_json(p: &Phases) -> Value {
    json!({
        "encode": {"wall": stats(&p.encode), "cpu": stats(&p.encode_cpu)},
        "http": {"wall": stats(&p.http), "cpu": stats(&p.http_cpu)},
        "decode": {"wall": stats(&p.decode), "cpu": stats(&p.decode_cpu)},
        "request_bytes": p.request_bytes,
        "response_bytes": p.response_bytes,
    })
}

/// memcpy of the 4 MB payload into a buffer written before (warm), per copy.
fn memcpy(src: &[u8], reps: usize) -> Value {
    let mut dst = vec![0u8; src.len()];
    dst.copy_from_slice(src);
    let mut wall = Vec::with_capacity(reps);
    let mut cpu = Vec::with_capacity(reps);
    for _ in 0..reps {
        let (c0, t0) = (process_cpu(), Instant::now());
        dst.copy_from_slice(black_box(src));
        black_box(&mut dst);
        wall.push(t0.elapsed().as_secs_f64());
        cpu.push(process_cpu() - c0);
    }
    json!({"bytes": src.len(), "reps": reps, "wall": stats(&wall), "cpu": stats(&cpu)})
}

// ---------------------------------------------------------------------------------
// The transport floor
// ---------------------------------------------------------------------------------

/// A minimal HTTP/1.1 keep-alive exchange over `std::net::TcpStream`: the request body
/// encoded once beforehand, the answer read into a buffer reused from call to call. No
/// client does less for the same bytes, so its CPU time is the floor of the kernel's
/// loopback work (send, receive, wake-ups) that every client pays, Python's included.
struct RawHttp {
    stream: std::net::TcpStream,
    host: String,
    buf: Vec<u8>,
}

impl RawHttp {
    fn connect(url: &str) -> Res<RawHttp> {
        let host = url
            .strip_prefix("http://")
            .ok_or("the transport floor needs an http:// URL")?
            .trim_end_matches('/')
            .to_owned();
        let stream = std::net::TcpStream::connect(&host)?;
        stream.set_nodelay(true)?;
        Ok(RawHttp {
            stream,
            host,
            buf: Vec::new(),
        })
    }

    /// Sends one POST and reads the whole answer; returns (status, body length). The body
    /// is `self.buf[start..]`.
    fn post(&mut self, path: &str, content_type: &str, body: &[u8]) -> Res<(u16, usize)> {
        use std::io::{Read, Write};
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {content_type}\r\n\
             Accept: {content_type}\r\nContent-Length: {}\r\n\r\n",
            self.host,
            body.len()
        );
        self.stream.write_all(head.as_bytes())?;
        self.stream.write_all(body)?;
        // The head: read until the blank line (it may arrive with the start of the body).
        self.buf.clear();
        let mut chunk = [0u8; 16 << 10];
        let head_end = loop {
            let k = self.stream.read(&mut chunk)?;
            if k == 0 {
                return Err("the server closed the connection".into());
            }
            self.buf.extend_from_slice(&chunk[..k]);
            if let Some(i) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
        };
        let head = std::str::from_utf8(&self.buf[..head_end])?;
        let status: u16 = head.split(' ').nth(1).ok_or("no status")?.parse()?;
        let length: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .ok_or("no Content-Length")?;
        let total = head_end + length;
        let have = self.buf.len();
        if have < total {
            // Reused buffer: after the first call it has the capacity, and its bytes are
            // already initialised, so this is one read loop into it.
            self.buf.resize(total, 0);
            self.stream.read_exact(&mut self.buf[have..total])?;
        }
        Ok((status, length))
    }
}

/// The floor: the same exchange as the generated client's (same bytes both ways), done by
/// `RawHttp`; nothing encoded or decoded inside the timed part.
fn transport_floor(
    url: &str,
    client: &api::Client,
    block: &api::TrussBlock,
    msgpack: bool,
    warm: usize,
    n: usize,
) -> Res<Value> {
    let req = if msgpack {
        Request::new("POST", "/echo-binary").msgpack("application/octet-stream", block)?
    } else {
        Request::new("POST", "/echo-truss").json(block, client.encoding())?
    };
    let (content_type, body) = req.body().ok_or("no body")?;
    let path = if msgpack {
        "/echo-binary"
    } else {
        "/echo-truss"
    };
    let mut raw = RawHttp::connect(url)?;
    let (mut wall, mut cpu) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut start = rusage();
    let mut got = 0;
    for i in 0..warm + n {
        if i == warm {
            start = rusage();
        }
        let (c0, t0) = (process_cpu(), Instant::now());
        let (status, len) = raw.post(path, content_type, black_box(body))?;
        let (t1, c1) = (t0.elapsed().as_secs_f64(), process_cpu());
        if status != 200 || len != body.len() {
            return Err(format!("transport floor: status {status}, {len} bytes").into());
        }
        got = len;
        if i >= warm {
            wall.push(t1);
            cpu.push(c1 - c0);
        }
    }
    let ((u0, s0, f0), (u1, s1, f1)) = (start, rusage());
    let calls = n as f64;
    Ok(json!({
        "calls": n,
        "request_bytes": body.len(),
        "response_bytes": got,
        "wall": stats(&wall),
        "cpu": stats(&cpu),
        "rusage_user_per_call": (u1 - u0) / calls,
        "rusage_sys_per_call": (s1 - s0) / calls,
        "minor_faults_per_call": (f1 - f0) as f64 / calls,
    }))
}

fn run(url: &str, dir: &Path, warm: usize, n: usize, out_name: &str) -> Res<()> {
    let values = load_values(dir)?;
    let block = block(values);

    let floor = memcpy(block.values.as_bytes(), 100);
    eprintln!(
        "  rust memcpy 4 MB: {}",
        ms(floor["wall"]["median"].as_f64().unwrap_or(0.0))
    );

    let (client, json_form) = client_for(url, &block)?;
    let mut results = serde_json::Map::new();
    let mut kept = serde_json::Map::new();
    for (wire, f) in [
        (
            "json",
            call_json as fn(&api::Client, &api::TrussBlock) -> Res<api::TrussBlock>,
        ),
        ("msgpack", call_msgpack),
    ] {
        let what = format!("{wire} echo");
        for keep in [false, true] {
            let s = measure(
                warm,
                n,
                keep,
                || f(&client, &block),
                |got| check(got, &block, &what),
            )?;
            eprintln!(
                "  rust {wire:<8} {:<14} wall {} cpu {} (median of {n}; user {} sys {} per call, \
                 {:.0} page faults)",
                if keep { "(answer kept)" } else { "" },
                ms(median(&s.wall)),
                ms(median(&s.cpu)),
                ms(s.user),
                ms(s.sys),
                s.minflt
            );
            if keep {
                kept.insert(wire.to_owned(), summary(&s));
            } else {
                results.insert(wire.to_owned(), summary(&s));
            }
        }
    }
    let mut floors = serde_json::Map::new();
    for (wire, msgpack) in [("json", false), ("msgpack", true)] {
        let f = transport_floor(url, &client, &block, msgpack, warm, n)?;
        eprintln!(
            "  rust {wire:<8} transport floor (raw TcpStream, same bytes): wall {} cpu {}",
            ms(f["wall"]["median"].as_f64().unwrap_or(0.0)),
            ms(f["cpu"]["median"].as_f64().unwrap_or(0.0)),
        );
        floors.insert(wire.to_owned(), f);
    }
    let mut split = serde_json::Map::new();
    for (wire, msgpack) in [("json", false), ("msgpack", true)] {
        let p = phases(&client, &block, msgpack, warm.min(2), n / 2)?;
        eprintln!(
            "  rust {wire:<8} steps (cpu): encode {} http {} decode {}; request {} B, response {} B",
            ms(median(&p.encode_cpu)),
            ms(median(&p.http_cpu)),
            ms(median(&p.decode_cpu)),
            p.request_bytes,
            p.response_bytes
        );
        split.insert(wire.to_owned(), phases_json(&p));
    }
    let out = json!({
        "side": "rust",
        "client": "generated Client (arraymodel::client::blocking, ureq)",
        "json_form": json_form,
        "elements": ELEMENTS,
        "dtype": "float32",
        "glibc_tunables": std::env::var("GLIBC_TUNABLES").ok(),
        "warmup": warm,
        "calls": n,
        "memcpy": floor,
        "calls_by_wire": results,
        "calls_by_wire_answer_kept": kept,
        "steps": split,
        "transport_floor": floors,
    });
    fs::write(dir.join(out_name), serde_json::to_vec_pretty(&out)?)?;
    Ok(())
}

/// `n` calls in a row, nothing timed: for `valgrind --tool=callgrind` or `perf record`.
fn profile_loop(url: &str, dir: &Path, wire: &str, n: &str) -> Res<()> {
    let n: usize = n.parse()?;
    let block = block(load_values(dir)?);
    let (client, _) = client_for(url, &block)?;
    for _ in 0..n {
        let got = match wire {
            "json" => call_json(&client, &block)?,
            "msgpack" => call_msgpack(&client, &block)?,
            other => return Err(format!("unknown wire {other} (json, msgpack)").into()),
        };
        drop(black_box(got));
    }
    Ok(())
}
