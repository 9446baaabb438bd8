//! `cargo run -p arraymodel-example-macro [URL]`: models and a typed blocking client for
//! tesseract's vectoradd API, generated at compile time from its `openapi.json`. With a
//! URL (a running `tesseract-runtime serve`), calls `apply` on it.

// The whole API is generated; this program uses only `apply`.
#[allow(dead_code)]
mod vectoradd {
    // The path is relative to this crate's Cargo.toml; editing the schema rebuilds the crate.
    arraymodel::import_schema!(
        "../../schemas/tesseract_vectoradd.openapi.json",
        client = true
    );
}

use arraymodel::{Array, ArrayModel, DecodeOptions};
use vectoradd::{ApplyInputSchema, ApplyInputSchema2};

fn request() -> ApplyInputSchema {
    ApplyInputSchema {
        inputs: ApplyInputSchema2 {
            a: Array::from_vec(vec![1.0f64, 2.0, 3.0]),
            b: Array::from_vec(vec![4.0f64, 5.0, 6.0]),
            s: Array::scalar(2.0f64),
        },
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let body = request().to_json(&Default::default())?;
    println!("request: {}", String::from_utf8_lossy(&body));
    if let Some(url) = std::env::args().nth(1) {
        let client = vectoradd::Client::new(arraymodel::client::ClientConfig::new(url));
        let out = client.apply(&request().inputs, &Default::default())?;
        println!("result: {:?}", out.result.as_slice::<f64>());
    }
    let back = ApplyInputSchema::from_json(&body, &DecodeOptions::default())?;
    assert_eq!(back, request());
    Ok(())
}

#[cfg(test)]
mod tests {
    use arraymodel::ArrayModel;

    #[test]
    fn round_trips_and_checks_the_schema() {
        let body = super::request().to_msgpack().unwrap();
        let back = super::ApplyInputSchema::from_msgpack(&body, &Default::default()).unwrap();
        assert_eq!(back, super::request());
        let err = super::ApplyInputSchema::from_json(
            br#"{"inputs":{"a":[1.0],"b":[1.0],"s":[1.0, 2.0]}}"#,
            &Default::default(),
        )
        .unwrap_err();
        assert_eq!(err.path().to_string(), "inputs.s");
    }
}
