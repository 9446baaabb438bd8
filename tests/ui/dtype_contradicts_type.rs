use arraymodel::{ArrayModel, NdArray};

#[derive(ArrayModel)]
struct M {
    #[array(shape = [None], dtype = "float64")]
    a: NdArray<f32>,
    #[array(dtype = "int8")]
    b: Option<Vec<NdArray<u8>>>,
}

fn main() {}
