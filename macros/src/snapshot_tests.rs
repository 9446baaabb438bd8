//! Snapshot tests of the expansion: every `tests/expand/NAME.rs` input is expanded with
//! [`crate::expand::derive`], formatted with prettyplease and compared with
//! `tests/expand/NAME.expanded.rs`. Set `ARRAYMODEL_BLESS=1` to rewrite the snapshots.

use std::path::Path;

#[test]
fn expansions_match_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/expand exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|x| x == "rs")
                && !p.to_string_lossy().ends_with(".expanded.rs")
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no snapshot inputs");
    let bless = std::env::var_os("ARRAYMODEL_BLESS").is_some();
    let mut stale = Vec::new();
    for input in inputs {
        let src = std::fs::read_to_string(&input).unwrap();
        let file: syn::File = syn::parse_str(&src).unwrap();
        let mut out = String::new();
        for item in file.items {
            let syn::Item::Struct(s) = item else { continue };
            let derive: syn::DeriveInput = syn::parse_quote!(#s);
            let tokens =
                crate::expand::derive(&derive).unwrap_or_else(syn::Error::into_compile_error);
            let expanded: syn::File = syn::parse2(tokens).expect("expansion parses as items");
            out.push_str(&prettyplease::unparse(&expanded));
        }
        let snap = input.with_extension("expanded.rs");
        if bless {
            std::fs::write(&snap, &out).unwrap();
        } else if std::fs::read_to_string(&snap).ok().as_deref() != Some(out.as_str()) {
            stale.push(snap.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "stale snapshots (rerun with ARRAYMODEL_BLESS=1 and review): {stale:?}"
    );
}
