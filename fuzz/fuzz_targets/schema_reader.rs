#![no_main]
//! See `arraymodel_fuzz::schema_reader`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = arraymodel_fuzz::schema_reader(data);
});
