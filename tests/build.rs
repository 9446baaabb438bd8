//! Models generated from the public OpenAPI documents in `data/corpora` (see its
//! README), as a user's build script would generate them, for `tests/corpora.rs`:
//! `$OUT_DIR/<name>.rs` per document, and for GitHub's `github_examples.rs`, every
//! example its responses give with the generated type that must hold it.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use arraymodel_codegen::Generator;
use serde_json::Value;

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    let corpora = root.join("data/corpora");
    println!("cargo:rerun-if-changed={}", corpora.display());

    for (name, file) in [
        ("nexus", "oxide/nexus.json"),
        ("propolis", "oxide/propolis-server.json"),
        ("buildomat", "oxide/buildomat.json"),
        ("keeper", "oxide/keeper.json"),
    ] {
        let path = corpora.join(file);
        let text = std::fs::read_to_string(&path).expect("a corpus document");
        // With both clients: every operation of these OpenAPI 3.0 documents a method.
        generate(&out, name, file, text, true);
    }

    // The options a user's build script may set: extra derives, a replaced type.
    let shapes = root.join("../schemas/real_api_shapes.openapi.json");
    println!("cargo:rerun-if-changed={}", shapes.display());
    let code = Generator::new()
        .schema(&shapes)
        .derive("Eq")
        .derive("Hash")
        .replace("Name", "::std::borrow::Cow<'static, str>")
        .uuid(true)
        .chrono(true)
        .rustfmt(false)
        .generate()
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(out.join("real_shapes_options.rs"), code.source()).expect("write");

    // typify's test schemas (data/corpora/typify): each generates and compiles.
    let mut typify = String::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(corpora.join("typify"))
        .expect("typify's schemas")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    names.sort();
    for path in names {
        let stem = path.file_stem().and_then(|s| s.to_str()).expect("name");
        let module = stem.replace('-', "_");
        let code = Generator::new()
            .schema(&path)
            .rustfmt(false)
            .generate()
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(out.join(format!("typify_{module}.rs")), code.source()).expect("write");
        let count = code.source().matches("\npub struct ").count()
            + code.source().matches("\npub enum ").count();
        typify.push_str(&format!(
            "#[allow(dead_code, clippy::all)]\npub mod {module} {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/typify_{module}.rs\"));\n}}\n\
             pub const {}: (&str, usize, usize) = ({stem:?}, {count}, {});\n",
            module.to_uppercase(),
            code.warnings().len()
        ));
    }
    std::fs::write(out.join("typify_corpus.rs"), typify).expect("write");

    // A Python tesseract ported to Rust: the server trait from the peer's own document
    // (tests/tests/serve_tesseract.rs implements and serves it).
    let vectoradd = root.join("../schemas/tesseract_vectoradd.openapi.json");
    println!("cargo:rerun-if-changed={}", vectoradd.display());
    let code = Generator::new()
        .schema(&vectoradd)
        .server(true)
        .rustfmt(false)
        .generate()
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(out.join("vectoradd_server.rs"), code.source()).expect("write");

    // Every numpydantic / pydantic-numpy annotation (scripts/capture-numpydantic.py).
    for name in ["numpydantic_sweep", "pydantic_numpy_sweep"] {
        let path = root.join(format!("../schemas/{name}.schema.json"));
        println!("cargo:rerun-if-changed={}", path.display());
        let code = Generator::new()
            .schema(&path)
            .rustfmt(false)
            .generate()
            .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(out.join(format!("{name}.rs")), code.source()).expect("write");
    }

    let mut text = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(corpora.join("github/api.github.com.json.gz")).expect("GitHub's"),
    )
    .read_to_string(&mut text)
    .expect("gzip");
    // A REST API whose servers leave defaults out: absent stays absent.
    let code = Generator::new()
        .schema_str("api.github.com.json", text.clone())
        .fill_defaults(false)
        .rustfmt(false)
        .generate()
        .unwrap_or_else(|e| panic!("api.github.com.json: {e}"));
    std::fs::write(out.join("github.rs"), code.source()).expect("write");
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    examples(&out, &doc, &code);

    suite(&out, &corpora.join("json-schema-test-suite/draft2020-12"));
}

