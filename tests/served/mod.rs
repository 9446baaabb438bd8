//! Rust tesseracts served next to their Python twins in `tests/apis/` (the test
//! `serve_tesseract.rs` calls both with tesseract-core's client and compares).

use std::path::PathBuf;

use arraymodel::server::{self, ServerConfig, Tesseract};

pub mod nested;

/// tesseract's vectoradd: the `serve_vectoradd` example's tesseract, as it ships.
#[path = "../../runtime/examples/serve_vectoradd/vectoradd.rs"]
pub mod vectoradd;

/// A Rust tesseract served on a free 127.0.0.1 port by a background runtime, until the
/// process ends.
pub struct RustServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its `input_path`.
    pub input_dir: PathBuf,
    /// Its `output_path`.
    pub output_dir: PathBuf,
}

impl RustServer {
    /// Serves `tesseract` with fresh input and output folders under `scratch/<name>`.
    pub fn start<T: Tesseract>(tesseract: T, name: &str, scratch: &std::path::Path) -> RustServer {
        Self::start_with(tesseract, name, scratch, ServerConfig::default())
    }

    /// [`RustServer::start`] with `config` (its folders and name are set here).
    pub fn start_with<T: Tesseract>(
        tesseract: T,
        name: &str,
        scratch: &std::path::Path,
        config: ServerConfig,
    ) -> RustServer {
        let base = scratch.join(format!("rust-{name}"));
        let _ = std::fs::remove_dir_all(&base);
        let input_dir = base.join("in");
        let output_dir = base.join("out");
        std::fs::create_dir_all(&input_dir).unwrap();
        std::fs::create_dir_all(&output_dir).unwrap();
        let config = config
            .name(name)
            .input_path(&input_dir)
            .output_path(&output_dir);
        let app = server::router(tesseract, config).expect("a valid tesseract");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        RustServer {
            url,
            input_dir,
            output_dir,
        }
    }
}
