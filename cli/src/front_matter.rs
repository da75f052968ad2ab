//! YAML front matter of a Markdown model card (`---` ... `---` at the top of README.md),
//! read for the subset Hugging Face cards use: top-level `key: value` with plain, quoted or
//! block (`|`, `>`) scalars, inline `[a, b]` lists and block lists of scalars. Nested maps
//! and lists of maps (`model-index`, `widget`, ...) are skipped as a whole. Never fails:
//! what it cannot read it leaves out. Knows nothing of what the keys mean.

use std::collections::BTreeMap;

/// A top-level value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YamlValue {
    Scalar(String),
    List(Vec<String>),
    /// A map, a list of maps or lists, or an alias: present, but not read.
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
/// nothing) are left out; a repeated key keeps its first value.
pub fn parse(yaml: &str) -> BTreeMap<String, YamlValue> {
    let lines: Vec<&str> = yaml.lines().map(|l| l.trim_end_matches('\r')).collect();
    let mut fields = BTreeMap::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if is_ignorable(line) || line.starts_with([' ', '\t', '-']) {
            continue;
        }
        let Some((key, rest)) = split_key(line) else { continue };
        // The key's block: indented lines, and `- item` lines at column 0 when the value
        // starts on the next line (YAML allows an unindented block list under a key).
        let start = i;
        while i < lines.len()
            && (is_ignorable(lines[i])
                || lines[i].starts_with([' ', '\t'])
                || (rest.is_empty() && lines[i].starts_with('-')))
        {
            i += 1;
        }
        if let Some(value) = value_of(rest, &lines[start..i]) {
            fields.entry(key).or_insert(value);
        }
    }
    fields
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

fn is_ignorable(line: &str) -> bool {
    line.trim().is_empty() || is_comment(line)
}

/// `key: rest` (the key possibly quoted); `None` for a line that is not a mapping entry.
fn split_key(line: &str) -> Option<(String, &str)> {
    if let Some(quote) = line.chars().next().filter(|c| matches!(c, '"' | '\'')) {
        let (key, after) = quoted(line, quote)?;
        let rest = after.trim_start().strip_prefix(':')?;
        return (rest.is_empty() || rest.starts_with([' ', '\t'])).then(|| (key, rest.trim()));
    }
    let at = line.match_indices(':').map(|(at, _)| at).find(|&at| {
        let after = &line[at + 1..];
        after.is_empty() || after.starts_with([' ', '\t'])
    })?;
    let key = line[..at].trim();
    (!key.is_empty()).then(|| (key.to_owned(), line[at + 1..].trim()))
}

/// The value of a key: `rest` is what follows the colon on the key's line, `raw` the
/// lines belonging to the key.
fn value_of(rest: &str, raw: &[&str]) -> Option<YamlValue> {
    let rest = strip_properties(rest);
    let rest = if rest.starts_with('#') { "" } else { rest };
    if let Some(style) = rest.chars().next().filter(|c| matches!(c, '|' | '>')) {
        return Some(YamlValue::Scalar(block_scalar(style, raw)));
    }
    // Outside block scalars a line starting with `#` is a comment.
    let block: Vec<&str> = raw.iter().copied().filter(|l| !is_comment(l)).collect();
    if rest.starts_with('*') {
        return Some(YamlValue::Nested);
    }
    if rest.is_empty() {
        let first = block.iter().find(|l| !l.trim().is_empty())?;
        return Some(if first.trim_start().starts_with('-') {
            block_list(&block)
        } else {
            YamlValue::Nested
        });
    }
    let joined = || {
        let mut text = rest.to_owned();
        for line in &block {
            text.push(' ');
            text.push_str(line.trim());
        }
        text
    };
    if rest.starts_with('[') {
        return Some(flow_list(&joined()));
    }
    if rest.starts_with('{') {
        return Some(YamlValue::Nested);
    }
    scalar(&joined()).map(YamlValue::Scalar)
}

/// Drops a tag (`!!str`) or an anchor (`&name`) in front of a value.
fn strip_properties(mut rest: &str) -> &str {
    while rest.starts_with(['!', '&']) {
        rest = rest.split_once([' ', '\t']).map_or("", |(_, after)| after.trim_start());
    }
    rest
}

