//! Serves tesseract's vectoradd from Rust on 127.0.0.1, for tesseract-core's client:
//!
//! ```sh
//! cargo run --release --example serve_vectoradd --all-features -- --port 8000 --output-path /tmp/out
//! ```
//!
//! The first line of output is the URL it listens on (`--port 0`: any free port).

use std::path::PathBuf;

use arraymodel::server::{self, ServerConfig};
use clap::Parser;

mod vectoradd;

/// Serve tesseract's vectoradd (`result = s*a + b`, `norm`) over HTTP.
#[derive(Parser)]
struct Args {
    /// The port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Where binref outputs are written (offers `json+binref`).
    #[arg(long)]
    output_path: Option<PathBuf>,
    /// Where binref inputs are read from (confined to it).
    #[arg(long)]
    input_path: Option<PathBuf>,
}

/// glibc hands blocks of 128 KiB and more straight back to the kernel when they are
/// freed, so every request (a 21 MB body, 8 MB arrays, a 10 MB answer for 1M float64)
/// faults its memory in afresh: 12 of the 20 ms this server spends on such a request
/// (`bench/serve-compare`). Keeping freed memory in the heap (blocks up to 32 MiB, glibc's
/// largest mmap threshold) makes the next request reuse it.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn keep_freed_memory() {
    // SAFETY: mallopt only changes allocator parameters; no memory is touched.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    keep_freed_memory();
    let args = Args::parse();
    let mut config = ServerConfig::default().name("vectoradd");
    if let Some(dir) = args.output_path {
        config = config.output_path(dir);
    }
    if let Some(dir) = args.input_path {
        config = config.input_path(dir);
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await?;
    println!("http://{}", listener.local_addr()?);
    server::serve(vectoradd::VectorAdd, config, listener).await
}