/// Every case of the JSON-Schema-Test-Suite (draft 2020-12): its schema as the property
/// `v` of a wrapper object (its `$ref`s to `#...` moved along), generated as a user's
/// build script would; `suite.rs` lists `(file, case, outcome)` where the outcome is the
/// module holding `Wrap`, or why the generator refused the schema.
fn suite(out: &Path, dir: &Path) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the suite")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut modules = String::new();
    let mut cases = String::from(
        "/// `(file, case index, description, Ok(module) or Err(why the schema was refused))`.\n\
         pub const SCHEMAS: &[(&str, usize, &str, Result<&str, &str>)] = &[\n",
    );
    let mut arms = String::new();
    for file in &files {
        let name = file
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_owned();
        let groups: Value =
            serde_json::from_str(&std::fs::read_to_string(file).expect("read")).expect("JSON");
        for (i, group) in groups.as_array().expect("a list").iter().enumerate() {
            let description = group["description"].as_str().unwrap_or_default();
            let mut schema = group["schema"].clone();
            // A schema with its own `$id` is a resource: its `#...` refs are its own.
            if schema.get("$id").is_none() {
                move_refs(&mut schema);
            }
            let wrapper = serde_json::json!({
                "title": "Wrap",
                "type": "object",
                "properties": {"v": schema},
                "required": ["v"],
            });
            let module = format!("{}_{i}", name.replace('-', "_").to_lowercase());
            let generated = Generator::new()
                .schema_str(format!("{name}.json#{i}"), wrapper.to_string())
                .remote_refs(Remotes(dir.join("../remotes")))
                .rustfmt(false)
                .generate();
            let outcome = match generated {
                Ok(code) => {
                    std::fs::write(out.join(format!("suite_{module}.rs")), code.source())
                        .expect("write");
                    modules.push_str(&format!(
                        "#[allow(dead_code, clippy::all)]\npub mod {module} {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/suite_{module}.rs\"));\n}}\n"
                    ));
                    arms.push_str(&format!(
                        "        {module:?} => through::<{module}::Wrap>(instance),\n"
                    ));
                    format!("Ok({module:?})")
                }
                Err(e) => format!("Err({:?})", e.to_string()),
            };
            cases.push_str(&format!(
                "    ({name:?}, {i}, {description:?}, {outcome}),\n"
            ));
        }
    }
    cases.push_str("];\n\n");
    let src = format!(
        "{modules}\n{cases}/// The instance as `v` through the module's `Wrap` and back.\n\
         pub fn roundtrip(module: &str, instance: &serde_json::Value) -> Result<serde_json::Value, String> {{\n    match module {{\n{arms}        _ => Err(format!(\"no module {{module}}\")),\n    }}\n}}\n"
    );
    std::fs::write(out.join("suite.rs"), src).expect("write");
}

/// The suite's `remotes/` folder, served to its tests as `http://localhost:1234/`: read
/// from disk here, through the generator's `remote_refs` hook.
struct Remotes(PathBuf);

impl arraymodel_codegen::Fetcher for Remotes {
    fn resolve(&self, base: Option<&str>, reference: &str) -> Result<String, String> {
        use iri_string::types::{IriAbsoluteStr, IriReferenceStr};
        let reference = IriReferenceStr::new(reference).map_err(|e| e.to_string())?;
        match base {
            None => Ok(reference.to_string()),
            Some(b) => {
                let b = IriAbsoluteStr::new(b).map_err(|e| e.to_string())?;
                Ok(reference.resolve_against(b).to_string())
            }
        }
    }

    fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
        let path = url
            .strip_prefix("http://localhost:1234/")
            .ok_or_else(|| format!("{url}: only the suite's remotes are served"))?;
        if path.split('/').any(|s| s == "..") {
            return Err(format!("{url}: no `..`"));
        }
        std::fs::read(self.0.join(path)).map_err(|e| format!("{url}: {e}"))
    }
}

