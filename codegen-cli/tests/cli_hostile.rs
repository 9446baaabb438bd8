//! `arraymodel convert` / `inspect` against a hostile payload or file system, run as a
//! process: the output file (planted symlinks, device and FIFO nodes, failed runs),
//! what reaches a terminal (escape sequences in keys and references), and the defaults
//! (binref references of standard input) and messages (bytes, non-JSON text, `--from`).
//! Each test names the class of problem it guards against.
//!
//! Unix only: the cases are made of FIFOs, device nodes, symlinks and mode bits.
#![cfg(unix)]

use std::ffi::OsString;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_arraymodel")
}

fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    Command::new(bin())
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", bin()))
}

fn run_stdin_in(dir: Option<&Path>, args: &[&str], stdin: &[u8]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let mut child = cmd.spawn().unwrap();
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The process failed with exactly one `error: ...` line on stderr; returns it.
fn one_error_line(o: &Output, what: &str) -> String {
    assert!(!o.status.success(), "{what}: expected a failure");
    let err = stderr(o);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{what}: stderr {err:?}");
    assert!(lines[0].starts_with("error: "), "{what}: stderr {err:?}");
    lines[0].to_owned()
}

/// No byte or character a terminal acts on: C0 (but the final newlines), DEL, C1,
/// bidi overrides.
fn assert_terminal_safe(text: &str, what: &str) {
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
        assert!(!bad, "{what}: {:?} reached the terminal in {text:?}", c);
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

const OK: &str =
    r#"{"a":{"shape":[2],"dtype":"uint8","data":{"buffer":"AQI=","encoding":"base64"}}}"#;
const OK_AS_JSON: &str = r#"{"a":{"object_type":"array","shape":[2],"dtype":"uint8","data":{"buffer":[1,2],"encoding":"json"}}}"#;

/// msgpack `{"b": bin(0xff)}`: bytes that are not UTF-8.
const NON_UTF8_BYTES: &[u8] = b"\x81\xa1b\xc4\x01\xff";

fn ok_file(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("ok.json");
    fs::write(&p, OK).unwrap();
    p
}

// ---------------------------------------------------------------------------------
// The output file
// ---------------------------------------------------------------------------------

/// Class: predictable temp file symlink. The temporary output file used to be
/// `.<name>.arraymodel-<pid>.tmp`, opened with `File::create`: a symlink planted at that
/// name made the run overwrite whatever it pointed at. The child's pid is known once it
/// is spawned, and it only creates the file after reading all of stdin, so the link is
/// in place in time.
#[test]
fn predictable_temp_file_symlink_is_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("victim");
    fs::write(&victim, "precious").unwrap();
    let out = tmp.path().join("out.json");
    let mut child = Command::new(bin())
        .args(["convert", "-", "--to", "json", "-o"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let planted = tmp
        .path()
        .join(format!(".out.json.arraymodel-{}.tmp", child.id()));
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(OK.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
    let meta = fs::symlink_metadata(&out).unwrap();
    assert!(meta.is_file(), "the output is not a regular file: {meta:?}");
    assert_eq!(fs::read_to_string(&out).unwrap(), OK_AS_JSON);
    assert!(fs::symlink_metadata(&planted).unwrap().is_symlink());
    // Nothing else is left: the planted link, the output and the victim.
    let planted_name = planted.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(
        names(tmp.path()),
        [planted_name.as_str(), "out.json", "victim"]
    );
}

/// Class: output node replaced. `-o /dev/null` used to rename a regular file over
/// /dev/null (we run as root in CI, so that would succeed): a device is written to.
#[test]
fn output_dev_null_stays_a_character_device() {
    let tmp = tempfile::tempdir().unwrap();
    let input = ok_file(tmp.path());
    for to in ["json", "msgpack"] {
        let o = run([
            OsString::from("convert"),
            input.clone().into(),
            "--to".into(),
            to.into(),
            "-o".into(),
            "/dev/null".into(),
        ]);
        assert!(o.status.success(), "{to}: {}", stderr(&o));
        let meta = fs::symlink_metadata("/dev/null").unwrap();
        assert!(
            meta.file_type().is_char_device(),
            "/dev/null replaced: {meta:?}"
        );
    }
}

/// Class: output node replaced. A FIFO named by `-o` is written into, not replaced by
/// a regular file (which left its reader waiting forever).
#[test]
fn output_fifo_is_written_through() {
    let tmp = tempfile::tempdir().unwrap();
    let input = ok_file(tmp.path());
    let fifo = tmp.path().join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let (tx, rx) = std::sync::mpsc::channel();
    let reader_path = fifo.clone();
    // The reader blocks in open until the writer opens the FIFO; it is not joined, so
    // a run that never opens it fails the assertions below instead of hanging.
    std::thread::spawn(move || {
        let mut s = String::new();
        let r = fs::File::open(&reader_path).and_then(|mut f| f.read_to_string(&mut s));
        let _ = tx.send(r.map(|_| s));
    });
    let o = run([
        OsString::from("convert"),
        input.into(),
        "--to".into(),
        "json".into(),
        "-o".into(),
        fifo.clone().into(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let meta = fs::symlink_metadata(&fifo).unwrap();
    assert!(
        meta.file_type().is_fifo(),
        "the FIFO was replaced: {meta:?}"
    );
    let got = rx
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("the FIFO's reader got nothing")
        .unwrap();
    assert_eq!(got, OK_AS_JSON);
}

/// Class: output node replaced. `/proc/self/fd/1` and `/dev/stdout` name the open
/// standard output: written through (the temporary file could not even be created in
/// /proc before).
#[test]
fn output_proc_self_fd_is_written_through() {
    let tmp = tempfile::tempdir().unwrap();
    let input = ok_file(tmp.path());
    for out in ["/proc/self/fd/1", "/dev/stdout"] {
        let o = Command::new(bin())
            .arg("convert")
            .arg(&input)
            .args(["--to", "json", "-o", out])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(o.status.success(), "{out}: {}", stderr(&o));
        assert_eq!(String::from_utf8(o.stdout).unwrap(), OK_AS_JSON, "{out}");
    }
    // Standard output redirected to a file opened for appending: appended to, the file
    // neither replaced nor truncated.
    let log = tmp.path().join("log");
    fs::write(&log, "before\n").unwrap();
    let f = fs::OpenOptions::new().append(true).open(&log).unwrap();
    let o = Command::new(bin())
        .arg("convert")
        .arg(&input)
        .args(["--to", "json", "-o", "/dev/stdout"])
        .stdin(Stdio::null())
        .stdout(f)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        format!("before\n{OK_AS_JSON}")
    );
}

/// Class: output node replaced. A symlink to a regular file stays a symlink (its
/// target is replaced), and a replaced file keeps its permissions.
#[test]
fn output_symlink_and_mode_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let input = ok_file(tmp.path());
    let real = tmp.path().join("real.json");
    fs::write(&real, "old").unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
    let link = tmp.path().join("link.json");
    std::os::unix::fs::symlink("real.json", &link).unwrap();
    let o = run([
        OsString::from("convert"),
        input.into(),
        "--to".into(),
        "json".into(),
        "-o".into(),
        link.clone().into(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(fs::symlink_metadata(&link).unwrap().is_symlink());
    assert_eq!(fs::read_to_string(&real).unwrap(), OK_AS_JSON);
    let mode = fs::metadata(&real).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640);
    assert_eq!(names(tmp.path()), ["link.json", "ok.json", "real.json"]);
}

/// Class: failed run leaves files. A json+binref run that fails after its arrays were
/// written (the output cannot be written, or is a directory) leaves no `.bin` file in
/// `--binref-out`, no folder it created, and no temporary file.
#[test]
fn failed_binref_run_leaves_no_bin_files() {
    let tmp = tempfile::tempdir().unwrap();
    let input = ok_file(tmp.path());
    let bins = tmp.path().join("bins");
    fs::create_dir(&bins).unwrap();
    let outdir = tmp.path().join("outdir");
    fs::create_dir(&outdir).unwrap();
    for out in [Path::new("/dev/full"), &outdir] {
        let o = run([
            OsString::from("convert"),
            input.clone().into(),
            "--to".into(),
            "json+binref".into(),
            "--binref-out".into(),
            bins.clone().into(),
            "-o".into(),
            out.into(),
        ]);
        let line = one_error_line(&o, &out.display().to_string());
        assert!(line.contains(&out.display().to_string()), "{line}");
        assert!(names(&bins).is_empty(), "{out:?}: {:?}", names(&bins));
        assert!(names(&outdir).is_empty(), "{out:?}: {:?}", names(&outdir));
        assert_eq!(names(tmp.path()), ["bins", "ok.json", "outdir"], "{out:?}");
    }
    // A --binref-out folder that did not exist is not left behind either.
    let fresh = tmp.path().join("fresh");
    let o = run([
        OsString::from("convert"),
        input.clone().into(),
        "--to".into(),
        "json+binref".into(),
        "--binref-out".into(),
        fresh.clone().into(),
        "-o".into(),
        "/dev/full".into(),
    ]);
    assert!(!o.status.success());
    assert!(!fresh.exists());
    // And a successful run puts its .bin file in --binref-out, referenced by name.
    let out = tmp.path().join("out.json");
    let o = run([
        OsString::from("convert"),
        input.into(),
        "--to".into(),
        "json+binref".into(),
        "--binref-out".into(),
        bins.clone().into(),
        "-o".into(),
        out.clone().into(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let written = names(&bins);
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(written[0].ends_with(".bin"), "{written:?}");
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.contains(&format!("\"{}:0\"", written[0])), "{text}");
}

/// Class: failed run leaves files. An encoding failure leaves the previous output as it
/// was and no temporary file.
#[test]
fn failed_run_keeps_previous_output_and_leaves_no_temp_file() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.msgpack");
    fs::write(&input, NON_UTF8_BYTES).unwrap();
    let out = tmp.path().join("out.json");
    fs::write(&out, "previous").unwrap();
    let o = run([
        OsString::from("convert"),
        input.into(),
        "--to".into(),
        "json".into(),
        "-o".into(),
        out.clone().into(),
    ]);
    one_error_line(&o, "non-UTF-8 bytes");
    assert_eq!(fs::read_to_string(&out).unwrap(), "previous");
    assert_eq!(names(tmp.path()), ["in.msgpack", "out.json"]);
}

// ---------------------------------------------------------------------------------
// What reaches a terminal
// ---------------------------------------------------------------------------------

/// A key holding an OSC title sequence, an SGR colour, DEL, a C1 CSI and a
/// right-to-left override.
const HOSTILE_KEY_JSON: &str = r#"\u001b]0;pwned\u0007\u001b[31mk\u007f\u009b\u202e"#;
const HOSTILE_KEY: &str = "\u{1b}]0;pwned\u{7}\u{1b}[31mk\u{7f}\u{9b}\u{202e}";

/// Class: terminal escape injection. `inspect` printed keys raw: a title sequence and
/// a colour reached the terminal. The table shows them escaped; `--json` keeps them
/// exact (JSON escapes) with no raw control character in the text.
#[test]
fn inspect_escapes_payload_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("k.json");
    fs::write(
        &file,
        format!(
            r#"{{"{HOSTILE_KEY_JSON}":{{"shape":[2],"dtype":"uint8","data":{{"buffer":"AQI=","encoding":"base64"}}}}}}"#
        ),
    )
    .unwrap();
    let o = run([OsString::from("inspect"), file.clone().into()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = String::from_utf8(o.stdout).unwrap();
    assert_terminal_safe(&table, "table");
    assert!(
        table.contains(r"\u{1b}]0;pwned\u{7}\u{1b}[31mk\u{7f}\u{9b}\u{202e}"),
        "{table}"
    );
    let o = run([OsString::from("inspect"), file.into(), "--json".into()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert_terminal_safe(&text, "--json");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["arrays"][0]["path"].as_str(), Some(HOSTILE_KEY));
}

/// Class: terminal escape injection. Error messages quoted references and key paths
/// with their control characters (only `\n` and `\r` were replaced).
#[test]
fn error_messages_escape_payload_text() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        // A key path in a decoding error.
        format!(
            r#"{{"{HOSTILE_KEY_JSON}":{{"shape":[2],"dtype":"float64","data":{{"buffer":"!!","encoding":"base64"}}}}}}"#
        ),
        // A binref reference echoed in the error.
        format!(
            r#"{{"a":{{"shape":[1],"dtype":"uint8","data":{{"buffer":"{HOSTILE_KEY_JSON}.bin:0","encoding":"binref"}}}}}}"#
        ),
        // A dtype string.
        format!(
            r#"{{"a":{{"shape":[1],"dtype":"{HOSTILE_KEY_JSON}","data":{{"buffer":"AA==","encoding":"base64"}}}}}}"#
        ),
    ];
    for (i, payload) in cases.iter().enumerate() {
        let file = tmp.path().join(format!("{i}.json"));
        fs::write(&file, payload).unwrap();
        for cmd in ["inspect", "convert"] {
            let mut args = vec![OsString::from(cmd), file.clone().into()];
            if cmd == "convert" {
                args.extend(["--to".into(), "json".into()]);
            }
            let o = run(&args);
            let line = one_error_line(&o, payload);
            assert_terminal_safe(&line, payload);
            assert!(line.contains(r"\u{1b}"), "{cmd} {i}: {line}");
        }
    }
    // --from's form check names the path: escaped too.
    let file = tmp.path().join("ok.json");
    fs::write(
        &file,
        format!(
            r#"{{"{HOSTILE_KEY_JSON}":{{"shape":[2],"dtype":"uint8","data":{{"buffer":"AQI=","encoding":"base64"}}}}}}"#
        ),
    )
    .unwrap();
    let o = run([
        OsString::from("inspect"),
        file.into(),
        "--from".into(),
        "truss-json".into(),
    ]);
    let line = one_error_line(&o, "--from");
    assert_terminal_safe(&line, "--from");
}

// ---------------------------------------------------------------------------------
// Defaults and errors
// ---------------------------------------------------------------------------------

/// Class: stdin binref reads working directory. With the payload on standard input,
/// references resolved against the working directory, so
/// `echo '{..".ssh/id_rsa:0"..}' | arraymodel convert - --to truss-json` printed the
/// key. Standard input has no binref folder unless `--binref-in` names one.
#[test]
fn stdin_binref_does_not_read_the_working_directory() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("secret.bin"), "TOPSECRT").unwrap();
    let payload = r#"{"a":{"shape":[8],"dtype":"uint8","data":{"buffer":"secret.bin:0","encoding":"binref"}}}"#;
    for args in [
        &["convert", "-", "--to", "truss-json"][..],
        &["convert", "--to", "json+base64"][..],
        &["inspect", "-"][..],
        &["inspect", "--json"][..],
    ] {
        let o = run_stdin_in(Some(tmp.path()), args, payload.as_bytes());
        let line = one_error_line(&o, &format!("{args:?}"));
        assert!(line.starts_with("error: a.data.buffer: "), "{line}");
        assert!(line.contains("--binref-in"), "{line}");
        assert!(o.stdout.is_empty(), "{args:?}: {:?}", o.stdout);
    }
    // Named explicitly, the folder is used.
    let o = run_stdin_in(
        Some(tmp.path()),
        &["convert", "-", "--to", "truss-json", "--binref-in", "."],
        payload.as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        r#"{"a":{"data_b64":"VE9QU0VDUlQ=","shape":[8],"dtype":"uint8"}}"#
    );
}

/// Class: unhelpful error. A missing binref file's error names the folder searched and
/// how to search another.
#[test]
fn missing_binref_file_names_the_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("req.json");
    fs::write(
        &file,
        r#"{"a":{"shape":[1],"dtype":"uint8","data":{"buffer":"gone.bin:0","encoding":"binref"}}}"#,
    )
    .unwrap();
    let folder = tmp.path().canonicalize().unwrap();
    let o = run([OsString::from("inspect"), file.clone().into()]);
    let line = one_error_line(&o, "missing .bin");
    assert!(line.contains("gone.bin"), "{line}");
    assert!(line.contains(&folder.display().to_string()), "{line}");
    assert!(line.contains("--binref-in"), "{line}");
    let other = tempfile::tempdir().unwrap();
    let o = run([
        OsString::from("convert"),
        file.into(),
        "--to".into(),
        "json".into(),
        "--binref-in".into(),
        other.path().into(),
    ]);
    let line = one_error_line(&o, "missing .bin, --binref-in");
    let other = other.path().canonicalize().unwrap();
    assert!(line.contains(&other.display().to_string()), "{line}");
}

/// Class: unhelpful error. The advice for bytes that are not UTF-8 named a Rust API
/// (`BytesStyle::Base64Url`); it names a flag that exists, and the flag works.
#[test]
fn non_utf8_bytes_advice_names_a_flag() {
    let o = run_stdin_in(None, &["convert", "--to", "json"], NON_UTF8_BYTES);
    let line = one_error_line(&o, "non-UTF-8 bytes");
    assert!(line.starts_with("error: b: "), "{line}");
    assert!(line.contains("--bytes base64"), "{line}");
    assert!(!line.contains("BytesStyle"), "{line}");
    let o = run_stdin_in(
        None,
        &["convert", "--to", "json", "--bytes", "base64"],
        NON_UTF8_BYTES,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8(o.stdout).unwrap(), r#"{"b":"_w=="}"#);
    // Meaningless for msgpack output: a usage error.
    let o = run_stdin_in(
        None,
        &["convert", "--to", "msgpack", "--bytes", "base64"],
        NON_UTF8_BYTES,
    );
    assert_eq!(o.status.code(), Some(2));
}

/// Class: unhelpful error. Text that is neither JSON nor msgpack was reported as
/// "malformed msgpack".
#[test]
fn text_that_is_not_json_says_so() {
    for (input, needle) in [
        (&b"hello world\n"[..], "hello world"),
        (&b"<html><body>502</body></html>"[..], "<html>"),
        (&b"\xef\xbb\xbf{\"a\": 1}"[..], "byte order mark"),
    ] {
        let o = run_stdin_in(None, &["inspect"], input);
        let line = one_error_line(&o, needle);
        assert!(
            line.starts_with("error: <stdin>: neither JSON nor msgpack"),
            "{line}"
        );
        assert!(line.contains(needle), "{line}");
        assert!(!line.contains("malformed msgpack"), "{line}");
    }
}

/// Class: silently ignored option. `--from truss-json` on a tesseract payload was
/// accepted, its arrays passed through unconverted; the declared form is checked
/// against each array read.
#[test]
fn from_is_checked_against_the_arrays_read() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("t.json");
    fs::write(
        &file,
        r#"{"inputs":{"x":{"shape":[2],"dtype":"uint8","data":{"buffer":"AQI=","encoding":"base64"}}}}"#,
    )
    .unwrap();
    for cmd in ["convert", "inspect"] {
        let mut args = vec![
            OsString::from(cmd),
            file.clone().into(),
            "--from".into(),
            "truss-json".into(),
        ];
        if cmd == "convert" {
            args.extend([
                "--to".into(),
                "msgpack".into(),
                "-o".into(),
                "/dev/null".into(),
            ]);
        }
        let o = run(&args);
        let line = one_error_line(&o, cmd);
        assert!(line.starts_with("error: inputs.x: "), "{line}");
        assert!(line.contains("truss-json"), "{line}");
        assert!(line.contains("json+base64"), "{line}");
    }
    // The matching form is accepted.
    let o = run([
        OsString::from("inspect"),
        file.into(),
        "--from".into(),
        "json+base64".into(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}
