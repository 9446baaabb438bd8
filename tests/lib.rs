//! Helpers shared by the cross-crate and interop tests in `tests/tests/`: the pinned
//! Python peers and a live `tesseract-runtime serve` on 127.0.0.1.

pub mod models;
#[path = "served/mod.rs"]
pub mod served;

// The code in the repository's README and in the READMEs of the crates that cannot test
// their own (the proc-macro crates, whose examples need the runtime) compiles and runs
// as doctests here.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct RepositoryReadme;
#[cfg(doctest)]
#[doc = include_str!("../macros/README.md")]
struct MacrosReadme;
#[cfg(doctest)]
#[doc = include_str!("../import-macro/README.md")]
struct ImportMacroReadme;
#[cfg(doctest)]
#[doc = include_str!("../codegen/README.md")]
struct CodegenReadme;

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Builds (or reuses) the pinned virtualenvs and returns the `bin/` folder of `peer`
/// (`tesseract` or `truss`). Panics, never skips, when that fails.
pub fn peer_bin(peer: &str) -> PathBuf {
    let root = repo_root();
    let out = Command::new("bash")
        .arg(root.join("scripts/peers-venv.sh"))
        .output()
        .expect("running scripts/peers-venv.sh (bash is required)");
    assert!(
        out.status.success(),
        "scripts/peers-venv.sh failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bin = root.join(".cache/venvs").join(peer).join("bin");
    assert!(
        bin.join("python").exists(),
        "{} missing after peers-venv.sh",
        bin.display()
    );
    bin
}

/// A `tesseract-runtime serve` process on a free 127.0.0.1 port, killed on drop.
pub struct TesseractServer {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The server's `--input-path` (binref inputs are read relative to it).
    pub input_dir: PathBuf,
    /// The server's `--output-path` (binref outputs are written under it).
    pub output_dir: PathBuf,
    log: PathBuf,
}

impl TesseractServer {
    /// Starts the tesseract API in `tests/apis/<api>/tesseract_api.py` with fresh input
    /// and output folders under `scratch`, and waits until `/health` answers.
    pub fn start(api: &str, scratch: &Path) -> TesseractServer {
        let bin = peer_bin("tesseract");
        let api_path = repo_root()
            .join("tests/apis")
            .join(api)
            .join("tesseract_api.py");
        assert!(api_path.exists(), "{} missing", api_path.display());
        let base = scratch.join(format!("server-{api}"));
        let _ = std::fs::remove_dir_all(&base);
        let input_dir = base.join("in");
        let output_dir = base.join("out");
        std::fs::create_dir_all(&input_dir).unwrap();
        std::fs::create_dir_all(&output_dir).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = base.join("server.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let child = Command::new(bin.join("tesseract-runtime"))
            .env("TESSERACT_API_PATH", &api_path)
            .arg("--input-path")
            .arg(&input_dir)
            .arg("--output-path")
            .arg(&output_dir)
            .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("starting tesseract-runtime serve");
        let mut server = TesseractServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
            input_dir,
            output_dir,
            log,
        };
        server.wait_healthy(port);
        server
    }

    fn wait_healthy(&mut self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "tesseract-runtime exited with {status}:\n{}",
                    self.log_text()
                );
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                let ok = ureq::get(format!("{}/health", self.url))
                    .call()
                    .map(|r| r.status() == 200)
                    .unwrap_or(false);
                if ok {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "tesseract-runtime did not become healthy in 60 s:\n{}",
            self.log_text()
        );
    }

    /// The server's log so far.
    pub fn log_text(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    /// POSTs `body` to `path` with the given `Accept` header; returns status,
    /// content-type and body.
    pub fn post(&self, path: &str, accept: &str, body: &[u8]) -> (u16, String, Vec<u8>) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut resp = agent
            .post(format!("{}{path}", self.url))
            .header("Content-Type", "application/json")
            .header("Accept", accept)
            .send(body)
            .expect("request to tesseract-runtime");
        let status = resp.status().as_u16();
        let ctype = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = resp
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()
            .expect("response body");
        (status, ctype, body)
    }
}

impl Drop for TesseractServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The local S3 server of the object-store tests (`scripts/s3-server.py`: moto behind a
/// byte counter) on a free 127.0.0.1 port, with a bucket `arraymodel`; stopped on drop.
pub struct S3Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl S3Server {
    /// Starts it (building the `s3` venv if need be); panics, never skips, when it cannot.
    pub fn start() -> S3Server {
        use std::io::BufRead;
        let bin = peer_bin("s3");
        let mut child = Command::new(bin.join("python"))
            .arg(repo_root().join("scripts/s3-server.py"))
            .arg("--exit-on-stdin-eof")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting scripts/s3-server.py");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_string();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "s3-server.py printed {line:?}"
        );
        S3Server { child, url }
    }

    /// The settings of a client of this server, as `object_store` configuration keys
    /// (and, uppercased, the AWS environment variables).
    pub fn options(&self) -> Vec<(&'static str, String)> {
        vec![
            ("aws_endpoint", self.url.clone()),
            ("aws_allow_http", "true".into()),
            ("aws_access_key_id", "testing".into()),
            ("aws_secret_access_key", "testing".into()),
            ("aws_region", "us-east-1".into()),
        ]
    }

    /// The environment of a child process using this server (object_store, botocore, s3fs).
    pub fn env(&self) -> Vec<(String, String)> {
        let mut e: Vec<(String, String)> = self
            .options()
            .into_iter()
            .map(|(k, v)| (k.to_uppercase(), v))
            .collect();
        e.push(("AWS_ENDPOINT_URL".into(), self.url.clone()));
        e.push(("AWS_DEFAULT_REGION".into(), "us-east-1".into()));
        e.push(("AWS_EC2_METADATA_DISABLED".into(), "true".into()));
        e
    }

    /// A store base for `s3://arraymodel/<prefix>`.
    pub fn base(&self, prefix: &str) -> arraymodel::binref::store::StoreBase {
        arraymodel::binref::store::StoreBase::from_url_with(
            &format!("s3://arraymodel/{prefix}"),
            self.options(),
        )
        .unwrap()
    }

    /// The byte counter: `query` is `key=arraymodel/...` or `prefix=arraymodel/...`, or empty.
    pub fn counter(&self, query: &str) -> serde_json::Value {
        let url = format!("{}/__counter__?{query}", self.url);
        let body = ureq::get(url)
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        serde_json::from_str(&body).unwrap()
    }

    /// Zeroes the counters (objects stay).
    pub fn reset(&self) {
        ureq::post(format!("{}/__counter__/reset", self.url))
            .send_empty()
            .unwrap();
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
