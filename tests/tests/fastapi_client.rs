//! The generated client against a real FastAPI app (`tests/fastapi/app.py`, all four
//! array families, path/query/header parameters, 200/201/204/404/422, a msgpack
//! operation like truss's binary mode, raw bytes and text), served by uvicorn on a free
//! 127.0.0.1 port from the pinned venv `.cache/venvs/fastapi`.
//!
//! - The app's `openapi.json` and `openapi.yaml` are written at test time by
//!   `tests/fastapi/openapi.py`; both must equal the committed
//!   `schemas/fastapi_arrays.openapi.json` and generate the committed client golden file
//!   (`ARRAYMODEL_BLESS=1` rewrites the committed document from the app).
//! - `tests/fastapi/reference.py` makes every call with httpx and pydantic and records the
//!   exact bytes; the generated client (blocking and async) makes the same calls and
//!   its results must equal Python's answers read into the generated types: arrays
//!   bit-exact, errors as their declared types.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use arraymodel::client::{ApiError, ClientConfig};
use arraymodel::{DecodeOptions, from_json_slice, from_msgpack_slice};
use arraymodel_tests::{peer_bin, repo_root};
use serde_json::Value;

/// The client generated from the committed document (the golden file), compiled with
/// every warning an error.
#[deny(warnings)]
#[allow(dead_code)]
mod api {
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../codegen/tests/golden/fastapi_arrays_openapi.client.rs"
    ));
}

const SCHEMA: &str = "fastapi_arrays.openapi.json";

