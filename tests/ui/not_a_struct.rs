use arraymodel::ArrayModel;

#[derive(ArrayModel)]
enum E {
    A,
}

#[derive(ArrayModel)]
struct T(u8);

fn main() {}
