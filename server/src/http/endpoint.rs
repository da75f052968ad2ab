//! Endpoint descriptors: one value per method and path holds the actix route (the handler)
//! and what the OpenAPI document says about it, so registration and documentation are one
//! list (`routes::endpoints`). Path and query parameters and the security of an operation
//! come from the handler's own extractor types ([`Documented`]); bodies, responses and error
//! codes are declared beside the handler. Rendering the document is `openapi`'s.

use std::collections::BTreeMap;

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, HttpRequest, Responder, Route, web};
use modelreg_api::{ErrorCode, Scope};
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Value, json};

use super::auth::{Auth, Need};
use super::body::Body;
use super::error::status_of;
use super::paths::PathParams;
use super::query::{Query, QueryParams};

/// What one operation documents, filled in by its extractors and its descriptor.
#[derive(Default)]
pub struct Operation {
    pub summary: &'static str,
    /// The scope a token needs; `None` for public operations.
    pub scope: Option<Scope>,
    /// OpenAPI parameter objects, path parameters first.
    pub parameters: Vec<Value>,
    pub request_body: Option<Value>,
    /// Success responses by status.
    pub responses: BTreeMap<u16, Value>,
    /// Error codes it may answer with, each with an optional note.
    pub errors: Vec<(ErrorCode, Option<&'static str>)>,
}

impl Operation {
    /// A token of `scope` is needed: no valid one is 401, too little scope 403.
    pub fn needs(&mut self, scope: Scope) {
        self.scope = Some(scope);
        self.error(ErrorCode::Unauthorized, Some("no valid token (or none, where reads need one)"));
        if scope != Scope::Read {
            self.error(ErrorCode::Forbidden, Some("the token's scope or namespaces do not cover this"));
        }
    }

    /// Adds an error code (once; a later note replaces an empty one).
    pub fn error(&mut self, code: ErrorCode, note: Option<&'static str>) {
        match self.errors.iter_mut().find(|(c, _)| *c == code) {
            Some((_, existing)) => *existing = note.or(*existing),
            None => self.errors.push((code, note)),
        }
    }
}

type DocStep = Box<dyn Fn(&mut Operation, &mut SchemaGenerator)>;

/// One method on one path: the route actix serves and its documentation.
pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    route: Route,
    steps: Vec<DocStep>,
}

