#![no_main]
//! See `arraymodel_fuzz::msgpack`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = arraymodel_fuzz::msgpack(data);
});
