//! YAML front matter of a Markdown model card (`---` ... `---` at the top of README.md):
//! split from the body, parsed by a YAML 1.2 parser (`saphyr-parser`), and read for its
//! top-level keys: scalars (any style, escapes resolved) and lists of scalars. Nested maps
//! and lists of collections (`model-index`, `widget`, ...) are `Nested`, present but not
//! read. Text that is not YAML is an error with its position. Knows nothing of what the
//! keys mean.

use std::collections::{BTreeMap, HashMap};

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, StrInput, Tag};

/// A top-level value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YamlValue {
    Scalar(String),
    List(Vec<String>),
    /// A map, or a list holding maps or lists: present, but not read.
    Nested,
}

impl YamlValue {
    /// A scalar as a one-element list; a list as is; nothing for nested values.
    pub fn items(&self) -> Vec<String> {
        match self {
            Self::Scalar(s) => vec![s.clone()],
            Self::List(items) => items.clone(),
            Self::Nested => Vec::new(),
        }
    }
}

/// Why a front matter block could not be read. Lines count from the first line of the
/// front matter (the line after the opening `---`), columns from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrontMatterError {
    #[error("line {line}, column {column}: {reason}")]
    Syntax { line: usize, column: usize, reason: String },
    #[error("it is not a mapping of keys to values")]
    NotAMapping,
}

/// List items that aliases may copy into values, in all: a few aliases to a long list
/// must not multiply memory.
const ALIAS_ITEM_BUDGET: usize = 4096;

/// Splits a card into its front matter (the text between the `---` lines) and the body
/// after it; `None` when the text does not start with a complete front matter block.
pub fn split(text: &str) -> Option<(&str, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (first, mut rest) = text.split_once('\n')?;
    if first.trim_end() != "---" {
        return None;
    }
    let yaml_start = rest;
    let mut yaml_len = 0;
    loop {
        let (line, after) = rest.split_once('\n').unwrap_or((rest, ""));
        if matches!(line.trim_end(), "---" | "...") {
            return Some((&yaml_start[..yaml_len], after));
        }
        if after.is_empty() && !rest.contains('\n') {
            return None;
        }
        yaml_len += line.len() + 1;
        rest = after;
    }
}

/// The top-level keys of a front matter block. Keys whose value is null (`~`, `null`,
/// nothing) are left out, and so are keys that are not scalars; a repeated key keeps its
/// first value. Empty text is an empty map.
pub fn parse(yaml: &str) -> Result<BTreeMap<String, YamlValue>, FrontMatterError> {
    let mut reader = Reader { parser: Parser::new_from_str(yaml), anchors: HashMap::new(), alias_items: 0 };
    let mut fields = BTreeMap::new();
    // StreamStart, then DocumentStart unless the text holds no document at all.
    loop {
        match reader.next()? {
            Event::StreamStart => {}
            Event::DocumentStart(_) => break,
            _ => return Ok(fields),
        }
    }
    match reader.next()? {
        Event::MappingStart(..) => {}
        Event::Scalar(value, ScalarStyle::Plain, _, None) if is_null(&value) => return Ok(fields),
        _ => return Err(FrontMatterError::NotAMapping),
    }
    loop {
        let key = match reader.next()? {
            Event::MappingEnd => break,
            Event::Scalar(key, ..) => Some(key.into_owned()),
            other => {
                reader.value(other)?;
                None
            }
        };
        let first = reader.next()?;
        let value = reader.value(first)?;
        if let (Some(key), Some(value)) = (key, value) {
            fields.entry(key).or_insert(value);
        }
    }
    // The rest of the stream, for the syntax errors it may hold.
    while !matches!(reader.next()?, Event::StreamEnd) {}
    Ok(fields)
}

