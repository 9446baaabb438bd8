use arraymodel::{Array, ArrayModel};

#[derive(ArrayModel)]
#[arraymodel(schema = "numpy")]
struct M {
    a: Array,
}

fn main() {}
