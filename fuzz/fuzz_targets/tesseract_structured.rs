#![no_main]
//! See `arraymodel_fuzz::tesseract_structured`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = arraymodel_fuzz::tesseract_structured(data);
});
