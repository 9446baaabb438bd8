#[doc(hidden)]
#[allow(non_upper_case_globals, unused_attributes, unused_qualifications, clippy::all)]
const _: () = {
    const _: () = {
        if let ::core::option::Option::Some(conflict) = ::arraymodel::model::field_dtype_conflict::<
            Option<Array>,
        >(::arraymodel::DType::Float32, "as_list", "Option<Array>") {
            ::core::panic!("{}", conflict.message())
        }
    };
    #[derive(
        ::arraymodel::__private::serde::Serialize,
        ::arraymodel::__private::serde::Deserialize
    )]
    #[serde(crate = "::arraymodel::__private::serde", remote = "Mixed")]
    #[serde(rename_all = "camelCase")]
    struct __ArrayModelRemote {
        #[serde(serialize_with = "::arraymodel::__private::form::truss")]
        as_truss: Array,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[serde(serialize_with = "::arraymodel::__private::form::list")]
        as_list: Option<Array>,
        #[serde(rename = "T")]
        #[serde(serialize_with = "::arraymodel::__private::form::tesseract")]
        as_tesseract: Vec<Array>,
        #[serde(serialize_with = "::arraymodel::__private::form::list")]
        nested: Inner,
        #[serde(flatten)]
        #[serde(serialize_with = "::arraymodel::__private::form::truss")]
        extra: std::collections::BTreeMap<String, Array>,
        plain: Array,
    }
    #[automatically_derived]
    impl ::arraymodel::__private::serde::Serialize for Mixed {
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
    impl<'de> ::arraymodel::__private::serde::Deserialize<'de> for Mixed {
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
    impl Mixed {
        #[doc(hidden)]
        fn __arraymodel_conform(&mut self) -> ::arraymodel::__private::Result<()> {
            {
                const SPEC: ::arraymodel::__private::ArraySpec = ::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::AnyRank,
                    dtype: ::arraymodel::__private::std::option::Option::None,
                    casting: ::arraymodel::__private::Casting::Tesseract,
                    differentiable: false,
                    schema: ::arraymodel::__private::SchemaStyle::Truss,
                };
                ::arraymodel::__private::ArrayField::conform(&mut self.as_truss, &SPEC)
                    .map_err(|e| e.at_field("asTruss"))?;
            }
            {
                const SPEC: ::arraymodel::__private::ArraySpec = ::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::Dims(
                        &[
                            ::arraymodel::__private::Dim::Any,
                            ::arraymodel::__private::Dim::Fixed(2usize),
                        ],
                    ),
                    dtype: ::arraymodel::__private::std::option::Option::Some(
                        ::arraymodel::__private::DType::Float32,
                    ),
                    casting: ::arraymodel::__private::Casting::Tesseract,
                    differentiable: false,
                    schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                };
                ::arraymodel::__private::ArrayField::conform(&mut self.as_list, &SPEC)
                    .map_err(|e| e.at_field("asList"))?;
            }
            {
                const SPEC: ::arraymodel::__private::ArraySpec = ::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::AnyRank,
                    dtype: ::arraymodel::__private::std::option::Option::None,
                    casting: ::arraymodel::__private::Casting::Tesseract,
                    differentiable: false,
                    schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                };
                ::arraymodel::__private::ArrayField::conform(
                        &mut self.as_tesseract,
                        &SPEC,
                    )
                    .map_err(|e| e.at_field("T"))?;
            }
            ::arraymodel::__private::std::result::Result::Ok(())
        }
    }
    #[automatically_derived]
    impl ::arraymodel::__private::ArrayModel for Mixed {
        const FIELDS: &'static [::arraymodel::__private::FieldInfo] = &[
            ::arraymodel::__private::FieldInfo {
                name: "as_truss",
                wire_name: "asTruss",
                array: ::arraymodel::__private::std::option::Option::Some(::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::AnyRank,
                    dtype: ::arraymodel::__private::std::option::Option::None,
                    casting: ::arraymodel::__private::Casting::Tesseract,
                    differentiable: false,
                    schema: ::arraymodel::__private::SchemaStyle::Truss,
                }),
                bytes: false,
                description: ::arraymodel::__private::std::option::Option::None,
            },
            ::arraymodel::__private::FieldInfo {
                name: "as_list",
                wire_name: "asList",
                array: ::arraymodel::__private::std::option::Option::Some(::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::Dims(
                        &[
                            ::arraymodel::__private::Dim::Any,
                            ::arraymodel::__private::Dim::Fixed(2usize),
                        ],
                    ),
                    dtype: ::arraymodel::__private::std::option::Option::Some(
                        ::arraymodel::__private::DType::Float32,
                    ),
                    casting: ::arraymodel::__private::Casting::Tesseract,
                    differentiable: false,
                    schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                }),
                bytes: false,
                description: ::arraymodel::__private::std::option::Option::None,
            },
            ::arraymodel::__private::FieldInfo {
                name: "as_tesseract",
                wire_name: "T",
                array: ::arraymodel::__private::std::option::Option::Some(::arraymodel::__private::ArraySpec {
                    shape: ::arraymodel::__private::ShapeSpec::AnyRank,
                    dtype: ::arraymodel::__private::std::option::Option::None,
                    casting: ::arraymodel::__private::Casting::Tesseract,
                    differentiable: false,
                    schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                }),
                bytes: false,
                description: ::arraymodel::__private::std::option::Option::None,
            },
            ::arraymodel::__private::FieldInfo {
                name: "nested",
                wire_name: "nested",
                array: ::arraymodel::__private::std::option::Option::None,
                bytes: false,
                description: ::arraymodel::__private::std::option::Option::None,
            },
            ::arraymodel::__private::FieldInfo {
                name: "extra",
                wire_name: "extra",
                array: ::arraymodel::__private::std::option::Option::None,
                bytes: false,
                description: ::arraymodel::__private::std::option::Option::None,
            },
            ::arraymodel::__private::FieldInfo {
                name: "plain",
                wire_name: "plain",
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
        impl ::arraymodel::__private::schemars::JsonSchema for Mixed {
            fn schema_name() -> ::arraymodel::__private::std::borrow::Cow<'static, str> {
                ::arraymodel::__private::std::borrow::Cow::Borrowed("Mixed")
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
                            dtype: ::arraymodel::__private::std::option::Option::None,
                            casting: ::arraymodel::__private::Casting::Tesseract,
                            differentiable: false,
                            schema: ::arraymodel::__private::SchemaStyle::Truss,
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
                                "Astruss",
                            ));
                    }
                    properties
                        .insert(
                            ::arraymodel::__private::std::string::String::from("asTruss"),
                            value,
                        );
                    if true {
                        required
                            .push(::arraymodel::__private::serde_json::Value::from("asTruss"));
                    }
                }
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = {
                        const SPEC: ::arraymodel::__private::ArraySpec = ::arraymodel::__private::ArraySpec {
                            shape: ::arraymodel::__private::ShapeSpec::Dims(
                                &[
                                    ::arraymodel::__private::Dim::Any,
                                    ::arraymodel::__private::Dim::Fixed(2usize),
                                ],
                            ),
                            dtype: ::arraymodel::__private::std::option::Option::Some(
                                ::arraymodel::__private::DType::Float32,
                            ),
                            casting: ::arraymodel::__private::Casting::Tesseract,
                            differentiable: false,
                            schema: ::arraymodel::__private::SchemaStyle::Tesseract,
                        };
                        <Option<
                            Array,
                        > as ::arraymodel::__private::ArrayField>::array_schema(generator, &SPEC)
                            .to_value()
                    };
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "Aslist",
                            ));
                    }
                    properties
                        .insert(
                            ::arraymodel::__private::std::string::String::from("asList"),
                            value,
                        );
                    if false {
                        required
                            .push(::arraymodel::__private::serde_json::Value::from("asList"));
                    }
                }
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = {
                        const SPEC: ::arraymodel::__private::ArraySpec = ::arraymodel::__private::ArraySpec {
                            shape: ::arraymodel::__private::ShapeSpec::AnyRank,
                            dtype: ::arraymodel::__private::std::option::Option::None,
                            casting: ::arraymodel::__private::Casting::Tesseract,
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
                                "T",
                            ));
                    }
                    properties
                        .insert(::arraymodel::__private::std::string::String::from("T"), value);
                    if true {
                        required.push(::arraymodel::__private::serde_json::Value::from("T"));
                    }
                }
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = generator
                        .subschema_for::<Inner>()
                        .to_value();
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "Nested",
                            ));
                    }
                    properties
                        .insert(
                            ::arraymodel::__private::std::string::String::from("nested"),
                            value,
                        );
                    if true {
                        required
                            .push(::arraymodel::__private::serde_json::Value::from("nested"));
                    }
                }
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = generator
                        .subschema_for::<std::collections::BTreeMap<String, Array>>()
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
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = generator
                        .subschema_for::<Array>()
                        .to_value();
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "Plain",
                            ));
                    }
                    properties
                        .insert(
                            ::arraymodel::__private::std::string::String::from("plain"),
                            value,
                        );
                    if true {
                        required.push(::arraymodel::__private::serde_json::Value::from("plain"));
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
                        ::arraymodel::__private::serde_json::Value::from("Mixed"),
                    );
                ::arraymodel::__private::schemars::Schema::from(schema)
            }
        }
    }
};
