//! How values read to people: counts, sizes, dates, licence verdicts in words and where a
//! fact came from. Plain text out; the templates escape it. No I/O, no service calls.

use chrono::{DateTime, Utc};
use maud::{Markup, html};
use modelreg_api::{CommercialUse, DerivedField, Fact, FactSource, LicenseClass, Version};

/// `1234567` → `1,234,567`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A parameter count the way model cards say it: `7.24 B`, `350 M`.
pub fn params(n: u64) -> String {
    scaled(n, 1000.0, &["", " K", " M", " B", " T"])
}

/// A size in bytes: `1.50 GiB`.
pub fn bytes(n: u64) -> String {
    if n < 1024 {
        return format!("{n} B");
    }
    scaled(n, 1024.0, &[" B", " KiB", " MiB", " GiB", " TiB", " PiB"])
}

fn scaled(n: u64, step: f64, units: &[&str]) -> String {
    #[expect(clippy::cast_precision_loss, reason = "display only; three significant digits")]
    let mut v = n as f64;
    let mut unit = 0;
    while v >= step && unit + 1 < units.len() {
        v /= step;
        unit += 1;
    }
    if unit == 0 {
        return format!("{n}{}", units[0]);
    }
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    format!("{v:.digits$}{}", units[unit])
}

pub fn date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A derived-field value as text (`parameters` and `context_length` get units).
pub fn fact_value(field: DerivedField, value: &serde_json::Value) -> String {
    match (field, value.as_u64()) {
        (DerivedField::Parameters, Some(n)) => format!("{} ({})", params(n), count(n)),
        (DerivedField::ContextLength, Some(n)) => format!("{} tokens", count(n)),
        _ => value.as_str().map_or_else(|| value.to_string(), str::to_owned),
    }
}

/// Where an effective value came from, in words.
pub fn provenance(field: DerivedField, fact: &Fact) -> String {
    let file = fact.file.as_ref().map(ToString::to_string);
    match (fact.source, &fact.derived, file) {
        (FactSource::Derived, _, Some(file)) => format!("derived from {file}"),
        (FactSource::Derived, _, None) => "derived from the files".into(),
        (FactSource::Declared, Some(_), Some(file)) => format!("declared, confirmed by {file}"),
        (FactSource::Declared, _, _) => "declared".into(),
        (FactSource::Overridden, Some(derived), file) => format!(
            "declared, overrides {} from {}",
            fact_value(field, derived),
            file.as_deref().unwrap_or("the files")
        ),
        (FactSource::Overridden, None, _) => "declared, overrides the files".into(),
    }
}

pub fn class_words(class: LicenseClass) -> &'static str {
    match class {
        LicenseClass::Permissive => "Permissive: use, change and redistribute freely; at most keep a notice.",
        LicenseClass::WeakCopyleft => "Weak copyleft: changes to the licensed files must be shared alike.",
        LicenseClass::Copyleft => "Copyleft: derived works as a whole must be shared alike.",
        LicenseClass::RestrictedUse => "Restricted use: use is allowed with restrictions or conditions.",
        LicenseClass::NonCommercial => "Non-commercial: commercial use is not allowed.",
        LicenseClass::Unknown => "Unknown: the registry cannot classify this licence; read it.",
    }
}

pub fn commercial_words(c: CommercialUse) -> &'static str {
    match c {
        CommercialUse::Allowed => "commercial use allowed",
        CommercialUse::Restricted => "commercial use allowed with conditions",
        CommercialUse::Forbidden => "commercial use not allowed",
        CommercialUse::Unknown => "commercial use unknown",
    }
}

/// A short label in text (never colour alone): `yanked`, `pre-release`, a licence class, ...
pub fn badge(kind: &str, text: &str) -> Markup {
    html! { span class={ "tag " (kind) } { (text) } }
}

pub fn class_badge(class: LicenseClass) -> Markup {
    badge(class.as_str(), &class.as_str().replace('_', " "))
}

pub fn commercial_badge(c: CommercialUse) -> Markup {
    badge(c.as_str(), commercial_words(c))
}

/// `pre-release` marker for a version, or nothing.
pub fn version_marks(v: &Version, yanked: bool) -> Markup {
    html! {
        @if v.is_prerelease() { " " (badge("prerelease", "pre-release")) }
        @if yanked { " " (badge("yanked", "yanked")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_model_cards() {
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(12), "12");
        assert_eq!(params(7_241_732_096), "7.24 B");
        assert_eq!(params(350_000_000), "350 M");
        assert_eq!(params(999), "999");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(3 * 1024 * 1024 / 2), "1.50 MiB");
    }
}
