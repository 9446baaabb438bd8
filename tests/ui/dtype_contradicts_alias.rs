// A dtype that contradicts the element type however the type is spelled: the derive
// cannot see through aliases and paths, so the check is a constant on
// `ArrayField::DTYPE`, an error at the field's type.
use arraymodel::{ArrayModel, NdArray};

type V = NdArray<f64>;

#[derive(ArrayModel)]
struct M {
    #[array(dtype = "float32")]
    v: V,
    #[array(shape = [None], dtype = "float64")]
    h: NdArray<arraymodel::f16>,
    #[array(dtype = "float32")]
    o: Option<V>,
    // Agreeing spellings compile.
    #[array(dtype = "float64")]
    fine: Vec<Option<V>>,
}

fn main() {}
