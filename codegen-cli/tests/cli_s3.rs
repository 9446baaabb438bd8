//! `arraymodel convert` and `inspect` with binref objects in a real S3-compatible server
//! (`scripts/s3-server.py`), configured by the standard AWS environment variables:
//! `--binref-out s3://...` writes the objects, `--binref-in s3://...` reads them back,
//! and a reference that leaves the prefix is refused before any request.

use std::process::{Command, Output};

use arraymodel_tests::S3Server;
use serde_json::{Value, json};

fn run(s3: &S3Server, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_arraymodel"))
        .args(args)
        .envs(s3.env())
        .output()
        .unwrap()
}

#[test]
fn convert_through_an_s3_prefix_and_back() {
    let s3 = S3Server::start();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.json");
    let body = json!({"inputs": {
        "a": {"object_type": "array", "shape": [3], "dtype": "float64",
              "data": {"buffer": "AAAAAAAA8D8AAAAAAAAAQAAAAAAAAAhA", "encoding": "base64"}},
        "label": "x"}});
    std::fs::write(&input, body.to_string()).unwrap();
    let out = dir.path().join("out.json");
    for lz4 in [false, true] {
        let mut args = vec![
            "convert",
            input.to_str().unwrap(),
            "--to",
            "json+binref",
            "--binref-out",
            "s3://arraymodel/cli/run",
            "-o",
            out.to_str().unwrap(),
        ];
        if lz4 {
            args.push("--lz4");
        }
        let o = run(&s3, &args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let written: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
        let reference = written["inputs"]["a"]["data"]["buffer"]
            .as_str()
            .unwrap()
            .to_string();
        let object = reference.split(':').next().unwrap();
        let c = s3.counter(&format!("key=arraymodel/cli/run/{object}"));
        assert_eq!(c["put_requests"], json!(1), "{c}");

        let back = dir.path().join("back.json");
        let o = run(
            &s3,
            &[
                "convert",
                out.to_str().unwrap(),
                "--to",
                "json+base64",
                "--binref-in",
                "s3://arraymodel/cli/run",
                "-o",
                back.to_str().unwrap(),
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let back: Value = serde_json::from_slice(&std::fs::read(&back).unwrap()).unwrap();
        assert_eq!(back, body, "lz4 {lz4}");

        let o = run(
            &s3,
            &[
                "inspect",
                out.to_str().unwrap(),
                "--binref-in",
                "s3://arraymodel/cli/run",
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(String::from_utf8_lossy(&o.stdout).contains("inputs.a"));
    }

    // A reference out of the prefix: refused, nothing requested.
    s3.reset();
    let hostile = dir.path().join("hostile.json");
    std::fs::write(
        &hostile,
        json!({"a": {"shape": [1], "dtype": "uint8",
        "data": {"buffer": "../other/x.bin:0", "encoding": "binref"}}})
        .to_string(),
    )
    .unwrap();
    let o = run(
        &s3,
        &[
            "convert",
            hostile.to_str().unwrap(),
            "--to",
            "json",
            "--binref-in",
            "s3://arraymodel/cli/run",
        ],
    );
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(".."),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(s3.counter("")["requests"], json!(0));
}
