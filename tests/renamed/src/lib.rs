//! `#[derive(ArrayModel)]` in a crate that renames the `arraymodel` dependency to `am` (and says so with
//! `#[arraymodel(crate = "am")]`),
//! under `#![deny(warnings)]` and `#![forbid(unsafe_code)]`, with a generic model.
#![deny(warnings)]
#![forbid(unsafe_code)]

use am::{Array, ArrayModel, NdArray};

/// A generic model: `T` is any serde/schemars type.
#[derive(ArrayModel, Debug, PartialEq)]
#[arraymodel(crate = "am")]
#[serde(rename_all = "camelCase")]
pub struct Tagged<T> {
    /// The values.
    #[array(shape = [None, 2], dtype = "int32")]
    pub the_values: Array,
    /// Weights, always float32.
    pub weights: NdArray<f32>,
    /// Raw bytes.
    #[bytes]
    pub raw_blob: Option<Vec<u8>>,
    /// Anything else.
    pub tag: T,
    /// Always plain nested lists, whatever the call's form.
    #[array(form = "list")]
    pub as_lists: Vec<Array>,
}

/// Models generated at compile time under the renamed path: `import_schema!` finds the
/// rename in Cargo.toml and the generated derives say `#[arraymodel(crate = "::am")]`.
#[allow(dead_code)]
pub mod vectoradd {
    am::import_schema!("../../schemas/tesseract_vectoradd.openapi.json");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renamed_crate_round_trips() {
        let m = Tagged {
            the_values: Array::new(vec![1, 2], vec![1i32, 2]).unwrap(),
            weights: NdArray::new(vec![1], vec![0.5f32]).unwrap(),
            raw_blob: Some(b"hi".to_vec()),
            tag: String::from("x"),
            as_lists: vec![Array::from_vec(vec![1.5f64])],
        };
        let json = m.to_json(&am::EncodeOptions::truss()).unwrap();
        assert!(json.starts_with(
            br#"{"theValues":{"data_b64":"AQAAAAIAAAA=","shape":[1,2],"dtype":"int32"}"#
        ));
        assert!(json.ends_with(br#""tag":"x","asLists":[[1.5]]}"#));
        let back = Tagged::<String>::from_json(&json, &Default::default()).unwrap();
        assert_eq!(back, m);
        let packed = m.to_msgpack().unwrap();
        assert_eq!(
            Tagged::<String>::from_msgpack(&packed, &Default::default()).unwrap(),
            m
        );
        // The constraint holds through the renamed path: shape [3] is refused.
        let bad = br#"{"theValues":[1,2,3],"weights":[1.0],"rawBlob":null,"tag":"x","asLists":[]}"#;
        let e = Tagged::<String>::from_json(bad, &Default::default()).unwrap_err();
        assert_eq!(e.path().to_string(), "theValues");
        assert_eq!(Tagged::<String>::FIELDS[0].wire_name, "theValues");
        let inputs = vectoradd::ApplyInputSchema2 {
            a: Array::from_vec(vec![1.0f64, 2.0]),
            b: Array::from_vec(vec![3.0f64, 4.0]),
            s: Array::scalar(2.0f64),
        };
        let body = inputs.to_json(&Default::default()).unwrap();
        let back = vectoradd::ApplyInputSchema2::from_json(&body, &Default::default()).unwrap();
        assert_eq!(back, inputs);
        // The generated constraint (float64 vectors) holds through the renamed path.
        let e = vectoradd::ApplyInputSchema2::from_json(
            br#"{"a":[[1.0]],"b":[1.0],"s":1.0}"#,
            &Default::default(),
        )
        .unwrap_err();
        assert_eq!(e.path().to_string(), "a");
        let schema = Tagged::<String>::json_schema_value();
        assert_eq!(
            schema["properties"]["theValues"]["title"],
            "EncodedArrayModel__any_2__int32__noflags"
        );
    }
}
