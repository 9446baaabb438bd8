//! Code generation from JSON Schema and OpenAPI documents (library front-end).
//!
//! The generator lands with its own issue; until then the `arraymodel` binary
//! offers the runtime's payload tools.
