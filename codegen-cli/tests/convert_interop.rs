//! The Python peers decode what `arraymodel convert` writes. truss's own encoders write
//! 125 seeded arrays (every dtype and edge shape; `tests/interop/peers.py gen-truss`) as
//! msgpack; `convert` turns each into every format; tesseract-core and truss decode the
//! results and compare them bit-exactly with the raw values (`peers.py check`).
//! Fails, never skips, when Python or a peer is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The python of a peer's pinned virtualenv (built on first use).
fn python(peer: &str) -> PathBuf {
    let out = Command::new("bash")
        .arg(repo().join("scripts/peers-venv.sh"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "peers-venv.sh: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    repo().join(".cache/venvs").join(peer).join("bin/python")
}

fn peers_py(py: &Path, args: &[&str]) -> String {
    let out = Command::new(py)
        .arg(repo().join("tests/interop/peers.py"))
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "peers.py {args:?}:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn fresh(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Converts every case's msgpack file into `formats` under `out`, writing a manifest for `peer`.
fn convert_all(gen_dir: &Path, out: &Path, peer: &str, formats: &[(&str, &str, bool)]) -> usize {
    let mut manifest: Value =
        serde_json::from_slice(&std::fs::read(gen_dir.join("manifest.json")).unwrap()).unwrap();
    manifest["peer"] = Value::from(peer);
    let mut written = 0;
    for case in manifest["cases"].as_array_mut().unwrap() {
        let name = case["name"].as_str().unwrap().to_owned();
        let raw = case["raw"].as_str().unwrap().to_owned();
        std::fs::copy(gen_dir.join(&raw), out.join(&raw)).unwrap();
        let input = gen_dir.join(case["files"]["msgpack"].as_str().unwrap());
        let mut files = serde_json::Map::new();
        for &(key, to, lz4) in formats {
            let file = format!("{name}.{key}.out");
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_arraymodel"));
            cmd.arg("convert")
                .arg(&input)
                .args(["--to", to])
                .arg("-o")
                .arg(out.join(&file));
            if lz4 {
                cmd.arg("--lz4");
            }
            if to == "json+binref" {
                cmd.arg("--binref-out").arg(out.join("binref"));
            }
            let o = cmd.output().unwrap();
            assert!(
                o.status.success(),
                "convert {name} --to {to}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            files.insert(key.into(), file.into());
            written += 1;
        }
        case["files"] = Value::Object(files);
    }
    std::fs::write(
        out.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    written
}

/// The `N passed, M failed` line; known peer bugs are listed as `KNOWN`, in neither.
fn check(py: &Path, dir: &Path, peer: &str, written: usize) {
    let stdout = peers_py(py, &["check", dir.to_str().unwrap(), "--peer", peer]);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.contains(" passed, "))
        .unwrap();
    let mut it = line.split_whitespace();
    let passed: usize = it.next().unwrap().parse().unwrap();
    let failed: usize = it.nth(1).unwrap().parse().unwrap();
    let known = stdout.lines().filter(|l| l.starts_with("KNOWN ")).count();
    assert_eq!(failed, 0, "{stdout}");
    assert_eq!(passed + known, written, "{stdout}");
}

#[test]
fn peers_decode_what_convert_writes() {
    let truss = python("truss");
    let tesseract = python("tesseract");
    let gen_dir = fresh("convert-interop-gen");
    peers_py(&truss, &["gen-truss", gen_dir.to_str().unwrap()]);

    let t_dir = fresh("convert-interop-tesseract");
    let written = convert_all(
        &gen_dir,
        &t_dir,
        "tesseract",
        &[
            ("tesseract-json", "json", false),
            ("tesseract-base64", "json+base64", false),
            ("tesseract-base64-lz4", "json+base64", true),
            ("tesseract-binref", "json+binref", false),
            ("tesseract-binref-lz4", "json+binref", true),
        ],
    );
    assert_eq!(written, 125 * 5);
    check(&tesseract, &t_dir, "tesseract", written);

    let r_dir = fresh("convert-interop-truss");
    let written = convert_all(
        &gen_dir,
        &r_dir,
        "truss",
        &[
            ("truss-json", "truss-json", false),
            ("msgpack", "msgpack", false),
        ],
    );
    check(&truss, &r_dir, "truss", written);
}
