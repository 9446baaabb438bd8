//! `import_schema!("schemas/x.json")`: the codegen engine at compile time.

use std::path::PathBuf;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::parse::{Parse, ParseStream};
use syn::{LitBool, LitStr, Token};

/// `"path" (, key = value)*` with keys `map_type = "..."`, `crate_path = "..."`,
/// `client = true` and `async_client = true`.
pub struct ImportInput {
    path: LitStr,
    map_type: Option<LitStr>,
    crate_path: Option<LitStr>,
    client: bool,
    async_client: bool,
}

impl Parse for ImportInput {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path: LitStr = input.parse()?;
        let mut out = ImportInput {
            path,
            map_type: None,
            crate_path: None,
            client: false,
            async_client: false,
        };
        while input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let key: syn::Ident = input.parse()?;
            input.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "map_type" => out.map_type = Some(input.parse()?),
                "crate_path" => out.crate_path = Some(input.parse()?),
                "client" => out.client = input.parse::<LitBool>()?.value,
                "async_client" => out.async_client = input.parse::<LitBool>()?.value,
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!(
                            "unknown option `{other}`; expected `map_type`, `crate_path`, \
                             `client` or `async_client`"
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }
}

fn default_crate_path() -> String {
    match proc_macro_crate::crate_name("arraymodel") {
        Ok(proc_macro_crate::FoundCrate::Name(name)) => format!("::{name}"),
        _ => "::arraymodel".to_owned(),
    }
}

pub fn expand(input: ImportInput) -> syn::Result<TokenStream> {
    let base = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(PathBuf::new, PathBuf::from);
    let path = base.join(input.path.value());
    let crate_path = input
        .crate_path
        .as_ref()
        .map_or_else(default_crate_path, LitStr::value);
    let mut generator = arraymodel_codegen::Generator::new()
        .schema(&path)
        .crate_path(crate_path)
        .client(input.client)
        .async_client(input.async_client)
        // The macro expands to the tokens: no formatting pass, no rustfmt process.
        .rustfmt(false);
    if let Some(m) = &input.map_type {
        generator = generator.map_type(m.value());
    }
    let generated = generator
        .generate()
        .map_err(|e| syn::Error::new(input.path.span(), e.to_string()))?;
    // Rebuild when any schema file read changes.
    let includes = generated.files().iter().enumerate().map(|(i, f)| {
        let f = f.to_string_lossy().into_owned();
        let name = format_ident!("__ARRAYMODEL_SCHEMA_{}", i);
        quote!(const #name: &[u8] = include_bytes!(#f);)
    });
    let tokens = generated.tokens();
    Ok(quote! {
        #[doc(hidden)]
        #[allow(dead_code)]
        const _: () = { #(#includes)* };
        #tokens
    })
}
