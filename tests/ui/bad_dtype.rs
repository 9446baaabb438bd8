use arraymodel::{Array, ArrayModel};

#[derive(ArrayModel)]
struct M {
    #[array(dtype = "float65")]
    a: Array,
}

fn main() {}
