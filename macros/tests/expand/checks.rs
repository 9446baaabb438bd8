// `#[check(...)]`: the constraint statics and the call in `__arraymodel_conform`.
#[derive(ArrayModel)]
struct Disk {
    #[check(min_length = 1, pattern = "^[a-z]+$")]
    name: String,
    #[check(minimum = -1, exclusive_maximum = 2.5, multiple_of = 0.5)]
    size: f64,
    #[check(max_items = 4, unique_items, items(json_enum = "[1, 2]"))]
    tags: Vec<i64>,
    #[check(required_keys = ["a"], values(max_length = 3), keys(pattern = "^x"))]
    labels: std::collections::BTreeMap<String, String>,
}
