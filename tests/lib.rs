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
