//! The HTTP clients against a malicious or compromised server (issue #14 §8): a small
//! canned-response server on 127.0.0.1 (one thread, bounded, stops by itself) answers the
//! blocking and async clients with huge bodies, redirects, compression bombs, hostile
//! error texts and FIFOs in the binref output folder. Each test names the class of attack
//! it guards against.
//!
//! This crate's dev-dependencies enable `ureq/gzip` and `reqwest/gzip,deflate`, so these
//! tests are built with transparent decompression unified in, as a user's dependency
//! graph may have it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use arraymodel::client::{
    CallOptions, ClientConfig, ClientError, MAX_ERROR_ITEMS, MAX_ERROR_MESSAGE, MAX_ERROR_TEXT,
    TRUNCATED_ISSUES, WireFormat, blocking, nonblocking,
};
use arraymodel::{Array, EncodeOptions, Encoding, to_json_vec};

type Outputs = BTreeMap<String, Array>;

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Req {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Req {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Handler = dyn Fn(&Req, &mut TcpStream) + Send + Sync;

/// A one-thread HTTP/1.1 server answering each connection through `handler`, then closing
/// it. Stops when dropped, or after 30 s whatever happens.
struct Server {
    url: String,
    requests: Arc<Mutex<Vec<Req>>>,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    fn start(handler: impl Fn(&Req, &mut TcpStream) + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Box<Handler> = Box::new(handler);
        let thread = {
            let (requests, connections, stop) =
                (requests.clone(), connections.clone(), stop.clone());
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(30);
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            connections.fetch_add(1, Ordering::Relaxed);
                            stream.set_nonblocking(false).unwrap();
                            stream
                                .set_read_timeout(Some(Duration::from_secs(5)))
                                .unwrap();
                            stream
                                .set_write_timeout(Some(Duration::from_secs(5)))
                                .unwrap();
                            if let Some(req) = read_request(&mut stream) {
                                requests.lock().unwrap().push(req.clone());
                                handler(&req, &mut stream);
                            }
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            })
        };
        Server {
            url,
            requests,
            connections,
            stop,
            thread: Some(thread),
        }
    }

    fn requests(&self) -> Vec<Req> {
        self.requests.lock().unwrap().clone()
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Req> {
    let mut r = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Req {
        method,
        path,
        headers,
        body,
    })
}

/// Writes a whole response with `Content-Length` and `Connection: close`.
fn respond(s: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let _ = s.write_all(head.as_bytes());
    let _ = s.write_all(body);
    let _ = s.flush();
}

/// A valid `/apply` answer: `{"result": [1.0]}` as json+base64.
fn apply_answer() -> Vec<u8> {
    let out = BTreeMap::from([("result".to_owned(), Array::from_vec(vec![1.0f64]))]);
    to_json_vec(&out, &EncodeOptions::tesseract(Encoding::Base64)).unwrap()
}

fn inputs() -> BTreeMap<String, Array> {
    BTreeMap::from([("a".to_owned(), Array::from_vec(vec![1.0f64, 2.0]))])
}

fn cfg(url: &str) -> ClientConfig {
    ClientConfig::new(url).timeout(Duration::from_secs(10))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Runs the call on both clients and returns their results.
fn both(config: &ClientConfig) -> [Result<Outputs, ClientError>; 2] {
    let opts = CallOptions::default();
    let b = blocking::TesseractClient::new(config.clone()).apply::<_, Outputs>(&inputs(), &opts);
    let a = rt().block_on(async {
        nonblocking::TesseractClient::new(config.clone())
            .apply::<_, Outputs>(&inputs(), &opts)
            .await
    });
    [b, a]
}

const MIB: usize = 1 << 20;

/// Memory exhaustion through an unbounded body: 64 MiB sent against a 1 MiB cap, with
/// and without a declared length; both clients stop at the cap with a typed error (the
/// async client used to read the whole body, then copy it).
#[test]
fn huge_body_is_refused_at_the_cap() {
    for declared in [true, false] {
        let finished = Arc::new(AtomicBool::new(false));
        let server = {
            let finished = finished.clone();
            Server::start(move |_, s| {
                let mut head = "HTTP/1.1 200 OK\r\nContent-Type: application/json+base64\r\nConnection: close\r\n".to_owned();
                if declared {
                    head.push_str(&format!("Content-Length: {}\r\n", 64 * MIB));
                }
                head.push_str("\r\n");
                if s.write_all(head.as_bytes()).is_err() {
                    return;
                }
                // A JSON string that never ends, 64 KiB at a time.
                let chunk = vec![b'A'; 64 << 10];
                if s.write_all(b"{\"result\": \"").is_err() {
                    return;
                }
                for _ in 0..(64 * MIB / chunk.len()) {
                    if s.write_all(&chunk).is_err() {
                        return;
                    }
                }
                finished.store(true, Ordering::Relaxed);
            })
        };
        let config = cfg(&server.url).max_response_bytes(MIB as u64);
        let t0 = Instant::now();
        for (client, r) in ["blocking", "async"].into_iter().zip(both(&config)) {
            match r {
                Err(ClientError::BodyTooLarge { limit }) => assert_eq!(limit, MIB as u64),
                other => {
                    panic!("{client}, declared {declared}: expected BodyTooLarge, got {other:?}")
                }
            }
        }
        assert!(t0.elapsed() < Duration::from_secs(10));
        drop(server);
        assert!(
            !finished.load(Ordering::Relaxed),
            "declared {declared}: a client read all 64 MiB"
        );
    }
}

/// Redirects: a 301/302/303 would be followed as a GET whose answer comes back as the
/// `/apply` result, and a 307/308 would re-POST the inputs and the custom headers
/// (`X-Api-Key`) to another host. Neither client follows a redirect by default: the
/// second listener receives nothing and the error names the status and the Location.
#[test]
fn redirects_are_not_followed_by_default() {
    let other = Server::start(|_, s| {
        respond(
            s,
            "200 OK",
            &[("Content-Type", "application/json+base64")],
            &apply_answer(),
        )
    });
    let target = format!("{}/apply", other.url);
    for status in [
        "301 Moved Permanently",
        "302 Found",
        "303 See Other",
        "307 Temporary Redirect",
        "308 Permanent Redirect",
    ] {
        let target2 = target.clone();
        let server = Server::start(move |_, s| respond(s, status, &[("Location", &target2)], b""));
        let code: u16 = status[..3].parse().unwrap();
        for follow in [false, true] {
            // Followed or not, another origin is refused.
            let config = cfg(&server.url)
                .header("X-Api-Key", "secret")
                .follow_redirects(follow);
            for (client, r) in ["blocking", "async"].into_iter().zip(both(&config)) {
                match r {
                    Err(ClientError::Redirect {
                        status, location, ..
                    }) => {
                        assert_eq!(status, code, "{client}");
                        assert_eq!(location, target, "{client}");
                    }
                    other => panic!("{client} {code}: expected Redirect, got {other:?}"),
                }
            }
        }
        let e = blocking::TesseractClient::new(cfg(&server.url))
            .apply::<_, Outputs>(&inputs(), &CallOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains(&code.to_string()) && e.contains(&target), "{e}");
    }
    assert_eq!(other.connections(), 0, "the redirect target was contacted");
}

/// The opt-in: same-origin 307/308 are followed with the method, body and headers kept;
/// a 303 would turn the POST into a GET and stays an error.
#[test]
fn same_origin_307_is_followed_when_asked() {
    let server = Server::start(|req, s| match req.path.as_str() {
        "/apply" => respond(
            s,
            "307 Temporary Redirect",
            &[("Location", "/v2/apply")],
            b"",
        ),
        "/see-other" => respond(s, "303 See Other", &[("Location", "/v2/apply")], b""),
        _ => respond(
            s,
            "200 OK",
            &[("Content-Type", "application/json+base64")],
            &apply_answer(),
        ),
    });
    let config = cfg(&server.url)
        .header("X-Api-Key", "secret")
        .follow_redirects(true);
    for (client, r) in ["blocking", "async"].into_iter().zip(both(&config)) {
        let out = r.unwrap_or_else(|e| panic!("{client}: {e}"));
        assert_eq!(out["result"], Array::from_vec(vec![1.0f64]));
    }
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    for pair in reqs.chunks(2) {
        assert_eq!(pair[1].path, "/v2/apply");
        assert_eq!(pair[1].method, "POST");
        assert_eq!(pair[1].body, pair[0].body);
        assert_eq!(pair[1].header("x-api-key"), Some("secret"));
    }
    let e = blocking::TesseractClient::new(config.clone())
        .call::<_, Outputs>("see-other", &inputs(), &CallOptions::default())
        .unwrap_err();
    assert!(
        matches!(e, ClientError::Redirect { status: 303, .. }),
        "{e}"
    );
}

/// 64 MiB of zeros, gzip (zlib for `deflate`): about 64 KiB on the wire.
fn bomb(zlib: bool) -> &'static [u8] {
    static GZ: OnceLock<Vec<u8>> = OnceLock::new();
    static ZL: OnceLock<Vec<u8>> = OnceLock::new();
    let make = || {
        let zeros = vec![0u8; 64 * MIB];
        let level = flate2::Compression::best();
        if zlib {
            let mut e = flate2::write::ZlibEncoder::new(Vec::new(), level);
            e.write_all(&zeros).unwrap();
            e.finish().unwrap()
        } else {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), level);
            e.write_all(&zeros).unwrap();
            e.finish().unwrap()
        }
    };
    if zlib {
        ZL.get_or_init(make)
    } else {
        GZ.get_or_init(make)
    }
}

