#[serde(rename_all = "camelCase")]
struct Batch<T> {
    #[array(shape = .., dtype = "int8", exact)]
    many_items: Vec<Array>,
    #[bytes]
    maybe_blob: Option<Vec<u8>>,
    extra: T,
}
