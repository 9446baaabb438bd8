use arraymodel::{Array, ArrayModel};

#[derive(ArrayModel)]
struct M {
    #[array(shape = [3])]
    name: String,
    #[bytes]
    text: String,
    #[array]
    #[bytes]
    both: Vec<u8>,
    #[array(exact)]
    loose: Array,
}

fn main() {}
