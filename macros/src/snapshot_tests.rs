//! Snapshot tests of the expansion: every `tests/expand/NAME.rs` input is expanded with
//! [`crate::expand::derive`], formatted with prettyplease and compared with
//! `tests/expand/NAME.expanded.rs`. Set `ARRAYMODEL_BLESS=1` to rewrite the snapshots.
//!
//! prettyplease prints a macro's body as one run of tokens, so the items inside the
//! `__private::schema_items! { ... }` gate (the `JsonSchema` impl) are formatted on their
//! own and put back inside the invocation.

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
            let mut expanded: syn::File = syn::parse2(tokens).expect("expansion parses as items");
            let gated = take_gated_items(&mut expanded);
            out.push_str(&put_back(prettyplease::unparse(&expanded), &gated));
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

/// Replaces the body of every `schema_items! { ... }` in the expansion's `const _` blocks
/// with a placeholder, returning the bodies formatted as items.
fn take_gated_items(file: &mut syn::File) -> Vec<String> {
    let mut gated = Vec::new();
    for item in &mut file.items {
        let syn::Item::Const(c) = item else { continue };
        let syn::Expr::Block(block) = &mut *c.expr else {
            continue;
        };
        for stmt in &mut block.block.stmts {
            let mac = match stmt {
                syn::Stmt::Macro(m) => &mut m.mac,
                syn::Stmt::Item(syn::Item::Macro(m)) => &mut m.mac,
                _ => continue,
            };
            let gate = mac.path.segments.last().map(|s| &s.ident);
            if gate.is_none_or(|i| i != "schema_items") {
                continue;
            }
            let items: syn::File = syn::parse2(mac.tokens.clone()).expect("gated items parse");
            let placeholder = quote::format_ident!("__gated_items_{}", gated.len());
            mac.tokens = quote::quote!(#placeholder);
            gated.push(prettyplease::unparse(&items));
        }
    }
    gated
}

/// Puts the formatted gated items in place of their placeholders, indented one level
/// deeper than the placeholder's line.
fn put_back(text: String, gated: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let trimmed = line.trim_start();
        let index = trimmed
            .strip_prefix("__gated_items_")
            .and_then(|n| n.parse::<usize>().ok());
        match index {
            Some(i) => {
                let indent = &line[..line.len() - trimmed.len()];
                for l in gated[i].lines() {
                    if !l.is_empty() {
                        out.push_str(indent);
                    }
                    out.push_str(l);
                    out.push('\n');
                }
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}
