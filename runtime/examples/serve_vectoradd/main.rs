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

#[tokio::main]
async fn main() -> std::io::Result<()> {
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