/// Decompression bombs: with `ureq/gzip` or `reqwest/gzip,deflate` unified in, a small
/// `Content-Encoding: gzip` or `deflate` body used to be expanded (ureq's limit counts
/// compressed bytes; reqwest had none). Neither client asks for compression, and both
/// refuse a compressed answer without expanding it.
#[test]
fn compression_bombs_are_not_expanded() {
    for (encoding, zlib) in [("gzip", false), ("deflate", true), ("br", false)] {
        let body = bomb(zlib);
        assert!(body.len() < MIB);
        let server = Server::start(move |_, s| {
            respond(
                s,
                "200 OK",
                &[
                    ("Content-Type", "application/json+base64"),
                    ("Content-Encoding", encoding),
                ],
                body,
            )
        });
        // A cap above the compressed size: only expanding the body would pass it.
        let config = cfg(&server.url).max_response_bytes(2 * MIB as u64);
        for (client, r) in ["blocking", "async"].into_iter().zip(both(&config)) {
            match r {
                Err(ClientError::ContentEncoding(e)) => assert_eq!(e, encoding),
                // With `ureq/gzip` on, ureq decompresses before the client sees the body and
                // removes the header; the cap, counted in decompressed bytes, stops it.
                Err(ClientError::BodyTooLarge { limit })
                    if client == "blocking" && encoding == "gzip" =>
                {
                    assert_eq!(limit, 2 * MIB as u64)
                }
                other => panic!("{client} {encoding}: expected ContentEncoding, got {other:?}"),
            }
        }
        for req in server.requests() {
            assert_eq!(req.header("accept-encoding"), None, "{req:?}");
        }
    }
}

