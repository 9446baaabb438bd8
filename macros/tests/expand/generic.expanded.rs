#[doc(hidden)]
#[allow(non_upper_case_globals, unused_attributes, unused_qualifications, clippy::all)]
const _: () = {
    const _: () = {
        if let ::core::option::Option::Some(conflict) = ::arraymodel::model::field_dtype_conflict::<
            Vec<Array>,
        >(::arraymodel::DType::Int8, "many_items", "Vec<Array>") {
            ::core::panic!("{}", conflict.message())
        }
    };
    #[derive(
        ::arraymodel::__private::serde::Serialize,
        ::arraymodel::__private::serde::Deserialize
    )]
    #[serde(crate = "::arraymodel::__private::serde", remote = "Batch")]
    #[serde(rename_all = "camelCase")]
    struct __ArrayModelRemote<T> {
        many_items: Vec<Array>,
        #[serde(with = "::arraymodel::bytes::option")]
        maybe_blob: Option<Vec<u8>>,
        extra: T,
    }
    #[automatically_derived]
    impl<T> ::arraymodel::__private::serde::Serialize for Batch<T>
    where
        T: ::arraymodel::__private::serde::Serialize,
    {
        fn serialize<__S>(
            &self,
            serializer: __S,
        ) -> ::arraymodel::__private::std::result::Result<__S::Ok, __S::Error>
        where
            __S: ::arraymodel::__private::serde::Serializer,
        {
            <__ArrayModelRemote<T>>::serialize(self, serializer)
        }
    }
    #[automatically_derived]
    impl<'de, T> ::arraymodel::__private::serde::Deserialize<'de> for Batch<T>
    where
        T: ::arraymodel::__private::serde::de::DeserializeOwned,
    {
        fn deserialize<__D>(
            deserializer: __D,
        ) -> ::arraymodel::__private::std::result::Result<Self, __D::Error>
        where
            __D: ::arraymodel::__private::serde::Deserializer<'de>,
        {
            let mut value: Self = <__ArrayModelRemote<
                T,
            >>::deserialize(::arraymodel::__private::MapsOnly(deserializer))?;
            value
                .__arraymodel_conform()
                .map_err(::arraymodel::__private::de_error::<__D::Error>)?;
            ::arraymodel::__private::std::result::Result::Ok(value)
        }
    }
    #[automatically_derived]
    impl<T> Batch<T> {
        #[doc(hidden)]
        fn __arraymodel_conform(&mut self) -> ::arraymodel::__private::Result<()> {
            {
                const SPEC: ::arraymodel::__private::ArraySpec = ::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::AnyRank,
                    dtype: ::arraymodel::__private::std::option::Option::Some(
                        ::arraymodel::__private::DType::Int8,
                    ),
                    casting: ::arraymodel::__private::Casting::Exact,
                    differentiable: false,
                    schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                };
                ::arraymodel::__private::ArrayField::conform(&mut self.many_items, &SPEC)
                    .map_err(|e| e.at_field("manyItems"))?;
            }
            ::arraymodel::__private::std::result::Result::Ok(())
        }
    }
    #[automatically_derived]
    impl<T> ::arraymodel::__private::ArrayModel for Batch<T>
    where
        T: ::arraymodel::__private::serde::Serialize
            + ::arraymodel::__private::serde::de::DeserializeOwned
            + ::arraymodel::__private::MaybeJsonSchema,
    {
        const FIELDS: &'static [::arraymodel::__private::FieldInfo] = &[
            ::arraymodel::__private::FieldInfo {
                name: "many_items",
                wire_name: "manyItems",
                array: ::arraymodel::__private::std::option::Option::Some(::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::AnyRank,
                    dtype: ::arraymodel::__private::std::option::Option::Some(
                        ::arraymodel::__private::DType::Int8,
                    ),
                    casting: ::arraymodel::__private::Casting::Exact,
                    differentiable: false,
                    schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                }),
                bytes: false,
                description: ::arraymodel::__private::std::option::Option::None,
            },
            ::arraymodel::__private::FieldInfo {
                name: "maybe_blob",
                wire_name: "maybeBlob",
                array: ::arraymodel::__private::std::option::Option::None,
                bytes: true,
                description: ::arraymodel::__private::std::option::Option::None,
            },
            ::arraymodel::__private::FieldInfo {
                name: "extra",
                wire_name: "extra",
                array: ::arraymodel::__private::std::option::Option::None,
                bytes: false,
                description: ::arraymodel::__private::std::option::Option::None,
            },
        ];
        fn conform(&mut self) -> ::arraymodel::__private::Result<()> {
            self.__arraymodel_conform()
        }
    }
    ::arraymodel::__private::schema_items! {
        #[automatically_derived]
        impl<T> ::arraymodel::__private::schemars::JsonSchema for Batch<T>
        where
            T: ::arraymodel::__private::schemars::JsonSchema,
        {
            fn schema_name() -> ::arraymodel::__private::std::borrow::Cow<'static, str> {
                ::arraymodel::__private::std::borrow::Cow::Owned({
                    let mut n = ::arraymodel::__private::std::string::String::from("Batch");
                    n.push('_');
                    n.push_str(
                        &<T as ::arraymodel::__private::schemars::JsonSchema>::schema_name(),
                    );
                    n
                })
            }
            fn json_schema(
                generator: &mut ::arraymodel::__private::schemars::SchemaGenerator,
            ) -> ::arraymodel::__private::schemars::Schema {
                let mut properties = ::arraymodel::__private::serde_json::Map::new();
                let mut required: ::arraymodel::__private::std::vec::Vec<
                    ::arraymodel::__private::serde_json::Value,
                > = ::arraymodel::__private::std::vec::Vec::new();
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = {
                        const SPEC: ::arraymodel::__private::ArraySpec = ::arraymodel::__private::ArraySpec {
                            shape: ::arraymodel::__private::ShapeSpec::AnyRank,
                            dtype: ::arraymodel::__private::std::option::Option::Some(
                                ::arraymodel::__private::DType::Int8,
                            ),
                            casting: ::arraymodel::__private::Casting::Exact,
                            differentiable: false,
                            schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                        };
                        <Vec<
                            Array,
                        > as ::arraymodel::__private::ArrayField>::array_schema(generator, &SPEC)
                            .to_value()
                    };
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "Manyitems",
                            ));
                    }
                    properties
                        .insert(
                            ::arraymodel::__private::std::string::String::from("manyItems"),
                            value,
                        );
                    if true {
                        required
                            .push(::arraymodel::__private::serde_json::Value::from("manyItems"));
                    }
                }
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = ::arraymodel::__private::serde_json::json!(
                        { "anyOf" : [::arraymodel::__private::serde_json::json!({ "type" :
                        "string", "format" : "binary", "contentMediaType" :
                        "application/octet-stream" }), { "type" : "null" }] }
                    );
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "Maybeblob",
                            ));
                    }
                    properties
                        .insert(
                            ::arraymodel::__private::std::string::String::from("maybeBlob"),
                            value,
                        );
                    if false {
                        required
                            .push(::arraymodel::__private::serde_json::Value::from("maybeBlob"));
                    }
                }
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = generator
                        .subschema_for::<T>()
                        .to_value();
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "Extra",
                            ));
                    }
                    properties
                        .insert(
                            ::arraymodel::__private::std::string::String::from("extra"),
                            value,
                        );
                    if true {
                        required.push(::arraymodel::__private::serde_json::Value::from("extra"));
                    }
                }
                let mut schema = ::arraymodel::__private::serde_json::Map::new();
                schema
                    .insert(
                        ::arraymodel::__private::std::string::String::from("properties"),
                        ::arraymodel::__private::serde_json::Value::Object(properties),
                    );
                schema
                    .insert(
                        ::arraymodel::__private::std::string::String::from("type"),
                        ::arraymodel::__private::serde_json::Value::from("object"),
                    );
                schema
                    .insert(
                        ::arraymodel::__private::std::string::String::from("required"),
                        ::arraymodel::__private::serde_json::Value::Array(required),
                    );
                schema
                    .insert(
                        ::arraymodel::__private::std::string::String::from("title"),
                        ::arraymodel::__private::serde_json::Value::from("Batch"),
                    );
                ::arraymodel::__private::schemars::Schema::from(schema)
            }
        }
    }
};
#[doc(hidden)]
#[allow(non_upper_case_globals, unused_attributes, unused_qualifications, clippy::all)]
const _: () = {
    #[derive(
        ::arraymodel::__private::serde::Serialize,
        ::arraymodel::__private::serde::Deserialize
    )]
    #[serde(crate = "::arraymodel::__private::serde", remote = "Typed")]
    struct __ArrayModelRemote<T: Element> {
        values: Option<NdArray<T>>,
    }
    #[automatically_derived]
    impl<T: Element> ::arraymodel::__private::serde::Serialize for Typed<T>
    where
        T: ::arraymodel::__private::serde::Serialize,
    {
        fn serialize<__S>(
            &self,
            serializer: __S,
        ) -> ::arraymodel::__private::std::result::Result<__S::Ok, __S::Error>
        where
            __S: ::arraymodel::__private::serde::Serializer,
        {
            <__ArrayModelRemote<T>>::serialize(self, serializer)
        }
    }
    #[automatically_derived]
    impl<'de, T: Element> ::arraymodel::__private::serde::Deserialize<'de> for Typed<T>
    where
        T: ::arraymodel::__private::serde::de::DeserializeOwned,
    {
        fn deserialize<__D>(
            deserializer: __D,
        ) -> ::arraymodel::__private::std::result::Result<Self, __D::Error>
        where
            __D: ::arraymodel::__private::serde::Deserializer<'de>,
        {
            let mut value: Self = <__ArrayModelRemote<
                T,
            >>::deserialize(::arraymodel::__private::MapsOnly(deserializer))?;
            value
                .__arraymodel_conform()
                .map_err(::arraymodel::__private::de_error::<__D::Error>)?;
            ::arraymodel::__private::std::result::Result::Ok(value)
        }
    }
    #[automatically_derived]
    impl<T: Element> Typed<T> {
        #[doc(hidden)]
        fn __arraymodel_conform(&mut self) -> ::arraymodel::__private::Result<()> {
            const {
                if let ::core::option::Option::Some(conflict) = ::arraymodel::model::field_dtype_conflict::<
                    Option<NdArray<T>>,
                >(::arraymodel::DType::Float64, "values", "Option<NdArray<T>>") {
                    ::core::panic!("{}", conflict.message())
                }
            };
            {
                const SPEC: ::arraymodel::__private::ArraySpec = ::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::AnyRank,
                    dtype: ::arraymodel::__private::std::option::Option::Some(
                        ::arraymodel::__private::DType::Float64,
                    ),
                    casting: ::arraymodel::__private::Casting::Tesseract,
                    differentiable: false,
                    schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                };
                ::arraymodel::__private::ArrayField::conform(&mut self.values, &SPEC)
                    .map_err(|e| e.at_field("values"))?;
            }
            ::arraymodel::__private::std::result::Result::Ok(())
        }
    }
    #[automatically_derived]
    impl<T: Element> ::arraymodel::__private::ArrayModel for Typed<T>
    where
        T: ::arraymodel::__private::serde::Serialize
            + ::arraymodel::__private::serde::de::DeserializeOwned
            + ::arraymodel::__private::MaybeJsonSchema,
    {
        const FIELDS: &'static [::arraymodel::__private::FieldInfo] = &[
            ::arraymodel::__private::FieldInfo {
                name: "values",
                wire_name: "values",
                array: ::arraymodel::__private::std::option::Option::Some(::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::AnyRank,
                    dtype: ::arraymodel::__private::std::option::Option::Some(
                        ::arraymodel::__private::DType::Float64,
                    ),
                    casting: ::arraymodel::__private::Casting::Tesseract,
                    differentiable: false,
                    schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                }),
                bytes: false,
                description: ::arraymodel::__private::std::option::Option::None,
            },
        ];
        fn conform(&mut self) -> ::arraymodel::__private::Result<()> {
            self.__arraymodel_conform()
        }
    }
    ::arraymodel::__private::schema_items! {
        #[automatically_derived]
        impl<T: Element> ::arraymodel::__private::schemars::JsonSchema for Typed<T>
        where
            T: ::arraymodel::__private::schemars::JsonSchema,
        {
            fn schema_name() -> ::arraymodel::__private::std::borrow::Cow<'static, str> {
                ::arraymodel::__private::std::borrow::Cow::Owned({
                    let mut n = ::arraymodel::__private::std::string::String::from("Typed");
                    n.push('_');
                    n.push_str(
                        &<T as ::arraymodel::__private::schemars::JsonSchema>::schema_name(),
                    );
                    n
                })
            }
            fn json_schema(
                generator: &mut ::arraymodel::__private::schemars::SchemaGenerator,
            ) -> ::arraymodel::__private::schemars::Schema {
                let mut properties = ::arraymodel::__private::serde_json::Map::new();
                let mut required: ::arraymodel::__private::std::vec::Vec<
                    ::arraymodel::__private::serde_json::Value,
                > = ::arraymodel::__private::std::vec::Vec::new();
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = {
                        const SPEC: ::arraymodel::__private::ArraySpec = ::arraymodel::__private::ArraySpec {
                            shape: ::arraymodel::__private::ShapeSpec::AnyRank,
                            dtype: ::arraymodel::__private::std::option::Option::Some(
                                ::arraymodel::__private::DType::Float64,
                            ),
                            casting: ::arraymodel::__private::Casting::Tesseract,
                            differentiable: false,
                            schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                        };
                        <Option<
                            NdArray<T>,
                        > as ::arraymodel::__private::ArrayField>::array_schema(generator, &SPEC)
                            .to_value()
                    };
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "Values",
                            ));
                    }
                    properties
                        .insert(
                            ::arraymodel::__private::std::string::String::from("values"),
                            value,
                        );
                    if false {
                        required
                            .push(::arraymodel::__private::serde_json::Value::from("values"));
                    }
                }
                let mut schema = ::arraymodel::__private::serde_json::Map::new();
                schema
                    .insert(
                        ::arraymodel::__private::std::string::String::from("properties"),
                        ::arraymodel::__private::serde_json::Value::Object(properties),
                    );
                schema
                    .insert(
                        ::arraymodel::__private::std::string::String::from("type"),
                        ::arraymodel::__private::serde_json::Value::from("object"),
                    );
                schema
                    .insert(
                        ::arraymodel::__private::std::string::String::from("required"),
                        ::arraymodel::__private::serde_json::Value::Array(required),
                    );
                schema
                    .insert(
                        ::arraymodel::__private::std::string::String::from("title"),
                        ::arraymodel::__private::serde_json::Value::from("Typed"),
                    );
                schema
                    .insert(
                        ::arraymodel::__private::std::string::String::from("description"),
                        ::arraymodel::__private::serde_json::Value::from(
                            "A dtype on a field whose type names a generic parameter: checked in an inline\n`const` block when the model is instantiated.",
                        ),
                    );
                ::arraymodel::__private::schemars::Schema::from(schema)
            }
        }
    }
};