fn scratch(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("fastapi_client")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// uvicorn serving the app, killed on drop.
struct App {
    child: Child,
    url: String,
    log: PathBuf,
}

impl App {
    fn start(dir: &Path) -> App {
        let python = peer_bin("fastapi").join("python");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.join("uvicorn.log");
        let log_file = std::fs::File::create(&log).unwrap();
        let child = Command::new(&python)
            .args(["-m", "uvicorn", "app:app", "--app-dir"])
            .arg(repo_root().join("tests/fastapi"))
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--log-level", "warning"])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("starting uvicorn from .cache/venvs/fastapi");
        let mut app = App {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = app.child.try_wait().unwrap() {
                panic!("uvicorn exited with {status}:\n{}", app.log_text());
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return app;
            }
            assert!(
                Instant::now() < deadline,
                "uvicorn did not listen in 60 s:\n{}",
                app.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn log_text(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn python(script: &str, args: &[&str]) {
    let out = Command::new(peer_bin("fastapi").join("python"))
        .arg(repo_root().join("tests/fastapi").join(script))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One call of `reference.py`.
#[derive(serde::Deserialize, Debug)]
struct Case {
    name: String,
    path: String,
    query: Vec<(String, String)>,
    headers: BTreeMap<String, String>,
    request_body_b64: Option<String>,
    status: u16,
    response_content_type: String,
    response_body_b64: String,
}

fn b64(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .expect("base64 from reference.py")
}

impl Case {
    fn request(&self) -> Vec<u8> {
        b64(self.request_body_b64.as_deref().expect("a request body"))
    }
    fn response(&self) -> Vec<u8> {
        b64(&self.response_body_b64)
    }
    /// Python's request body read into a generated type.
    fn json_in<T: serde::de::DeserializeOwned>(&self) -> T {
        from_json_slice(&self.request(), &DecodeOptions::default())
            .unwrap_or_else(|e| panic!("{}: reading Python's request: {e}", self.name))
    }
    /// Python's answer read into a generated type.
    fn json_out<T: serde::de::DeserializeOwned>(&self) -> T {
        from_json_slice(&self.response(), &DecodeOptions::default())
            .unwrap_or_else(|e| panic!("{}: reading Python's answer: {e}", self.name))
    }
    fn query(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn item_id(case: &Case) -> i64 {
    case.path.rsplit('/').next().unwrap().parse().unwrap()
}

/// A declared error: its status and body.
fn declared<E: std::fmt::Debug, T>(name: &str, r: Result<T, ApiError<E>>) -> (u16, E) {
    match r {
        Err(ApiError::Declared { status, body }) => (status, body),
        Err(other) => panic!("{name}: expected a declared error, got {other}"),
        Ok(_) => panic!("{name}: expected a declared error, got a success"),
    }
}

/// Replays one case through the blocking client.
fn replay_blocking(client: &api::Client, case: &Case) {
    let name = case.name.as_str();
    assert!(
        case.status == 204 || !case.response_content_type.is_empty(),
        "{name}"
    );
    match name {
        "health" => {
            let got = client.health().unwrap();
            assert_eq!(got, case.json_out::<api::Health>(), "{name}");
        }
        "read_item" | "read_item_defaults" => {
            let limit = case.query("limit").map(|l| l.parse::<i64>().unwrap());
            let got = client
                .read_item(
                    item_id(case),
                    case.query("q"),
                    limit,
                    case.headers.get("x-token").map(String::as_str),
                )
                .unwrap();
            assert_eq!(got, case.json_out::<api::Item>(), "{name}");
        }
        "read_item_404" => {
            let (status, body) = declared(name, client.read_item(item_id(case), None, None, None));
            assert_eq!(status, 404);
            assert_eq!(
                body,
                api::ReadItemError::Status404(case.json_out::<api::NotFound>())
            );
        }
        "read_item_422" => {
            let limit = case.query("limit").map(|l| l.parse::<i64>().unwrap());
            let (status, body) = declared(name, client.read_item(item_id(case), None, limit, None));
            assert_eq!(status, 422);
            let api::ReadItemError::Status422(v) = &body else {
                panic!("{body:?}")
            };
            assert_eq!(*v, case.json_out::<api::HttpValidationError>());
            assert!(!v.detail.as_ref().unwrap().is_empty());
        }
        "delete_item" => {
            client.delete_item(item_id(case)).unwrap();
        }
        "list_tags" | "list_tags_defaults" => {
            let tags: Vec<&str> = case
                .query
                .iter()
                .filter(|(k, _)| k == "tags")
                .map(|(_, v)| v.as_str())
                .collect();
            let mode = case.query("mode").map(|m| m.parse::<api::Mode>().unwrap());
            let scale = case.query("scale").map(|s| s.parse::<f64>().unwrap());
            let got = client
                .list_tags(
                    (!tags.is_empty()).then_some(tags.as_slice()),
                    mode.as_ref(),
                    scale,
                )
                .unwrap();
            assert_eq!(got, case.json_out::<api::TagsResult>(), "{name}");
        }
        "transform_mixed" | "transform_mixed_minimal" => {
            let input: api::Mixed = case.json_in();
            let got = client.transform_mixed(&input).unwrap();
            assert_eq!(got, case.json_out::<api::Mixed>(), "{name}");
        }
        "negate_blocks" => {
            let input: Vec<api::TesseractBlock> = case.json_in();
            let got = client.negate_blocks(&input).unwrap();
            let want: BTreeMap<String, api::TesseractBlock> = case.json_out();
            assert_eq!(got, want, "{name}");
        }
        "shift_numpydantic" => {
            let input: api::NumpydanticBlock = case.json_in();
            let got = client.shift_numpydantic(&input).unwrap();
            assert_eq!(got, case.json_out::<api::NumpydanticBlock>(), "{name}");
        }
        "square_pydantic_numpy" => {
            let input: api::PydanticNumpyBlock = case.json_in();
            let got = client.square_pydantic_numpy(&input).unwrap();
            assert_eq!(got, case.json_out::<api::PydanticNumpyBlock>(), "{name}");
        }
        "triple_binary" | "triple_binary_no_weights" => {
            let input: api::TrussBlock =
                from_msgpack_slice(&case.request(), &DecodeOptions::default()).unwrap();
            let got = client.triple_binary(&input).unwrap();
            let want: api::TrussBlock =
                from_msgpack_slice(&case.response(), &DecodeOptions::default()).unwrap();
            assert_eq!(got, want, "{name}");
        }
        "upload" => {
            let got = client.upload(&case.request()).unwrap();
            assert_eq!(got, case.json_out::<api::UploadResult>(), "{name}");
            assert_eq!(got.length, 1000);
        }
        "raw_bytes" => {
            let seg = case.path.rsplit('/').next().unwrap();
            let got = client.raw_bytes(seg).unwrap();
            assert_eq!(got, case.response(), "{name}");
        }
        "echo_list" => {
            let input: Vec<f64> = case.json_in();
            let got = client.echo_list(&input).unwrap();
            let want: Vec<f64> = case.json_out();
            assert_eq!(
                got.iter().map(|f| f.to_bits()).collect::<Vec<_>>(),
                want.iter().map(|f| f.to_bits()).collect::<Vec<_>>(),
                "{name}"
            );
        }
        "version" => {
            let got = client.version().unwrap();
            assert_eq!(got.as_bytes(), case.response(), "{name}");
        }
        other => panic!("reference.py made a call this test does not replay: {other}"),
    }
}

/// The app's document, written at test time, equals the committed one (JSON and YAML),
/// and the committed client golden file is what either generates.
fn check_document(dir: &Path) {
    python("openapi.py", &[dir.to_str().unwrap()]);
    let fresh_json = std::fs::read_to_string(dir.join("openapi.json")).unwrap();
    let fresh_yaml = std::fs::read_to_string(dir.join("openapi.yaml")).unwrap();
    let committed_path = repo_root().join("schemas").join(SCHEMA);
    let fresh: Value = serde_json::from_str(&fresh_json).unwrap();
    if std::env::var_os("ARRAYMODEL_BLESS").is_some() {
        std::fs::write(&committed_path, &fresh_json).unwrap();
    }
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(&committed_path).unwrap()).unwrap();
    assert_eq!(
        fresh, committed,
        "the app's openapi.json differs from schemas/{SCHEMA}; \
         ARRAYMODEL_BLESS=1 rewrites it (then bless the codegen goldens)"
    );
    let golden = std::fs::read_to_string(
        repo_root().join("codegen/tests/golden/fastapi_arrays_openapi.client.rs"),
    )
    .unwrap();
    for text in [&fresh_json, &fresh_yaml] {
        let code = arraymodel_codegen::Generator::new()
            .schema_str(format!("../schemas/{SCHEMA}"), text.as_str())
            .client(true)
            .async_client(true)
            .generate()
            .unwrap_or_else(|e| panic!("{e}"));
        let differences = code.differences(&golden);
        assert!(
            differences.is_empty(),
            "the client generated from the app's document differs from the golden file: {differences:?}"
        );
    }
}

#[test]
fn generated_client_against_a_live_fastapi_app() {
    let dir = scratch("live");
    let app = App::start(&dir);
    check_document(&dir);

    let reference = dir.join("reference.json");
    python("reference.py", &[&app.url, reference.to_str().unwrap()]);
    let cases: Vec<Case> = serde_json::from_slice(&std::fs::read(&reference).unwrap()).unwrap();
    assert!(cases.len() >= 19, "{} cases", cases.len());

    let client = api::Client::new(ClientConfig::new(&app.url));
    for case in &cases {
        replay_blocking(&client, case);
    }

    // The async client: the same calls for a few operations of each kind.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = api::AsyncClient::new(ClientConfig::new(&app.url));
    rt.block_on(async {
        for case in &cases {
            match case.name.as_str() {
                "transform_mixed" => {
                    let input: api::Mixed = case.json_in();
                    let got = client.transform_mixed(&input).await.unwrap();
                    assert_eq!(got, case.json_out::<api::Mixed>());
                }
                "triple_binary" => {
                    let input: api::TrussBlock =
                        from_msgpack_slice(&case.request(), &DecodeOptions::default()).unwrap();
                    let got = client.triple_binary(&input).await.unwrap();
                    let want: api::TrussBlock =
                        from_msgpack_slice(&case.response(), &DecodeOptions::default()).unwrap();
                    assert_eq!(got, want);
                }
                "read_item_404" => {
                    let (status, _) = declared(
                        "async read_item_404",
                        client.read_item(item_id(case), None, None, None).await,
                    );
                    assert_eq!(status, 404);
                }
                "delete_item" => client.delete_item(item_id(case)).await.unwrap(),
                "raw_bytes" => {
                    let got = client.raw_bytes("ab").await.unwrap();
                    assert_eq!(got, case.response());
                }
                _ => {}
            }
        }
    });

    // An undeclared status keeps its body; a transport error names the URL.
    let r = client_blocking_unexpected(&app.url);
    assert_eq!(r.status, 405);
    assert!(!r.body.is_empty());
    drop(app);
    let gone =
        api::Client::new(ClientConfig::new("http://127.0.0.1:9").timeout(Duration::from_secs(5)))
            .health()
            .unwrap_err();
    assert!(
        gone.to_string().contains("GET http://127.0.0.1:9/health"),
        "{gone}"
    );
}

/// `PATCH /health` is not declared (405 from FastAPI): an [`ApiError::Unexpected`] with
/// the body kept.
fn client_blocking_unexpected(url: &str) -> arraymodel::client::UnexpectedResponse {
    let http = arraymodel::client::blocking::Client::new(ClientConfig::new(url));
    let r = http
        .send(arraymodel::client::Request::new("PATCH", "/health"))
        .unwrap();
    match r.unexpected::<std::convert::Infallible>() {
        ApiError::Unexpected(u) => u,
        other => panic!("{other}"),
    }
}