impl Endpoint {
    /// An endpoint served by `handler`; its extractors document its parameters and security.
    pub fn new<F, Args>(method: Method, path: &'static str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Documented + 'static,
        F::Output: Responder + 'static,
    {
        let route = web::route().method(method.clone()).to(handler);
        Self { method, path, route, steps: vec![Box::new(|op, g| Args::document(op, g))] }
    }

    pub fn get<F, Args>(path: &'static str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Documented + 'static,
        F::Output: Responder + 'static,
    {
        Self::new(Method::GET, path, handler)
    }

    pub fn post<F, Args>(path: &'static str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Documented + 'static,
        F::Output: Responder + 'static,
    {
        Self::new(Method::POST, path, handler)
    }

    pub fn put<F, Args>(path: &'static str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Documented + 'static,
        F::Output: Responder + 'static,
    {
        Self::new(Method::PUT, path, handler)
    }

    pub fn delete<F, Args>(path: &'static str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Documented + 'static,
        F::Output: Responder + 'static,
    {
        Self::new(Method::DELETE, path, handler)
    }

    fn step(mut self, step: impl Fn(&mut Operation, &mut SchemaGenerator) + 'static) -> Self {
        self.steps.push(Box::new(step));
        self
    }

    pub fn summary(self, summary: &'static str) -> Self {
        self.step(move |op, _| op.summary = summary)
    }

    /// A scope checked inside the handler rather than by an `Auth` extractor (documented as
    /// `Auth` documents it).
    pub fn scope(self, scope: Scope) -> Self {
        self.step(move |op, _| op.needs(scope))
    }

    /// A required JSON request body of type `T` (malformed: `invalid_json`).
    pub fn json_body<T: JsonSchema>(self) -> Self {
        self.json_body_refused_as::<T>(ErrorCode::InvalidJson)
    }

    /// A required JSON request body of type `T` whose parse failures answer with `malformed`.
    pub fn json_body_refused_as<T: JsonSchema>(self, malformed: ErrorCode) -> Self {
        self.step(move |op, g| {
            let schema = g.subschema_for::<T>().to_value();
            op.request_body =
                Some(json!({ "required": true, "content": { "application/json": { "schema": schema } } }));
            for code in [malformed, ErrorCode::BodyTooLarge, ErrorCode::BodyTimeout] {
                op.error(code, None);
            }
        })
    }

    /// A required streamed binary body (`Content-Length` required).
    pub fn binary_body(self) -> Self {
        self.step(|op, _| {
            op.request_body = Some(json!({ "required": true, "content": { "application/octet-stream":
                { "schema": { "type": "string", "format": "binary" } } } }));
            for code in [
                ErrorCode::LengthRequired,
                ErrorCode::InvalidContentLength,
                ErrorCode::BodyInterrupted,
                ErrorCode::BodyTimeout,
            ] {
                op.error(code, None);
            }
        })
    }

    /// A JSON response of type `T`.
    pub fn ok<T: JsonSchema>(self, status: u16, description: &'static str) -> Self {
        self.step(move |op, g| {
            let schema = g.subschema_for::<T>().to_value();
            op.responses.insert(
                status,
                json!({ "description": description, "content": { "application/json": { "schema": schema } } }),
            );
        })
    }

    /// A response without a body.
    pub fn empty(self, status: u16, description: &'static str) -> Self {
        self.step(move |op, _| {
            op.responses.insert(status, json!({ "description": description }));
        })
    }

    /// A response written out (content types other than JSON, headers).
    pub fn response(self, status: u16, response: Value) -> Self {
        self.step(move |op, _| {
            op.responses.insert(status, response.clone());
        })
    }

    /// Error codes the operation may answer with (statuses follow from the codes).
    pub fn errors(self, codes: &'static [ErrorCode]) -> Self {
        self.step(move |op, _| codes.iter().for_each(|c| op.error(*c, None)))
    }

    /// An error code with a note on when it happens.
    pub fn fails(self, code: ErrorCode, note: &'static str) -> Self {
        self.step(move |op, _| op.error(code, Some(note)))
    }

    /// The operation's documentation, its schemas registered in `generator`.
    pub fn operation(&self, generator: &mut SchemaGenerator) -> Operation {
        let mut op = Operation::default();
        for step in &self.steps {
            step(&mut op, generator);
        }
        // Path parameters in the template's order (schemas list properties by name), then the rest.
        let segments: Vec<&str> =
            self.path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).collect();
        op.parameters.sort_by_key(|p| match p["in"].as_str() {
            Some("path") => segments.iter().position(|s| p["name"] == *s).unwrap_or(usize::MAX),
            _ => usize::MAX,
        });
        op
    }

    /// Gives the route to actix (the documentation stays behind).
    pub fn into_route(self) -> Route {
        self.route
    }
}

/// An extractor's contribution to its operation's documentation. Every extractor a handler
/// takes implements it, so a parameter the handler reads cannot be left out of the document.
pub trait Documented {
    fn document(_op: &mut Operation, _generator: &mut SchemaGenerator) {}
}

impl Documented for HttpRequest {}
impl Documented for Body {}
impl<T: 'static> Documented for web::Data<T> {}

impl<N: Need> Documented for Auth<N> {
    fn document(op: &mut Operation, _: &mut SchemaGenerator) {
        op.needs(N::SCOPE);
    }
}

/// Path parameters: the properties of `T` (a struct deriving `JsonSchema`), in order, and the
/// 400 codes a malformed one is refused with.
impl<T: PathParams> Documented for web::Path<T> {
    fn document(op: &mut Operation, generator: &mut SchemaGenerator) {
        for code in T::REFUSED {
            op.error(*code, None);
        }
        for (name, schema, description) in properties::<T>(generator) {
            let mut p = json!({ "name": name, "in": "path", "required": true, "schema": schema });
            if let Some(d) = description {
                p["description"] = d;
            }
            op.parameters.push(p);
        }
    }
}

impl<T: QueryParams> Documented for Query<T> {
    fn document(op: &mut Operation, generator: &mut SchemaGenerator) {
        op.parameters.extend(T::parameters(generator));
        op.error(
            ErrorCode::InvalidQuery,
            Some("a query parameter is unknown or invalid (details.parameter)"),
        );
    }
}

macro_rules! documented_tuple {
    ($($t:ident),*) => {
        impl<$($t: Documented),*> Documented for ($($t,)*) {
            fn document(op: &mut Operation, generator: &mut SchemaGenerator) {
                $($t::document(op, generator);)*
            }
        }
    };
}

impl Documented for () {}
documented_tuple!(A);
documented_tuple!(A, B);
documented_tuple!(A, B, C);
documented_tuple!(A, B, C, D);
documented_tuple!(A, B, C, D, E);
documented_tuple!(A, B, C, D, E, F);

/// The properties of a struct's schema: name, schema (its description moved out), description.
pub fn properties<T: JsonSchema>(generator: &mut SchemaGenerator) -> Vec<(String, Value, Option<Value>)> {
    let schema = T::json_schema(generator).to_value();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else { return Vec::new() };
    props
        .iter()
        .map(|(name, s)| {
            let mut s = s.clone();
            let description = s.as_object_mut().and_then(|o| o.remove("description"));
            (name.clone(), s, description)
        })
        .collect()
}

/// Statuses and their responses for the error codes of an operation, each an ErrorEnvelope
/// whose description lists the codes.
pub fn error_responses(errors: &[(ErrorCode, Option<&'static str>)]) -> BTreeMap<u16, Value> {
    let mut by_status: BTreeMap<u16, Vec<String>> = BTreeMap::new();
    for (code, note) in errors {
        let line = match note {
            Some(n) => format!("`{code}`: {n}"),
            None => format!("`{code}`"),
        };
        by_status.entry(status_of(*code).as_u16()).or_default().push(line);
    }
    by_status
        .into_iter()
        .map(|(status, lines)| {
            let codes: Vec<&str> = errors
                .iter()
                .filter(|(c, _)| status_of(*c).as_u16() == status)
                .map(|(c, _)| c.as_str())
                .collect();
            (
                status,
                json!({
                    "description": lines.join("; "),
                    "x-error-codes": codes,
                    "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ErrorEnvelope" } } }
                }),
            )
        })
        .collect()
}
