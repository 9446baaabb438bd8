#[doc(hidden)]
#[allow(non_upper_case_globals, unused_attributes, unused_qualifications, clippy::all)]
const _: () = {
    #[derive(
        ::arraymodel::__private::serde::Serialize,
        ::arraymodel::__private::serde::Deserialize
    )]
    #[serde(crate = "::arraymodel::__private::serde", remote = "Disk")]
    struct __ArrayModelRemote {
        name: String,
        size: f64,
        tags: Vec<i64>,
        labels: std::collections::BTreeMap<String, String>,
    }
    #[automatically_derived]
    impl ::arraymodel::__private::serde::Serialize for Disk {
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
    impl<'de> ::arraymodel::__private::serde::Deserialize<'de> for Disk {
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
    impl Disk {
        #[doc(hidden)]
        fn __arraymodel_conform(&mut self) -> ::arraymodel::__private::Result<()> {
            {
                static __CHECK_PATTERN: ::arraymodel::__private::Pattern = ::arraymodel::__private::Pattern::new(
                    "^[a-z]+$",
                );
                static __CHECK: ::arraymodel::__private::Constraints = ::arraymodel::__private::Constraints {
                    minimum: ::arraymodel::__private::std::option::Option::None,
                    maximum: ::arraymodel::__private::std::option::Option::None,
                    exclusive_minimum: ::arraymodel::__private::std::option::Option::None,
                    exclusive_maximum: ::arraymodel::__private::std::option::Option::None,
                    multiple_of: ::arraymodel::__private::std::option::Option::None,
                    min_length: ::arraymodel::__private::std::option::Option::Some(
                        1usize,
                    ),
                    max_length: ::arraymodel::__private::std::option::Option::None,
                    pattern: ::arraymodel::__private::std::option::Option::Some(
                        &__CHECK_PATTERN,
                    ),
                    min_items: ::arraymodel::__private::std::option::Option::None,
                    max_items: ::arraymodel::__private::std::option::Option::None,
                    unique_items: false,
                    min_properties: ::arraymodel::__private::std::option::Option::None,
                    max_properties: ::arraymodel::__private::std::option::Option::None,
                    required_keys: &[],
                    json_enum: ::arraymodel::__private::std::option::Option::None,
                    items: ::arraymodel::__private::std::option::Option::None,
                    values: ::arraymodel::__private::std::option::Option::None,
                    keys: ::arraymodel::__private::std::option::Option::None,
                };
                ::arraymodel::__private::check(&self.name, &__CHECK)
                    .map_err(|e| e.at_field("name"))?;
            }
            {
                static __CHECK: ::arraymodel::__private::Constraints = ::arraymodel::__private::Constraints {
                    minimum: ::arraymodel::__private::std::option::Option::Some(
                        ::arraymodel::__private::Num::I(-1),
                    ),
                    maximum: ::arraymodel::__private::std::option::Option::None,
                    exclusive_minimum: ::arraymodel::__private::std::option::Option::None,
                    exclusive_maximum: ::arraymodel::__private::std::option::Option::Some(
                        ::arraymodel::__private::Num::F(2.5),
                    ),
                    multiple_of: ::arraymodel::__private::std::option::Option::Some(
                        ::arraymodel::__private::Num::F(0.5),
                    ),
                    min_length: ::arraymodel::__private::std::option::Option::None,
                    max_length: ::arraymodel::__private::std::option::Option::None,
                    pattern: ::arraymodel::__private::std::option::Option::None,
                    min_items: ::arraymodel::__private::std::option::Option::None,
                    max_items: ::arraymodel::__private::std::option::Option::None,
                    unique_items: false,
                    min_properties: ::arraymodel::__private::std::option::Option::None,
                    max_properties: ::arraymodel::__private::std::option::Option::None,
                    required_keys: &[],
                    json_enum: ::arraymodel::__private::std::option::Option::None,
                    items: ::arraymodel::__private::std::option::Option::None,
                    values: ::arraymodel::__private::std::option::Option::None,
                    keys: ::arraymodel::__private::std::option::Option::None,
                };
                ::arraymodel::__private::check(&self.size, &__CHECK)
                    .map_err(|e| e.at_field("size"))?;
            }
            {
                static __CHECK_ITEMS_ENUM: ::arraymodel::__private::JsonEnum = ::arraymodel::__private::JsonEnum::new(
                    "[1, 2]",
                );
                static __CHECK_ITEMS: ::arraymodel::__private::Constraints = ::arraymodel::__private::Constraints {
                    minimum: ::arraymodel::__private::std::option::Option::None,
                    maximum: ::arraymodel::__private::std::option::Option::None,
                    exclusive_minimum: ::arraymodel::__private::std::option::Option::None,
                    exclusive_maximum: ::arraymodel::__private::std::option::Option::None,
                    multiple_of: ::arraymodel::__private::std::option::Option::None,
                    min_length: ::arraymodel::__private::std::option::Option::None,
                    max_length: ::arraymodel::__private::std::option::Option::None,
                    pattern: ::arraymodel::__private::std::option::Option::None,
                    min_items: ::arraymodel::__private::std::option::Option::None,
                    max_items: ::arraymodel::__private::std::option::Option::None,
                    unique_items: false,
                    min_properties: ::arraymodel::__private::std::option::Option::None,
                    max_properties: ::arraymodel::__private::std::option::Option::None,
                    required_keys: &[],
                    json_enum: ::arraymodel::__private::std::option::Option::Some(
                        &__CHECK_ITEMS_ENUM,
                    ),
                    items: ::arraymodel::__private::std::option::Option::None,
                    values: ::arraymodel::__private::std::option::Option::None,
                    keys: ::arraymodel::__private::std::option::Option::None,
                };
                static __CHECK: ::arraymodel::__private::Constraints = ::arraymodel::__private::Constraints {
                    minimum: ::arraymodel::__private::std::option::Option::None,
                    maximum: ::arraymodel::__private::std::option::Option::None,
                    exclusive_minimum: ::arraymodel::__private::std::option::Option::None,
                    exclusive_maximum: ::arraymodel::__private::std::option::Option::None,
                    multiple_of: ::arraymodel::__private::std::option::Option::None,
                    min_length: ::arraymodel::__private::std::option::Option::None,
                    max_length: ::arraymodel::__private::std::option::Option::None,
                    pattern: ::arraymodel::__private::std::option::Option::None,
                    min_items: ::arraymodel::__private::std::option::Option::None,
                    max_items: ::arraymodel::__private::std::option::Option::Some(
                        4usize,
                    ),
                    unique_items: true,
                    min_properties: ::arraymodel::__private::std::option::Option::None,
                    max_properties: ::arraymodel::__private::std::option::Option::None,
                    required_keys: &[],
                    json_enum: ::arraymodel::__private::std::option::Option::None,
                    items: ::arraymodel::__private::std::option::Option::Some(
                        &__CHECK_ITEMS,
                    ),
                    values: ::arraymodel::__private::std::option::Option::None,
                    keys: ::arraymodel::__private::std::option::Option::None,
                };
                ::arraymodel::__private::check(&self.tags, &__CHECK)
                    .map_err(|e| e.at_field("tags"))?;
            }
            {
                static __CHECK_VALUES: ::arraymodel::__private::Constraints = ::arraymodel::__private::Constraints {
                    minimum: ::arraymodel::__private::std::option::Option::None,
                    maximum: ::arraymodel::__private::std::option::Option::None,
                    exclusive_minimum: ::arraymodel::__private::std::option::Option::None,
                    exclusive_maximum: ::arraymodel::__private::std::option::Option::None,
                    multiple_of: ::arraymodel::__private::std::option::Option::None,
                    min_length: ::arraymodel::__private::std::option::Option::None,
                    max_length: ::arraymodel::__private::std::option::Option::Some(
                        3usize,
                    ),
                    pattern: ::arraymodel::__private::std::option::Option::None,
                    min_items: ::arraymodel::__private::std::option::Option::None,
                    max_items: ::arraymodel::__private::std::option::Option::None,
                    unique_items: false,
                    min_properties: ::arraymodel::__private::std::option::Option::None,
                    max_properties: ::arraymodel::__private::std::option::Option::None,
                    required_keys: &[],
                    json_enum: ::arraymodel::__private::std::option::Option::None,
                    items: ::arraymodel::__private::std::option::Option::None,
                    values: ::arraymodel::__private::std::option::Option::None,
                    keys: ::arraymodel::__private::std::option::Option::None,
                };
                static __CHECK_KEYS_PATTERN: ::arraymodel::__private::Pattern = ::arraymodel::__private::Pattern::new(
                    "^x",
                );
                static __CHECK_KEYS: ::arraymodel::__private::Constraints = ::arraymodel::__private::Constraints {
                    minimum: ::arraymodel::__private::std::option::Option::None,
                    maximum: ::arraymodel::__private::std::option::Option::None,
                    exclusive_minimum: ::arraymodel::__private::std::option::Option::None,
                    exclusive_maximum: ::arraymodel::__private::std::option::Option::None,
                    multiple_of: ::arraymodel::__private::std::option::Option::None,
                    min_length: ::arraymodel::__private::std::option::Option::None,
                    max_length: ::arraymodel::__private::std::option::Option::None,
                    pattern: ::arraymodel::__private::std::option::Option::Some(
                        &__CHECK_KEYS_PATTERN,
                    ),
                    min_items: ::arraymodel::__private::std::option::Option::None,
                    max_items: ::arraymodel::__private::std::option::Option::None,
                    unique_items: false,
                    min_properties: ::arraymodel::__private::std::option::Option::None,
                    max_properties: ::arraymodel::__private::std::option::Option::None,
                    required_keys: &[],
                    json_enum: ::arraymodel::__private::std::option::Option::None,
                    items: ::arraymodel::__private::std::option::Option::None,
                    values: ::arraymodel::__private::std::option::Option::None,
                    keys: ::arraymodel::__private::std::option::Option::None,
                };
                static __CHECK: ::arraymodel::__private::Constraints = ::arraymodel::__private::Constraints {
                    minimum: ::arraymodel::__private::std::option::Option::None,
                    maximum: ::arraymodel::__private::std::option::Option::None,
                    exclusive_minimum: ::arraymodel::__private::std::option::Option::None,
                    exclusive_maximum: ::arraymodel::__private::std::option::Option::None,
                    multiple_of: ::arraymodel::__private::std::option::Option::None,
                    min_length: ::arraymodel::__private::std::option::Option::None,
                    max_length: ::arraymodel::__private::std::option::Option::None,
                    pattern: ::arraymodel::__private::std::option::Option::None,
                    min_items: ::arraymodel::__private::std::option::Option::None,
                    max_items: ::arraymodel::__private::std::option::Option::None,
                    unique_items: false,
                    min_properties: ::arraymodel::__private::std::option::Option::None,
                    max_properties: ::arraymodel::__private::std::option::Option::None,
                    required_keys: &["a"],
                    json_enum: ::arraymodel::__private::std::option::Option::None,
                    items: ::arraymodel::__private::std::option::Option::None,
                    values: ::arraymodel::__private::std::option::Option::Some(
                        &__CHECK_VALUES,
                    ),
                    keys: ::arraymodel::__private::std::option::Option::Some(
                        &__CHECK_KEYS,
                    ),
                };
                ::arraymodel::__private::check(&self.labels, &__CHECK)
                    .map_err(|e| e.at_field("labels"))?;
            }
            ::arraymodel::__private::std::result::Result::Ok(())
        }
    }
    #[automatically_derived]
    impl ::arraymodel::__private::ArrayModel for Disk {
        const FIELDS: &'static [::arraymodel::__private::FieldInfo] = &[
            ::arraymodel::__private::FieldInfo {
                name: "name",
                wire_name: "name",
                array: ::arraymodel::__private::std::option::Option::None,
                bytes: false,
                description: ::arraymodel::__private::std::option::Option::None,
            },
            ::arraymodel::__private::FieldInfo {
                name: "size",
                wire_name: "size",
                array: ::arraymodel::__private::std::option::Option::None,
                bytes: false,
                description: ::arraymodel::__private::std::option::Option::None,
            },
            ::arraymodel::__private::FieldInfo {
                name: "tags",
                wire_name: "tags",
                array: ::arraymodel::__private::std::option::Option::None,
                bytes: false,
                description: ::arraymodel::__private::std::option::Option::None,
            },
            ::arraymodel::__private::FieldInfo {
                name: "labels",
                wire_name: "labels",
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
        impl ::arraymodel::__private::schemars::JsonSchema for Disk {
            fn schema_name() -> ::arraymodel::__private::std::borrow::Cow<'static, str> {
                ::arraymodel::__private::std::borrow::Cow::Borrowed("Disk")
            }
            fn json_schema(
                generator: &mut ::arraymodel::__private::schemars::SchemaGenerator,
            ) -> ::arraymodel::__private::schemars::Schema {
                let mut properties = ::arraymodel::__private::serde_json::Map::new();
                let mut required: ::arraymodel::__private::std::vec::Vec<
                    ::arraymodel::__private::serde_json::Value,
                > = ::arraymodel::__private::std::vec::Vec::new();
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = generator
                        .subschema_for::<String>()
                        .to_value();
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "Name",
                            ));
                    }
                    properties
                        .insert(
                            ::arraymodel::__private::std::string::String::from("name"),
                            value,
                        );
                    if true {
                        required.push(::arraymodel::__private::serde_json::Value::from("name"));
                    }
                }
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = generator
                        .subschema_for::<f64>()
                        .to_value();
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "Size",
                            ));
                    }
                    properties
                        .insert(
                            ::arraymodel::__private::std::string::String::from("size"),
                            value,
                        );
                    if true {
                        required.push(::arraymodel::__private::serde_json::Value::from("size"));
                    }
                }
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = generator
                        .subschema_for::<Vec<i64>>()
                        .to_value();
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "Tags",
                            ));
                    }
                    properties
                        .insert(
                            ::arraymodel::__private::std::string::String::from("tags"),
                            value,
                        );
                    if true {
                        required.push(::arraymodel::__private::serde_json::Value::from("tags"));
                    }
                }
                {
                    let mut value: ::arraymodel::__private::serde_json::Value = generator
                        .subschema_for::<std::collections::BTreeMap<String, String>>()
                        .to_value();
                    if let ::arraymodel::__private::std::option::Option::Some(obj) = value
                        .as_object_mut()
                    {
                        obj.entry("title")
                            .or_insert_with(|| ::arraymodel::__private::serde_json::Value::from(
                                "Labels",
                            ));
                    }
                    properties
                        .insert(
                            ::arraymodel::__private::std::string::String::from("labels"),
                            value,
                        );
                    if true {
                        required
                            .push(::arraymodel::__private::serde_json::Value::from("labels"));
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
                        ::arraymodel::__private::serde_json::Value::from("Disk"),
                    );
                ::arraymodel::__private::schemars::Schema::from(schema)
            }
        }
    }
};
