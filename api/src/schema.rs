//! Serde and JSON Schema glue for the validated string newtypes: each one travels as a plain
//! JSON string and is parsed through its `FromStr` on the way in.

/// Implements `Serialize`, `Deserialize` and `JsonSchema` for a type that has `Display`
/// and `FromStr`, describing it in the schema as a string with the given pattern.
macro_rules! string_newtype_serde {
    ($ty:ty, $desc:expr, $pattern:expr) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                raw.parse().map_err(serde::de::Error::custom)
            }
        }

        impl schemars::JsonSchema for $ty {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($ty).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                let pattern: Option<&str> = $pattern;
                match pattern {
                    Some(p) => schemars::json_schema!({
                        "type": "string", "description": $desc, "pattern": p
                    }),
                    None => schemars::json_schema!({ "type": "string", "description": $desc }),
                }
            }
        }
    };
}

pub(crate) use string_newtype_serde;
