#[serde(rename_all = "camelCase")]
struct Batch<T> {
    #[array(shape = .., dtype = "int8", exact)]
    many_items: Vec<Array>,
    #[bytes]
    maybe_blob: Option<Vec<u8>>,
    extra: T,
}

/// A dtype on a field whose type names a generic parameter: checked in an inline
/// `const` block when the model is instantiated.
#[derive(ArrayModel)]
struct Typed<T: Element> {
    #[array(dtype = "float64")]
    values: Option<NdArray<T>>,
}
