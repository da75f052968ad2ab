//! Query strings: one extractor, [`Query<T>`], for every `/v1` handler that reads one. `T`
//! says which parameters it takes ([`QueryParams::parameters`], what the OpenAPI document
//! lists) and parses the decoded pairs; any failure is a 400 `invalid_query` naming the
//! parameter. [`SchemaQuery`] parses plain structs by their JSON Schema, so a struct's
//! documented properties are exactly the keys it accepts.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev};
use schemars::{JsonSchema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value, json};

use super::endpoint::properties;
use crate::service::RegistryError;

/// A query-string type: its documented parameters and its parser.
pub trait QueryParams: Sized + 'static {
    /// OpenAPI parameter objects (`"in": "query"`), one per key it accepts.
    fn parameters(generator: &mut SchemaGenerator) -> Vec<Value>;
    /// Parses the decoded pairs in order; refuses keys it does not take.
    fn from_pairs(pairs: &[(String, String)]) -> Result<Self, RegistryError>;
}

/// The parsed query string of a request.
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: QueryParams> FromRequest for Query<T> {
    type Error = RegistryError;
    type Future = Ready<Result<Self, RegistryError>>;

    fn from_request(req: &HttpRequest, _: &mut dev::Payload) -> Self::Future {
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
        ready(T::from_pairs(&pairs).map(Query))
    }
}

/// Marks a struct (all fields optional, deriving `Deserialize` and `JsonSchema`) as a query
/// parsed by its schema: each key must be a property, given once; integers and booleans are
/// read as such and held to the schema's `minimum`/`maximum`.
pub trait SchemaQuery: DeserializeOwned + JsonSchema + 'static {}

impl<T: SchemaQuery> QueryParams for T {
    fn parameters(generator: &mut SchemaGenerator) -> Vec<Value> {
        properties::<T>(generator)
            .into_iter()
            .map(|(name, schema, description)| {
                let mut p =
                    json!({ "name": name, "in": "query", "required": false, "schema": without_null(schema) });
                if let Some(d) = description {
                    p["description"] = d;
                }
                p
            })
            .collect()
    }

    fn from_pairs(pairs: &[(String, String)]) -> Result<Self, RegistryError> {
        let props = properties::<T>(&mut SchemaGenerator::default());
        let mut object = Map::new();
        for (key, raw) in pairs {
            let Some((_, schema, _)) = props.iter().find(|(name, ..)| name == key) else {
                return Err(RegistryError::invalid_query(key, "unknown parameter"));
            };
            if object.contains_key(key) {
                return Err(RegistryError::invalid_query(key, "may be given once"));
            }
            object.insert(key.clone(), typed_value(key, raw, schema)?);
        }
        serde_path_to_error::deserialize(Value::Object(object)).map_err(|e| {
            let parameter = e.path().to_string();
            RegistryError::invalid_query(parameter, e.into_inner().to_string())
        })
    }
}

/// The raw value as the JSON type its schema names, within its bounds.
fn typed_value(key: &str, raw: &str, schema: &Value) -> Result<Value, RegistryError> {
    let is = |t: &str| match &schema["type"] {
        Value::String(s) => s == t,
        Value::Array(types) => types.iter().any(|x| x == t),
        _ => false,
    };
    if is("boolean") {
        return match raw {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(RegistryError::invalid_query(key, "expected true or false")),
        };
    }
    if is("integer") {
        let n: i64 = raw.parse().map_err(|_| RegistryError::invalid_query(key, "expected an integer"))?;
        let (min, max) = (schema["minimum"].as_i64(), schema["maximum"].as_i64());
        if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
            let range = format!(
                "{}-{}",
                min.map_or("".into(), |m| m.to_string()),
                max.map_or("".into(), |m| m.to_string())
            );
            return Err(RegistryError::invalid_query(key, format!("must be {range}")));
        }
        return Ok(Value::Number(Number::from(n)));
    }
    Ok(Value::String(raw.to_owned()))
}

/// A query parameter's schema without the `null` an `Option` adds (an absent key is the
/// null; a present one never is).
fn without_null(mut schema: Value) -> Value {
    if let Some(types) = schema.get_mut("type").and_then(Value::as_array_mut) {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            schema["type"] = types[0].clone();
        }
    }
    if let Some(any) = schema.get_mut("anyOf").and_then(Value::as_array_mut) {
        any.retain(|s| s.get("type") != Some(&json!("null")));
        if any.len() == 1 {
            return any[0].clone();
        }
    }
    schema
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize, JsonSchema)]
    struct Example {
        /// A flag.
        flag: Option<bool>,
        #[schemars(range(min = 1, max = 10))]
        limit: Option<u32>,
        name: Option<String>,
    }

    impl SchemaQuery for Example {}

    fn parse(q: &str) -> Result<Example, String> {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(q.as_bytes()).into_owned().collect();
        Example::from_pairs(&pairs).map_err(|e| match e {
            RegistryError::InvalidQuery { parameter, .. } => parameter,
            other => panic!("{other}"),
        })
    }

    #[test]
    fn schema_queries_take_their_properties_typed_and_bounded() {
        let ok = parse("flag=true&limit=10&name=a%20b").unwrap();
        assert_eq!((ok.flag, ok.limit, ok.name.as_deref()), (Some(true), Some(10), Some("a b")));
        assert!(parse("").unwrap().flag.is_none());
        for (query, parameter) in [
            ("flag=yes", "flag"),
            ("limit=0", "limit"),
            ("limit=11", "limit"),
            ("limit=x", "limit"),
            ("other=1", "other"),
            ("name=a&name=b", "name"),
        ] {
            assert_eq!(parse(query).unwrap_err(), parameter, "{query}");
        }
    }

    #[test]
    fn documented_parameters_are_the_properties_without_null() {
        let params = Example::parameters(&mut SchemaGenerator::default());
        let names: Vec<&str> = params.iter().filter_map(|p| p["name"].as_str()).collect();
        assert_eq!(names, ["flag", "limit", "name"]);
        assert_eq!(params[0]["schema"], json!({ "type": "boolean" }));
        assert_eq!(params[0]["description"], "A flag.");
        assert_eq!(params[1]["schema"]["maximum"], 10);
    }
}
