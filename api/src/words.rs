//! How quantities and the provenance of facts read to people: one wording shared by the
//! CLI's model card and the web UI, so both say the same thing the same way. Plain text out
//! (callers escape it where it goes into markup); no I/O.

use serde_json::Value as Json;

use crate::{DerivedField, Fact, FactSource};

/// `131072` -> `131,072`.
pub fn grouped(n: u64) -> String {
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

/// A count in short form: `2_614_341_888` -> `2.6B`, `110_000_000` -> `110M`,
/// `8_030_261_248` -> `8B`, `950` -> `950`.
pub fn human_count(n: u64) -> String {
    const UNITS: [(u64, &str); 4] =
        [(1_000_000_000_000, "T"), (1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")];
    for (size, unit) in UNITS {
        if n >= size {
            #[expect(clippy::cast_precision_loss, reason = "display only: two significant digits")]
            let scaled = n as f64 / size as f64;
            return format!("{}{unit}", short_decimal(scaled));
        }
    }
    n.to_string()
}

/// A token count in short form: powers of two in binary thousands (`8192` -> `8K`,
/// `131072` -> `128K`, `1048576` -> `1M`), anything else as [`human_count`]
/// (`200000` -> `200K`).
pub fn human_tokens(n: u64) -> String {
    if n >= 1024 && n.is_multiple_of(1024) {
        let k = n / 1024;
        if k >= 1024 && k.is_multiple_of(1024) {
            return format!("{}M", k / 1024);
        }
        return format!("{k}K");
    }
    human_count(n)
}

/// `1536` -> `1.5 KiB`; sizes below 1 KiB are shown exactly.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    #[expect(clippy::cast_precision_loss, reason = "display only: one decimal")]
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `7.0` -> `7`, `2.61` -> `2.6`, `110.4` -> `110`.
fn short_decimal(v: f64) -> String {
    if v >= 10.0 {
        return format!("{v:.0}");
    }
    let text = format!("{v:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
}

/// A derived field's value in full: parameters as `6.7B (6,738,415,616)`, a context length
/// as `8,192 tokens`, anything else as [`fact_short`].
pub fn fact_value(field: DerivedField, value: &Json) -> String {
    match (field, value.as_u64()) {
        (DerivedField::Parameters, Some(n)) => format!("{} ({})", human_count(n), grouped(n)),
        (DerivedField::ContextLength, Some(n)) => format!("{} tokens", grouped(n)),
        _ => fact_short(field, value),
    }
}

/// A derived field's value in few characters, as inside a provenance note.
pub fn fact_short(field: DerivedField, value: &Json) -> String {
    match (field, value) {
        (DerivedField::Parameters | DerivedField::ContextLength, Json::Number(_)) => {
            value.as_u64().map_or_else(|| value.to_string(), grouped)
        }
        (_, Json::String(s)) => s.clone(),
        _ => value.to_string(),
    }
}

/// Where an effective value came from: `declared`, `derived from FILE`, `declared, confirmed
/// by FILE` or `declared, overrides VALUE from FILE`.
pub fn provenance(field: DerivedField, fact: &Fact) -> String {
    let file = fact.file.as_ref().map(ToString::to_string);
    match (fact.source, &fact.derived, file) {
        (FactSource::Derived, _, Some(file)) => format!("derived from {file}"),
        (FactSource::Derived, _, None) => "derived from the files".into(),
        (FactSource::Declared, Some(_), Some(file)) => format!("declared, confirmed by {file}"),
        (FactSource::Declared, _, _) => "declared".into(),
        (FactSource::Overridden, Some(derived), file) => format!(
            "declared, overrides {} from {}",
            fact_short(field, derived),
            file.as_deref().unwrap_or("the files")
        ),
        (FactSource::Overridden, None, _) => "declared, overrides the files".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_sizes_and_tokens_read_like_model_cards() {
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(grouped(12), "12");
        assert_eq!(human_count(2_614_341_888), "2.6B");
        assert_eq!(human_count(110_000_000), "110M");
        assert_eq!(human_count(8_030_261_248), "8B");
        assert_eq!(human_count(66_955_010), "67M");
        assert_eq!(human_count(1_500), "1.5K");
        assert_eq!(human_count(950), "950");
        assert_eq!(human_count(1_800_000_000_000), "1.8T");
        assert_eq!(human_tokens(131_072), "128K");
        assert_eq!(human_tokens(1_048_576), "1M");
        assert_eq!(human_tokens(200_000), "200K");
        assert_eq!(human_tokens(8192), "8K");
        assert_eq!(human_tokens(512), "512");
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(8_030_261_248), "8,030,261,248");
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(1_258_291), "1.2 MiB");
        assert_eq!(human_size(4_718_592), "4.5 MiB");
        assert_eq!(human_size(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }

    #[test]
    fn facts_read_with_units_and_their_source() {
        let params = serde_json::json!(6_738_415_616_u64);
        assert_eq!(fact_value(DerivedField::Parameters, &params), "6.7B (6,738,415,616)");
        assert_eq!(fact_value(DerivedField::ContextLength, &serde_json::json!(8192)), "8,192 tokens");
        assert_eq!(fact_short(DerivedField::Parameters, &params), "6,738,415,616");
        let fact: Fact = serde_json::from_value(serde_json::json!({
            "value": 7_000_000_000_u64, "source": "overridden", "derived": 6_738_415_616_u64, "file": "model.safetensors"
        }))
        .unwrap();
        assert_eq!(
            provenance(DerivedField::Parameters, &fact),
            "declared, overrides 6,738,415,616 from model.safetensors"
        );
    }
}
