//! Large decoded arrays are advised for transparent huge pages (as numpy does): the
//! kernel marks the mapping behind them `hg` in /proc/self/smaps, whether or not huge
//! pages are then available. Small arrays are not advised.
#![cfg(target_os = "linux")]

use arraymodel::{Array, DecodeOptions, from_msgpack_slice, to_msgpack_vec};

/// The VmFlags of the mapping holding `addr`.
fn vm_flags(addr: usize) -> String {
    let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
    let mut inside = false;
    for line in smaps.lines() {
        if let Some((range, _)) = line.split_once(' ')
            && let Some((a, b)) = range.split_once('-')
            && let (Ok(a), Ok(b)) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16))
        {
            inside = a <= addr && addr < b;
            continue;
        }
        if inside && let Some(flags) = line.strip_prefix("VmFlags:") {
            return flags.trim().to_owned();
        }
    }
    panic!("no mapping holds {addr:#x}");
}

#[test]
fn large_decoded_arrays_are_advised_and_small_ones_are_not() {
    let big = Array::from_vec(vec![1.25f64; 4 << 20]); // 32 MiB
    let small = Array::from_vec(vec![1.25f64; 1000]);
    let opts = DecodeOptions::default();
    let back: Array = from_msgpack_slice(&to_msgpack_vec(&big).unwrap(), &opts).unwrap();
    assert_eq!(back, big);
    let bytes = back.as_slice::<f64>().unwrap();
    // A page in the middle of the array (the first may share a mapping with the heap).
    let mid = bytes.as_ptr() as usize + std::mem::size_of_val(bytes) / 2;
    let flags = vm_flags(mid);
    assert!(
        flags.split(' ').any(|f| f == "hg"),
        "flags of the big array: {flags}"
    );

    let back: Array = from_msgpack_slice(&to_msgpack_vec(&small).unwrap(), &opts).unwrap();
    let at = back.as_slice::<f64>().unwrap().as_ptr() as usize;
    let flags = vm_flags(at);
    assert!(
        !flags.split(' ').any(|f| f == "hg"),
        "flags of the small array: {flags}"
    );
}
