//! The generator's output compiled and used: every golden module of
//! `codegen/tests/golden/` (the generated source of every file in `schemas/`)
//! builds under `#![deny(warnings)]`; the tesseract models decode every captured
//! `apply` request and response and re-encode the json and base64 responses byte for
//! byte; the truss models do the same with the truss composite goldens; and
//! `import_schema!` generates the same models at compile time.
#![deny(warnings)]

mod common;

use std::path::{Path, PathBuf};

use arraymodel::{
    Array, ArrayModel, DecodeOptions, EncodeOptions, Encoding, from_json_slice, from_msgpack_slice,
    to_json_vec, to_msgpack_vec,
};
use common::{peers_dir, read};
use serde::Serialize;
use serde::de::DeserializeOwned;

macro_rules! golden_module {
    ($name:ident, $file:literal) => {
        #[allow(dead_code)]
        mod $name {
            include!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../codegen/tests/golden/",
                $file
            ));
        }
    };
}

golden_module!(vectoradd, "tesseract_vectoradd_openapi.rs");
golden_module!(dtypes, "tesseract_dtypes_openapi.rs");
golden_module!(truss_composite, "truss_composite_schema.rs");
golden_module!(truss_str_bytes, "truss_NumpyArrayField_str_bytes_schema.rs");
golden_module!(numpydantic, "numpydantic_2_0_0_schema.rs");
golden_module!(pydantic_numpy, "pydantic_numpy_9_1_0_schema.rs");
golden_module!(features, "features_schema.rs");
golden_module!(draft07, "draft07_with_refs_schema.rs");
golden_module!(common_defs, "common_defs.rs");
golden_module!(petstore, "petstore_nullable_openapi.rs");
golden_module!(real_shapes, "real_api_shapes_openapi.rs");
golden_module!(meshstats_golden, "tesseract_meshstats_openapi.client.rs");
golden_module!(dataloader_golden, "tesseract_dataloader_openapi.client.rs");

/// The same schemas through the compile-time macro.
#[allow(dead_code)]
mod vectoradd_macro {
    arraymodel::import_schema!("../schemas/tesseract_vectoradd.openapi.json");
}

/// dtypes with insertion-ordered maps, so `dtypes_seen` re-encodes in the wire order.
#[allow(dead_code)]
mod dtypes_ordered {
    arraymodel::import_schema!(
        "../schemas/tesseract_dtypes.openapi.json",
        map_type = "::indexmap::IndexMap"
    );
}

