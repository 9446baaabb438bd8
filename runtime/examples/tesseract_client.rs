//! Calls a running tesseract server (for example `tesseract-runtime serve` with the
//! vectoradd API in `tests/apis/vectoradd`) in every response encoding.
//!
//! ```sh
//! cargo run -p arraymodel --features client --example tesseract_client -- http://127.0.0.1:8000 [OUTPUT_PATH]
//! ```
//! `OUTPUT_PATH` is the server's `--output-path`, needed to read `json+binref` answers.

use std::collections::BTreeMap;

use arraymodel::Array;
use arraymodel::client::{CallOptions, ClientConfig, WireFormat, blocking::TesseractClient};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "http://127.0.0.1:8000".to_owned());
    let mut cfg = ClientConfig::new(url);
    if let Ok(token) = std::env::var("TESSERACT_TOKEN") {
        cfg = cfg.header("Authorization", format!("Bearer {token}"));
    }
    let output = args.next();
    if let Some(dir) = &output {
        cfg = cfg.binref_output_dir(dir);
    }
    let client = TesseractClient::new(cfg);
    println!("health: {}", client.health()?.status);
    let inputs = BTreeMap::from([
        ("a".to_owned(), Array::from_vec(vec![1.0f64, 2.0, 3.0])),
        ("b".to_owned(), Array::from_vec(vec![0.5f64, -1.25, 1e-300])),
        ("s".to_owned(), Array::scalar(2.0f64)),
    ]);
    for response in WireFormat::ALL {
        if response.encoding == arraymodel::Encoding::Binref && output.is_none() {
            continue;
        }
        let opts = CallOptions::default().response(response);
        match client.apply::<_, BTreeMap<String, Array>>(&inputs, &opts) {
            Ok(out) => {
                for (name, a) in &out {
                    println!(
                        "{:<18} {name}: {} {:?} {:?}",
                        response.name(),
                        a.dtype(),
                        a.shape(),
                        a.data()
                    );
                }
            }
            Err(e) => println!("{:<18} error: {e}", response.name()),
        }
    }
    Ok(())
}
