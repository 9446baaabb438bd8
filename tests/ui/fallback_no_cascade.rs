// One mistake, one error: after a derive error the stub impls keep every use of the
// model compiling, so only the attribute is reported.
use arraymodel::{Array, ArrayModel};

#[derive(ArrayModel)]
struct M {
    #[array(shape = [None], dtype = "float65")]
    a: Array,
}

fn f(m: &M) -> Vec<u8> {
    m.to_msgpack().unwrap()
}

fn main() {
    let _ = f;
    let _schema = M::json_schema_value();
}