/// `$ref`s to the schema's own root, or into it, point at its place in the wrapper
/// (anchors, `#name`, are found wherever they are).
fn move_refs(v: &mut Value) {
    match v {
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                if k == "$ref"
                    && let Some(r) = x.as_str()
                    && let Some(rest) = r.strip_prefix('#')
                    && (rest.is_empty() || rest.starts_with('/'))
                {
                    *x = Value::String(format!("#/properties/v{rest}"));
                } else if k != "enum" && k != "const" {
                    // (`enum` and `const` hold instances, not schemas.)
                    move_refs(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(move_refs),
        _ => {}
    }
}

fn generate(
    out: &Path,
    name: &str,
    shown: &str,
    text: String,
    clients: bool,
) -> arraymodel_codegen::Generated {
    let code = Generator::new()
        .schema_str(shown, text)
        .client(clients)
        .async_client(clients)
        // Its tokens are compiled, not read: no rustfmt pass.
        .rustfmt(false)
        .generate()
        .unwrap_or_else(|e| panic!("{shown}: {e}"));
    std::fs::write(out.join(format!("{name}.rs")), code.source()).expect("write");
    code
}

/// `(example name, pointer of the component schema, a list of it)` for every JSON
/// example of every response of GitHub's document whose schema is a component or a list
/// of one; and a `roundtrip` function that reads an example through the generated type
/// and writes it back.
fn examples(out: &Path, doc: &Value, code: &arraymodel_codegen::Generated) {
    let types: std::collections::HashMap<&str, &str> = code
        .type_sources()
        .filter_map(|(name, from)| Some((from.split_once('#')?.1, name)))
        .collect();
    let mut cases = BTreeSet::new();
    let paths = doc["paths"].as_object().expect("paths");
    for item in paths.values() {
        let Some(item) = item.as_object() else {
            continue;
        };
        for op in item.values() {
            let Some(responses) = op.get("responses").and_then(Value::as_object) else {
                continue;
            };
            for resp in responses.values() {
                let resp = follow(doc, resp);
                let Some(content) = resp.get("content").and_then(Value::as_object) else {
                    continue;
                };
                for (media, m) in content {
                    if !media.contains("json") {
                        continue;
                    }
                    let schema = &m["schema"];
                    let (pointer, list) = match (schema.get("$ref"), schema["items"].get("$ref")) {
                        (Some(r), _) => (r.as_str().unwrap_or_default(), false),
                        (None, Some(r)) if schema["type"] == "array" => {
                            (r.as_str().unwrap_or_default(), true)
                        }
                        _ => continue,
                    };
                    let pointer = pointer.trim_start_matches('#');
                    let Some(ty) = types.get(pointer) else {
                        continue;
                    };
                    let Some(examples) = m.get("examples").and_then(Value::as_object) else {
                        continue;
                    };
                    for (name, e) in examples {
                        let name = match e.get("$ref").and_then(Value::as_str) {
                            Some(r) => r.rsplit('/').next().unwrap_or(name).to_owned(),
                            None => name.clone(),
                        };
                        let Some(value) = follow(doc, e).get("value") else {
                            continue;
                        };
                        let json = serde_json::to_string(value).expect("JSON");
                        cases.insert((name, pointer.to_owned(), list, (*ty).to_owned(), json));
                    }
                }
            }
        }
    }
    let mut src = String::from(
        "/// `(example, schema pointer, list, type, JSON)`: each example GitHub's responses\n\
         /// give for a component schema (or a list of one).\n\
         pub const CASES: &[(&str, &str, bool, &str, &str)] = &[\n",
    );
    for (name, pointer, list, ty, json) in &cases {
        src.push_str(&format!(
            "    ({name:?}, {pointer:?}, {list}, {ty:?}, {json:?}),\n"
        ));
    }
    src.push_str(
        "];\n\n/// The example through the generated type and back, or why it was refused.\n",
    );
    src.push_str(
        "pub fn roundtrip(ty: &str, list: bool, v: &serde_json::Value) \
         -> Result<serde_json::Value, String> {\n    match (ty, list) {\n",
    );
    let used: BTreeSet<(&str, bool)> = cases
        .iter()
        .map(|(_, _, list, ty, _)| (ty.as_str(), *list))
        .collect();
    for (ty, list) in used {
        let t = if list {
            format!("Vec<github::{ty}>")
        } else {
            format!("github::{ty}")
        };
        src.push_str(&format!("        ({ty:?}, {list}) => through::<{t}>(v),\n"));
    }
    src.push_str("        _ => Err(format!(\"no arm for {ty}\")),\n    }\n}\n");
    std::fs::write(out.join("github_examples.rs"), src).expect("write");
}

/// A `$ref` to `components/responses` followed.
fn follow<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or(&Value::Null),
        None => v,
    }
}
