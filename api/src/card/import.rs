//! Importing a Hugging Face model card (`README.md`) into version metadata: the front
//! matter keys that have a metadata equivalent, translated and checked, and the Markdown
//! body as `readme`. A value that does not fit is skipped with a warning, never an error;
//! which source wins over which is decided by the caller (`metadata`).

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::front_matter::{self, FrontMatterError, YamlValue};
use crate::metadata::{MAX_README, MAX_SHORT};
use crate::{BaseRelation, LanguageTag, MAX_BASES, ModelName, Task, from_hf_license};

/// The model card file in a push directory; it stays one of the version's files.
pub const README_FILE: &str = "README.md";

/// The label that keeps a Hugging Face base model id that is not a registry name.
pub const HF_BASE_MODEL_LABEL: &str = "hf_base_model";

/// The key of the warning about a front matter that is not YAML: no metadata key, so
/// `modelreg.toml` never silences it.
pub const FRONT_MATTER_WARNING: &str = "front matter";

/// What a model card contributes to the metadata.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CardImport {
    /// Metadata keys (`license`, `languages`, `task`, ...) with their values.
    pub fields: serde_json::Map<String, Json>,
    /// Labels to add.
    pub labels: BTreeMap<String, String>,
    /// The metadata key a skipped value was meant for, and why it was skipped.
    pub warnings: Vec<(&'static str, String)>,
}

impl CardImport {
    fn set(&mut self, key: &str, value: Json) {
        self.fields.insert(key.to_owned(), value);
    }

    fn warn(&mut self, key: &'static str, message: impl Into<String>) {
        self.warnings.push((key, format!("{README_FILE}: {}", message.into())));
    }
}

/// Reads a model card: the front matter if the text starts with one, and the body (the
/// whole text when there is no front matter) as `readme`. A front matter that is not YAML
/// is a warning naming the file and the line; none of its keys are imported.
pub fn import_card(text: &str) -> CardImport {
    let mut import = CardImport::default();
    let body = match front_matter::split(text) {
        Some((yaml, body)) => {
            match front_matter::parse(yaml) {
                Ok(fields) => import_front_matter(&fields, &mut import),
                Err(e) => import.warn(FRONT_MATTER_WARNING, front_matter_problem(e)),
            }
            body
        }
        None => text,
    };
    let readme = body.trim_start_matches(['\n', '\r']).trim_end();
    if readme.len() > MAX_README {
        import
            .warn("readme", format!("the model card is larger than {} KiB; not imported", MAX_README / 1024));
    } else if readme.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        import.warn("readme", "the model card contains control characters; not imported");
    } else if !readme.is_empty() {
        import.set("readme", Json::String(readme.to_owned()));
    }
    import
}

/// The warning for a front matter that could not be read, with the line counted in the
/// whole file (the front matter starts on its second line).
fn front_matter_problem(e: FrontMatterError) -> String {
    let why = match e {
        FrontMatterError::Syntax { line, column, reason } => {
            format!("is not valid YAML (line {}, column {column}: {reason})", line + 1)
        }
        FrontMatterError::NotAMapping => "is not a mapping of keys to values".to_owned(),
    };
    format!("the front matter {why}; none of its keys were imported")
}

