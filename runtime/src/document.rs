//! A schema-less document: a JSON or msgpack tree whose array objects are [`Array`]s.
//!
//! (Lands with `arraymodel convert` / `inspect`.)

#[allow(unused_imports)]
use crate::Array;