/// Reads values from the parser's events, remembering anchored values for aliases.
struct Reader<'a> {
    parser: Parser<'a, StrInput<'a>>,
    anchors: HashMap<usize, Option<YamlValue>>,
    alias_items: usize,
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<Event<'a>, FrontMatterError> {
        match self.parser.next_event() {
            Some(Ok((event, _))) => Ok(event),
            Some(Err(e)) => Err(syntax(&e)),
            None => Err(FrontMatterError::Syntax { line: 0, column: 0, reason: "unexpected end".into() }),
        }
    }

    /// The value that starts with `first`; `None` for null.
    fn value(&mut self, first: Event<'a>) -> Result<Option<YamlValue>, FrontMatterError> {
        let (value, anchor) = match first {
            Event::Scalar(text, style, anchor, tag) => {
                (scalar(&text, style, tag.as_deref()).map(YamlValue::Scalar), anchor)
            }
            Event::Alias(id) => (self.alias(id), 0),
            Event::SequenceStart(anchor, _) => (Some(self.sequence()?), anchor),
            Event::MappingStart(anchor, _) => {
                self.skip_collection()?;
                (Some(YamlValue::Nested), anchor)
            }
            _ => (None, 0),
        };
        if anchor != 0 {
            self.anchors.insert(anchor, value.clone());
        }
        Ok(value)
    }

    /// A list of scalars (nulls dropped), or `Nested` when an item is a collection.
    fn sequence(&mut self) -> Result<YamlValue, FrontMatterError> {
        let mut items = Some(Vec::new());
        loop {
            let item = match self.next()? {
                Event::SequenceEnd => break,
                Event::Scalar(text, style, anchor, tag) => {
                    let item = scalar(&text, style, tag.as_deref());
                    if anchor != 0 {
                        self.anchors.insert(anchor, item.clone().map(YamlValue::Scalar));
                    }
                    item
                }
                Event::Alias(id) => match self.alias(id) {
                    Some(YamlValue::Scalar(s)) => Some(s),
                    None => None,
                    Some(_) => {
                        items = None;
                        None
                    }
                },
                Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                    self.skip_collection()?;
                    if anchor != 0 {
                        self.anchors.insert(anchor, Some(YamlValue::Nested));
                    }
                    items = None;
                    None
                }
                _ => None,
            };
            if let (Some(items), Some(item)) = (items.as_mut(), item) {
                items.push(item);
            }
        }
        Ok(items.map_or(YamlValue::Nested, YamlValue::List))
    }

    /// Consumes a collection whose start event was just read, however deep, without
    /// recursion; anchored scalars inside it stay available to aliases.
    fn skip_collection(&mut self) -> Result<(), FrontMatterError> {
        let mut depth = 1usize;
        while depth > 0 {
            match self.next()? {
                Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                    depth += 1;
                    if anchor != 0 {
                        self.anchors.insert(anchor, Some(YamlValue::Nested));
                    }
                }
                Event::SequenceEnd | Event::MappingEnd => depth -= 1,
                Event::Scalar(text, style, anchor, tag) if anchor != 0 => {
                    let value = scalar(&text, style, tag.as_deref()).map(YamlValue::Scalar);
                    self.anchors.insert(anchor, value);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// What an alias stands for; a list only while the alias budget lasts.
    fn alias(&mut self, id: usize) -> Option<YamlValue> {
        match self.anchors.get(&id)? {
            Some(YamlValue::List(items)) => {
                self.alias_items += items.len();
                Some(if self.alias_items > ALIAS_ITEM_BUDGET {
                    YamlValue::Nested
                } else {
                    YamlValue::List(items.clone())
                })
            }
            other => other.clone(),
        }
    }
}

/// A scalar's text, or `None` for null: a plain `~`, `null` (any case YAML allows) or
/// nothing, unless tagged otherwise (`!!str null` is the text `null`).
fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Option<String> {
    let plain_null = style == ScalarStyle::Plain && is_null(text);
    let tagged_null = tag.is_some_and(|t| t.is_yaml_core_schema() && t.suffix == "null");
    let tagged_other = tag.is_some() && !tagged_null;
    ((!plain_null || tagged_other) && !tagged_null).then(|| text.to_owned())
}

fn is_null(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

fn syntax(e: &ScanError) -> FrontMatterError {
    let mark = e.marker();
    FrontMatterError::Syntax { line: mark.line(), column: mark.col() + 1, reason: e.info().to_owned() }
}

#[cfg(test)]
mod tests;