fn import_front_matter(fm: &BTreeMap<String, YamlValue>, import: &mut CardImport) {
    let scalar = |key: &str| match fm.get(key) {
        Some(YamlValue::Scalar(s)) => Some(s.trim().to_owned()),
        _ => None,
    };
    let items = |key: &str| fm.get(key).map(YamlValue::items).unwrap_or_default();

    licence(fm.get("license"), scalar("license_name"), import);
    if let Some(link) = scalar("license_link").filter(|l| is_short(l)) {
        import.set("license_url", Json::String(link));
    }

    let (mut languages, mut refused) = (Vec::new(), Vec::new());
    for language in items("language") {
        match language.parse::<LanguageTag>() {
            Ok(tag) => languages.push(tag.to_string()),
            Err(_) => refused.push(format!("'{language}'")),
        }
    }
    if !refused.is_empty() {
        import
            .warn("languages", format!("skipped languages that are not BCP-47 tags: {}", refused.join(", ")));
    }
    if !languages.is_empty() {
        import.set("languages", json!(languages));
    }

    if let Some(tag) = scalar("pipeline_tag") {
        match tag.parse::<Task>() {
            Ok(task) => import.set("task", json!(task)),
            Err(_) => {
                import.warn("task", format!("pipeline_tag '{tag}' is not a task the registry knows; skipped"))
            }
        }
    }
    if let Some(library) = scalar("library_name").filter(|l| is_short(l)) {
        import.set("framework", Json::String(library));
    }
    base_model(&items("base_model"), scalar("base_model_relation"), import);

    let datasets: Vec<String> = items("datasets").into_iter().filter(|d| is_short(d)).collect();
    if !datasets.is_empty() {
        import.set("datasets", json!(datasets));
    }
    let tags: Vec<String> = items("tags")
        .into_iter()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| is_short(t) && !t.chars().any(char::is_whitespace))
        .collect();
    if !tags.is_empty() {
        import.set("tags", json!(tags));
    }
}

/// `license` through the Hugging Face table; for `other` (or an id the table lacks) the
/// `license_name` is tried too. Nothing mapped: a warning, and the licence must come from
/// modelreg.toml or `--license`.
fn licence(value: Option<&YamlValue>, name: Option<String>, import: &mut CardImport) {
    let Some(value) = value else { return };
    let YamlValue::Scalar(id) = value else {
        import.warn("license", "license is not a single licence id; skipped");
        return;
    };
    match from_hf_license(id).or_else(|| name.as_deref().and_then(from_hf_license)) {
        Some(spdx) => import.set("license", Json::String(spdx)),
        None => {
            let named = name.map(|n| format!(" (license_name '{n}')")).unwrap_or_default();
            import.warn(
                "license",
                format!(
                    "licence '{}'{named} has no SPDX equivalent; set license in modelreg.toml",
                    id.trim()
                ),
            );
        }
    }
}

/// One base that reads as a registry name (after lower-casing) becomes `base_model`, with
/// `base_model_relation` when that names a relation. Several that all do (a merge) become
/// `base_model` and `base_models`, and are also kept as written in the `hf_base_model`
/// label, as is anything else.
fn base_model(bases: &[String], relation: Option<String>, import: &mut CardImport) {
    let bases: Vec<&str> = bases.iter().map(|b| b.trim()).filter(|b| !b.is_empty()).collect();
    let names: Vec<ModelName> = bases.iter().filter_map(|b| b.to_lowercase().parse().ok()).collect();
    let mut distinct = names.clone();
    distinct.sort();
    distinct.dedup();
    if !names.is_empty()
        && names.len() == bases.len()
        && distinct.len() == names.len()
        && names.len() <= MAX_BASES
    {
        let (first, rest) = names.split_first().expect("not empty");
        import.set("base_model", json!({ "model": first }));
        if !rest.is_empty() {
            let rest: Vec<_> = rest.iter().map(|m| json!({ "model": m })).collect();
            import.set("base_models", json!(rest));
        }
        if let Some(relation) = relation.and_then(|r| r.parse::<BaseRelation>().ok()) {
            import.set("base_relation", json!(relation));
        }
        if rest.is_empty() {
            return;
        }
    }
    if bases.is_empty() {
        return;
    }
    let joined = bases.join(", ");
    if is_short(&joined) {
        import.labels.insert(HF_BASE_MODEL_LABEL.to_owned(), joined);
    } else {
        import.warn("labels", "base_model lists too much to keep in a label; skipped");
    }
}

/// Fits the registry's short-string rules: not blank, at most 256 bytes, one line.
fn is_short(s: &str) -> bool {
    !s.trim().is_empty() && s.len() <= MAX_SHORT && !s.chars().any(char::is_control)
}

#[cfg(test)]
mod real_cards;
#[cfg(test)]
mod tests;
