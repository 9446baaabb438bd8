//! Decodes a real tesseract-core payload (a captured `/apply` request by default) and
//! prints every array in it, then writes the inputs back in every tesseract encoding,
//! as truss JSON and as msgpack.
//!
//! ```sh
//! cargo run -p arraymodel --example decode_tesseract [-- PAYLOAD.json [BINREF_DIR]]
//! ```

use std::collections::BTreeMap;

use arraymodel::{
    Array, DecodeOptions, EncodeOptions, Encoding, from_json_slice, to_json_vec, to_msgpack_vec,
};
use serde::Deserialize;

/// Any tesseract request (`{"inputs": {...}}`) or response whose top-level values are arrays.
#[derive(Deserialize)]
#[serde(untagged)]
enum Payload {
    Request { inputs: BTreeMap<String, Array> },
    Response(BTreeMap<String, Array>),
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/data/vectoradd_apply_request.json"
        )
        .to_owned()
    });
    let mut opts = DecodeOptions::default();
    if let Some(dir) = args.next() {
        opts = opts.binref_dir(dir);
    }
    let bytes = std::fs::read(&path)?;
    let arrays = match from_json_slice::<Payload>(&bytes, &opts)? {
        Payload::Request { inputs } => inputs,
        Payload::Response(outputs) => outputs,
    };
    println!("{path}: {} arrays", arrays.len());
    for (name, a) in &arrays {
        println!("  {name}: {} {:?} = {}", a.dtype(), a.shape(), preview(a));
    }
    for enc in [Encoding::Json, Encoding::Base64] {
        let json = to_json_vec(&arrays, &EncodeOptions::tesseract(enc))?;
        println!(
            "tesseract {}: {}",
            enc.as_str(),
            String::from_utf8_lossy(&json)
        );
    }
    let truss = to_json_vec(&arrays, &EncodeOptions::truss())?;
    println!("truss json: {}", String::from_utf8_lossy(&truss));
    println!("msgpack: {} bytes", to_msgpack_vec(&arrays)?.len());
    Ok(())
}

/// The array as a tesseract `json` object, cut at 80 characters.
fn preview(a: &Array) -> String {
    let out = arraymodel::to_json_vec(
        a,
        &arraymodel::EncodeOptions::tesseract(arraymodel::Encoding::Json),
    )
    .unwrap_or_else(|e| e.to_string().into_bytes());
    let s = String::from_utf8_lossy(&out);
    if s.len() > 80 {
        format!("{}...", &s[..80])
    } else {
        s.into_owned()
    }
}
