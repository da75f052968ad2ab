//! How values read to people: counts, sizes, dates, licence verdicts in words and where a
//! fact came from. Plain text out; the templates escape it. No I/O, no service calls.

use chrono::{DateTime, Utc};
use maud::{Markup, html};
use modelreg_api::{CommercialUse, LicenseClass, Version};

pub use modelreg_api::words::{fact_value, grouped, human_count, human_size, provenance};

pub fn date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
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
