//! What the derive emits when the input has errors: the errors, plus stub impls of
//! every trait the derive would have written (as thiserror's `fallback.rs`), so one
//! mistake is one error and not another at every use of the type
//! (`m.to_msgpack()`, `serde_json::to_string(&m)`, `M::json_schema_value()`).
//!
//! The stubs never run (the crate does not compile), but their bodies are ordinary
//! code: serde's errors, an empty schema, no fields. The `JsonSchema` stub sits in the
//! runtime's `schema_items!` gate, like the real impl: it exists only with feature
//! `schema`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

use crate::attr;
use crate::ctxt::Ctxt;
use crate::expand::crate_root;

pub fn expand(input: &DeriveInput, error: syn::Error) -> TokenStream {
    let error = error.into_compile_error();
    // `#[arraymodel(crate = "...")]` if it parses; its own errors are in `error` already.
    let cx = Ctxt::new();
    let crate_path = attr::container_attrs(&cx, &input.attrs).crate_path;
    let _ = cx.check();
    let root = crate_root(crate_path.as_ref());
    let p = quote!(#root::__private);
    let name = &input.ident;
    let name_str = name.to_string();
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let generics_decl = &input.generics.params;
    let failed = "#[derive(ArrayModel)] failed to compile";
    quote! {
        #error

        #[doc(hidden)]
        #[allow(unused_qualifications, unused_variables, clippy::all)]
        const _: () = {
            #[automatically_derived]
            impl #impl_generics #p::serde::Serialize for #name #ty_generics #where_clause {
                fn serialize<__S>(&self, serializer: __S) -> #p::std::result::Result<__S::Ok, __S::Error>
                where
                    __S: #p::serde::Serializer,
                {
                    #p::std::result::Result::Err(<__S::Error as #p::serde::ser::Error>::custom(#failed))
                }
            }

            #[automatically_derived]
            impl<'de, #generics_decl> #p::serde::Deserialize<'de> for #name #ty_generics #where_clause {
                fn deserialize<__D>(deserializer: __D) -> #p::std::result::Result<Self, __D::Error>
                where
                    __D: #p::serde::Deserializer<'de>,
                {
                    #p::std::result::Result::Err(<__D::Error as #p::serde::de::Error>::custom(#failed))
                }
            }

            #p::schema_items! {
                #[automatically_derived]
                impl #impl_generics #p::schemars::JsonSchema for #name #ty_generics #where_clause {
                    fn schema_name() -> #p::std::borrow::Cow<'static, str> {
                        #p::std::borrow::Cow::Borrowed(#name_str)
                    }

                    fn json_schema(generator: &mut #p::schemars::SchemaGenerator) -> #p::schemars::Schema {
                        #p::schemars::Schema::default()
                    }
                }
            }

            #[automatically_derived]
            impl #impl_generics #p::ArrayModel for #name #ty_generics #where_clause {
                const FIELDS: &'static [#p::FieldInfo] = &[];

                fn conform(&mut self) -> #p::Result<()> {
                    #p::std::result::Result::Ok(())
                }
            }
        };
    }
}

#[cfg(test)]
mod tests {
    /// A bad attribute gives its error and the four stub impls, nothing else.
    #[test]
    fn stubs_follow_the_error() {
        let input: syn::DeriveInput = syn::parse_quote! {
            struct M<T> {
                #[array(dtype = "float65")]
                a: T,
            }
        };
        let err = crate::expand::derive(&input).unwrap_err();
        let out = super::expand(&input, err).to_string();
        assert!(out.contains("compile_error"));
        assert!(out.contains("unknown dtype"));
        assert!(out.contains("__private :: schema_items !"), "{out}");
        for t in ["Serialize", "Deserialize", "JsonSchema", "ArrayModel"] {
            assert!(
                out.contains(&format!("__private :: {t} for M < T >"))
                    || out.contains(&format!(":: {t} for M < T >"))
                    || out.contains(&format!(":: {t} < 'de > for M < T >")),
                "{t}: {out}"
            );
        }
    }
}