fn has_raw_controls(s: &str) -> bool {
    s.chars().any(|c| c.is_control() || c == '\u{202E}')
}

/// Log and terminal injection, and memory through error texts: a 422 whose `detail` holds
/// thousands of issues with megabytes of control characters (ESC, C1 CSI, bidi override)
/// used to become a multi-megabyte error string with the raw bytes in it. Now each text is
/// escaped and capped, and the list is cut with a note.
#[test]
fn hostile_error_texts_are_escaped_and_capped() {
    let evil = format!(
        "\u{1b}[31mred\u{9b}2J\u{202E}{}",
        "\u{1b}]0;title\u{7}".repeat(400)
    );
    let issues: Vec<serde_json::Value> = (0..500)
        .map(|i| {
            serde_json::json!({
                "loc": ["body", evil, i, {"k": evil}],
                "msg": evil,
                "type": evil,
            })
        })
        .collect();
    let detail = serde_json::to_vec(&serde_json::json!({ "detail": issues })).unwrap();
    assert!(detail.len() > 5 * MIB);
    let not_acceptable = serde_json::to_vec(&serde_json::json!({"detail": {
        "message": evil,
        "available_formats": vec![evil.clone(); 500],
        "available_compressions": ["none"],
    }}))
    .unwrap();
    // A field name and a dtype the decoder names in its error.
    let huge_key = serde_json::to_vec(&serde_json::json!({ evil.repeat(50): {
        "shape": [1], "dtype": evil.repeat(50),
        "data": {"buffer": "AAAAAAAA8D8=", "encoding": "base64"},
    }}))
    .unwrap();
    let evil2 = evil.clone();
    let server = Server::start(move |req, s| match req.path.as_str() {
        "/apply" => respond(
            s,
            "422 Unprocessable Entity",
            &[("Content-Type", "application/json")],
            &detail,
        ),
        "/not_acceptable" => respond(
            s,
            "406 Not Acceptable",
            &[("Content-Type", "application/json")],
            &not_acceptable,
        ),
        "/status" => respond(
            s,
            "500 Internal Server Error",
            &[("Content-Type", "text/plain")],
            evil2.repeat(100).as_bytes(),
        ),
        "/location" => respond(
            s,
            "302 Found",
            &[(
                "Location",
                &evil2.replace(['\u{1b}', '\u{7}', '\u{9b}'], "%").repeat(2),
            )],
            b"",
        ),
        "/content_type" => respond(
            s,
            "200 OK",
            &[("Content-Type", &format!("application/{}", "x".repeat(5000)))],
            b"{}",
        ),
        _ => respond(
            s,
            "200 OK",
            &[("Content-Type", "application/json+base64")],
            &huge_key,
        ),
    });
    let config = cfg(&server.url);
    let b = blocking::TesseractClient::new(config.clone());
    let a = nonblocking::TesseractClient::new(config.clone());
    let rt = rt();
    let opts = CallOptions::default();
    for endpoint in [
        "apply",
        "not_acceptable",
        "status",
        "location",
        "content_type",
        "decode",
    ] {
        let errs = [
            b.call::<_, Outputs>(endpoint, &inputs(), &opts)
                .unwrap_err(),
            rt.block_on(a.call::<_, Outputs>(endpoint, &inputs(), &opts))
                .unwrap_err(),
        ];
        for e in errs {
            let shown = e.to_string();
            assert!(
                shown.len() <= MAX_ERROR_MESSAGE + 64,
                "{endpoint}: {} bytes: {}",
                shown.len(),
                shown.chars().take(200).collect::<String>()
            );
            assert!(!has_raw_controls(&shown), "{endpoint}: {shown:?}");
            if endpoint != "decode" {
                // Decode keeps the runtime's error as it is; only its Display is capped. The
                // other variants hold at most MAX_ERROR_ITEMS + 1 issues of MAX_ERROR_ITEMS + 1
                // loc parts and two texts, each at most MAX_ERROR_TEXT (plus Debug's escapes).
                let debug = format!("{e:?}");
                let bound =
                    2 * (MAX_ERROR_ITEMS + 1) * (MAX_ERROR_ITEMS + 3) * (MAX_ERROR_TEXT + 32);
                assert!(debug.len() <= bound, "{endpoint}: {} bytes", debug.len());
            }
            match (endpoint, &e) {
                ("apply", ClientError::Validation(issues)) => {
                    assert_eq!(issues.len(), MAX_ERROR_ITEMS + 1);
                    let last = issues.last().unwrap();
                    assert_eq!(last.kind, TRUNCATED_ISSUES);
                    assert!(
                        last.msg
                            .contains(&format!("{} more", 500 - MAX_ERROR_ITEMS))
                    );
                    for i in &issues[..MAX_ERROR_ITEMS] {
                        assert!(i.msg.len() <= MAX_ERROR_TEXT + 32);
                        assert!(
                            i.msg.starts_with("\\u{1b}[31mred\\u{9b}2J\\u{202e}"),
                            "{}",
                            &i.msg[..40]
                        );
                        assert!(!has_raw_controls(&i.msg) && !has_raw_controls(&i.kind));
                        assert_eq!(i.loc[0], "body");
                        assert_eq!(i.loc.len(), 4);
                    }
                }
                (
                    "not_acceptable",
                    ClientError::NotAcceptable {
                        message,
                        formats,
                        compressions,
                    },
                ) => {
                    assert!(message.len() <= MAX_ERROR_TEXT + 32);
                    assert_eq!(formats.len(), MAX_ERROR_ITEMS + 1);
                    assert_eq!(
                        formats.last().unwrap(),
                        &format!("… ({} more)", 500 - MAX_ERROR_ITEMS)
                    );
                    assert_eq!(compressions, &["none"]);
                }
                ("status", ClientError::Status { status: 500, body }) => {
                    assert!(body.len() <= MAX_ERROR_TEXT + 32, "{}", body.len());
                    assert!(body.ends_with("more bytes)"), "{body}");
                }
                (
                    "location",
                    ClientError::Redirect {
                        status: 302,
                        location,
                        ..
                    },
                ) => {
                    assert!(location.len() <= MAX_ERROR_TEXT + 32);
                }
                ("content_type", ClientError::ContentType { got, .. }) => {
                    assert!(got.len() <= MAX_ERROR_TEXT + 32);
                }
                ("decode", ClientError::Decode(_)) => {}
                (_, other) => panic!("{endpoint}: unexpected {other:?}"),
            }
        }
    }
}

