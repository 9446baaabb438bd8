use arraymodel::{Array, ArrayModel};

#[derive(ArrayModel)]
#[array(shape = [3])]
#[arraymodel(krate = "x")]
#[serde(rename_all = "camelcase")]
struct M {
    #[arraymodel(crate = "x")]
    a: Array,
}

fn main() {}
