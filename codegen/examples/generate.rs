//! `cargo run -p arraymodel-codegen --example generate -- SCHEMA...`: prints the module.
fn main() -> std::process::ExitCode {
    let mut g = arraymodel_codegen::Generator::new();
    for a in std::env::args().skip(1) {
        g = g.schema(a);
    }
    match g.generate() {
        Ok(out) => {
            print!("{}", out.source());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
