use arraymodel::{Array, ArrayModel};

#[derive(ArrayModel)]
struct M {
    #[array(shap = [3])]
    a: Array,
}

fn main() {}
