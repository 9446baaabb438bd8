//! Code generation: serde impls through a `remote` mirror, `ArrayModel`, and
//! `JsonSchema` inside the runtime's `__private::schema_items!` gate (the impl exists
//! only when the user's arraymodel has feature `schema`, which the derive cannot see).

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, GenericParam};

use crate::ast::{Container, Field, is_array_like, is_ndarray, last_segment, title};
use crate::attr::{CheckAttr, DimAttr, FormAttr, NumAttr, ShapeAttr};
use crate::check;
use crate::ctxt::Ctxt;

/// Parses, validates and expands; all errors are reported together.
pub fn derive(input: &DeriveInput) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let cont = Container::from_ast(&cx, input);
    if let Some(c) = &cont {
        check::check(&cx, c);
    }
    cx.check()?;
    let cont = cont.expect("no errors means a container");
    Ok(expand(&cont))
}

/// The path of the runtime crate: `#[arraymodel(crate = "...")]`, else `::arraymodel`
/// (as serde's `#[serde(crate = "...")]`: reading the user's Cargo.toml to find a renamed
/// dependency would cost every derive user a TOML parser at build time).
pub fn crate_root(crate_path: Option<&syn::Path>) -> TokenStream {
    match crate_path {
        Some(p) => quote!(#p),
        None => quote!(::arraymodel),
    }
}

fn path_string(tokens: &TokenStream) -> String {
    tokens.to_string().replace(' ', "")
}

fn is_option(ty: &syn::Type) -> bool {
    last_segment(ty).is_some_and(|s| s.ident == "Option")
}

fn spec_tokens(p: &TokenStream, f: &Field<'_>, truss: bool) -> Option<TokenStream> {
    let default = crate::attr::ArrayAttr {
        span: proc_macro2::Span::call_site(),
        shape: None,
        dtype: None,
        differentiable: false,
        exact: None,
        form: None,
    };
    // ndarray fields are arrays even without #[array]; so is every array-holding
    // field of a truss-schema model (its schema differs from `Array`'s own).
    let a = match &f.attrs.array {
        Some(_) if f.form_only() => return None,
        Some(a) => a,
        None if is_ndarray(f.ty) => &default,
        None if truss && is_array_like(f.ty) && f.attrs.has_with.is_none() => &default,
        None => return None,
    };
    let shape = match &a.shape {
        None | Some(ShapeAttr::AnyRank) => quote!(#p::ShapeSpec::AnyRank),
        Some(ShapeAttr::Dims(dims)) => {
            let dims = dims.iter().map(|d| match d {
                DimAttr::Any => quote!(#p::Dim::Any),
                DimAttr::Fixed(n) => {
                    let n = *n as usize;
                    quote!(#p::Dim::Fixed(#n))
                }
            });
            quote!(#p::ShapeSpec::Dims(&[#(#dims),*]))
        }
    };
    let dtype = match &a.dtype {
        Some((name, _)) => {
            let info = arraymodel_spec::by_name(name).expect("checked in attr");
            let v = format_ident!("{}", info.variant);
            quote!(#p::std::option::Option::Some(#p::DType::#v))
        }
        None => quote!(#p::std::option::Option::None),
    };
    let casting = if a.exact.is_some() {
        quote!(#p::Casting::Exact)
    } else {
        quote!(#p::Casting::Tesseract)
    };
    let diff = a.differentiable;
    // A field that fixes its form publishes that form's schema.
    let truss = match a.form {
        Some((FormAttr::Truss, _)) => true,
        Some((FormAttr::Tesseract, _)) => false,
        Some((FormAttr::List | FormAttr::PydanticNumpy, _)) | None => truss,
    };
    let schema = if truss {
        quote!(#p::SchemaStyle::Truss)
    } else {
        quote!(#p::SchemaStyle::Tesseract)
    };
    Some(quote! {
        #p::ArraySpec { shape: #shape, dtype: #dtype, casting: #casting, differentiable: #diff, schema: #schema }
    })
}

/// Type text for messages: `Option<V>` rather than `Option < V >`.
fn type_text(ty: &syn::Type) -> String {
    let text = ty.to_token_stream().to_string();
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let next = chars.peek().copied();
        let prev = out.chars().last();
        let drop = c == ' '
            && (matches!(next, Some('<' | '>' | ',' | ':'))
                || matches!(prev, Some('<' | '&' | ':')));
        if !drop {
            out.push(c);
        }
    }
    out
}

/// Whether `tokens` name one of `params`.
fn mentions(tokens: TokenStream, params: &[&syn::Ident]) -> bool {
    tokens.into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(i) => params.iter().any(|p| **p == i),
        proc_macro2::TokenTree::Group(g) => mentions(g.stream(), params),
        _ => false,
    })
}

/// `#[array(dtype = ...)]` against the dtype the field's type fixes, through the type
/// system (`ArrayField::DTYPE`, see `arraymodel::model::field_dtype_conflict`), so
/// `type V = NdArray<f64>` with `dtype = "float32"` is a compile error like the
/// direct spelling. A type without the struct's generic parameters gets a `const _`
/// item (checked by `cargo check`); one with them an inline `const` block in the
/// conform function (checked when it is instantiated). Returns (items, statements).
fn dtype_assertions(
    cont: &Container<'_>,
    root: &TokenStream,
) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let params: Vec<&syn::Ident> = cont
        .generics
        .params
        .iter()
        .filter_map(|g| match g {
            GenericParam::Type(t) => Some(&t.ident),
            GenericParam::Const(c) => Some(&c.ident),
            GenericParam::Lifetime(_) => None,
        })
        .collect();
    let (mut items, mut stmts) = (Vec::new(), Vec::new());
    for f in &cont.fields {
        let Some((name, _)) = f.attrs.array.as_ref().and_then(|a| a.dtype.as_ref()) else {
            continue;
        };
        let Some(info) = arraymodel_spec::by_name(name) else {
            continue;
        };
        let ty = f.ty;
        let v = format_ident!("{}", info.variant);
        let field = f.ident.to_string();
        let field = field.strip_prefix("r#").unwrap_or(&field).to_owned();
        let text = type_text(ty);
        // `::core` written here, not through `#p`, so the panic carries the type's span.
        let check = quote_spanned! {ty.span()=>
            if let ::core::option::Option::Some(conflict) =
                #root::model::field_dtype_conflict::<#ty>(#root::DType::#v, #field, #text)
            {
                ::core::panic!("{}", conflict.message())
            }
        };
        if mentions(ty.to_token_stream(), &params) {
            stmts.push(quote_spanned!(ty.span()=> const { #check };));
        } else {
            items.push(quote_spanned!(ty.span()=> const _: () = { #check };));
        }
    }
    (items, stmts)
}

/// The statics behind one `#[check(...)]` (nested ones first); returns the name of the
/// outermost.
fn check_statics(
    p: &TokenStream,
    c: &CheckAttr,
    name: String,
    out: &mut Vec<TokenStream>,
) -> syn::Ident {
    let ident = format_ident!("{}", name);
    let num = |n: &Option<NumAttr>| match n {
        None => quote!(#p::std::option::Option::None),
        Some(NumAttr::Int(i)) => {
            let lit = proc_macro2::Literal::i128_unsuffixed(*i);
            quote!(#p::std::option::Option::Some(#p::Num::I(#lit)))
        }
        Some(NumAttr::Float(f)) => {
            let lit = proc_macro2::Literal::f64_unsuffixed(*f);
            quote!(#p::std::option::Option::Some(#p::Num::F(#lit)))
        }
    };
    let size = |n: &Option<usize>| match n {
        None => quote!(#p::std::option::Option::None),
        Some(n) => quote!(#p::std::option::Option::Some(#n)),
    };
    let nested =
        |inner: &Option<Box<CheckAttr>>, suffix: &str, out: &mut Vec<TokenStream>| match inner {
            None => quote!(#p::std::option::Option::None),
            Some(inner) => {
                let i = check_statics(p, inner, format!("{name}_{suffix}"), out);
                quote!(#p::std::option::Option::Some(&#i))
            }
        };
    let items = nested(&c.items, "ITEMS", out);
    let values = nested(&c.values, "VALUES", out);
    let keys = nested(&c.keys, "KEYS", out);
    let pattern = match &c.pattern {
        None => quote!(#p::std::option::Option::None),
        Some(text) => {
            let pi = format_ident!("{}_PATTERN", name);
            out.push(quote!(static #pi: #p::Pattern = #p::Pattern::new(#text);));
            quote!(#p::std::option::Option::Some(&#pi))
        }
    };
    let json_enum = match &c.json_enum {
        None => quote!(#p::std::option::Option::None),
        Some(text) => {
            let ei = format_ident!("{}_ENUM", name);
            out.push(quote!(static #ei: #p::JsonEnum = #p::JsonEnum::new(#text);));
            quote!(#p::std::option::Option::Some(&#ei))
        }
    };
    let (minimum, maximum) = (num(&c.minimum), num(&c.maximum));
    let (exclusive_minimum, exclusive_maximum) =
        (num(&c.exclusive_minimum), num(&c.exclusive_maximum));
    let multiple_of = num(&c.multiple_of);
    let (min_length, max_length) = (size(&c.min_length), size(&c.max_length));
    let (min_items, max_items) = (size(&c.min_items), size(&c.max_items));
    let (min_properties, max_properties) = (size(&c.min_properties), size(&c.max_properties));
    let unique_items = c.unique_items;
    let required_keys = c.required_keys.iter().flatten();
    out.push(quote! {
        static #ident: #p::Constraints = #p::Constraints {
            minimum: #minimum,
            maximum: #maximum,
            exclusive_minimum: #exclusive_minimum,
            exclusive_maximum: #exclusive_maximum,
            multiple_of: #multiple_of,
            min_length: #min_length,
            max_length: #max_length,
            pattern: #pattern,
            min_items: #min_items,
            max_items: #max_items,
            unique_items: #unique_items,
            min_properties: #min_properties,
            max_properties: #max_properties,
            required_keys: &[#(#required_keys),*],
            json_enum: #json_enum,
            items: #items,
            values: #values,
            keys: #keys,
        };
    });
    ident
}

fn expand(cont: &Container<'_>) -> TokenStream {
    let root = crate_root(cont.attrs.crate_path.as_ref());
    let p = quote!(#root::__private);
    let truss = cont.attrs.truss_schema;
    let serde_path = format!("{}::__private::serde", path_string(&root));
    let name = cont.ident;
    let (impl_generics, ty_generics, where_clause) = cont.generics.split_for_impl();
    let remote = format_ident!("__ArrayModelRemote");
    let remote_str = name.to_string();
    let generics_decl = &cont.generics.params;
    let type_params: Vec<_> = cont
        .generics
        .params
        .iter()
        .filter_map(|g| match g {
            GenericParam::Type(t) => Some(&t.ident),
            _ => None,
        })
        .collect();
    let preds = where_clause.map(|w| &w.predicates);
    let bounded = |bound: TokenStream| {
        let extra = type_params.iter().map(|t| quote!(#t: #bound));
        let existing = preds.iter();
        quote!(where #(#existing,)* #(#extra,)*)
    };
    let ser_where = bounded(quote!(#p::serde::Serialize));
    let de_where = bounded(quote!(#p::serde::de::DeserializeOwned));
    let schema_where = bounded(quote!(#p::schemars::JsonSchema));
    // `MaybeJsonSchema` is `JsonSchema` with the runtime's `schema` feature, nothing without.
    let model_where = bounded(
        quote!(#p::serde::Serialize + #p::serde::de::DeserializeOwned + #p::MaybeJsonSchema),
    );

    // The serde mirror: same fields and serde attributes, plus `with` for bytes and
    // ndarray fields and `serialize_with` for fields that fix their arrays' form.
    let container_serde = &cont.attrs.serde;
    let remote_fields = cont.fields.iter().map(|f| {
        let ident = f.ident;
        let ty = f.ty;
        let serde_attrs = &f.attrs.serde;
        let form = f.attrs.array.as_ref().and_then(|a| a.form);
        let with = if let Some((form, _)) = form {
            let path = format!(
                "{}::__private::form::{}",
                path_string(&root),
                form.function()
            );
            Some(quote!(#[serde(serialize_with = #path)]))
        } else if f.attrs.bytes.is_some() {
            let module = if is_option(ty) {
                "bytes::option"
            } else {
                "bytes"
            };
            let path = format!("{}::{module}", path_string(&root));
            Some(quote!(#[serde(with = #path)]))
        } else if is_ndarray(ty) {
            let path = format!("{}::ndarray_serde", path_string(&root));
            Some(quote!(#[serde(with = #path)]))
        } else {
            None
        };
        quote!(#(#serde_attrs)* #with #ident: #ty)
    });

    let (dtype_items, dtype_stmts) = dtype_assertions(cont, &root);

    // Constraint checks on decode.
    let conform = cont.fields.iter().filter_map(|f| {
        let spec = spec_tokens(&p, f, truss)?;
        let ident = f.ident;
        let wire = &f.wire_name;
        Some(quote! {
            {
                const SPEC: #p::ArraySpec = #spec;
                #p::ArrayField::conform(&mut self.#ident, &SPEC).map_err(|e| e.at_field(#wire))?;
            }
        })
    });

    // Value constraints (`#[check(...)]`), on decode and in `conform`.
    let checks = cont.fields.iter().filter_map(|f| {
        let c = f.attrs.check.as_ref()?;
        let mut statics = Vec::new();
        let top = check_statics(&p, c, "__CHECK".to_owned(), &mut statics);
        let ident = f.ident;
        let wire = &f.wire_name;
        Some(quote! {
            {
                #(#statics)*
                #p::check(&self.#ident, &#top).map_err(|e| e.at_field(#wire))?;
            }
        })
    });

    let field_infos = cont.fields.iter().map(|f| {
        let rust = f.ident.to_string();
        let rust = rust.strip_prefix("r#").unwrap_or(&rust).to_owned();
        let wire = &f.wire_name;
        let array = match spec_tokens(&p, f, truss) {
            Some(s) => quote!(#p::std::option::Option::Some(#s)),
            None => quote!(#p::std::option::Option::None),
        };
        let bytes = f.attrs.bytes.is_some();
        let desc = match &f.attrs.docs {
            Some(d) => quote!(#p::std::option::Option::Some(#d)),
            None => quote!(#p::std::option::Option::None),
        };
        quote!(#p::FieldInfo { name: #rust, wire_name: #wire, array: #array, bytes: #bytes, description: #desc })
    });

    // JSON Schema, in pydantic's shape: properties with titles and descriptions.
    let props = cont.fields.iter().filter(|f| !(f.attrs.skip_serializing && f.attrs.skip_deserializing)).map(|f| {
        let ty = f.ty;
        let wire = &f.wire_name;
        let title = title(wire);
        let schema = if let Some(spec) = spec_tokens(&p, f, truss) {
            quote!({
                const SPEC: #p::ArraySpec = #spec;
                <#ty as #p::ArrayField>::array_schema(generator, &SPEC).to_value()
            })
        } else if f.attrs.bytes.is_some() {
            let base = quote!(#p::serde_json::json!({"type": "string", "format": "binary", "contentMediaType": "application/octet-stream"}));
            if is_option(ty) {
                quote!(#p::serde_json::json!({"anyOf": [#base, {"type": "null"}]}))
            } else {
                base
            }
        } else {
            quote!(generator.subschema_for::<#ty>().to_value())
        };
        let desc = f.attrs.docs.as_ref().map(|d| {
            quote!(obj.insert(#p::std::string::String::from("description"), #p::serde_json::Value::from(#d));)
        });
        let required = !is_option(ty) && !f.attrs.has_default && !f.attrs.skip_deserializing && !cont.attrs.has_default;
        quote! {
            {
                let mut value: #p::serde_json::Value = #schema;
                if let #p::std::option::Option::Some(obj) = value.as_object_mut() {
                    obj.entry("title").or_insert_with(|| #p::serde_json::Value::from(#title));
                    #desc
                }
                properties.insert(#p::std::string::String::from(#wire), value);
                if #required {
                    required.push(#p::serde_json::Value::from(#wire));
                }
            }
        }
    });
    let schema_title = cont
        .attrs
        .rename
        .clone()
        .unwrap_or_else(|| name.to_string());
    let schema_name = if type_params.is_empty() {
        quote!(#p::std::borrow::Cow::Borrowed(#schema_title))
    } else {
        quote!(#p::std::borrow::Cow::Owned({
            let mut n = #p::std::string::String::from(#schema_title);
            #( n.push('_'); n.push_str(&<#type_params as #p::schemars::JsonSchema>::schema_name()); )*
            n
        }))
    };
    let container_desc = cont.attrs.docs.as_ref().map(|d| {
        quote!(schema.insert(#p::std::string::String::from("description"), #p::serde_json::Value::from(#d));)
    });
    let additional = cont.attrs.deny_unknown_fields.then(|| {
        quote!(schema.insert(#p::std::string::String::from("additionalProperties"), #p::serde_json::Value::Bool(false));)
    });

    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, unused_attributes, unused_qualifications, clippy::all)]
        const _: () = {
            #(#dtype_items)*

            #[derive(#p::serde::Serialize, #p::serde::Deserialize)]
            #[serde(crate = #serde_path, remote = #remote_str)]
            #(#container_serde)*
            struct #remote <#generics_decl> #where_clause {
                #(#remote_fields,)*
            }

            #[automatically_derived]
            impl #impl_generics #p::serde::Serialize for #name #ty_generics #ser_where {
                fn serialize<__S>(&self, serializer: __S) -> #p::std::result::Result<__S::Ok, __S::Error>
                where
                    __S: #p::serde::Serializer,
                {
                    <#remote #ty_generics>::serialize(self, serializer)
                }
            }

            #[automatically_derived]
            impl<'de, #generics_decl> #p::serde::Deserialize<'de> for #name #ty_generics #de_where {
                fn deserialize<__D>(deserializer: __D) -> #p::std::result::Result<Self, __D::Error>
                where
                    __D: #p::serde::Deserializer<'de>,
                {
                    // A model is a map on the wire, never a list of its fields (serde's
                    // derive would take either).
                    let mut value: Self = <#remote #ty_generics>::deserialize(#p::MapsOnly(deserializer))?;
                    value.__arraymodel_conform().map_err(#p::de_error::<__D::Error>)?;
                    #p::std::result::Result::Ok(value)
                }
            }

            #[automatically_derived]
            impl #impl_generics #name #ty_generics #where_clause {
                #[doc(hidden)]
                fn __arraymodel_conform(&mut self) -> #p::Result<()> {
                    #(#dtype_stmts)*
                    #(#conform)*
                    #(#checks)*
                    #p::std::result::Result::Ok(())
                }
            }

            #[automatically_derived]
            impl #impl_generics #p::ArrayModel for #name #ty_generics #model_where {
                const FIELDS: &'static [#p::FieldInfo] = &[#(#field_infos),*];

                fn conform(&mut self) -> #p::Result<()> {
                    self.__arraymodel_conform()
                }
            }

            // Only with the runtime's `schema` feature (the gate drops it otherwise).
            #p::schema_items! {
            #[automatically_derived]
            impl #impl_generics #p::schemars::JsonSchema for #name #ty_generics #schema_where {
                fn schema_name() -> #p::std::borrow::Cow<'static, str> {
                    #schema_name
                }

                fn json_schema(generator: &mut #p::schemars::SchemaGenerator) -> #p::schemars::Schema {
                    let mut properties = #p::serde_json::Map::new();
                    let mut required: #p::std::vec::Vec<#p::serde_json::Value> = #p::std::vec::Vec::new();
                    #(#props)*
                    let mut schema = #p::serde_json::Map::new();
                    schema.insert(#p::std::string::String::from("properties"), #p::serde_json::Value::Object(properties));
                    schema.insert(#p::std::string::String::from("type"), #p::serde_json::Value::from("object"));
                    schema.insert(#p::std::string::String::from("required"), #p::serde_json::Value::Array(required));
                    schema.insert(#p::std::string::String::from("title"), #p::serde_json::Value::from(#schema_title));
                    #additional
                    #container_desc
                    #p::schemars::Schema::from(schema)
                }
            }
            }
        };
    }
}