/// Creates a FIFO at `path` (`mkfifo`).
fn mkfifo(path: &Path) {
    let st = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo");
    assert!(st.success());
}

fn fifo_dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("client_hostile")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A json+binref `/apply` answer referencing `x.bin:0` (one float64).
fn binref_answer() -> Vec<u8> {
    br#"{"result": {"object_type": "array", "shape": [1], "dtype": "float64", "data": {"buffer": "x.bin:0", "encoding": "binref"}}}"#.to_vec()
}

fn binref_server() -> Server {
    Server::start(|_, s| {
        respond(
            s,
            "200 OK",
            &[("Content-Type", "application/json+binref")],
            &binref_answer(),
        )
    })
}

/// Runs `calls` in a thread; fails if it does not end within `limit`. On a hang, opens the
/// FIFO for writing, which releases a reader blocked opening it.
fn within<T: Send + 'static>(
    limit: Duration,
    fifo: &Path,
    calls: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(calls());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(_) => {
            let _ = std::fs::OpenOptions::new().write(true).open(fifo);
            panic!("the client hung opening a FIFO at the binref path");
        }
    }
}

/// Denial of service through the shared output folder: the server (or anyone who can
/// write there) puts a FIFO at the referenced binref name; opening it for reading would
/// block until a writer appears. The call must fail, not hang.
#[test]
fn binref_fifo_is_an_error_not_a_hang() {
    let dir = fifo_dir("fifo");
    mkfifo(&dir.join("x.bin"));
    let server = binref_server();
    let config = cfg(&server.url).binref_output_dir(&dir);
    let opts = CallOptions::default().response(WireFormat::BINREF);
    let (c, o) = (config.clone(), opts.clone());
    let r = within(Duration::from_secs(10), &dir.join("x.bin"), move || {
        blocking::TesseractClient::new(c).apply::<_, Outputs>(&inputs(), &o)
    });
    assert!(matches!(r, Err(ClientError::Decode(_))), "{r:?}");
    let r = within(Duration::from_secs(10), &dir.join("x.bin"), move || {
        rt().block_on(async {
            nonblocking::TesseractClient::new(config)
                .apply::<_, Outputs>(&inputs(), &opts)
                .await
        })
    });
    assert!(matches!(r, Err(ClientError::Decode(_))), "{r:?}");
}

