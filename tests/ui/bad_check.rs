use arraymodel::{Array, ArrayModel};

// Every mistake is reported, each at its attribute.
#[derive(ArrayModel)]
struct M {
    #[check(minimum = "one")]
    a: i64,
    #[check(max_lenght = 3)]
    b: String,
    #[check(multiple_of = 0)]
    c: i64,
    #[check(min_items = 1)]
    #[array(shape = [None])]
    d: Array,
}

fn main() {}
