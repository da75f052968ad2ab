//! The human model card `modelreg show` prints: header, licence verdict, characteristics
//! with their provenance, lineage, measurements and notes, then the files (and the model
//! card Markdown on request). Pure rendering: everything it shows is passed in.

mod about;
mod memory;
mod sections;

use modelreg_api::{DerivativeList, VersionManifest};

use crate::lineage::{Lineage, render_chain};
use crate::output::{count_files, human_size};
use crate::table;

/// Width of the label column (`architecture: `).
const LABEL_WIDTH: usize = 15;

/// Derived models shown before the list is cut short.
const MAX_DERIVATIVES: usize = 20;

/// Everything a card shows.
#[derive(Debug, Clone, Copy)]
pub struct Card<'a> {
    pub manifest: &'a VersionManifest,
    /// The version's bases, as far as they were followed.
    pub lineage: &'a Lineage,
    /// Models naming this one as their base, when the registry said.
    pub derivatives: Option<&'a DerivativeList>,
    /// Append the model card Markdown.
    pub readme: bool,
}

/// Lines of a card under construction.
#[derive(Debug, Default)]
struct Lines(Vec<String>);

impl Lines {
    /// `label:` padded to the label column, then the value.
    fn field(&mut self, label: &str, value: impl std::fmt::Display) {
        let label = format!("{label}:");
        self.0.push(format!("{label:<LABEL_WIDTH$}{value}").trim_end().to_owned());
    }

    /// A field only when there is a value.
    fn optional(&mut self, label: &str, value: Option<impl std::fmt::Display>) {
        if let Some(v) = value {
            self.field(label, v);
        }
    }

    fn line(&mut self, text: impl Into<String>) {
        self.0.push(text.into());
    }

    /// Each line of `text` indented by `indent` spaces.
    fn indented(&mut self, text: &str, indent: usize) {
        for line in text.trim_end().lines() {
            self.0.push(format!("{:indent$}{line}", "").trim_end().to_owned());
        }
    }

    fn blank(&mut self) {
        if self.0.last().is_some_and(|l| !l.is_empty()) {
            self.0.push(String::new());
        }
    }
}

/// The whole card as text.
pub fn render(card: &Card<'_>) -> String {
    let m = card.manifest;
    let mut out = Lines::default();
    out.line(format!("{}@{}", m.model, m.version));
    out.field("digest", m.digest);
    out.field("published", &m.published_at);
    out.field("size", format!("{} in {}", human_size(m.size_bytes), count_files(m.files.len())));
    if let Some(yank) = &m.yanked {
        out.field("yanked", format!("{} (by {} at {})", yank.reason, yank.by, yank.at));
    }
    out.blank();
    about::licence(&mut out, &m.metadata);
    about::effective_licence(&mut out, m);
    out.blank();
    about::characteristics(&mut out, m);
    memory::memory(&mut out, m);
    out.blank();
    lineage(&mut out, card);
    out.blank();
    sections::latency(&mut out, &m.metadata.latency);
    sections::risks(&mut out, m.metadata.risks.as_ref());
    sections::datasets_and_labels(&mut out, &m.metadata);
    if let Some(description) = &m.metadata.description {
        out.blank();
        out.line("description:");
        out.indented(description, 2);
    }
    out.blank();
    out.line("files:");
    let rows: Vec<[String; 3]> =
        m.files.iter().map(|f| [human_size(f.size), f.digest.to_string(), f.path.to_string()]).collect();
    out.indented(&table::render(&rows), 2);
    if card.readme {
        out.blank();
        match &m.metadata.readme {
            Some(readme) => {
                out.line("readme:");
                out.line(readme.trim_end());
            }
            None => out.field("readme", "(this version has no model card)"),
        }
    }
    out.0.join("\n")
}

/// The base chain and the derived models.
fn lineage(out: &mut Lines, card: &Card<'_>) {
    let m = card.manifest;
    if m.metadata.base_model.is_some() {
        out.field("lineage", render_chain(&m.model, &m.version, card.lineage));
    }
    let Some(list) = card.derivatives.filter(|d| !d.derivatives.is_empty()) else { return };
    out.line("derivatives:");
    let rows: Vec<[String; 2]> = list
        .derivatives
        .iter()
        .take(MAX_DERIVATIVES)
        .map(|d| {
            let how = d.relation.map_or_else(|| "derived from".to_owned(), |r| format!("{r} of"));
            let base = d.base_version.as_ref().map_or_else(|| "any version".to_owned(), ToString::to_string);
            [format!("{}@{}", d.model, d.version), format!("{how} {base}")]
        })
        .collect();
    out.indented(&table::render(&rows), 2);
    if list.derivatives.len() > MAX_DERIVATIVES {
        out.line(format!("  … and {} more", list.derivatives.len() - MAX_DERIVATIVES));
    }
}

#[cfg(test)]
mod tests;