/// The same, racing: the name flips between a regular file and a FIFO (hard links renamed
/// over it) while the client reads it, so a check-then-open reader can be fooled into
/// opening the FIFO. Every call must end, with the array or an error.
#[test]
fn binref_fifo_swapped_in_is_an_error_not_a_hang() {
    let dir = fifo_dir("fifo_race");
    let fifo = dir.join("fifo");
    let regular = dir.join("regular");
    mkfifo(&fifo);
    std::fs::write(&regular, 1.0f64.to_le_bytes()).unwrap();
    std::fs::hard_link(&regular, dir.join("x.bin")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (dir, stop) = (dir.clone(), stop.clone());
        std::thread::spawn(move || {
            let tmp = dir.join("tmp");
            let mut flips = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for src in [&fifo, &regular] {
                    let _ = std::fs::remove_file(&tmp);
                    std::fs::hard_link(src, &tmp).unwrap();
                    std::fs::rename(&tmp, dir.join("x.bin")).unwrap();
                }
                flips += 1;
            }
            flips
        })
    };
    let server = binref_server();
    let config = cfg(&server.url).binref_output_dir(&dir);
    let opts = CallOptions::default().response(WireFormat::BINREF);
    let (oks, errs) = within(Duration::from_secs(20), &dir.join("fifo"), move || {
        let client = blocking::TesseractClient::new(config);
        let (mut oks, mut errs) = (0, 0);
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(3) {
            match client.apply::<_, Outputs>(&inputs(), &opts) {
                Ok(_) => oks += 1,
                Err(ClientError::Decode(_)) => errs += 1,
                Err(e) => panic!("{e}"),
            }
        }
        (oks, errs)
    });
    stop.store(true, Ordering::Relaxed);
    let flips = swapper.join().unwrap();
    assert!(oks + errs > 0 && flips > 0, "{oks} {errs} {flips}");
}

