//! The dtype names the derive accepts, kept in step with `arraymodel::DType`.

/// numpy names, in `arraymodel::DType` variant order.
pub const NAMES: [(&str, &str); 14] = [
    ("bool", "Bool"),
    ("int8", "Int8"),
    ("int16", "Int16"),
    ("int32", "Int32"),
    ("int64", "Int64"),
    ("uint8", "UInt8"),
    ("uint16", "UInt16"),
    ("uint32", "UInt32"),
    ("uint64", "UInt64"),
    ("float16", "Float16"),
    ("float32", "Float32"),
    ("float64", "Float64"),
    ("complex64", "Complex64"),
    ("complex128", "Complex128"),
];

/// The `DType` variant for a numpy name.
pub fn variant(name: &str) -> Option<&'static str> {
    NAMES.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// The numpy name of a Rust element type written in the source, if recognisable.
pub fn of_rust_type(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "bool" => "bool",
        "i8" => "int8",
        "i16" => "int16",
        "i32" => "int32",
        "i64" => "int64",
        "u8" => "uint8",
        "u16" => "uint16",
        "u32" => "uint32",
        "u64" => "uint64",
        "f16" => "float16",
        "f32" => "float32",
        "f64" => "float64",
        "Complex32" | "Complex<f32>" => "complex64",
        "Complex64" | "Complex<f64>" => "complex128",
        _ => return None,
    })
}
