//! `arraymodel`: look into and convert tesseract / truss / msgpack-numpy payloads
//! (`convert`, `inspect`), and generate models from schemas (`generate`).
#![forbid(unsafe_code)]

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