/// A list of scalars, one `- item` per entry; `Nested` as soon as an entry is a map or
/// a list. A plain item may go on over more-indented lines.
fn block_list(block: &[&str]) -> YamlValue {
    let indent_of = |l: &str| l.len() - l.trim_start().len();
    let Some(item_indent) = block.iter().find(|l| !l.trim().is_empty()).map(|l| indent_of(l)) else {
        return YamlValue::List(Vec::new());
    };
    let mut items: Vec<String> = Vec::new();
    let mut continued = false;
    for line in block.iter().filter(|l| !l.trim().is_empty()) {
        let indent = indent_of(line);
        let text = line.trim();
        if indent == item_indent {
            let Some(content) = text.strip_prefix('-').filter(|c| c.is_empty() || c.starts_with(' ')) else {
                return YamlValue::Nested;
            };
            let content = strip_properties(content.trim());
            if content.is_empty()
                || content.starts_with(['[', '{', '-', '*', '|', '>'])
                || split_key(content).is_some()
            {
                return YamlValue::Nested;
            }
            items.push(content.to_owned());
            continued = !content.starts_with(['"', '\'']);
        } else if indent > item_indent && continued {
            let last = items.last_mut().expect("a continuation follows an item");
            last.push(' ');
            last.push_str(text);
        } else {
            return YamlValue::Nested;
        }
    }
    YamlValue::List(items.iter().filter_map(|i| scalar(i)).collect())
}

/// `|` keeps line breaks, `>` folds lines into one with spaces (blank lines stay breaks);
/// the common indentation is removed and trailing blank lines dropped.
fn block_scalar(style: char, block: &[&str]) -> String {
    let indent = block
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let lines: Vec<&str> = block.iter().map(|l| l.get(indent..).unwrap_or("").trim_end()).collect();
    if style == '|' {
        return lines.join("\n").trim_end().to_owned();
    }
    let mut text = String::new();
    for line in lines {
        if line.is_empty() {
            text.push('\n');
        } else {
            if !text.is_empty() && !text.ends_with('\n') {
                text.push(' ');
            }
            text.push_str(line);
        }
    }
    text.trim().to_owned()
}

/// `[a, "b, c", 'd']`; `Nested` for nested collections or a list that does not close.
fn flow_list(text: &str) -> YamlValue {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.trim().strip_prefix('[').unwrap_or_default().chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => {
                current.push(c);
                quote = None;
            }
            (Some('"'), '\\') => {
                current.push(c);
                current.extend(chars.next());
            }
            (Some(_), c) => current.push(c),
            (None, '"' | '\'') => {
                current.push(c);
                quote = Some(c);
            }
            (None, '[' | '{') => return YamlValue::Nested,
            (None, ',' | ']') => {
                if !current.trim().is_empty() {
                    items.extend(scalar(current.trim()));
                }
                current.clear();
                if c == ']' {
                    return YamlValue::List(items);
                }
            }
            (None, c) => current.push(c),
        }
    }
    YamlValue::Nested
}

/// A plain or quoted scalar; `None` for null. A comment after a plain scalar is dropped.
fn scalar(text: &str) -> Option<String> {
    let text = strip_properties(text.trim());
    if let Some(q) = text.chars().next().filter(|c| matches!(c, '"' | '\'')) {
        return quoted(text, q).map(|(value, _)| value).or_else(|| Some(text.to_owned()));
    }
    let plain = text.find(" #").map_or(text, |at| &text[..at]).trim();
    (!matches!(plain, "" | "~" | "null" | "Null" | "NULL")).then(|| plain.to_owned())
}

/// A quoted string at the start of `text` (which starts with `quote`), unescaped, and what
/// follows its closing quote.
fn quoted(text: &str, quote: char) -> Option<(String, &str)> {
    let mut out = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((at, c)) = chars.next() {
        match c {
            '\'' if quote == '\'' => {
                if text[at + 1..].starts_with('\'') {
                    out.push('\'');
                    chars.next();
                } else {
                    return Some((out, &text[at + 1..]));
                }
            }
            '"' if quote == '"' => return Some((out, &text[at + 1..])),
            '\\' if quote == '"' => match chars.next().map(|(_, e)| e) {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('u') => {
                    let hex: String = chars.by_ref().take(4).map(|(_, h)| h).collect();
                    out.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
                }
                Some(other) => out.push(other),
                None => return None,
            },
            c => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests;
