//! `Generator::server`: from a tesseract API's `openapi.json`, a trait with one method per
//! endpoint the document publishes, and `Server<T>`, which serves an implementation of it
//! with `arraymodel::server` (feature `server`): a Python tesseract ported to Rust keeps
//! its exact models and endpoints.

use proc_macro2::TokenStream;
use quote::quote;

use crate::client::{ClientSpec, EndpointKind};
use crate::emit::{Emitter, doc_attrs, ident};
use crate::ir::Ty;

/// The server items of one tesseract document (nothing for another document).
pub(crate) fn emit(spec: &ClientSpec, e: &Emitter<'_>) -> TokenStream {
    let Some((trait_name, server_name)) = &spec.server else {
        return TokenStream::new();
    };
    let k = &e.paths.krate;
    let s = quote!(#k::server);
    let result = |t: TokenStream| quote!(::std::result::Result<#t, #s::BoxError>);
    let Some((apply_in, apply_out)) = spec.endpoints.iter().find_map(|ep| match &ep.kind {
        EndpointKind::Post {
            endpoint,
            inputs_alias,
            outputs_alias,
            ..
        } if endpoint == "apply" => Some((ident(inputs_alias), ident(outputs_alias))),
        _ => None,
    }) else {
        return TokenStream::new();
    };
    let mut required = TokenStream::new();
    let mut forwarded = TokenStream::new();
    let mut endpoints = Vec::new();
    for ep in &spec.endpoints {
        let EndpointKind::Post { endpoint, .. } = &ep.kind else {
            continue;
        };
        let mut doc = vec![format!("`POST /{endpoint}`.")];
        if !ep.doc.is_empty() {
            doc.push(String::new());
            doc.extend(ep.doc.iter().cloned());
        }
        let docs = doc_attrs(&doc);
        let (r_apply, r_jac, r_arrays, r_value) = (
            result(quote!(#apply_out)),
            result(quote!(#s::Jacobian)),
            result(quote!(#s::Arrays)),
            result(quote!(#k::serde_json::Value)),
        );
        let (sig, call, variant) = match endpoint.as_str() {
            "apply" => (
                quote!(fn apply(&self, inputs: #apply_in) -> #r_apply),
                quote!(self.0.apply(inputs)),
                None,
            ),
            "jacobian" => (
                quote!(fn jacobian(&self, inputs: #apply_in, jac_inputs: &#s::Paths, jac_outputs: &#s::Paths) -> #r_jac),
                quote!(self.0.jacobian(inputs, jac_inputs, jac_outputs)),
                Some(quote!(Jacobian)),
            ),
            "jacobian_vector_product" => (
                quote!(fn jacobian_vector_product(&self, inputs: #apply_in, jvp_inputs: &#s::Paths, jvp_outputs: &#s::Paths, tangent_vector: #s::Arrays) -> #r_arrays),
                quote!(self.0.jacobian_vector_product(
                    inputs,
                    jvp_inputs,
                    jvp_outputs,
                    tangent_vector
                )),
                Some(quote!(JacobianVectorProduct)),
            ),
            "vector_jacobian_product" => (
                quote!(fn vector_jacobian_product(&self, inputs: #apply_in, vjp_inputs: &#s::Paths, vjp_outputs: &#s::Paths, cotangent_vector: #s::Arrays) -> #r_arrays),
                quote!(self.0.vector_jacobian_product(
                    inputs,
                    vjp_inputs,
                    vjp_outputs,
                    cotangent_vector
                )),
                Some(quote!(VectorJacobianProduct)),
            ),
            "abstract_eval" => (
                quote!(fn abstract_eval(&self, inputs: #s::AbstractInputs) -> #r_value),
                quote!(self.0.abstract_eval(inputs)),
                Some(quote!(AbstractEval)),
            ),
            _ => continue,
        };
        required.extend(quote!(#docs #sig;));
        forwarded.extend(quote!(#sig { #call }));
        if let Some(v) = variant {
            endpoints.push(quote!(#s::Endpoint::#v));
        }
    }
    let t = ident(trait_name);
    let server = ident(server_name);
    let trait_doc = doc_attrs(&[
        format!("The tesseract of `{}`, to implement in Rust.", spec.source),
        String::new(),
        format!(
            "Serve an implementation with [`{server_name}`] (`arraymodel::server`, feature `server`): \
             its `openapi.json` has this document's models and endpoints."
        ),
    ]);
    let server_doc = doc_attrs(&[format!(
        "Serves a `{trait_name}` with tesseract-runtime's protocol: \
             `arraymodel::server::router({server_name}(my_tesseract), config)`."
    )]);
    quote! {
        #trait_doc
        pub trait #t: Send + Sync + 'static {
            #required
        }
        #server_doc
        pub struct #server<T>(pub T);
        impl<T: #t> #s::Tesseract for #server<T> {
            type Input = #apply_in;
            type Output = #apply_out;
            const ENDPOINTS: &'static [#s::Endpoint] = &[#(#endpoints),*];
            #forwarded
        }
    }
}

/// Why a document gets no server, if it does not: the server needs a tesseract API whose
/// `apply` takes and returns models.
pub(crate) fn unservable(spec: &ClientSpec) -> Option<String> {
    if !spec.tesseract {
        return Some(
            "no server generated: the document is not a tesseract API (no POST /apply)".into(),
        );
    }
    let apply = spec.endpoints.iter().find_map(|ep| match &ep.kind {
        EndpointKind::Post {
            endpoint, response, ..
        } if endpoint == "apply" => Some(response),
        _ => None,
    });
    match apply {
        Some(Ty::Named(_)) => None,
        Some(_) => Some("no server generated: the response of POST /apply is not a model".into()),
        None => Some("no server generated: POST /apply cannot be typed".into()),
    }
}
