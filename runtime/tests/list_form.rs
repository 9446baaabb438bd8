//! Arrays as plain nested JSON lists (`EncodeOptions::list()`, `JsonStyle::List`), the
//! JSON of numpydantic's `NDArray`: the exact text, and
//! every dtype and edge shape read back into a field that declares its dtype and shape,
//! bit-exactly where the form can say it.

use arraymodel::{
    Array, ArrayModel, Complex, DType, DecodeOptions, EncodeOptions, ErrorKind, JsonStyle, f16,
    from_json_slice, to_json_vec,
};

fn list(a: &Array) -> String {
    String::from_utf8(to_json_vec(a, &EncodeOptions::list()).unwrap()).unwrap()
}

#[test]
fn the_options() {
    assert_eq!(EncodeOptions::list().style(), JsonStyle::List);
    // No compression for lists: `lz4()` leaves them as they are.
    assert_eq!(EncodeOptions::list().lz4(), EncodeOptions::list());
}

/// numpy's `tolist()` as pydantic writes it (what FastAPI sends for a numpydantic
/// field): float32 widened to f64 and written in its shortest round-trip text, integers
/// exact over the whole uint64 range.
#[test]
fn exact_text() {
    let f32s = Array::from_vec(vec![0.1f32, -0.0, 1e-45]);
    assert_eq!(
        list(&f32s),
        "[0.10000000149011612,-0.0,1.401298464324817e-45]"
    );
    assert_eq!(
        list(&Array::from_vec(vec![u64::MAX])),
        "[18446744073709551615]"
    );
    assert_eq!(
        list(&Array::from_vec(vec![i64::MIN, i64::MAX])),
        "[-9223372036854775808,9223372036854775807]"
    );
    let f64s = Array::new(vec![2, 2], vec![1.0f64, 2.0, 3.0, 4.0]).unwrap();
    assert_eq!(list(&f64s), "[[1.0,2.0],[3.0,4.0]]");
    // pydantic's (and orjson's) notation, digits as Python's repr.
    let notation = Array::from_vec(vec![1e-7f64, 1e-5, 1e-4, 1e16, 1e15, 5e-324, f64::MAX]);
    assert_eq!(
        list(&notation),
        "[1e-7,0.00001,0.0001,1e+16,1000000000000000.0,5e-324,1.7976931348623157e+308]"
    );
    let f16s = Array::from_vec(vec![f16::from_f64(0.1), f16::from_bits(1), f16::MAX]);
    assert_eq!(
        list(&f16s),
        "[0.0999755859375,5.960464477539063e-8,65504.0]"
    );
    assert_eq!(list(&Array::from_vec(vec![true, false])), "[true,false]");
    // 0-d: a bare value; empty dimensions: empty lists.
    assert_eq!(list(&Array::scalar(2.5f64)), "2.5");
    assert_eq!(list(&Array::scalar(true)), "true");
    assert_eq!(list(&Array::scalar(-7i8)), "-7");
    assert_eq!(list(&Array::zeros(DType::Int32, vec![0]).unwrap()), "[]");
    assert_eq!(
        list(&Array::zeros(DType::Int32, vec![2, 0]).unwrap()),
        "[[],[]]"
    );
    assert_eq!(
        list(&Array::zeros(DType::Int32, vec![2, 0, 3]).unwrap()),
        "[[],[]]"
    );
    assert_eq!(
        list(&Array::zeros(DType::UInt8, vec![1, 1, 1]).unwrap()),
        "[[[0]]]"
    );
    // NaN and infinities as pydantic writes them (lossy), complex as pydantic's strings.
    let special = Array::from_vec(vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
    assert_eq!(list(&special), "[null,null,null]");
    let c = Array::from_vec(vec![Complex::new(1.0f64, 2.0), Complex::new(-0.0, -0.5)]);
    assert_eq!(list(&c), r#"["1+2j","-0.5j"]"#);
    assert_eq!(
        list(&Array::scalar(Complex::new(1.5f32, -2.0))),
        r#""1.5-2j""#
    );
}

/// The same text through a foreign serializer (`EncodeOptions::with` around
/// serde_json's, or serde_json's `Value`), which gets the elements one by one.
#[test]
fn the_structured_path_writes_the_same() {
    let arrays = [
        Array::from_vec(vec![0.1f32, -0.0, 1e-45, f32::NAN]),
        Array::from_vec(vec![u64::MAX, 0]),
        Array::new(vec![2, 1, 2], vec![1i16, -2, 3, -4]).unwrap(),
        Array::zeros(DType::Float16, vec![2, 0, 3]).unwrap(),
        Array::scalar(Complex::new(0.0f64, -1.0)),
        Array::scalar(false),
    ];
    for a in arrays {
        let fast = to_json_vec(&a, &EncodeOptions::list()).unwrap();
        let structured = serde_json::to_vec(&EncodeOptions::list().with(&a)).unwrap();
        assert_eq!(
            String::from_utf8(structured).unwrap(),
            String::from_utf8(fast.clone()).unwrap()
        );
        let value = serde_json::to_value(EncodeOptions::list().with(&a)).unwrap();
        assert_eq!(
            value,
            serde_json::from_slice::<serde_json::Value>(&fast).unwrap()
        );
    }
}

/// Values worth a round trip, per dtype: extremes, signed zeros, subnormals, the
/// smallest normals, values on both sides of the notation switches.
fn values(dtype: DType) -> Array {
    match dtype {
        DType::Bool => Array::from_vec(vec![true, false, false, true]),
        DType::Int8 => Array::from_vec(vec![i8::MIN, i8::MAX, 0, -1]),
        DType::Int16 => Array::from_vec(vec![i16::MIN, i16::MAX, 0, -1]),
        DType::Int32 => Array::from_vec(vec![i32::MIN, i32::MAX, 0, -1]),
        DType::Int64 => Array::from_vec(vec![i64::MIN, i64::MAX, 0, -1, (1 << 53) | 1]),
        DType::UInt8 => Array::from_vec(vec![u8::MAX, 0, 1]),
        DType::UInt16 => Array::from_vec(vec![u16::MAX, 0, 1]),
        DType::UInt32 => Array::from_vec(vec![u32::MAX, 0, 1]),
        DType::UInt64 => Array::from_vec(vec![u64::MAX, 0, 1, (1 << 63) + 1]),
        DType::Float16 => Array::from_vec(vec![
            f16::from_f64(0.1),
            f16::from_f64(-0.0),
            f16::from_bits(1),      // smallest subnormal
            f16::from_bits(0x03ff), // largest subnormal
            f16::MIN_POSITIVE,
            f16::MAX,
            f16::MIN,
            f16::from_f64(1e-5),
            f16::ZERO,
        ]),
        DType::Float32 => Array::from_vec(vec![
            0.1f32,
            -0.0,
            1e-45, // smallest subnormal
            f32::from_bits(0x007f_ffff),
            f32::MIN_POSITIVE,
            f32::MAX,
            f32::MIN,
            1e-7,
            16_777_216.0,
            3.4e38,
            f32::EPSILON,
        ]),
        DType::Float64 => Array::from_vec(vec![
            0.1f64,
            -0.0,
            5e-324,
            f64::from_bits(0x000f_ffff_ffff_ffff),
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            1e-7,
            1e-5,
            1e16,
            9_007_199_254_740_993.0,
            -123.456,
        ]),
        // Complex parts are written with Rust's `Display`: finite values and infinities
        // are exact; a real part of -0.0 is not written (pydantic's "-0.5j"), see below.
        DType::Complex64 => Array::from_vec(vec![
            Complex::new(0.1f32, -0.0),
            Complex::new(f32::MAX, 1e-45),
            Complex::new(1.0, 2.0),
            Complex::new(0.0, -0.5),
            Complex::new(-3.5, f32::MIN_POSITIVE),
            Complex::new(f32::INFINITY, -1.0),
            Complex::new(-0.0, 2.0),
        ]),
        DType::Complex128 => Array::from_vec(vec![
            Complex::new(0.1f64, -0.0),
            Complex::new(f64::MAX, 5e-324),
            Complex::new(1.0, 2.0),
            Complex::new(0.0, -0.5),
            Complex::new(-1e300, 1e-300),
            Complex::new(1.0, f64::NEG_INFINITY),
            Complex::new(-0.0, -0.0),
        ]),
    }
}

/// The first `n` elements of `values(dtype)`, cycled, in `shape`.
fn filled(dtype: DType, shape: &[usize]) -> Array {
    let v = values(dtype);
    let w = dtype.itemsize();
    let n: usize = shape.iter().product();
    let bytes: Vec<u8> = (0..n)
        .flat_map(|i| v.as_bytes()[(i % v.len()) * w..(i % v.len() + 1) * w].to_vec())
        .collect();
    Array::from_bytes(
        dtype,
        shape.to_vec(),
        &bytes,
        arraymodel::ByteOrder::NATIVE,
        &Default::default(),
    )
    .unwrap()
}

/// One model per dtype, a field per edge shape, each declaring its dtype and shape.
macro_rules! models {
    ($($name:ident => $dtype:literal),* $(,)?) => {$(
        #[derive(ArrayModel, Debug, PartialEq)]
        struct $name {
            #[array(dtype = $dtype, shape = [])]
            scalar: Array,
            #[array(dtype = $dtype, shape = [None])]
            empty: Array,
            #[array(dtype = $dtype, shape = [2, 0])]
            empty_rows: Array,
            #[array(dtype = $dtype, shape = [1, 1, 1])]
            ones: Array,
            #[array(dtype = $dtype, shape = [None, 3, 4])]
            larger: Array,
        }

        impl $name {
            fn build() -> $name {
                let d = DType::parse($dtype).unwrap().0;
                $name {
                    scalar: filled(d, &[]),
                    empty: filled(d, &[0]),
                    empty_rows: filled(d, &[2, 0]),
                    ones: filled(d, &[1, 1, 1]),
                    larger: filled(d, &[2, 3, 4]),
                }
            }

            fn fields(&self) -> [(&'static str, &Array); 5] {
                [
                    ("scalar", &self.scalar),
                    ("empty", &self.empty),
                    ("empty_rows", &self.empty_rows),
                    ("ones", &self.ones),
                    ("larger", &self.larger),
                ]
            }

            fn check_round_trip() {
                let m = $name::build();
                let text = m.to_json(&EncodeOptions::list()).unwrap();
                if std::env::var_os("LIST_FORM_PRINT").is_some() {
                    println!("{}", String::from_utf8_lossy(&text));
                }
                let back = $name::from_json(&text, &DecodeOptions::default())
                    .unwrap_or_else(|e| panic!("{}: {e}\n{}", $dtype, String::from_utf8_lossy(&text)));
                for ((name, want), (_, got)) in m.fields().into_iter().zip(back.fields()) {
                    assert_round_trip(got, want, &format!("{} {name}", $dtype));
                }
                // Reading and writing again gives the same text.
                assert_eq!(back.to_json(&EncodeOptions::list()).unwrap(), text, "{}", $dtype);
            }
        }
    )*};
}

models! {
    BoolModel => "bool",
    Int8Model => "int8",
    Int16Model => "int16",
    Int32Model => "int32",
    Int64Model => "int64",
    UInt8Model => "uint8",
    UInt16Model => "uint16",
    UInt32Model => "uint32",
    UInt64Model => "uint64",
    Float16Model => "float16",
    Float32Model => "float32",
    Float64Model => "float64",
    Complex64Model => "complex64",
    Complex128Model => "complex128",
}

/// Bit-exact, except a complex real part of -0.0, which comes back as +0.0.
fn assert_round_trip(got: &Array, want: &Array, what: &str) {
    assert_eq!(got.dtype(), want.dtype(), "{what}: dtype");
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    // (real part's bits, imaginary part's bits, whether the real part is -0.0)
    let parts: fn(&Array) -> Vec<(u64, u64, bool)> = |a| match a.dtype() {
        DType::Complex64 => a
            .as_slice::<Complex<f32>>()
            .unwrap()
            .iter()
            .map(|c| {
                let minus_zero = c.re == 0.0 && c.re.is_sign_negative();
                (
                    u64::from(c.re.to_bits()),
                    u64::from(c.im.to_bits()),
                    minus_zero,
                )
            })
            .collect(),
        DType::Complex128 => a
            .as_slice::<Complex<f64>>()
            .unwrap()
            .iter()
            .map(|c| {
                let minus_zero = c.re == 0.0 && c.re.is_sign_negative();
                (c.re.to_bits(), c.im.to_bits(), minus_zero)
            })
            .collect(),
        _ => Vec::new(),
    };
    if !want.dtype().is_complex() {
        assert_eq!(got.as_bytes(), want.as_bytes(), "{what}: bytes");
        return;
    }
    for (i, (g, w)) in parts(got).into_iter().zip(parts(want)).enumerate() {
        if w.2 {
            assert_eq!((g.0, g.1), (0, w.1), "{what}: element {i}");
        } else {
            assert_eq!((g.0, g.1), (w.0, w.1), "{what}: element {i}");
        }
    }
}

#[test]
fn every_dtype_and_edge_shape_reads_back_into_declared_fields() {
    BoolModel::check_round_trip();
    Int8Model::check_round_trip();
    Int16Model::check_round_trip();
    Int32Model::check_round_trip();
    Int64Model::check_round_trip();
    UInt8Model::check_round_trip();
    UInt16Model::check_round_trip();
    UInt32Model::check_round_trip();
    UInt64Model::check_round_trip();
    Float16Model::check_round_trip();
    Float32Model::check_round_trip();
    Float64Model::check_round_trip();
    Complex64Model::check_round_trip();
    Complex128Model::check_round_trip();
}

/// Without a declared dtype a list reads as `np.asarray` would: int64, uint64 above
/// int64, float64, bool, complex128; the form carries no dtype.
#[test]
fn undeclared_fields_infer_as_numpy() {
    #[derive(ArrayModel, Debug)]
    struct Free {
        a: Array,
        b: Array,
        c: Array,
    }
    let m = Free {
        a: Array::from_vec(vec![1i8, -2]),
        b: Array::from_vec(vec![0.1f32]),
        c: Array::zeros(DType::Int32, vec![2, 0, 3]).unwrap(),
    };
    let text = m.to_json(&EncodeOptions::list()).unwrap();
    assert_eq!(
        text,
        br#"{"a":[1,-2],"b":[0.10000000149011612],"c":[[],[]]}"#
    );
    let back = Free::from_json(&text, &DecodeOptions::default()).unwrap();
    assert_eq!(back.a.as_slice::<i64>(), Some(&[1, -2][..]));
    assert_eq!(back.b.as_slice::<f64>(), Some(&[f64::from(0.1f32)][..]));
    // The dimensions after the first 0 are lost, as with numpy's tolist().
    assert_eq!(
        (back.c.dtype(), back.c.shape()),
        (DType::Float64, &[2, 0][..])
    );
}

/// What the form cannot hold: NaN and infinities come back as NaN inside a list, a bare
/// `null` is no array; a complex real part of -0.0 comes back as +0.0.
#[test]
fn lossy_cases() {
    #[derive(ArrayModel, Debug)]
    struct F {
        #[array(dtype = "float32")]
        v: Array,
        #[array(dtype = "float64", shape = [])]
        s: Array,
        #[array(dtype = "complex128", shape = [])]
        c: Array,
    }
    let m = F {
        v: Array::from_vec(vec![f32::NAN, f32::INFINITY, 1.0]),
        s: Array::scalar(f64::NAN),
        c: Array::scalar(Complex::new(-0.0f64, 1.0)),
    };
    let text = m.to_json(&EncodeOptions::list()).unwrap();
    assert_eq!(text, br#"{"v":[null,null,1.0],"s":null,"c":"1j"}"#);
    let e = F::from_json(&text, &DecodeOptions::default()).unwrap_err();
    assert_eq!(e.path().to_string(), "s");
    let fixed = br#"{"v":[null,null,1.0],"s":1.5,"c":"1j"}"#;
    let back = F::from_json(fixed, &DecodeOptions::default()).unwrap();
    let v = back.v.as_slice::<f32>().unwrap();
    assert!(v[0].is_nan() && v[1].is_nan() && v[2] == 1.0);
    let c = back.c.as_slice::<Complex<f64>>().unwrap()[0];
    assert_eq!((c.re.to_bits(), c.im), (0.0f64.to_bits(), 1.0));
}

/// A bare string is an array only in pydantic's complex form.
#[test]
fn bare_strings() {
    let opts = DecodeOptions::default();
    let c: Array = from_json_slice(br#""1.5-2j""#, &opts).unwrap();
    assert_eq!(
        c.as_slice::<Complex<f64>>(),
        Some(&[Complex::new(1.5, -2.0)][..])
    );
    let c: Array = from_json_slice(br#""(-0.5j)""#, &opts).unwrap();
    assert_eq!(
        c.as_slice::<Complex<f64>>(),
        Some(&[Complex::new(0.0, -0.5)][..])
    );
    for text in [&br#""hello""#[..], br#""3""#, br#""nan""#, br#""j1""#] {
        let e = from_json_slice::<Array>(text, &opts).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::Custom(_)), "{e}");
        assert!(e.to_string().contains("invalid type: string"), "{e}");
    }
}

/// An empty list takes the declared dtype, also under `exact` (it holds no value).
#[test]
fn empty_lists_take_the_declared_dtype() {
    #[derive(ArrayModel, Debug)]
    struct E {
        #[array(dtype = "uint16", exact)]
        a: Array,
        #[array(dtype = "bool", shape = [None, None])]
        b: Array,
    }
    let m = E::from_json(br#"{"a":[],"b":[[],[],[]]}"#, &DecodeOptions::default()).unwrap();
    assert_eq!((m.a.dtype(), m.a.shape()), (DType::UInt16, &[0][..]));
    assert_eq!((m.b.dtype(), m.b.shape()), (DType::Bool, &[3, 0][..]));
    // A list with values is still checked: floats are no uint16.
    let e = E::from_json(br#"{"a":[1.5],"b":[[]]}"#, &DecodeOptions::default()).unwrap_err();
    assert_eq!(e.path().to_string(), "a");
}

/// pydantic-numpy's `{"data_type","data","shape"}`: written with exact integers, read
/// from what pydantic-numpy itself writes (every number a float, flat data reshaped by
/// `shape`), whole numbers only for integer and bool dtypes.
#[test]
fn pydantic_numpy_form() {
    let pn = |a: &Array| {
        String::from_utf8(to_json_vec(a, &EncodeOptions::pydantic_numpy()).unwrap()).unwrap()
    };
    let big = Array::new(vec![2, 1], vec![9007199254740993i64, i64::MIN]).unwrap();
    assert_eq!(
        pn(&big),
        r#"{"data_type":"int64","data":[[9007199254740993],[-9223372036854775808]],"shape":[2,1]}"#
    );
    let read = |text: &str| from_json_slice::<Array>(text.as_bytes(), &DecodeOptions::default());
    assert_eq!(read(&pn(&big)).unwrap(), big);
    for a in [
        Array::from_vec(vec![0.1f32, -0.0, 3.4e38]),
        Array::new(vec![2, 0], Vec::<u16>::new()).unwrap(),
        Array::scalar(true),
        Array::from_vec(vec![u64::MAX, 0]),
        Array::new(vec![1, 2], vec![f16::from_f32(0.5), f16::MAX]).unwrap(),
    ] {
        let back = read(&pn(&a)).unwrap();
        assert_eq!(back, a, "{}", pn(&a));
        assert_eq!(back.as_bytes(), a.as_bytes());
    }
    // What pydantic-numpy 9.1.0 writes for int32 and bool arrays (captured from the
    // peer): floats, here also flat with the shape beside them.
    let peer =
        read(r#"{"data_type":"int32","data":[1.0,-3.0,0.0,46340.0],"shape":[2,2]}"#).unwrap();
    assert_eq!(
        peer,
        Array::new(vec![2, 2], vec![1i32, -3, 0, 46340]).unwrap()
    );
    let flags = read(r#"{"data_type":"bool","data":[1.0,0.0]}"#).unwrap();
    assert_eq!(flags, Array::from_vec(vec![true, false]));
    // pydantic-numpy truncates 1.7 to 1; that changes the value, so it is refused.
    let err = read(r#"{"data_type":"int32","data":[1.7]}"#).unwrap_err();
    assert!(err.to_string().contains("not a whole number"), "{err}");
    let err = read(r#"{"data_type":"int8","data":[300.0]}"#).unwrap_err();
    assert!(err.to_string().contains("data"), "{err}");
    let err = read(r#"{"data_type":"float64","data":[1.0,2.0,3.0],"shape":[2]}"#).unwrap_err();
    assert!(err.to_string().contains("3 elements"), "{err}");
    let err = read(r#"{"data_type":"float64","data":[1.0],"dtype":"float64"}"#).unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::UnexpectedKey(k) if k == "dtype"),
        "{err}"
    );
    let err = read(r#"{"data_type":"float64","data":{"buffer":"AA==","encoding":"base64"}}"#)
        .unwrap_err();
    assert!(err.to_string().contains("must be a list"), "{err}");
}

/// The schema-less reader (`convert`, `inspect`) recognises pydantic-numpy's object as
/// the typed decoder does.
#[test]
fn pydantic_numpy_in_documents() {
    use arraymodel::document::{ArrayForm, Document};
    let text = br#"{"counts": {"data_type": "int32", "data": [1.0, -3.0], "shape": [2]},
        "meta": {"data_type": "x", "note": 1}}"#;
    let doc = Document::from_json_slice(text, &DecodeOptions::default()).unwrap();
    let arrays: Vec<_> = doc.arrays().collect();
    assert_eq!(arrays.len(), 1, "{arrays:?}");
    assert_eq!(arrays[0].0, "counts");
    assert_eq!(*arrays[0].1, Array::from_vec(vec![1i32, -3]));
    let Document::Map(entries) = &doc else {
        panic!("{doc:?}")
    };
    assert!(
        entries
            .iter()
            .any(|(_, v)| matches!(v, Document::Array(_, ArrayForm::PydanticNumpy)))
    );
}
