use arraymodel::{Array, ArrayModel};

#[derive(ArrayModel)]
struct M {
    #[array(shape = [1.5, None])]
    a: Array,
    #[array(shape = 3)]
    b: Array,
}

fn main() {}
