#[doc(hidden)]
#[allow(non_upper_case_globals, unused_attributes, unused_qualifications, clippy::all)]
const _: () = {
    const _: () = {
        if let ::core::option::Option::Some(conflict) = ::arraymodel::model::field_dtype_conflict::<
            Array,
        >(::arraymodel::DType::Float64, "a", "Array") {
            ::core::panic!("{}", conflict.message())
        }
    };
    const _: () = {
        if let ::core::option::Option::Some(conflict) = ::arraymodel::model::field_dtype_conflict::<
            NdArray<f64>,
        >(::arraymodel::DType::Float64, "b", "NdArray<f64>") {
            ::core::panic!("{}", conflict.message())
        }
    };
    const _: () = {
        if let ::core::option::Option::Some(conflict) = ::arraymodel::model::field_dtype_conflict::<
            Array,
        >(::arraymodel::DType::Float64, "s", "Array") {
            ::core::panic!("{}", conflict.message())
        }
    };
    #[derive(
        ::arraymodel::__private::serde::Serialize,
        ::arraymodel::__private::serde::Deserialize
    )]
    #[serde(crate = "::arraymodel::__private::serde", remote = "ApplyInput")]
    #[serde(deny_unknown_fields)]
    struct __ArrayModelRemote {
        a: Array,
        b: NdArray<f64>,
        #[serde(default = "one")]
        s: Array,
        #[serde(with = "::arraymodel::bytes")]
        image: Vec<u8>,
        #[serde(rename = "Label", skip_serializing_if = "Option::is_none")]
        label: Option<String>,
    }
    #[automatically_derived]
    impl ::arraymodel::__private::serde::Serialize for ApplyInput {
        fn serialize<__S>(
            &self,
            serializer: __S,
        ) -> ::arraymodel::__private::std::result::Result<__S::Ok, __S::Error>
        where
            __S: ::arraymodel::__private::serde::Serializer,
        {
            <__ArrayModelRemote>::serialize(self, serializer)
        }
    }
    #[automatically_derived]
    impl<'de> ::arraymodel::__private::serde::Deserialize<'de> for ApplyInput {
        fn deserialize<__D>(
            deserializer: __D,
        ) -> ::arraymodel::__private::std::result::Result<Self, __D::Error>
        where
            __D: ::arraymodel::__private::serde::Deserializer<'de>,
        {
            let mut value: Self = <__ArrayModelRemote>::deserialize(
                ::arraymodel::__private::MapsOnly(deserializer),
            )?;
            value
                .__arraymodel_conform()
                .map_err(::arraymodel::__private::de_error::<__D::Error>)?;
            ::arraymodel::__private::std::result::Result::Ok(value)
        }
    }
    #[automatically_derived]
    impl ApplyInput {
        #[doc(hidden)]
        fn __arraymodel_conform(&mut self) -> ::arraymodel::__private::Result<()> {
            {
                const SPEC: ::arraymodel::__private::ArraySpec = ::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::Dims(
                        &[::arraymodel::__private::Dim::Any],
                    ),
                    dtype: ::arraymodel::__private::std::option::Option::Some(
                        ::arraymodel::__private::DType::Float64,
                    ),
                    casting: ::arraymodel::__private::Casting::Tesseract,
                    differentiable: true,
                    schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                };
                ::arraymodel::__private::ArrayField::conform(&mut self.a, &SPEC)
                    .map_err(|e| e.at_field("a"))?;
            }
            {
                const SPEC: ::arraymodel::__private::ArraySpec = ::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::Dims(
                        &[::arraymodel::__private::Dim::Any],
                    ),
                    dtype: ::arraymodel::__private::std::option::Option::Some(
                        ::arraymodel::__private::DType::Float64,
                    ),
                    casting: ::arraymodel::__private::Casting::Tesseract,
                    differentiable: true,
                    schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                };
                ::arraymodel::__private::ArrayField::conform(&mut self.b, &SPEC)
                    .map_err(|e| e.at_field("b"))?;
            }
            {
                const SPEC: ::arraymodel::__private::ArraySpec = ::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::Dims(&[]),
                    dtype: ::arraymodel::__private::std::option::Option::Some(
                        ::arraymodel::__private::DType::Float64,
                    ),
                    casting: ::arraymodel::__private::Casting::Tesseract,
                    differentiable: false,
                    schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                };
                ::arraymodel::__private::ArrayField::conform(&mut self.s, &SPEC)
                    .map_err(|e| e.at_field("s"))?;
            }
            ::arraymodel::__private::std::result::Result::Ok(())
        }
    }
    #[automatically_derived]
    impl ::arraymodel::__private::ArrayModel for ApplyInput {
        const FIELDS: &'static [::arraymodel::__private::FieldInfo] = &[
            ::arraymodel::__private::FieldInfo {
                name: "a",
                wire_name: "a",
                array: ::arraymodel::__private::std::option::Option::Some(::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::Dims(
                        &[::arraymodel::__private::Dim::Any],
                    ),
                    dtype: ::arraymodel::__private::std::option::Option::Some(
                        ::arraymodel::__private::DType::Float64,
                    ),
                    casting: ::arraymodel::__private::Casting::Tesseract,
                    differentiable: true,
                    schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                }),
                bytes: false,
                description: ::arraymodel::__private::std::option::Option::Some(
                    "First vector",
                ),
            },
            ::arraymodel::__private::FieldInfo {
                name: "b",
                wire_name: "b",
                array: ::arraymodel::__private::std::option::Option::Some(::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::Dims(
                        &[::arraymodel::__private::Dim::Any],
                    ),
                    dtype: ::arraymodel::__private::std::option::Option::Some(
                        ::arraymodel::__private::DType::Float64,
                    ),
                    casting: ::arraymodel::__private::Casting::Tesseract,
                    differentiable: true,
                    schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                }),
                bytes: false,
                description: ::arraymodel::__private::std::option::Option::None,
            },
            ::arraymodel::__private::FieldInfo {
                name: "s",
                wire_name: "s",
                array: ::arraymodel::__private::std::option::Option::Some(::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::Dims(&[]),
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
            ::arraymodel::__private::FieldInfo {
                name: "image",
                wire_name: "image",
                array: ::arraymodel::__private::std::option::Option::None,
                bytes: true,
                description: ::arraymodel::__private::std::option::Option::None,
            },
            ::arraymodel::__private::FieldInfo {
                name: "label",
                wire_name: "Label",
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
        impl ::arraymodel::__private::schemars::JsonSchema for ApplyInput {
            fn schema_name() -> ::arraymodel::__private::std::borrow::Cow<'static, str> {
                ::arraymodel::__private::std::borrow::Cow::Borrowed("ApplyInput")
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
                            shape: ::arraymodel::__private::ShapeSpec::Dims(
                                &[::arraymodel::__private::Dim::Any],
                            ),
                            dtype: ::arraymodel::__private::std::option::Option::Some(
                                ::arraymodel::__private::DType::Float64,
                            ),
                            casting: ::arraymodel::__private::Casting::Tesseract,
                            differentiable: true,
                            schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                        };
                        <Array as ::arraymodel::__private::ArrayField>::array_schema(
                                generator,
                                &SPEC,
                            )
                            .to_value()
                    };
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "A",
                            ));
                        obj.insert(
                            ::arraymodel::__private::std::string::String::from("description"),
                            ::arraymodel::__private::serde_json::Value::from("First vector"),
                        );
                    }
                    properties
                        .insert(::arraymodel::__private::std::string::String::from("a"), value);
                    if true {
                        required.push(::arraymodel::__private::serde_json::Value::from("a"));
                    }
                }
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = {
                        const SPEC: ::arraymodel::__private::ArraySpec = ::arraymodel::__private::ArraySpec {
                            shape: ::arraymodel::__private::ShapeSpec::Dims(
                                &[::arraymodel::__private::Dim::Any],
                            ),
                            dtype: ::arraymodel::__private::std::option::Option::Some(
                                ::arraymodel::__private::DType::Float64,
                            ),
                            casting: ::arraymodel::__private::Casting::Tesseract,
                            differentiable: true,
                            schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                        };
                        <NdArray<
                            f64,
                        > as ::arraymodel::__private::ArrayField>::array_schema(generator, &SPEC)
                            .to_value()
                    };
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "B",
                            ));
                    }
                    properties
                        .insert(::arraymodel::__private::std::string::String::from("b"), value);
                    if true {
                        required.push(::arraymodel::__private::serde_json::Value::from("b"));
                    }
                }
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = {
                        const SPEC: ::arraymodel::__private::ArraySpec = ::arraymodel::__private::ArraySpec {
                            shape: ::arraymodel::__private::ShapeSpec::Dims(&[]),
                            dtype: ::arraymodel::__private::std::option::Option::Some(
                                ::arraymodel::__private::DType::Float64,
                            ),
                            casting: ::arraymodel::__private::Casting::Tesseract,
                            differentiable: false,
                            schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                        };
                        <Array as ::arraymodel::__private::ArrayField>::array_schema(
                                generator,
                                &SPEC,
                            )
                            .to_value()
                    };
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "S",
                            ));
                    }
                    properties
                        .insert(::arraymodel::__private::std::string::String::from("s"), value);
                    if false {
                        required.push(::arraymodel::__private::serde_json::Value::from("s"));
                    }
                }
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = ::arraymodel::__private::serde_json::json!(
                        { "type" : "string", "format" : "binary", "contentMediaType" :
                        "application/octet-stream" }
                    );
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "Image",
                            ));
                    }
                    properties
                        .insert(
                            ::arraymodel::__private::std::string::String::from("image"),
                            value,
                        );
                    if true {
                        required.push(::arraymodel::__private::serde_json::Value::from("image"));
                    }
                }
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = generator
                        .subschema_for::<Option<String>>()
                        .to_value();
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "Label",
                            ));
                    }
                    properties
                        .insert(
                            ::arraymodel::__private::std::string::String::from("Label"),
                            value,
                        );
                    if false {
                        required.push(::arraymodel::__private::serde_json::Value::from("Label"));
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
                        ::arraymodel::__private::serde_json::Value::from("ApplyInput"),
                    );
                schema
                    .insert(
                        ::arraymodel::__private::std::string::String::from(
                            "additionalProperties",
                        ),
                        ::arraymodel::__private::serde_json::Value::Bool(false),
                    );
                schema
                    .insert(
                        ::arraymodel::__private::std::string::String::from("description"),
                        ::arraymodel::__private::serde_json::Value::from(
                            "Inputs of the vectoradd tesseract.",
                        ),
                    );
                ::arraymodel::__private::schemars::Schema::from(schema)
            }
        }
    }
};
