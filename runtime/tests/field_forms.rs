//! `#[array(form = "truss" | "list" | "tesseract")]`: a field fixes the JSON form of its
//! arrays whatever the call's options say; the other fields keep the call's form, msgpack
//! is unchanged, and serde's attributes on the same field still apply.

use std::collections::BTreeMap;

use arraymodel::{
    Array, ArrayModel, DecodeOptions, EncodeOptions, Encoding, NdArray, from_json_slice,
    to_json_vec, to_json_writer, to_msgpack_vec,
};
use serde::Serialize;

#[derive(ArrayModel, Debug, PartialEq)]
struct Mixed {
    #[array(form = "truss")]
    t: Array,
    #[array(form = "list", dtype = "float64", shape = [None])]
    l: Array,
    #[array(form = "tesseract")]
    s: Array,
    plain: Array,
}

fn a() -> Array {
    Array::from_vec(vec![0.5f64, -2.0])
}

fn mixed() -> Mixed {
    Mixed {
        t: a(),
        l: a(),
        s: a(),
        plain: a(),
    }
}

const TRUSS: &str = r#"{"data_b64":"AAAAAAAA4D8AAAAAAAAAwA==","shape":[2],"dtype":"float64"}"#;
const LIST: &str = "[0.5,-2.0]";
const BASE64: &str = r#"{"object_type":"array","shape":[2],"dtype":"float64","data":{"buffer":"AAAAAAAA4D8AAAAAAAAAwA==","encoding":"base64"}}"#;
const JSON: &str = r#"{"object_type":"array","shape":[2],"dtype":"float64","data":{"buffer":[0.5,-2.0],"encoding":"json"}}"#;

fn text(v: &impl Serialize, opts: &EncodeOptions) -> String {
    String::from_utf8(to_json_vec(v, opts).unwrap()).unwrap()
}