fn golden(sub: &str) -> PathBuf {
    peers_dir().join("tesseract").join(sub)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `apply_*` captures in `dir`, sorted.
fn captures(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().into_string().unwrap();
            n.strip_suffix(".request.json")
                .filter(|s| s.starts_with("apply_"))
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

/// The response's content type, told by its arrays' `encoding` (the captures in
/// `tests/data` keep the body, not the headers): what tesseract sends for that encoding.
fn content_type(body: &str) -> &'static str {
    if body.contains(r#""encoding":"binref""#) {
        "application/json+binref"
    } else if body.contains(r#""encoding":"base64""#) {
        "application/json+base64"
    } else {
        "application/json"
    }
}

/// The `.bin` file a binref response points at, if the peer kept it.
fn binref_saved(dir: &Path, body: &str) -> bool {
    let Some(start) = body.find(r#""buffer":""#) else {
        return false;
    };
    let rest = &body[start + 10..];
    let reference = &rest[..rest.find('"').unwrap()];
    let path = reference.split(':').next().unwrap();
    dir.join("binref_output_dir").join(path).exists()
}

#[derive(Default, Debug)]
struct Counts {
    requests: usize,
    responses: usize,
    reencoded: usize,
}

/// Decodes every capture with the generated request / response models and re-encodes
/// the json and base64 responses.
fn roundtrip<I, O>(dir: &Path) -> Counts
where
    I: ArrayModel,
    O: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug,
{
    let mut counts = Counts::default();
    let in_opts = DecodeOptions::default().binref_dir(dir.join("binref_input_dir"));
    let out_opts = DecodeOptions::default().binref_dir(dir.join("binref_output_dir"));
    for name in captures(dir) {
        let req = read(dir.join(format!("{name}.request.json")));
        let request: I =
            from_json_slice(&req, &in_opts).unwrap_or_else(|e| panic!("{name} request: {e}"));
        // Re-encoding the request and decoding it again gives the same model (compared
        // by its base64 encoding, which is exact, NaN included).
        let b64 = EncodeOptions::tesseract(Encoding::Base64);
        let again = to_json_vec(&request, &b64).unwrap();
        let back: I = from_json_slice(&again, &DecodeOptions::default()).unwrap();
        assert_eq!(
            to_json_vec(&back, &b64).unwrap(),
            again,
            "{name}: request round trip"
        );
        counts.requests += 1;

        let body = read(dir.join(format!("{name}.response.body")));
        let ct = content_type(&text(&body));
        if ct == "application/json+binref" && !binref_saved(dir, &text(&body)) {
            continue; // the peer did not keep this run's .bin file
        }
        let response: O =
            from_json_slice(&body, &out_opts).unwrap_or_else(|e| panic!("{name} response: {e}"));
        counts.responses += 1;
        let encoding = match ct {
            "application/json" => Encoding::Json,
            "application/json+base64" => Encoding::Base64,
            _ => continue,
        };
        let out = to_json_vec(&response, &EncodeOptions::tesseract(encoding)).unwrap();
        assert_eq!(text(&out), text(&body), "{name}: re-encoded response");
        counts.reencoded += 1;
    }
    counts
}

#[test]
fn vectoradd_models_decode_and_reencode_every_capture() {
    let c = roundtrip::<vectoradd::ApplyInputSchema, vectoradd::ApplyOutputSchema>(&golden(
        "vectoradd",
    ));
    // 15 requests; 2 binref responses whose .bin the peer did not keep; 12 json/base64.
    assert_eq!(
        (c.requests, c.responses, c.reencoded),
        (15, 13, 12),
        "{c:?}"
    );
    // The macro's models are the same types' twins.
    let c = roundtrip::<vectoradd_macro::ApplyInputSchema, vectoradd_macro::ApplyOutputSchema>(
        &golden("vectoradd"),
    );
    assert_eq!(
        (c.requests, c.responses, c.reencoded),
        (15, 13, 12),
        "{c:?}"
    );
}

#[test]
fn vectoradd_models_apply_the_schema() {
    let dir = golden("vectoradd");
    let opts = DecodeOptions::default();
    // The default `s = 1.0` and the int -> float64 cast come from the schema.
    let req = read(dir.join("apply_default_s.request.json"));
    let r: vectoradd::ApplyInputSchema = from_json_slice(&req, &opts).unwrap();
    assert_eq!(r.inputs.s, Array::scalar(1.0f64));
    let req = read(dir.join("apply_cast_int.request.json"));
    let r: vectoradd::ApplyInputSchema = from_json_slice(&req, &opts).unwrap();
    assert_eq!(r.inputs.a, Array::from_vec(vec![1.0f64, 2.0, 3.0]));
    assert_eq!(r.inputs.b, Array::from_vec(vec![1.0f64, 2.0, 3.0]));
    // Shape and unknown-field checks.
    let bad = br#"{"inputs":{"a":[[1.0]],"b":[1.0]}}"#;
    let e = from_json_slice::<vectoradd::ApplyInputSchema>(bad, &opts).unwrap_err();
    assert_eq!(e.path().to_string(), "inputs.a", "{e}");
    let extra = br#"{"inputs":{"a":[1.0],"b":[1.0],"c":1}}"#;
    assert!(from_json_slice::<vectoradd::ApplyInputSchema>(extra, &opts).is_err());
    // Field metadata carries the differentiable flag of the schema.
    let diff: Vec<&str> = <vectoradd::ApplyInputSchema2 as ArrayModel>::FIELDS
        .iter()
        .filter(|f| f.array.is_some_and(|a| a.differentiable))
        .map(|f| f.name)
        .collect();
    assert_eq!(diff, ["a", "b", "s"]);
}

#[test]
fn dtypes_models_decode_and_reencode_every_capture() {
    let c = roundtrip::<dtypes_ordered::ApplyInputSchema, dtypes_ordered::ApplyOutputSchema>(
        &golden("dtypes"),
    );
    assert_eq!((c.requests, c.responses, c.reencoded), (9, 7, 6), "{c:?}");
}

#[test]
fn dtypes_btreemap_models_decode_every_capture() {
    // The default map type sorts `dtypes_seen`; the values are the same.
    let dir = golden("dtypes");
    let opts = DecodeOptions::default().binref_dir(dir.join("binref_input_dir"));
    for name in captures(&dir) {
        let req = read(dir.join(format!("{name}.request.json")));
        let r: dtypes::ApplyInputSchema =
            from_json_slice(&req, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(r.inputs.scalar_i32.shape(), &[] as &[usize]);
        assert_eq!(r.inputs.mat.shape(), &[2, 3]);
        assert_eq!(r.inputs.nested.as_ref().map(|n| n.tag.as_str()), Some("t"));
        if ["json", "base64"]
            .iter()
            .any(|e| name.ends_with(&format!("out-{e}")))
        {
            let body = read(dir.join(format!("{name}.response.body")));
            let o: dtypes::ApplyOutputSchema =
                from_json_slice(&body, &DecodeOptions::default()).unwrap();
            assert_eq!(o.dtypes_seen["u64"], "ndarray:uint64:[3]");
            let enc = if name.ends_with("out-json") {
                Encoding::Json
            } else {
                Encoding::Base64
            };
            let out = to_json_vec(&o, &EncodeOptions::tesseract(enc)).unwrap();
            let a: serde_json::Value = serde_json::from_slice(&out).unwrap();
            let b: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(a, b, "{name}");
        }
    }
}

#[test]
fn truss_composite_models_roundtrip_json_and_msgpack() {
    let dir = peers_dir().join("truss/models");
    let json = read(dir.join("composite.model.json"));
    let mp = read(dir.join("composite.model.msgpack"));
    let opts = DecodeOptions::default();
    let from_json: truss_composite::Composite = from_json_slice(&json, &opts).unwrap();
    let from_mp: truss_composite::Composite = from_msgpack_slice(&mp, &opts).unwrap();
    assert_eq!(from_json, from_mp);
    assert_eq!(from_json.name, "héllo");
    assert_eq!(from_json.blob, b"raw\x00bytes");
    assert_eq!(from_json.arrays.len(), 3);
    assert_eq!(from_json.named["b"], Array::scalar(3.0f64));
    assert_eq!(from_json.inner.weights, Array::from_vec(vec![0.25f64, 0.5]));
    assert_eq!(from_json.nothing, None);
    assert_eq!(from_json.maybe_array, None);
    let json_out = to_json_vec(&from_json, &EncodeOptions::truss()).unwrap();
    assert_eq!(text(&json_out), text(&json));
    assert_eq!(to_msgpack_vec(&from_mp).unwrap(), mp);
}

#[test]
fn truss_str_bytes_model_reads_the_wire_form() {
    let json =
        br#"{"arr":{"data_b64":"AQAAAAIAAAA=","shape":[2],"dtype":"int32"},"name":"n","blob":"b"}"#;
    let m: truss_str_bytes::M = from_json_slice(json, &DecodeOptions::default()).unwrap();
    assert_eq!(m.arr, Array::from_vec(vec![1i32, 2]));
    assert_eq!(to_json_vec(&m, &EncodeOptions::truss()).unwrap(), json);
}

#[test]
fn numpydantic_model_reads_nested_lists() {
    let json = br#"{"fixed_2x3_f64":[[1,2,3],[4,5,6]],"any_x3_float":[[1.5,2,3]],"any_shape_u8":[[[1]]],"untyped":[1,2]}"#;
    let m: numpydantic::Nd = from_json_slice(json, &DecodeOptions::default()).unwrap();
    assert_eq!(m.fixed_2x3_f64.shape(), &[2, 3]);
    assert_eq!(m.fixed_2x3_f64.dtype(), arraymodel::DType::Float64);
    assert_eq!(m.any_shape_u8.dtype(), arraymodel::DType::UInt8);
    assert_eq!(m.any_x3_float, vec![vec![1.5, 2.0, 3.0]]);
    let bad =
        br#"{"fixed_2x3_f64":[[1,2],[4,5]],"any_x3_float":[],"any_shape_u8":[1],"untyped":[1]}"#;
    assert!(from_json_slice::<numpydantic::Nd>(bad, &DecodeOptions::default()).is_err());
}

#[test]
fn handwritten_features_work_on_the_wire() {
    use features::*;
    let json = br#"{
        "mesh": {"nodes": [[0,0,0],[1,0,0]], "cells": {"shape":[1,2],"dtype":"uint32","data":{"buffer":[[0,1]],"encoding":"json"}}},
        "field": [[1,2,3],[4,5,6]],
        "solver": {"name": "cg", "tolerance": 0.001},
        "shapes": [{"kind":"circle","radius":1.0,"center":[0,0]},{"kind":"polygon","vertices":[[0,0],[1,0],[0,1]]}],
        "type": "t",
        "named": {"x": [1.0, 2.0]},
        "bounds": [0.0, 1.0, "m"],
        "extra": 5,
        "tree": {"value": 1, "children": [{"value": 2}], "parent": {"value": 0}},
        "meta": {"author": "me", "rev": 3},
        "Weird-Name": 4
    }"#;
    let s: Simulation = from_json_slice(json, &DecodeOptions::default()).unwrap();
    assert_eq!(s.field.dtype(), arraymodel::DType::Float32);
    assert_eq!(s.scale, Array::scalar(2.5f64));
    assert_eq!(s.offsets, Array::from_vec(vec![0i32, 0, 1]));
    assert_eq!(s.mode, SimulationMode::Fast);
    assert_eq!(s.solver.max_iter, 100);
    assert_eq!(s.weird_name, 4);
    assert!(!s.self_);
    assert!(matches!(&s.shapes[0], Shape::Circle(c) if c.radius == 1.0));
    assert!(matches!(&s.shapes[1], Shape::Polygon(p) if p.vertices.shape() == [3, 2]));
    assert_eq!(s.extra, Some(SimulationExtra::Integer(5)));
    assert_eq!(s.bounds, Some((0.0, 1.0, "m".to_owned())));
    let tree = s.tree.as_ref().unwrap();
    assert_eq!(tree.children.as_ref().unwrap()[0].value, 2);
    assert_eq!(tree.parent.as_ref().unwrap().value, 0);
    assert_eq!(s.meta.as_ref().unwrap().extra["rev"], 3);
    // Round trip through JSON and msgpack.
    let out = to_json_vec(&s, &EncodeOptions::tesseract(Encoding::Base64)).unwrap();
    let back: Simulation = from_json_slice(&out, &DecodeOptions::default()).unwrap();
    assert_eq!(back, s);
    let packed = to_msgpack_vec(&s).unwrap();
    assert_eq!(
        from_msgpack_slice::<Simulation>(&packed, &DecodeOptions::default()).unwrap(),
        s
    );
    // The tagged union rejects an unknown tag; the fixed dim 3 is enforced.
    let bad = text(json).replace(r#""kind":"circle""#, r#""kind":"square""#);
    assert!(from_json_slice::<Simulation>(bad.as_bytes(), &DecodeOptions::default()).is_err());
    let bad = text(json).replace("[[1,2,3],[4,5,6]]", "[[1,2],[4,5]]");
    assert!(from_json_slice::<Simulation>(bad.as_bytes(), &DecodeOptions::default()).is_err());
}

#[test]
fn openapi_30_nullable_and_mapping_discriminator() {
    use petstore::*;
    let json = br#"{"pets":[{"pet_type":"cat","name":null},{"pet_type":"dog","bark":"loud"}],"nickname":null}"#;
    let o: Owner = from_json_slice(json, &DecodeOptions::default()).unwrap();
    assert!(
        matches!(&o.pets.as_ref().unwrap()[0], Pet::Cat(c) if c.name == Some(None) && c.lives == 9)
    );
    assert!(matches!(&o.pets.as_ref().unwrap()[1], Pet::Dog(d) if d.bark == DogBark::Loud));
    // OpenAPI 3.0 `nullable` and optional: null and absent are told apart and written
    // back as they came (the default `lives` is added).
    let back = to_json_vec(&o, &EncodeOptions::default()).unwrap();
    assert_eq!(
        text(&back),
        r#"{"pets":[{"pet_type":"cat","name":null,"lives":9},{"pet_type":"dog","bark":"loud"}],"nickname":null}"#
    );
    let o: Owner = from_json_slice(
        br#"{"pets":[{"pet_type":"cat"}]}"#,
        &DecodeOptions::default(),
    )
    .unwrap();
    assert!(matches!(&o.pets.as_ref().unwrap()[0], Pet::Cat(c) if c.name.is_none()));
    assert_eq!(
        text(&to_json_vec(&o, &EncodeOptions::default()).unwrap()),
        r#"{"pets":[{"pet_type":"cat","lives":9}]}"#
    );
    // `Default` where every field has one: the schema's default, absent for the rest;
    // the value is what an empty object reads as.
    let cat = PetCat::default();
    assert_eq!(cat.lives, 9);
    assert_eq!(cat.name, None);
    assert_eq!(
        cat,
        from_json_slice::<PetCat>(b"{}", &DecodeOptions::default()).unwrap()
    );
    assert_eq!(Owner::default().pets, None);
}

#[test]
fn cross_file_refs_and_cycles() {
    let json = br#"{"points":[{"x":1,"y":2}],"pair":["a",1],"labelled":{"label":"l","owner":{"name":"o","items":[{"label":"m"}]}},"style":"dashed","weights":[[1,2],[3,4]]}"#;
    let d: draft07::Drawing = from_json_slice(json, &DecodeOptions::default()).unwrap();
    assert_eq!(d.points[0].x, 1.0);
    // Draft 7's `items: [string, integer]` without `additionalItems: false` holds
    // shorter and longer lists too: a list of any JSON, not a Rust tuple.
    assert_eq!(
        d.pair,
        Some(vec![serde_json::json!("a"), serde_json::json!(1)])
    );
    let longer = br#"{"points":[],"pair":["a",1,true]}"#;
    let d2: draft07::Drawing = from_json_slice(longer, &DecodeOptions::default()).unwrap();
    assert_eq!(d2.pair.map(|p| p.len()), Some(3));
    assert_eq!(d.style, Some(draft07::Style::Dashed));
    assert_eq!(
        d.weights.as_ref().unwrap().dtype(),
        arraymodel::DType::Float32
    );
    let owner = d.labelled.as_ref().unwrap().owner.as_ref().unwrap();
    assert_eq!(owner.items.as_ref().unwrap()[0].label, "m");
    let _ = common_defs::Point { x: 0.0, y: 0.0 };
}

#[test]
fn pydantic_numpy_model_compiles_with_array_fields() {
    let f = <pydantic_numpy::Pn as ArrayModel>::FIELDS;
    assert_eq!(f.len(), 3);
    assert!(f.iter().all(|f| f.array.is_some()));
}

/// Shapes from GitHub's and Oxide's documents (`schemas/real_api_shapes.openapi.json`):
/// a nullable component through `$ref` in a required field, `allOf` wrapping a `$ref`
/// or a type to add `nullable` or bounds, required-but-nullable fields that must be
/// present, optional lists and maps that stay absent. Each instance re-encodes to the
/// same JSON.
#[test]
fn real_api_shapes_hold_their_instances() {
    use real_shapes::{DiskCreate, Issue};
    fn same<T: ArrayModel>(json: &str) -> T {
        let v: T = T::from_json(json.as_bytes(), &DecodeOptions::default())
            .unwrap_or_else(|e| panic!("{json}: {e}"));
        let back = v.to_json(&EncodeOptions::default()).unwrap();
        let a: serde_json::Value = serde_json::from_str(json).unwrap();
        let b: serde_json::Value = serde_json::from_slice(&back).unwrap();
        assert_eq!(a, b, "{json}");
        v
    }
    // Before: "invalid type: null, expected struct SimpleUser".
    let i: Issue =
        same(r#"{"id":1,"title":"t","assignee":null,"closed_by":null,"milestone":null}"#);
    assert!(i.assignee.is_none() && i.labels.is_none() && i.reactions.is_none());
    let i: Issue = same(
        r#"{"id":2,"title":"u","assignee":{"login":"a","id":7},"closed_by":{"login":"b","id":8},
            "labels":[],"reactions":{"+1":3},"milestone":"v1"}"#,
    );
    assert_eq!(i.closed_by.unwrap().login, "b");
    assert_eq!(i.labels, Some(Vec::new()));
    // Required and nullable: null is fine, a missing key is not.
    let e = Issue::from_json(
        br#"{"id":3,"title":"x","closed_by":null}"#,
        &DecodeOptions::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("missing field `assignee`"), "{e}");
    // Before: `description` and `size` were empty structs refusing strings and numbers,
    // and `block_size` refused 512.
    let d: DiskCreate =
        same(r#"{"name":"disk-1","description":"scratch","size":5,"block_size":512}"#);
    assert_eq!((d.size, d.block_size), (5, 512));
    let _: DiskCreate = same(r#"{"name":"disk-2","description":null,"size":1,"block_size":4096}"#);
    // Objects that share keys in an anyOf: each is read as the variant that knows all
    // its keys (before: the first variant took them all and dropped `reviewers`).
    let env: real_shapes::Environment = same(
        r#"{"rules":[{"id":1,"type":"wait_timer","wait_timer":30},
            {"id":2,"type":"required_reviewers","prevent_self_review":false,"reviewers":["octocat"]},
            {"id":3,"type":"branch_policy"}]}"#,
    );
    use real_shapes::ProtectionRule as R;
    assert!(matches!(&env.rules[0], R::Variant0(r) if r.wait_timer == Some(30)));
    assert!(
        matches!(&env.rules[1], R::Variant1(r) if r.reviewers.as_deref() == Some(&["octocat".to_owned()][..]))
    );
    assert!(matches!(&env.rules[2], R::Variant0(_)));
    // Types named `Value` and `D` in such a union (the hand-written reading is hygienic).
    let _: real_shapes::Environment = same(r#"{"rules":[],"extra_rule":{"d":"x"}}"#);
    let _: real_shapes::Environment = same(r#"{"rules":[],"extra_rule":{"v":1}}"#);
}

/// What a build script's options give (`tests/build.rs`): `derive("Eq")`, `derive("Hash")`
/// on every model and enum, `replace("Name", Cow<str>)`, the schema's own `x-rust-type`
/// for `Login`, and `Display` / `FromStr` / `as_str` / `ALL` on string enums.
#[test]
fn generator_options_compile_and_work() {
    #[allow(dead_code)]
    mod shapes {
        include!(concat!(env!("OUT_DIR"), "/real_shapes_options.rs"));
    }
    use shapes::{DiskCreate, Name, State};
    use std::collections::HashSet;
    let name: Name = std::borrow::Cow::Borrowed("disk-1");
    let d = DiskCreate {
        name,
        description: None,
        size: 5,
        block_size: 512,
    };
    let mut set = HashSet::new();
    assert!(set.insert(d.clone()));
    assert!(!set.insert(d));
    let login: shapes::Login = String::from("octocat");
    assert_eq!(login, "octocat");
    assert_eq!(State::AllStates.to_string(), "all_states");
    assert_eq!("closed".parse::<State>(), Ok(State::Closed));
    assert_eq!(
        "Closed".parse::<State>(),
        Err("not a State: \"Closed\"".to_owned())
    );
    assert_eq!(State::ALL.len(), 3);
    assert_eq!(State::Open.as_str(), "open");
    // The wire form of a variant is the one `as_str` gives.
    assert_eq!(
        serde_json::to_string(&State::AllStates).unwrap(),
        format!("\"{}\"", State::AllStates)
    );
    // `uuid(true)`, `chrono(true)`: `format: uuid`, `date-time` and `date` as those
    // crates' types, written back as they came (the offset kept), malformed ones refused.
    let issue = r#"{"id":1,"title":"t","assignee":{"login":"o","id":2},"closed_by":null,"node_uuid":"67e55044-10b1-426f-9247-bb680e5fe0c8","created_at":"2011-01-26T19:01:12+02:00","due_on":"2012-10-09"}"#;
    let i: shapes::Issue = from_json_slice(issue.as_bytes(), &DecodeOptions::default()).unwrap();
    let _: &uuid::Uuid = i.node_uuid.as_ref().unwrap();
    let at: &chrono::DateTime<chrono::FixedOffset> = i.created_at.as_ref().unwrap();
    assert_eq!(at.offset().local_minus_utc(), 7200);
    assert_eq!(
        i.due_on,
        Some(Some(chrono::NaiveDate::from_ymd_opt(2012, 10, 9).unwrap()))
    );
    assert_eq!(
        text(&to_json_vec(&i, &EncodeOptions::default()).unwrap()),
        issue
    );
    let utc = issue.replace("+02:00", "Z");
    let i: shapes::Issue = from_json_slice(utc.as_bytes(), &DecodeOptions::default()).unwrap();
    assert_eq!(
        text(&to_json_vec(&i, &EncodeOptions::default()).unwrap()),
        utc
    );
    // What chrono changes: a zero offset is written `Z`, fractions in groups of three digits.
    for (given, written) in [("+00:00", "Z"), (".5Z", ".500Z")] {
        let t = utc.replace("12Z", &format!("12{given}"));
        let i: shapes::Issue = from_json_slice(t.as_bytes(), &DecodeOptions::default()).unwrap();
        assert_eq!(
            text(&to_json_vec(&i, &EncodeOptions::default()).unwrap()),
            utc.replace("12Z", &format!("12{written}"))
        );
    }
    for bad in [
        issue.replace("67e55044-10b1", "67e55044-10bz"),
        issue.replace("2011-01-26T", "2011-02-30T"),
        issue.replace("2012-10-09", "2012-13-09"),
    ] {
        assert!(
            from_json_slice::<shapes::Issue>(bad.as_bytes(), &DecodeOptions::default()).is_err(),
            "{bad}"
        );
    }
}

/// numpydantic 2.0.0's `NDArray[Shape[...], dtype]` for all 14 dtypes in four shape forms
/// (fixed `2, 3`, free `*, *`, any rank `*, ...`, 1-d `3`), as `scripts/capture-numpydantic.py`
/// captured them from the pinned venv: each is recognised with its dtype and shape, and the
/// instance pydantic writes (nested lists, complex numbers as Python text) decodes to the
/// values it holds. pydantic-numpy 9.1.0's 76 typing aliases generate and compile beside it.
#[test]
fn numpydantic_annotations_sweep() {
    #[allow(dead_code)]
    mod sweep {
        include!(concat!(env!("OUT_DIR"), "/numpydantic_sweep.rs"));
    }
    #[allow(dead_code)]
    mod pn_sweep {
        include!(concat!(env!("OUT_DIR"), "/pydantic_numpy_sweep.rs"));
    }
    use arraymodel::ArrayModel;
    let captured: serde_json::Value =
        serde_json::from_slice(&read(peers_dir().join("numpydantic/sweep.json"))).unwrap();
    let instance = serde_json::to_vec(&captured["instance"]).unwrap();
    let m: sweep::Sweep = from_json_slice(&instance, &DecodeOptions::default()).unwrap();
    assert_eq!(m.optional_float32, None);
    // Written back: numpydantic fields carry `form = "list"`, so whatever the call's
    // options their JSON is the nested list again; their dtype and shape are read from
    // the msgpack form (msgpack-numpy maps).
    let back = m
        .to_json(&EncodeOptions::tesseract(arraymodel::Encoding::Base64))
        .unwrap();
    let back: serde_json::Value = serde_json::from_slice(&back).unwrap();
    let packed = arraymodel::to_msgpack_vec(&m).unwrap();
    let doc =
        arraymodel::document::Document::from_msgpack_slice(&packed, &DecodeOptions::default())
            .unwrap();
    let arrays: std::collections::BTreeMap<String, &arraymodel::Array> = doc.arrays().collect();
    let expected = captured["expected"].as_object().unwrap();
    assert_eq!(expected.len(), 56);
    for (name, want) in expected {
        let array = arrays[name.as_str()];
        assert_eq!(array.dtype().name(), want["dtype"], "{name}");
        assert_eq!(serde_json::json!(array.shape()), want["shape"], "{name}");
        let written = &captured["instance"][name.as_str()];
        let read_back = &back[name.as_str()];
        if name.starts_with("complex") || name.starts_with("bool") {
            assert_eq!(read_back, written, "{name}");
        } else {
            let flat = |v: &serde_json::Value| -> Vec<f64> {
                let text = v.to_string().replace(['[', ']'], "");
                text.split(',')
                    .map(|x| x.trim().parse::<f64>().unwrap())
                    .collect()
            };
            assert_eq!(flat(read_back), flat(written), "{name}");
        }
    }
    // pydantic-numpy: every alias is an array field (LongDouble, Datetime64 and
    // Timedelta64 without a dtype: the runtime refuses those dtypes on the wire).
    let arrays = <pn_sweep::PydanticNumpySweep as ArrayModel>::FIELDS
        .iter()
        .filter(|f| f.array.is_some())
        .count();
    assert_eq!(arrays, 76);
}
