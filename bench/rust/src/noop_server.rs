//! The no-op baseline of `bench/serve-compare`: an HTTP/1.1 server that does no tesseract
//! work. It reads each request completely (headers, then exactly `Content-Length` body
//! bytes, discarded into a reused 256 KiB buffer) and answers with a canned response whose
//! bytes were captured from the Rust server for the same request, so a client timed against
//! it pays everything a real call costs (encoding the inputs, writing binref input files,
//! sending the body, receiving and decoding the answer, reading binref output files) except
//! the server's own work: parsing, decoding, computing, encoding, writing files.
//!
//! ```text
//! noop-server --port N --canned DIR
//! ```
//!
//! `DIR/openapi.json` answers `GET /openapi.json` (tesseract-core's client reads the
//! encodings a server offers from it); `POST /apply` answers `DIR/apply-json+binref.json`
//! when `Accept` names `json+binref`, else `DIR/apply-json+base64.json`; `GET /health`
//! answers `{"status":"ok"}`. Anything else is a 404. One thread per connection,
//! keep-alive, `TCP_NODELAY`, each response written with one `write_all` of prebuilt bytes.
//! The first line on stdout is `http://127.0.0.1:PORT`.
//!
//! Standard library only: `bench/serve-compare` compiles it with `rustc -O` (seconds),
//! without building arraymodel; the `[[bin]]` entry keeps it under the workspace's lints.

use std::io::{self, BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;

/// Prebuilt responses: status line, headers and body in one buffer each.
struct Canned {
    openapi: Vec<u8>,
    base64: Vec<u8>,
    binref: Vec<u8>,
    health: Vec<u8>,
    not_found: Vec<u8>,
}

fn response(status: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

fn load(dir: &Path) -> io::Result<Canned> {
    let read = |name: &str| {
        std::fs::read(dir.join(name))
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.join(name).display())))
    };
    Ok(Canned {
        openapi: response("200 OK", "application/json", &read("openapi.json")?),
        base64: response(
            "200 OK",
            "application/json+base64",
            &read("apply-json+base64.json")?,
        ),
        binref: response(
            "200 OK",
            "application/json+binref",
            &read("apply-json+binref.json")?,
        ),
        health: response("200 OK", "application/json", br#"{"status":"ok"}"#),
        not_found: response(
            "404 Not Found",
            "application/json",
            br#"{"detail":"Not Found"}"#,
        ),
    })
}

/// One request's head: what picking the answer and reading the body need.
struct Head {
    method: String,
    path: String,
    content_length: usize,
    binref: bool,
    close: bool,
}

/// Reads one request head; `None` when the client closed the connection between requests.
fn read_head(reader: &mut io::BufReader<TcpStream>) -> io::Result<Option<Head>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_ascii_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let target = parts.next().unwrap_or("");
    let path = target.split('?').next().unwrap_or("").to_owned();
    let mut head = Head {
        method,
        path,
        content_length: 0,
        binref: false,
        close: false,
    };
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed inside a request head",
            ));
        }
        let l = line.trim_end();
        if l.is_empty() {
            return Ok(Some(head));
        }
        let Some((name, value)) = l.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                head.content_length = value.parse().map_err(|_| {
                    io::Error::new(io::ErrorKind::InvalidData, "bad content-length")
                })?;
            }
            "accept" => head.binref = value.contains("json+binref"),
            "connection" => head.close = value.eq_ignore_ascii_case("close"),
            "transfer-encoding" => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "chunked request bodies are not supported by this benchmark tool",
                ));
            }
            _ => {}
        }
    }
}

fn serve_connection(stream: TcpStream, canned: &Canned) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = io::BufReader::with_capacity(256 * 1024, stream);
    let mut sink = vec![0u8; 256 * 1024];
    while let Some(head) = read_head(&mut reader)? {
        // The body, read and dropped: all of it, so the client's send is not cut short.
        let mut left = head.content_length;
        while left > 0 {
            let n = reader.read(&mut sink[..left.min(256 * 1024)])?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed inside a request body",
                ));
            }
            left -= n;
        }
        let answer = match (head.method.as_str(), head.path.as_str()) {
            ("POST", "/apply") if head.binref => &canned.binref,
            ("POST", "/apply") => &canned.base64,
            ("GET", "/openapi.json") => &canned.openapi,
            ("GET", "/health") => &canned.health,
            _ => &canned.not_found,
        };
        writer.write_all(answer)?;
        if head.close {
            break;
        }
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let (Some(port), Some(dir)) = (opt("--port"), opt("--canned")) else {
        eprintln!("usage: noop-server --port N --canned DIR");
        std::process::exit(2);
    };
    let port: u16 = port
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "bad --port"))?;
    let canned = Arc::new(load(Path::new(&dir))?);
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!("http://{}", listener.local_addr()?);
    io::stdout().flush()?;
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                eprintln!("noop-server: accept: {e}");
                continue;
            }
        };
        let canned = Arc::clone(&canned);
        std::thread::spawn(move || {
            if let Err(e) = serve_connection(stream, &canned) {
                // A client closing its connection is the normal end, not an error.
                if !matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe
                ) {
                    eprintln!("noop-server: {e}");
                }
            }
        });
    }
    Ok(())
}
