//! Reads a CI definition (action.yml, a GitLab template) into a JSON value with the CLI's
//! YAML parser, so that the tests run what the file says. Every scalar is a string; anchors
//! and aliases, which these files do not use, are refused.

use saphyr_parser::{Event, Parser, StrInput};
use serde_json::{Map, Value};

pub fn parse(text: &str) -> Value {
    let mut reader = Reader { parser: Parser::new_from_str(text) };
    loop {
        match reader.next() {
            Event::StreamStart | Event::DocumentStart(_) => {}
            first => return reader.value(first),
        }
    }
}

struct Reader<'a> {
    parser: Parser<'a, StrInput<'a>>,
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Event<'a> {
        match self.parser.next_event() {
            Some(Ok((event, _))) => event,
            Some(Err(e)) => panic!("not valid YAML: {e}"),
            None => panic!("the YAML ended early"),
        }
    }

    fn value(&mut self, first: Event<'a>) -> Value {
        match first {
            Event::Scalar(text, ..) => Value::String(text.into_owned()),
            Event::SequenceStart(..) => {
                let mut items = Vec::new();
                loop {
                    match self.next() {
                        Event::SequenceEnd => return Value::Array(items),
                        event => items.push(self.value(event)),
                    }
                }
            }
            Event::MappingStart(..) => {
                let mut map = Map::new();
                loop {
                    let key = match self.next() {
                        Event::MappingEnd => return Value::Object(map),
                        Event::Scalar(key, ..) => key.into_owned(),
                        other => panic!("a mapping key that is not a scalar: {other:?}"),
                    };
                    let first = self.next();
                    let value = self.value(first);
                    assert!(map.insert(key.clone(), value).is_none(), "the key {key} is repeated");
                }
            }
            other => panic!("unexpected YAML event {other:?}"),
        }
    }
}

#[test]
fn nested_maps_lists_and_block_scalars_read_as_json() {
    let doc = parse("a:\n  b: [1, \"x\"]\n  c: |\n    line\n.d:\n  - e: ''\n");
    assert_eq!(doc, serde_json::json!({"a": {"b": ["1", "x"], "c": "line\n"}, ".d": [{"e": ""}]}));
}
