//! Type space -> Rust tokens.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use crate::convert::DTYPES;
use crate::ir::{ArraySpec, Check, Def, Family, Field, Int, Kind, Struct, Ty, Variant};
use crate::names;

/// What the emitted code names.
pub(crate) struct Paths {
    /// The runtime crate (`::arraymodel`).
    pub krate: TokenStream,
    /// Map type for maps that hold no arrays.
    pub map: TokenStream,
    /// Derives added to every generated struct and enum (`Generator::derive`).
    pub derives: Vec<TokenStream>,
}

pub(crate) struct Emitter<'a> {
    pub defs: &'a [Def],
    pub paths: &'a Paths,
}

pub(crate) fn ident(s: &str) -> Ident {
    match s.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(s, Span::call_site()),
    }
}

/// Markdown-safe doc text: no accidental code blocks, links or HTML.
pub(crate) fn doc_attrs(lines: &[String]) -> TokenStream {
    let mut out = TokenStream::new();
    let lines: Vec<String> = lines.iter().map(|l| escape_doc(l)).collect();
    let start = lines
        .iter()
        .position(|l| !l.is_empty())
        .unwrap_or(lines.len());
    let end = lines
        .iter()
        .rposition(|l| !l.is_empty())
        .map_or(start, |e| e + 1);
    for l in &lines[start..end] {
        let text = if l.is_empty() {
            String::new()
        } else {
            format!(" {l}")
        };
        out.extend(quote!(#[doc = #text]));
    }
    out
}

fn escape_doc(line: &str) -> String {
    let line = line.trim_end();
    let ticks = line.matches('`').count();
    // Unbalanced backticks or a fence: escape every backtick.
    let literal_ticks = ticks % 2 == 1 || line.contains("```");
    let mut out = String::with_capacity(line.len());
    // The length of the backtick run that opened the current code span.
    let mut code: Option<usize> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '`' if literal_ticks => out.push_str("\\`"),
            '`' => {
                let mut n = 1;
                while chars.peek() == Some(&'`') {
                    chars.next();
                    n += 1;
                }
                code = match code {
                    None => Some(n),
                    Some(open) if open == n => None,
                    other => other,
                };
                out.extend(std::iter::repeat_n('`', n));
            }
            '\\' | '[' | ']' | '<' | '>' if code.is_none() => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

impl Emitter<'_> {
    pub fn ty(&self, t: &Ty, prefix: &TokenStream) -> TokenStream {
        let k = &self.paths.krate;
        match t {
            Ty::Array(_) => quote!(#k::Array),
            Ty::Bytes => quote!(Vec<u8>),
            Ty::String => quote!(String),
            Ty::Bool => quote!(bool),
            Ty::Int(i) => match i {
                Int::I8 => quote!(i8),
                Int::I16 => quote!(i16),
                Int::I32 => quote!(i32),
                Int::I64 => quote!(i64),
                Int::U8 => quote!(u8),
                Int::U16 => quote!(u16),
                Int::U32 => quote!(u32),
                Int::U64 => quote!(u64),
            },
            Ty::F32 => quote!(f32),
            Ty::F64 => quote!(f64),
            Ty::Null => quote!(()),
            Ty::Value => quote!(#k::serde_json::Value),
            // One of the generator's own fixed paths (it parses).
            Ty::Extern(path) => syn::parse_str::<syn::Type>(path)
                .map(|t| quote!(#t))
                .unwrap_or_else(|_| quote!(String)),
            Ty::Named(id) => {
                let n = ident(&self.defs[*id].name);
                quote!(#prefix #n)
            }
            Ty::Option(t) => {
                let t = self.ty(t, prefix);
                quote!(Option<#t>)
            }
            Ty::Vec(t) => {
                let t = self.ty(t, prefix);
                quote!(Vec<#t>)
            }
            Ty::Map(t) => {
                let inner = self.ty(t, prefix);
                if t.contains_array() {
                    quote!(::std::collections::BTreeMap<String, #inner>)
                } else {
                    let m = &self.paths.map;
                    quote!(#m<String, #inner>)
                }
            }
            Ty::Tuple(ts) => {
                let ts = ts.iter().map(|t| self.ty(t, prefix));
                quote!((#(#ts,)*))
            }
            Ty::Box(t) => {
                let t = self.ty(t, prefix);
                quote!(Box<#t>)
            }
        }
    }

    /// A Rust expression for a schema default, if it can be written without a
    /// fallible conversion.
    pub fn default_expr(&self, t: &Ty, v: &Value) -> Option<TokenStream> {
        let k = &self.paths.krate;
        let sup = quote!(super::);
        Some(match (t, v) {
            (Ty::Array(spec), v) => return array_default(k, spec, v),
            (Ty::Bytes, Value::String(s)) => {
                let lit = Literal::byte_string(s.as_bytes());
                quote!(#lit.to_vec())
            }
            (Ty::String, Value::String(s)) => quote!(#s.to_owned()),
            (Ty::Bool, Value::Bool(b)) => quote!(#b),
            (Ty::Int(i), v) => int_literal(*i, v)?,
            (Ty::F32, Value::Number(n)) => {
                let f = n.as_f64()? as f32;
                if !f.is_finite() {
                    return None;
                }
                let lit = Literal::f32_suffixed(f);
                quote!(#lit)
            }
            (Ty::F64, Value::Number(n)) => {
                let f = n.as_f64()?;
                if !f.is_finite() {
                    return None;
                }
                let lit = Literal::f64_suffixed(f);
                quote!(#lit)
            }
            (Ty::Null, Value::Null) => quote!(()),
            (Ty::Value, v) => {
                let text = serde_json::to_string(v).ok()?;
                quote!(#k::serde_json::from_str(#text).unwrap_or_default())
            }
            (Ty::Option(_), Value::Null) => quote!(None),
            (Ty::Option(t), v) => {
                let e = self.default_expr(t, v)?;
                quote!(Some(#e))
            }
            (Ty::Box(t), v) => {
                let e = self.default_expr(t, v)?;
                quote!(Box::new(#e))
            }
            (Ty::Vec(t), Value::Array(items)) => {
                let es = items
                    .iter()
                    .map(|i| self.default_expr(t, i))
                    .collect::<Option<Vec<_>>>()?;
                if es.is_empty() {
                    quote!(Vec::new())
                } else {
                    quote!(vec![#(#es),*])
                }
            }
            (Ty::Map(t), Value::Object(m)) => {
                let es = m
                    .iter()
                    .map(|(key, i)| {
                        self.default_expr(t, i)
                            .map(|e| quote!((#key.to_owned(), #e)))
                    })
                    .collect::<Option<Vec<_>>>()?;
                quote!([#(#es),*].into_iter().collect())
            }
            (Ty::Tuple(ts), Value::Array(items)) if ts.len() == items.len() => {
                let es = ts
                    .iter()
                    .zip(items)
                    .map(|(t, i)| self.default_expr(t, i))
                    .collect::<Option<Vec<_>>>()?;
                quote!((#(#es,)*))
            }
            (Ty::Named(id), v) => match &self.defs[*id].kind {
                Kind::StringEnum(variants) => {
                    let s = v.as_str()?;
                    let var = variants.iter().find(|x| x.wire == s)?;
                    let n = ident(&self.defs[*id].name);
                    let vi = ident(&var.ident);
                    quote!(#sup #n::#vi)
                }
                Kind::Alias(inner) => return self.default_expr(inner, v),
                _ => return None,
            },
            _ => return None,
        })
    }

    pub fn defs(&self, default_fns: &mut Vec<TokenStream>) -> TokenStream {
        let mut out = TokenStream::new();
        for def in self.defs {
            out.extend(self.def(def, default_fns));
        }
        out
    }

    /// Whether a value of `t` may hold an array or bytes, through any named type.
    fn holds_binary(&self, t: &Ty, seen: &mut Vec<bool>) -> bool {
        match t {
            Ty::Array(_) | Ty::Bytes => true,
            Ty::Option(t) | Ty::Vec(t) | Ty::Map(t) | Ty::Box(t) => self.holds_binary(t, seen),
            Ty::Tuple(ts) => ts.iter().any(|t| self.holds_binary(t, seen)),
            Ty::Named(id) => {
                if seen.get(*id).copied().unwrap_or(true) {
                    return false;
                }
                seen[*id] = true;
                match &self.defs[*id].kind {
                    Kind::Struct(s) => {
                        s.fields.iter().any(|f| self.holds_binary(&f.ty, seen))
                            || s.extra.as_ref().is_some_and(|t| self.holds_binary(t, seen))
                    }
                    Kind::Alias(t) | Kind::Newtype(t) => self.holds_binary(t, seen),
                    Kind::Tagged { variants, .. } | Kind::Untagged(variants) => variants
                        .iter()
                        .filter_map(|v| v.ty.as_ref())
                        .any(|t| self.holds_binary(t, seen)),
                    // A user's type may hold anything.
                    Kind::External(..) => true,
                    Kind::StringEnum(_) | Kind::Pending => false,
                }
            }
            _ => false,
        }
    }

    /// The wire names of the properties of the struct `ty` names, when it names a
    /// struct that takes no other keys (`additionalProperties` makes it take any).
    fn struct_keys(&self, ty: Option<&Ty>) -> Option<Vec<&str>> {
        let Some(Ty::Named(id)) = ty else { return None };
        match &self.defs.get(*id)?.kind {
            Kind::Struct(s) if s.extra.is_none() => {
                Some(s.fields.iter().map(|f| f.wire.as_str()).collect())
            }
            _ => None,
        }
    }

    /// `Deserialize` for an untagged union of several object schemas: serde's
    /// `untagged` takes the first variant that accepts the value, and a struct accepts
    /// (and drops) keys it does not know, so `anyOf: [{a}, {a, b}]` read `{a, b}` as the
    /// first and lost `b`. First the variants that declare every key the value has are
    /// tried, in order, then the others.
    fn untagged_objects_de(&self, name: &str, variants: &[Variant]) -> TokenStream {
        let k = &self.paths.krate;
        let none = quote!();
        let n = ident(name);
        let message = format!("data did not match any variant of untagged enum {name}");
        let tries = variants.iter().filter_map(|v| {
            let t = v.ty.as_ref()?;
            let vi = ident(&v.ident);
            let ty = self.ty(&without_bytes(t), &none);
            // No closures spanning lines: rustfmt would brace their bodies, and the
            // formatted source must keep the tokens (see `compare`).
            let knows_all = match self.struct_keys(Some(t)) {
                Some(known) => quote! {
                    let known: &[&str] = &[#(#known),*];
                    let knows_all = keys.iter().all(|k| known.contains(k));
                },
                None => quote!(let knows_all = false;),
            };
            Some(quote! {
                #knows_all
                if knows_all == fits {
                    let read = <#ty as #k::serde::Deserialize>::deserialize(&__value);
                    if let Ok(v) = read {
                        return ::std::result::Result::Ok(#n::#vi(v));
                    }
                }
            })
        });
        quote! {
            impl<'de> #k::serde::Deserialize<'de> for #n {
                fn deserialize<__D: #k::serde::Deserializer<'de>>(
                    deserializer: __D,
                ) -> ::std::result::Result<Self, __D::Error> {
                    let __value =
                        <#k::serde_json::Value as #k::serde::Deserialize>::deserialize(deserializer)?;
                    let mut keys: ::std::vec::Vec<&str> = ::std::vec::Vec::new();
                    if let #k::serde_json::Value::Object(o) = &__value {
                        keys.extend(o.keys().map(::std::string::String::as_str));
                    }
                    // The variants that know every key first (the reading that drops
                    // nothing), then the others, each in the schema's order.
                    for fits in [true, false] {
                        #(#tries)*
                    }
                    let message = #message;
                    ::std::result::Result::Err(<__D::Error as #k::serde::de::Error>::custom(message))
                }
            }
        }
    }

    /// The user's extra derives (`Generator::derive`) not already derived here (`copy`:
    /// string enums, which derive `Copy, Eq, Hash` themselves).
    fn more_derives(&self, copy: bool) -> Vec<&TokenStream> {
        let have: &[&str] = if copy {
            &["Copy", "Eq", "Hash", "Debug", "Clone", "PartialEq"]
        } else {
            &["Debug", "Clone", "PartialEq"]
        };
        self.paths
            .derives
            .iter()
            .filter(|d| !have.contains(&d.to_string().replace(' ', "").as_str()))
            .collect()
    }

    fn helper_derives(&self, copy: bool) -> TokenStream {
        self.helper_derives_with(copy, true)
    }

    /// The derives of generated enums and newtypes; without `Deserialize` when it is
    /// written by hand (`deserialize: false`).
    fn helper_derives_with(&self, copy: bool, deserialize: bool) -> TokenStream {
        let k = &self.paths.krate;
        let serde_path = format!("{}::serde", tokens_path(k));
        let schemars_path = format!("{}::schemars", tokens_path(k));
        let extra = if copy {
            quote!(Copy, Eq, Hash,)
        } else {
            quote!()
        };
        let more = self.more_derives(copy);
        let de = deserialize.then(|| quote!(#k::serde::Deserialize,));
        quote! {
            #[derive(
                #k::serde::Serialize,
                #de
                #k::schemars::JsonSchema,
                Debug, Clone, #extra PartialEq
                #(, #more)*
            )]
            #[serde(crate = #serde_path)]
            #[schemars(crate = #schemars_path)]
        }
    }

    fn def(&self, def: &Def, default_fns: &mut Vec<TokenStream>) -> TokenStream {
        let name = ident(&def.name);
        let mut doc = def.doc.clone();
        if !doc.is_empty() {
            doc.push(String::new());
        }
        doc.push(format!("Generated from `{}`.", def.source));
        let docs = doc_attrs(&doc);
        let k = &self.paths.krate;
        let none = quote!();
        match &def.kind {
            Kind::Pending => quote!(),
            Kind::External(path, params) => {
                let p: TokenStream = path.parse().unwrap_or_default();
                let params: Vec<TokenStream> = params.iter().map(|t| self.ty(t, &none)).collect();
                let args = (!params.is_empty()).then(|| quote!(<#(#params),*>));
                quote! { #docs pub type #name = #p #args; }
            }
            Kind::Alias(t) => {
                let t = self.ty(t, &none);
                quote! { #docs pub type #name = #t; }
            }
            Kind::Newtype(t) => {
                let derives = self.helper_derives(false);
                let t = self.ty(t, &none);
                quote! {
                    #docs
                    #derives
                    #[serde(transparent)]
                    pub struct #name(pub #t);
                }
            }
            Kind::Struct(s) => {
                let (fields, inits) = self.fields(def, s, default_fns);
                // `Default` when every field has one (the schema's `default`, or absent
                // is `None`/empty), unless the user derives it.
                let user_default = self.paths.derives.iter().any(|d| {
                    let d = d.to_string().replace(' ', "");
                    d == "Default" || d.ends_with("::Default")
                });
                let inits = inits.filter(|_| !user_default);
                // All `Default::default()`: derived (clippy's `derivable_impls`).
                let plain = quote!(::std::default::Default::default()).to_string();
                let derivable = inits
                    .as_ref()
                    .is_some_and(|i| i.iter().all(|t| t.to_string().ends_with(&plain)));
                let derive_default = derivable.then(|| quote!(, Default));
                let default_impl = inits.filter(|_| !derivable).map(|inits| {
                    quote! {
                        impl ::std::default::Default for #name {
                            fn default() -> Self {
                                Self { #(#inits,)* }
                            }
                        }
                    }
                });
                let deny = s
                    .deny_unknown
                    .then(|| quote!(#[serde(deny_unknown_fields)]));
                // The derive names `::arraymodel` unless told (as serde's `crate`).
                let more = self.more_derives(false);
                let krate = tokens_path(k);
                let krate_attr = (krate != "::arraymodel" && krate != "arraymodel")
                    .then(|| quote!(#[arraymodel(crate = #krate)]));
                quote! {
                    #docs
                    #[derive(#k::ArrayModel, Debug, Clone, PartialEq #derive_default #(, #more)*)]
                    #krate_attr
                    #deny
                    pub struct #name {
                        #fields
                    }
                    #default_impl
                }
            }
            Kind::StringEnum(variants) => {
                let derives = self.helper_derives(true);
                let vs = variants.iter().map(|v| {
                    let vi = ident(&v.ident);
                    let wire = &v.wire;
                    quote!(#[serde(rename = #wire)] #vi,)
                });
                // The wire names decide the variants' names; clippy's complaint that they
                // share a word is about names nobody chose here.
                let allow =
                    shared_word(variants).then(|| quote!(#[allow(clippy::enum_variant_names)]));
                let idents: Vec<_> = variants.iter().map(|v| ident(&v.ident)).collect();
                let wires: Vec<&str> = variants.iter().map(|v| v.wire.as_str()).collect();
                let unknown = format!("not a {}: {{s:?}}", def.name);
                // Tables, not matches: rustfmt may wrap a long match arm in braces, and the
                // formatted source must keep the tokens (see `compare`).
                quote! {
                    #docs
                    #derives
                    #allow
                    pub enum #name { #(#vs)* }
                    impl #name {
                        /// Every variant, in the schema's order.
                        pub const ALL: &'static [Self] = &[#(Self::#idents),*];
                        /// The wire names, in the same order.
                        pub const WIRE_NAMES: &'static [&'static str] = &[#(#wires),*];
                        /// The name on the wire.
                        pub fn as_str(self) -> &'static str {
                            Self::WIRE_NAMES[self as usize]
                        }
                    }
                    impl ::std::fmt::Display for #name {
                        fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                            f.write_str(self.as_str())
                        }
                    }
                    impl ::std::str::FromStr for #name {
                        type Err = String;
                        /// The variant whose wire name is `s`.
                        fn from_str(s: &str) -> ::std::result::Result<Self, String> {
                            for (i, w) in Self::WIRE_NAMES.iter().enumerate() {
                                if *w == s {
                                    return Ok(Self::ALL[i]);
                                }
                            }
                            Err(format!(#unknown))
                        }
                    }
                }
            }
            Kind::Tagged { tag, variants } => {
                let derives = self.helper_derives(false);
                let vs = self.variants(variants, true);
                quote! {
                    #docs
                    #derives
                    #[serde(tag = #tag)]
                    #[allow(clippy::large_enum_variant, clippy::enum_variant_names)]
                    pub enum #name { #vs }
                }
            }
            Kind::Untagged(variants) => {
                let vs = self.variants(variants, false);
                let objects = variants
                    .iter()
                    .filter(|v| self.struct_keys(v.ty.as_ref()).is_some())
                    .count();
                // The hand-written reading buffers the value as JSON, which cannot hold
                // msgpack's binary data: unions that may hold arrays or bytes keep serde's.
                let binary = variants
                    .iter()
                    .filter_map(|v| v.ty.as_ref())
                    .any(|t| self.holds_binary(t, &mut vec![false; self.defs.len()]));
                if objects < 2 || binary {
                    let derives = self.helper_derives(false);
                    return quote! {
                        #docs
                        #derives
                        #[serde(untagged)]
                        #[allow(clippy::large_enum_variant, clippy::enum_variant_names)]
                        pub enum #name { #vs }
                    };
                }
                let derives = self.helper_derives_with(false, false);
                let de = self.untagged_objects_de(&def.name, variants);
                quote! {
                    #docs
                    #derives
                    #[serde(untagged)]
                    #[allow(clippy::large_enum_variant, clippy::enum_variant_names)]
                    pub enum #name { #vs }
                    #de
                }
            }
        }
    }

    fn variants(&self, variants: &[Variant], tagged: bool) -> TokenStream {
        let none = quote!();
        let mut out = TokenStream::new();
        for v in variants {
            let vi = ident(&v.ident);
            let docs = doc_attrs(&v.doc);
            let rename = tagged.then(|| {
                let w = &v.wire;
                quote!(#[serde(rename = #w)])
            });
            let payload = v.ty.as_ref().map(|t| {
                // Bytes outside a struct field have no `#[bytes]`: carry them as text.
                let t = if matches!(t, Ty::Bytes) {
                    Ty::String
                } else {
                    t.clone()
                };
                let t = self.ty(&without_bytes(&t), &none);
                quote!((#t))
            });
            out.extend(quote!(#docs #rename #vi #payload,));
        }
        out
    }

    /// The fields, and each field's value in `Default::default()` (`None` when some
    /// field has none: it is required).
    fn fields(
        &self,
        def: &Def,
        s: &Struct,
        default_fns: &mut Vec<TokenStream>,
    ) -> (TokenStream, Option<Vec<TokenStream>>) {
        let none = quote!();
        let mut out = TokenStream::new();
        let mut inits = Some(Vec::new());
        let mut taken: Vec<String> = s.fields.iter().map(|f| f.ident.clone()).collect();
        for f in &s.fields {
            let (tokens, init) = self.field(def, f, default_fns, &none);
            out.extend(tokens);
            let n = ident(&f.ident);
            match (init, &mut inits) {
                (Some(v), Some(list)) => list.push(quote!(#n: #v)),
                _ => inits = None,
            }
        }
        if let Some(extra) = &s.extra {
            let mut base = "extra".to_owned();
            while taken.contains(&base) {
                base.push('_');
            }
            taken.push(base.clone());
            let n = ident(&base);
            let t = self.ty(&Ty::Map(Box::new(without_bytes(extra))), &none);
            out.extend(quote! {
                /// Properties not listed above (`additionalProperties`).
                #[serde(flatten)]
                pub #n: #t,
            });
            if let Some(list) = &mut inits {
                list.push(quote!(#n: ::std::default::Default::default()));
            }
        }
        (out, inits)
    }

    fn field(
        &self,
        def: &Def,
        f: &Field,
        default_fns: &mut Vec<TokenStream>,
        none: &TokenStream,
    ) -> (TokenStream, Option<TokenStream>) {
        let docs = doc_attrs(&f.doc);
        let mut init = None;
        let n = ident(&f.ident);
        let bytes = f.ty.is_bytes_field();
        let ty = if bytes {
            f.ty.clone()
        } else {
            without_bytes(&f.ty)
        };
        let t = self.ty(&ty, none);
        let mut attrs = TokenStream::new();
        if let Some(spec) = ty.array_field() {
            attrs.extend(array_attr(spec));
        }
        if bytes {
            attrs.extend(quote!(#[bytes]));
        }
        if let Some(c) = &f.check {
            let parts = check_parts(c);
            attrs.extend(quote!(#[check(#(#parts),*)]));
        }
        let plain = f.ident.strip_prefix("r#").unwrap_or(&f.ident);
        let mut serde = Vec::new();
        if plain != f.wire {
            let w = &f.wire;
            serde.push(quote!(rename = #w));
        }
        if matches!((&ty, &f.default), (Ty::Null, Some(Value::Null))) {
            // `()` is its own default: no function (clippy's `unused_unit`).
            serde.push(quote!(default));
            init = Some(quote!(()));
        } else if let Some(v) = &f.default {
            if let Some(expr) = self.default_expr(&ty, v) {
                let fn_name = format!(
                    "{}_{}",
                    names::field_name(&def.name),
                    plain.trim_end_matches('_')
                );
                let fn_ident = format_ident!("{}", fn_name);
                let ret = self.ty(&ty, &quote!(super::));
                let fdoc = doc_attrs(&[format!("Default of `{}::{}`.", def.name, plain)]);
                default_fns.push(quote! {
                    #fdoc
                    pub fn #fn_ident() -> #ret { #expr }
                });
                let path = format!("defaults::{fn_name}");
                serde.push(quote!(default = #path));
                init = Some(quote!(defaults::#fn_ident()));
            }
        } else if f.default_empty {
            serde.push(quote!(default));
            init = Some(quote!(::std::default::Default::default()));
        }
        if f.required_nullable {
            serde.push(quote!(deserialize_with = "nullable::required"));
        }
        if f.optional_nullable {
            serde.push(quote!(deserialize_with = "nullable::present"));
        }
        if f.skip_none {
            serde.push(quote!(skip_serializing_if = "Option::is_none"));
        }
        if !serde.is_empty() {
            attrs.extend(quote!(#[serde(#(#serde),*)]));
        }
        let tokens = quote! {
            #docs
            #attrs
            pub #n: #t,
        };
        (tokens, init)
    }
}

/// Whether every variant's name starts, or every one ends, with the same CamelCase word
/// (clippy's `enum_variant_names`).
fn shared_word(variants: &[Variant]) -> bool {
    fn words(s: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut start = 0;
        for (i, c) in s.char_indices().skip(1) {
            if c.is_ascii_uppercase() {
                out.push(&s[start..i]);
                start = i;
            }
        }
        out.push(&s[start..]);
        out
    }
    if variants.len() < 2 {
        return false;
    }
    let all: Vec<Vec<&str>> = variants.iter().map(|v| words(&v.ident)).collect();
    let firsts: Vec<&str> = all.iter().filter(|w| w.len() > 1).map(|w| w[0]).collect();
    let lasts: Vec<&str> = all
        .iter()
        .filter(|w| w.len() > 1)
        .map(|w| w[w.len() - 1])
        .collect();
    let one = |xs: &[&str]| xs.len() == all.len() && xs.windows(2).all(|p| p[0] == p[1]);
    one(&firsts) || one(&lasts)
}

/// Bytes nested in lists, maps or tuples cannot take `#[bytes]`; they are kept
/// as `String` (pydantic writes bytes as UTF-8 text in JSON).
pub(crate) fn without_bytes(t: &Ty) -> Ty {
    match t {
        Ty::Bytes => Ty::String,
        Ty::Option(i) => Ty::Option(Box::new(without_bytes(i))),
        Ty::Vec(i) => Ty::Vec(Box::new(without_bytes(i))),
        Ty::Map(i) => Ty::Map(Box::new(without_bytes(i))),
        Ty::Box(i) => Ty::Box(Box::new(without_bytes(i))),
        Ty::Tuple(ts) => Ty::Tuple(ts.iter().map(without_bytes).collect()),
        other => other.clone(),
    }
}

/// The keys of `#[check(...)]` for `c`.
fn check_parts(c: &Check) -> Vec<TokenStream> {
    let mut parts = Vec::new();
    let num = |n: &serde_json::Number| -> TokenStream {
        if let Some(i) = n.as_i64() {
            let lit = proc_macro2::Literal::i128_unsuffixed(i128::from(i).abs());
            return if i < 0 { quote!(-#lit) } else { quote!(#lit) };
        }
        if let Some(u) = n.as_u64() {
            let lit = proc_macro2::Literal::u64_unsuffixed(u);
            return quote!(#lit);
        }
        let f = n.as_f64().unwrap_or(0.0);
        let lit = proc_macro2::Literal::f64_unsuffixed(f.abs());
        if f < 0.0 { quote!(-#lit) } else { quote!(#lit) }
    };
    let nums = [
        ("minimum", &c.minimum),
        ("maximum", &c.maximum),
        ("exclusive_minimum", &c.exclusive_minimum),
        ("exclusive_maximum", &c.exclusive_maximum),
        ("multiple_of", &c.multiple_of),
    ];
    for (key, v) in nums {
        if let Some(n) = v {
            let k = format_ident!("{}", key);
            let v = num(n);
            parts.push(quote!(#k = #v));
        }
    }
    let counts = [
        ("min_length", c.min_length),
        ("max_length", c.max_length),
        ("min_items", c.min_items),
        ("max_items", c.max_items),
        ("min_properties", c.min_properties),
        ("max_properties", c.max_properties),
    ];
    for (key, v) in counts {
        if let Some(n) = v {
            let k = format_ident!("{}", key);
            let lit = proc_macro2::Literal::u64_unsuffixed(n);
            parts.push(quote!(#k = #lit));
        }
    }
    if let Some(p) = &c.pattern {
        parts.push(quote!(pattern = #p));
    }
    if c.unique_items {
        parts.push(quote!(unique_items));
    }
    if !c.required_keys.is_empty() {
        let keys = &c.required_keys;
        parts.push(quote!(required_keys = [#(#keys),*]));
    }
    if let Some(e) = &c.json_enum {
        parts.push(quote!(json_enum = #e));
    }
    for (key, inner) in [
        ("items", &c.items),
        ("values", &c.values),
        ("keys", &c.keys),
    ] {
        if let Some(inner) = inner {
            let k = format_ident!("{}", key);
            let inner = check_parts(inner);
            parts.push(quote!(#k(#(#inner),*)));
        }
    }
    parts
}

fn tokens_path(t: &TokenStream) -> String {
    t.to_string().replace(' ', "")
}

fn array_attr(spec: &ArraySpec) -> TokenStream {
    let mut parts = Vec::new();
    match &spec.shape {
        None => {
            if spec.dtype.is_some() || spec.differentiable {
                parts.push(quote!(shape = ..));
            }
        }
        Some(dims) => {
            let ds = dims.iter().map(|d| match d {
                None => quote!(None),
                Some(n) => {
                    let lit = Literal::u64_unsuffixed(*n);
                    quote!(#lit)
                }
            });
            parts.push(quote!(shape = [#(#ds),*]));
        }
    }
    if let Some(d) = &spec.dtype {
        parts.push(quote!(dtype = #d));
    }
    if spec.differentiable {
        parts.push(quote!(differentiable));
    }
    // The wire form of the array's family, whatever the call's options say.
    let form = match spec.family {
        Family::Tesseract => "tesseract",
        Family::Truss => "truss",
        Family::Numpydantic => "list",
        Family::PydanticNumpy => "pydantic-numpy",
    };
    parts.push(quote!(form = #form));
    if parts.is_empty() {
        quote!(#[array])
    } else {
        quote!(#[array(#(#parts),*)])
    }
}

fn int_literal(i: Int, v: &Value) -> Option<TokenStream> {
    let lit = match i {
        Int::I8 => Literal::i8_suffixed(i8::try_from(v.as_i64()?).ok()?),
        Int::I16 => Literal::i16_suffixed(i16::try_from(v.as_i64()?).ok()?),
        Int::I32 => Literal::i32_suffixed(i32::try_from(v.as_i64()?).ok()?),
        Int::I64 => Literal::i64_suffixed(v.as_i64()?),
        Int::U8 => Literal::u8_suffixed(u8::try_from(v.as_u64()?).ok()?),
        Int::U16 => Literal::u16_suffixed(u16::try_from(v.as_u64()?).ok()?),
        Int::U32 => Literal::u32_suffixed(u32::try_from(v.as_u64()?).ok()?),
        Int::U64 => Literal::u64_suffixed(v.as_u64()?),
    };
    Some(quote!(#lit))
}

/// One element of an array default in the field's dtype.
fn element(k: &TokenStream, dtype: &str, v: &Value) -> Option<TokenStream> {
    let f = |x: f64| x.is_finite().then_some(x);
    Some(match dtype {
        "bool" => {
            let b = v.as_bool()?;
            quote!(#b)
        }
        "int8" => int_literal(Int::I8, v)?,
        "int16" => int_literal(Int::I16, v)?,
        "int32" => int_literal(Int::I32, v)?,
        "int64" => int_literal(Int::I64, v)?,
        "uint8" => int_literal(Int::U8, v)?,
        "uint16" => int_literal(Int::U16, v)?,
        "uint32" => int_literal(Int::U32, v)?,
        "uint64" => int_literal(Int::U64, v)?,
        "float16" => {
            let lit = Literal::f64_suffixed(f(v.as_f64()?)?);
            quote!(#k::f16::from_f64(#lit))
        }
        "float32" => {
            let x = v.as_f64()? as f32;
            if !x.is_finite() {
                return None;
            }
            let lit = Literal::f32_suffixed(x);
            quote!(#lit)
        }
        "float64" => {
            let lit = Literal::f64_suffixed(f(v.as_f64()?)?);
            quote!(#lit)
        }
        "complex64" => {
            let x = v.as_f64()? as f32;
            if !x.is_finite() {
                return None;
            }
            let lit = Literal::f32_suffixed(x);
            quote!(#k::Complex::new(#lit, 0.0f32))
        }
        "complex128" => {
            let lit = Literal::f64_suffixed(f(v.as_f64()?)?);
            quote!(#k::Complex::new(#lit, 0.0f64))
        }
        _ => return None,
    })
}

/// A scalar or a flat list, in the field's dtype (or the value's own kind).
fn array_default(k: &TokenStream, spec: &ArraySpec, v: &Value) -> Option<TokenStream> {
    let dtype = match &spec.dtype {
        Some(d) if DTYPES.contains(&d.as_str()) => d.clone(),
        _ => crate::convert::default_dtype(v)?.to_owned(),
    };
    match v {
        Value::Array(items) => {
            if items.is_empty() {
                return None;
            }
            let es = items
                .iter()
                .map(|i| element(k, &dtype, i))
                .collect::<Option<Vec<_>>>()?;
            Some(quote!(#k::Array::from_vec(vec![#(#es),*])))
        }
        v => {
            let e = element(k, &dtype, v)?;
            Some(quote!(#k::Array::scalar(#e)))
        }
    }
}

/// `source` formatted by rustfmt with its default settings for edition 2024, or `None`
/// when no rustfmt runs (see [`crate::Generator::rustfmt`]). An empty configuration
/// file of its own keeps every `rustfmt.toml` (project, user, machine) out.
pub(crate) fn rustfmt(source: &str) -> Option<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};

    let program = match std::env::var_os("RUSTFMT") {
        Some(p) if p.is_empty() => return None,
        Some(p) => p,
        None => "rustfmt".into(),
    };
    let dir = tempfile::Builder::new()
        .prefix("arraymodel-rustfmt")
        .tempdir()
        .ok()?;
    let config = dir.path().join("rustfmt.toml");
    std::fs::write(&config, "").ok()?;
    let mut child = Command::new(program)
        .arg("--edition")
        .arg("2024")
        .arg("--config-path")
        .arg(&config)
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdin = child.stdin.take()?;
    let output = std::thread::scope(|scope| {
        let writer = scope.spawn(move || stdin.write_all(source.as_bytes()));
        let output = child.wait_with_output();
        (writer.join(), output)
    });
    let (Ok(Ok(())), Ok(output)) = output else {
        return None;
    };
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}