/// Lost causes: a transport error keeps its cause chain (`source`) and shows it.
#[test]
fn transport_errors_keep_their_cause() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = cfg(&format!("http://127.0.0.1:{port}"));
    for (client, r) in ["blocking", "async"].into_iter().zip(both(&config)) {
        match r {
            Err(e @ ClientError::Transport(_)) => {
                let source = std::error::Error::source(&e).expect("a source");
                assert!(
                    source.source().is_some() || client == "blocking",
                    "{client}: {e}"
                );
                assert!(
                    e.to_string().to_lowercase().contains("refused"),
                    "{client}: {e}"
                );
            }
            other => panic!("{client}: expected Transport, got {other:?}"),
        }
    }
}

/// A caller's own `ureq::Agent` (e.g. with a private CA) is used, with the safe settings
/// applied per request: this agent follows redirects and would send `Accept-Encoding`,
/// yet neither happens.
#[test]
fn blocking_client_takes_a_callers_agent() {
    let other = Server::start(|_, s| respond(s, "200 OK", &[], b""));
    let target = format!("{}/apply", other.url);
    let server = Server::start(move |req, s| match req.path.as_str() {
        "/apply" => respond(s, "307 Temporary Redirect", &[("Location", &target)], b""),
        _ => respond(
            s,
            "200 OK",
            &[("Content-Type", "application/json")],
            br#"{"status": "ok"}"#,
        ),
    });
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(10)
        .accept_encoding("gzip")
        .user_agent("callers-agent")
        .build()
        .into();
    let client = blocking::TesseractClient::with_agent(cfg(&server.url), agent);
    assert_eq!(client.health().unwrap().status, "ok");
    let e = client
        .apply::<_, Outputs>(&inputs(), &CallOptions::default())
        .unwrap_err();
    assert!(
        matches!(e, ClientError::Redirect { status: 307, .. }),
        "{e}"
    );
    assert_eq!(other.connections(), 0);
    for req in server.requests() {
        assert_eq!(req.header("user-agent"), Some("callers-agent"));
        assert_eq!(req.header("accept-encoding"), None);
    }
}
