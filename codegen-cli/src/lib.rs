//! Code generation from JSON Schema and OpenAPI documents: the library behind
//! `arraymodel generate`, for `build.rs` scripts.
//!
//! This re-exports the engine ([`arraymodel_codegen_engine`], which also powers
//! `arraymodel::import_schema!`), so the CLI, build.rs and the macro produce the same
//! code.
//!
//! ```no_run
//! // build.rs
//! let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("models.rs");
//! arraymodel_codegen::Generator::new()
//!     .schema("schemas/tesseract_vectoradd.openapi.json")
//!     .cargo_rerun_if_changed(true)
//!     .generate_to_file(&out)
//!     .unwrap_or_else(|e| panic!("{e}"));
//! // src/lib.rs: `include!(concat!(env!("OUT_DIR"), "/models.rs"));`
//! ```
//!
//! ```
//! let code = arraymodel_codegen::Generator::new()
//!     .schema(concat!(env!("CARGO_MANIFEST_DIR"), "/../schemas/tesseract_vectoradd.openapi.json"))
//!     .generate()
//!     .unwrap();
//! assert!(code.source().contains("#[array(shape = [None], dtype = \"float64\", differentiable)]"));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use arraymodel_codegen_engine::{Error, Generated, Generator, Result};