#[test]
fn each_field_keeps_its_form_whatever_the_call_says() {
    let m = mixed();
    for (opts, plain, tesseract) in [
        (EncodeOptions::truss(), TRUSS, BASE64),
        (EncodeOptions::tesseract(Encoding::Base64), BASE64, BASE64),
        (EncodeOptions::list(), LIST, BASE64),
        // The tesseract form takes the call's encoding when the call writes tesseract.
        (EncodeOptions::tesseract(Encoding::Json), JSON, JSON),
    ] {
        let want = format!(r#"{{"t":{TRUSS},"l":{LIST},"s":{tesseract},"plain":{plain}}}"#);
        assert_eq!(text(&m, &opts), want, "{opts:?}");
        assert_eq!(m.to_json(&opts).unwrap(), want.as_bytes(), "{opts:?}");
        // The other entry points: a writer, any serializer through the options.
        let mut w = Vec::new();
        to_json_writer(&m, &opts, &mut w).unwrap();
        assert_eq!(w, want.as_bytes());
        let structured = serde_json::to_string(&opts.with(&m)).unwrap();
        assert_eq!(structured, want, "{opts:?}");
        let mut out = Vec::new();
        opts.serialize(&m, &mut serde_json::Serializer::new(&mut out))
            .unwrap();
        assert_eq!(out, want.as_bytes());
        let value = serde_json::to_value(opts.with(&m)).unwrap();
        assert_eq!(
            value,
            serde_json::from_str::<serde_json::Value>(&want).unwrap()
        );
        assert_eq!(
            Mixed::from_json(want.as_bytes(), &DecodeOptions::default()).unwrap(),
            m
        );
    }
}

/// Outside any call (`serde_json::to_vec`, axum's `Json`) a form field keeps its form;
/// the others get the documented default, tesseract json+base64.
#[test]
fn a_foreign_serializer_outside_any_call() {
    let want = format!(r#"{{"t":{TRUSS},"l":{LIST},"s":{BASE64},"plain":{BASE64}}}"#);
    assert_eq!(serde_json::to_string(&mixed()).unwrap(), want);
    let value = serde_json::to_value(mixed()).unwrap();
    assert_eq!(value["l"], serde_json::json!([0.5, -2.0]));
}

/// msgpack (binary formats) has one array form: nothing changes.
#[test]
fn msgpack_is_unchanged() {
    #[derive(ArrayModel)]
    struct Plain {
        t: Array,
        l: Array,
        s: Array,
        plain: Array,
    }
    let plain = Plain {
        t: a(),
        l: a(),
        s: a(),
        plain: a(),
    };
    let packed = to_msgpack_vec(&mixed()).unwrap();
    assert_eq!(packed, to_msgpack_vec(&plain).unwrap());
    assert_eq!(mixed().to_msgpack().unwrap(), packed);
    let back = Mixed::from_msgpack(&packed, &DecodeOptions::default()).unwrap();
    assert_eq!(back, mixed());
}

/// Every field type that holds arrays, and serde's attributes on the same field.
#[derive(ArrayModel, Debug, PartialEq)]
struct Containers {
    #[array(form = "list")]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    maybe: Option<Array>,
    #[array(form = "truss")]
    #[serde(rename = "Many")]
    many: Vec<Array>,
    #[array(form = "list", dtype = "float64")]
    named: BTreeMap<String, Array>,
    #[array(form = "truss", shape = [None])]
    typed: NdArray<f64>,
    #[array(form = "list")]
    nested: Vec<Option<Box<Array>>>,
    #[array(form = "truss", dtype = "int32")]
    #[serde(default = "seven")]
    defaulted: Array,
    plain: Option<Array>,
}

fn seven() -> Array {
    Array::from_vec(vec![7i32])
}

#[test]
fn containers_and_serde_attributes() {
    let m = Containers {
        maybe: None,
        many: vec![a(), Array::scalar(true)],
        named: BTreeMap::from([("x".to_owned(), Array::from_vec(vec![0.5f64, -0.0]))]),
        typed: NdArray::new(vec![2], vec![1.0, 2.0]).unwrap(),
        nested: vec![Some(Box::new(a())), None],
        defaulted: seven(),
        plain: Some(a()),
    };
    let want = format!(
        concat!(
            r#"{{"Many":[{TRUSS},{{"data_b64":"AQ==","shape":[],"dtype":"bool"}}],"#,
            r#""named":{{"x":[0.5,-0.0]}},"#,
            r#""typed":{{"data_b64":"AAAAAAAA8D8AAAAAAAAAQA==","shape":[2],"dtype":"float64"}},"#,
            r#""nested":[{LIST},null],"#,
            r#""defaulted":{{"data_b64":"BwAAAA==","shape":[1],"dtype":"int32"}},"#,
            r#""plain":{LIST}}}"#
        ),
        TRUSS = TRUSS,
        LIST = LIST
    );
    assert_eq!(text(&m, &EncodeOptions::list()), want);
    assert_eq!(
        Containers::from_json(want.as_bytes(), &DecodeOptions::default()).unwrap(),
        m
    );

    // `skip_serializing_if` writes the key when there is a value; `default` fills the
    // absent keys on the way back.
    let with = Containers {
        maybe: Some(Array::scalar(3i64)),
        ..m
    };
    let out = text(&with, &EncodeOptions::truss());
    assert!(
        out.starts_with(r#"{"maybe":3,"Many":[{"data_b64""#),
        "{out}"
    );
    let partial = br#"{"Many":[],"named":{},"typed":[1.5],"nested":[]}"#;
    let back = Containers::from_json(partial, &DecodeOptions::default()).unwrap();
    assert_eq!(
        (back.maybe, back.defaulted, back.plain),
        (None, seven(), None)
    );
}

/// A model inside a form field: its arrays take the outer form, except those of its
/// own form fields, which keep theirs; the form of the call is back after the field.
#[derive(ArrayModel, Debug, PartialEq)]
struct Inner {
    #[array(form = "truss")]
    t: Array,
    u: Array,
}

#[derive(ArrayModel, Debug, PartialEq)]
struct Outer {
    #[array(form = "list")]
    inner: Inner,
    #[array(form = "tesseract")]
    inners: Vec<Inner>,
    after: Array,
}

#[test]
fn a_form_field_inside_another_gets_its_own() {
    let m = Outer {
        inner: Inner { t: a(), u: a() },
        inners: vec![Inner { t: a(), u: a() }],
        after: a(),
    };
    let want = format!(
        r#"{{"inner":{{"t":{TRUSS},"u":{LIST}}},"inners":[{{"t":{TRUSS},"u":{JSON}}}],"after":{JSON}}}"#
    );
    assert_eq!(text(&m, &EncodeOptions::tesseract(Encoding::Json)), want);
    let want = format!(
        r#"{{"inner":{{"t":{TRUSS},"u":{LIST}}},"inners":[{{"t":{TRUSS},"u":{BASE64}}}],"after":{LIST}}}"#
    );
    assert_eq!(text(&m, &EncodeOptions::list()), want);
    assert_eq!(
        serde_json::to_string(&EncodeOptions::list().with(&m)).unwrap(),
        want
    );
    assert_eq!(
        Outer::from_json(want.as_bytes(), &DecodeOptions::default()).unwrap(),
        m
    );
}

/// `#[serde(flatten)]`: the entries of the flattened map or struct take the form.
#[derive(ArrayModel, Debug, PartialEq)]
struct Flattened {
    first: Array,
    #[array(form = "truss")]
    #[serde(flatten)]
    extra: BTreeMap<String, Array>,
}

#[derive(ArrayModel, Debug, PartialEq)]
struct FlattenedModel {
    #[array(form = "list")]
    #[serde(flatten)]
    inner: Inner,
    last: Array,
}

#[test]
fn flatten() {
    let m = Flattened {
        first: a(),
        extra: BTreeMap::from([("x".to_owned(), a()), ("y".to_owned(), a())]),
    };
    let want = format!(r#"{{"first":{LIST},"x":{TRUSS},"y":{TRUSS}}}"#);
    assert_eq!(text(&m, &EncodeOptions::list()), want);
    assert_eq!(
        serde_json::to_string(&EncodeOptions::list().with(&m)).unwrap(),
        want
    );
    assert_eq!(
        Flattened::from_json(want.as_bytes(), &DecodeOptions::default()).unwrap(),
        m
    );
    // Outside any call too.
    let want = format!(r#"{{"first":{BASE64},"x":{TRUSS},"y":{TRUSS}}}"#);
    assert_eq!(serde_json::to_string(&m).unwrap(), want);

    let m = FlattenedModel {
        inner: Inner { t: a(), u: a() },
        last: a(),
    };
    let want = format!(r#"{{"t":{TRUSS},"u":{LIST},"last":{BASE64}}}"#);
    assert_eq!(text(&m, &EncodeOptions::default()), want);
    assert_eq!(serde_json::to_string(&m).unwrap(), want);
    assert_eq!(
        FlattenedModel::from_json(want.as_bytes(), &DecodeOptions::default()).unwrap(),
        m
    );
}

/// A form field reaching a serializer of its own inside a call (here `serde_json`
/// called by a `Serialize` impl inside `to_json_vec`): its arrays cannot be given the
/// form, an error as for any array there, never another form.
#[test]
fn a_form_field_that_escapes_the_call_is_an_error() {
    struct Sneaky(Mixed);
    impl Serialize for Sneaky {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let v = serde_json::to_value(&self.0).map_err(serde::ser::Error::custom)?;
            v.serialize(s)
        }
    }
    let e = to_json_vec(&Sneaky(mixed()), &EncodeOptions::list()).unwrap_err();
    assert!(
        e.to_string()
            .contains("a serializer that is not arraymodel's"),
        "{e}"
    );
}

/// The error of an array in a form field names the field.
#[test]
fn errors_name_the_field() {
    #[derive(ArrayModel)]
    struct Binref {
        #[array(form = "tesseract")]
        inputs: BTreeMap<String, Array>,
    }
    let m = Binref {
        inputs: BTreeMap::from([("x".to_owned(), a())]),
    };
    // binref needs a folder; the tesseract form takes the call's binref encoding.
    let e = to_json_vec(&m, &EncodeOptions::tesseract(Encoding::Binref)).unwrap_err();
    assert_eq!(e.path().to_string(), "inputs.x", "{e}");
    // Calls of other forms have no binref encoding: the tesseract form is json+base64.
    for opts in [EncodeOptions::truss(), EncodeOptions::list()] {
        let out = text(&m, &opts);
        assert_eq!(out, format!(r#"{{"inputs":{{"x":{BASE64}}}}}"#));
        let back: BTreeMap<String, BTreeMap<String, Array>> =
            from_json_slice(out.as_bytes(), &DecodeOptions::default()).unwrap();
        assert_eq!(back["inputs"]["x"], a());
    }
}

/// A call nested inside a form field (a `Serialize` impl of the user's that writes with
/// options of its own) keeps its own options.
#[test]
fn a_call_inside_a_form_field_keeps_its_options() {
    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(transparent)]
    struct OwnOptions(Array);
    impl Serialize for OwnOptions {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            EncodeOptions::tesseract(Encoding::Json).serialize(&self.0, s)
        }
    }
    #[cfg(feature = "schema")]
    impl arraymodel::schemars::JsonSchema for OwnOptions {
        fn schema_name() -> std::borrow::Cow<'static, str> {
            "OwnOptions".into()
        }
        fn json_schema(
            generator: &mut arraymodel::schemars::SchemaGenerator,
        ) -> arraymodel::schemars::Schema {
            Array::json_schema(generator)
        }
    }
    #[derive(ArrayModel, Debug, PartialEq)]
    struct Nesting {
        #[array(form = "list")]
        own: OwnOptions,
        #[array(form = "list")]
        arr: Array,
        plain: Array,
    }
    let m = Nesting {
        own: OwnOptions(a()),
        arr: a(),
        plain: a(),
    };
    let want = format!(r#"{{"own":{JSON},"arr":{LIST},"plain":{TRUSS}}}"#);
    assert_eq!(text(&m, &EncodeOptions::truss()), want);
    assert_eq!(
        serde_json::to_string(&EncodeOptions::truss().with(&m)).unwrap(),
        want
    );
    assert_eq!(
        Nesting::from_json(want.as_bytes(), &DecodeOptions::default()).unwrap(),
        m
    );
}
