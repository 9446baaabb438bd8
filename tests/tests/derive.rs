//! `#[derive(ArrayModel)]` end to end: constraints on decode, serde attributes, schema.

use arraymodel::{Array, ArrayModel, DecodeOptions, EncodeOptions, Encoding, ErrorKind, NdArray};

/// Inputs of the vectoradd tesseract.
#[derive(ArrayModel, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct ApplyInput {
    /// First vector
    #[array(shape = [None], dtype = "float64", differentiable)]
    a: Array,
    /// Second vector
    #[array(shape = [None], dtype = "float64", differentiable)]
    b: NdArray<f64>,
    /// Scalar multiplier for a
    #[array(shape = [], dtype = "float64", differentiable)]
    #[serde(default = "one")]
    s: Array,
}

fn one() -> Array {
    Array::scalar(1.0f64)
}

#[test]
fn decodes_and_checks_vectoradd_request() {
    let body = br#"{"inputs":{"a":{"shape":[3],"dtype":"int32","data":{"buffer":[1,2,3],"encoding":"json"}},"b":[0.5,1.5,2.5]}}"#;
    let m = ApplyInput::from_tesseract_request(body, &DecodeOptions::default()).unwrap();
    assert_eq!(m.a.as_slice::<f64>().unwrap(), &[1.0, 2.0, 3.0]);
    assert_eq!(m.b.as_slice(), &[0.5, 1.5, 2.5]);
    assert_eq!(m.s.as_slice::<f64>().unwrap(), &[1.0]);
    let out = m
        .to_tesseract_request(&EncodeOptions::tesseract(Encoding::Json))
        .unwrap();
    assert!(out.starts_with(br#"{"inputs":{"a":{"object_type":"array","shape":[3],"dtype":"float64","data":{"buffer":[1.0,2.0,3.0]"#));

    let bad = br#"{"inputs":{"a":{"shape":[2,2],"dtype":"float64","data":{"buffer":[[1,2],[3,4]],"encoding":"json"}},"b":[1.0]}}"#;
    let e = ApplyInput::from_tesseract_request(bad, &DecodeOptions::default()).unwrap_err();
    assert_eq!(e.path().to_string(), "inputs.a");
    assert!(matches!(e.kind(), ErrorKind::Constraint(_)), "{e}");

    let complex = br#"{"inputs":{"a":["1+2j"],"b":[1.0]}}"#;
    let e = ApplyInput::from_tesseract_request(complex, &DecodeOptions::default()).unwrap_err();
    assert_eq!(e.path().to_string(), "inputs.a", "{e}");
}

#[test]
fn schema_has_tesseract_array_models() {
    let schema = ApplyInput::json_schema_value();
    let a = &schema["properties"]["a"];
    assert_eq!(
        a["title"],
        "EncodedArrayModel__any__float64__DIFFERENTIABLE"
    );
    assert_eq!(a["description"], "First vector");
    assert_eq!(a["array_flags"][0], "DIFFERENTIABLE");
    assert_eq!(schema["required"], serde_json::json!(["a", "b"]));
    assert_eq!(
        schema["properties"]["s"]["properties"]["shape"]["maxItems"],
        0
    );
}

/// ndarray fields (feature `ndarray`): any wire form in, the ndarray type out, with the
/// dtype converted to the element type and the rank checked.
#[derive(ArrayModel, Debug, PartialEq)]
struct WithNdarray {
    #[array(shape = [None, 2])]
    grid: ndarray::Array2<f32>,
    any: ndarray::ArrayD<i64>,
}

#[test]
fn ndarray_fields() {
    let json = br#"{"grid":{"data_b64":"AQAAAAIAAAADAAAABAAAAA==","shape":[2,2],"dtype":"int32"},"any":[[1,2,3]]}"#;
    let m = WithNdarray::from_json(json, &DecodeOptions::default()).unwrap();
    assert_eq!(m.grid, ndarray::arr2(&[[1.0f32, 2.0], [3.0, 4.0]]));
    assert_eq!(m.any.shape(), &[1, 3]);
    let back = WithNdarray::from_json(
        &m.to_json(&EncodeOptions::tesseract(Encoding::Base64))
            .unwrap(),
        &DecodeOptions::default(),
    )
    .unwrap();
    assert_eq!(back, m);
    let bad = br#"{"grid":[[1.0,2.0,3.0]],"any":[1]}"#;
    let e = WithNdarray::from_json(bad, &DecodeOptions::default()).unwrap_err();
    assert_eq!(e.path().to_string(), "grid", "{e}");
    let schema = WithNdarray::json_schema_value();
    assert_eq!(
        schema["properties"]["grid"]["title"],
        "EncodedArrayModel__any_2__float32__noflags"
    );
    assert_eq!(
        schema["properties"]["any"]["title"],
        "EncodedArrayModel__anyrank__int64__noflags"
    );
}

/// `#[array(form = ...)]`: each field fixes the JSON form of its arrays whatever the
/// call says (a FastAPI service mixing truss, numpydantic and tesseract arrays); the
/// unannotated field follows the call.
#[derive(ArrayModel, Debug, PartialEq)]
struct MixedForms {
    #[array(form = "truss")]
    truss: Array,
    #[array(form = "list", dtype = "float64", shape = [None, 1])]
    list: Array,
    #[array(form = "tesseract")]
    tesseract: Array,
    plain: Array,
}

#[test]
fn each_field_fixes_its_form() {
    let a = Array::new(vec![2, 1], vec![0.5f64, -2.0]).unwrap();
    let m = MixedForms {
        truss: a.clone(),
        list: a.clone(),
        tesseract: a.clone(),
        plain: a,
    };
    let truss = r#"{"data_b64":"AAAAAAAA4D8AAAAAAAAAwA==","shape":[2,1],"dtype":"float64"}"#;
    let list = "[[0.5],[-2.0]]";
    let base64 = r#"{"object_type":"array","shape":[2,1],"dtype":"float64","data":{"buffer":"AAAAAAAA4D8AAAAAAAAAwA==","encoding":"base64"}}"#;
    for (opts, plain) in [
        (EncodeOptions::truss(), truss),
        (EncodeOptions::tesseract(Encoding::Base64), base64),
        (EncodeOptions::list(), list),
    ] {
        let json = arraymodel::to_json_vec(&m, &opts).unwrap();
        let want =
            format!(r#"{{"truss":{truss},"list":{list},"tesseract":{base64},"plain":{plain}}}"#);
        assert_eq!(std::str::from_utf8(&json).unwrap(), want, "{opts:?}");
        assert_eq!(m.to_json(&opts).unwrap(), json);
        let back = MixedForms::from_json(&json, &DecodeOptions::default()).unwrap();
        assert_eq!(back, m, "{opts:?}");
    }
    // msgpack has one form.
    let packed = m.to_msgpack().unwrap();
    assert_eq!(
        MixedForms::from_msgpack(&packed, &DecodeOptions::default()).unwrap(),
        m
    );
    // A truss or tesseract form publishes that form's schema.
    let schema = MixedForms::json_schema_value();
    let props = &schema["properties"];
    assert!(
        props["truss"]["properties"]["data_b64"].is_object(),
        "{schema}"
    );
    assert!(
        props["tesseract"]["title"]
            .as_str()
            .unwrap()
            .starts_with("EncodedArrayModel"),
        "{schema}"
    );
}
