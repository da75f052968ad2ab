//! Near misses of a choice: the hard constraints as droppable groups (one lookup parameter
//! with its values; each required `language` on its own; a qualifier such as `hardware`
//! with the filter it qualifies), the lookup without one group, and what a version that
//! only the relaxed lookup finds has instead, in words. Every lookup parameter is a
//! constraint without code here; `describe` only words the reason better for the
//! parameters whose value the lookup row carries.

use modelreg_api::{DerivedField, Facts, LookupError, LookupQuery, Metadata, NOT_CONSTRAINTS, QUALIFIERS};

use crate::store::LookupHit;

/// One droppable constraint: its lookup parameter and the pairs that make it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Constraint {
    pub key: &'static str,
    pub pairs: Vec<(&'static str, String)>,
}

impl Constraint {
    /// The values asked for (the qualifiers' as `key=value`).
    pub fn wanted(&self) -> Vec<String> {
        self.pairs.iter().map(|(k, v)| if *k == self.key { v.clone() } else { format!("{k}={v}") }).collect()
    }
}

/// Parameters that widen rather than restrict a lookup: never dropped.
const WIDENING: &[&str] = &["include_yanked"];

/// The constraints of `q`, in the order the lookup writes its parameters.
pub(super) fn constraints(q: &LookupQuery) -> Vec<Constraint> {
    let pairs = q.to_pairs();
    let mut out: Vec<Constraint> = Vec::new();
    for (key, value) in &pairs {
        if NOT_CONSTRAINTS.contains(key) || WIDENING.contains(key) || QUALIFIERS.iter().any(|(k, _)| k == key)
        {
            continue;
        }
        // Each required language and each evaluation bound must hold on its own.
        let separate = *key == "language" || *key == "eval";
        match out.iter_mut().find(|c| c.key == *key && !separate) {
            Some(c) => c.pairs.push((key, value.clone())),
            None => out.push(Constraint { key, pairs: vec![(key, value.clone())] }),
        }
    }
    for (qualifier, target) in QUALIFIERS {
        for c in out.iter_mut().filter(|c| c.key == *target) {
            c.pairs.extend(pairs.iter().filter(|(k, _)| k == qualifier).cloned());
        }
    }
    out
}

/// `q` without `dropped`, keeping its page shape and visibility. A qualifier goes with the
/// filter it qualifies, unless another such filter stays (a second `eval`).
pub(super) fn relax(q: &LookupQuery, dropped: &Constraint) -> Result<LookupQuery, LookupError> {
    let mut pairs = q.to_pairs();
    pairs.retain(|p| !dropped.pairs.contains(p));
    for (qualifier, target) in QUALIFIERS {
        if pairs.iter().any(|(k, _)| k == target) {
            pairs.extend(dropped.pairs.iter().filter(|(k, _)| k == qualifier).cloned());
        }
    }
    let mut relaxed = LookupQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))?;
    relaxed.visible_namespaces = q.visible_namespaces.clone();
    relaxed.limit = q.limit;
    Ok(relaxed)
}

/// `q` without any of `constraints` (what is left: widening parameters, qualifiers of no
/// constraint), with its visibility.
pub(super) fn relax_all(q: &LookupQuery, constraints: &[Constraint]) -> Result<LookupQuery, LookupError> {
    let mut pairs = q.to_pairs();
    pairs.retain(|p| !constraints.iter().any(|c| c.pairs.contains(p)));
    let mut rest = LookupQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))?;
    rest.visible_namespaces = q.visible_namespaces.clone();
    Ok(rest)
}

/// The lookup of `c` alone (with its qualifiers), yanked versions included: a version meets
/// `c` exactly when it matches this lookup's filters; what the rest of the query asks is
/// the caller's.
pub(super) fn only(c: &Constraint) -> Result<LookupQuery, LookupError> {
    let mut alone = LookupQuery::from_pairs(c.pairs.iter().map(|(k, v)| (*k, v.as_str())))?;
    alone.include_yanked = true;
    Ok(alone)
}

/// Why `hit` fails `c`, in words: its value for the parameter, as far as the lookup row
/// tells (the reads of `reasons` word the rest).
pub(super) fn describe(c: &Constraint, hit: &LookupHit) -> String {
    let key = c.key;
    let count = |v: Option<i64>, what: &str, unit: &str| match (v, unit) {
        (Some(n), "") => format!("{what} is {n} ({})", human(n as f64, "")),
        (Some(n), unit) => format!("{what} is {n} {unit}"),
        (None, _) => format!("{what} is not stated"),
    };
    match key {
        "license" => format!("license is {}", hit.license),
        "license_class" => format!("license_class is {}", hit.license_class),
        "effective_license_class" => format!("effective_license_class is {}", hit.effective_license_class),
        "effective_commercial_use" => format!("effective_commercial_use is {}", hit.effective_commercial_use),
        "license_conflicts" => match hit.license_conflicts.trim() {
            "" | "[]" => "no licence conflict with its bases".into(),
            _ => "its licence conflicts with a base's".into(),
        },
        "commercial_use" => format!("commercial_use is {}", hit.commercial_use),
        "namespace" => format!("namespace is {}", hit.namespace),
        "task" => match &hit.task {
            Some(t) => format!("task is {t}"),
            None => "task is not stated".into(),
        },
        "modality" | "input_modality" | "output_modality" => modalities(&hit.modalities_json),
        "language" | "any_language" => match list(&hit.languages_json).as_str() {
            "" => "no language is stated".into(),
            langs => format!("languages are {langs}"),
        },
        "min_context" | "max_context" => count(hit.context_length, "context_length", "tokens"),
        "min_params" | "max_params" => count(hit.parameters, "parameters", ""),
        "max_size_bytes" => {
            format!("size is {} bytes ({}B)", hit.size_bytes, human(hit.size_bytes as f64, "i"))
        }
        "format" => match &hit.format {
            Some(f) => format!("format is {f}"),
            None => "format is not stated".into(),
        },
        "max_latency_ms" => {
            let hardware = c.pairs.iter().find(|(k, _)| *k == "hardware").map(|(_, v)| v.to_lowercase());
            match (hardware, hit.min_latency_ms) {
                (Some(hw), _) => format!("no latency is stated on {hw}"),
                (None, Some(ms)) => format!("lowest p50 latency is {ms} ms"),
                (None, None) => "no latency is stated".into(),
            }
        }
        "q" => format!("its name, description and tags lack some of the words '{}'", c.wanted().join(" ")),
        other => format!("{other} is not {}", c.wanted().join(" or ")),
    }
}

/// Parameters whose value the lookup row lacks: their reason is read from the version's card.
pub(super) const FROM_CARD: &[&str] = &[
    "framework",
    "precision",
    "quantization",
    "base_model",
    "fine_tunable",
    "has_risk_notes",
    "tag",
    "label",
];

/// Why a version fails `c` (one of [`FROM_CARD`]), from its metadata and effective facts.
pub(super) fn describe_from_card(c: &Constraint, metadata: &Metadata, facts: &Facts) -> Option<String> {
    let fact = |field: DerivedField| facts.get(&field).and_then(|f| f.value.as_str().map(str::to_owned));
    let stated = |what: &str, v: Option<String>| match v {
        Some(v) => format!("{what} is {v}"),
        None => format!("{what} is not stated"),
    };
    Some(match c.key {
        "framework" => stated("framework", metadata.framework.clone()),
        "precision" => {
            stated("precision", fact(DerivedField::Precision).or(metadata.precision.map(|p| p.to_string())))
        }
        "quantization" => {
            stated("quantization", fact(DerivedField::Quantization).or(metadata.quantization.clone()))
        }
        "base_model" => match &metadata.base_model {
            Some(b) => format!("base_model is {}", b.model),
            None => "no base_model is stated".into(),
        },
        "fine_tunable" => stated("fine_tunable", metadata.fine_tunable.map(|b| b.to_string())),
        "has_risk_notes" => {
            if metadata.risks.is_some() {
                "risk notes are written".into()
            } else {
                "no risk note is written".into()
            }
        }
        "tag" => match metadata.tags.join(", ").as_str() {
            "" => "no tag is set".into(),
            tags => format!("tags are {tags}"),
        },
        "label" => {
            let labels: Vec<String> = metadata.labels.iter().map(|(k, v)| format!("{k}:{v}")).collect();
            if labels.is_empty() {
                "no label is set".into()
            } else {
                format!("labels are {}", labels.join(", "))
            }
        }
        _ => return None,
    })
}

/// The strings of a stored JSON list, comma-separated.
fn list(json: &str) -> String {
    serde_json::from_str::<Vec<String>>(json).unwrap_or_default().join(", ")
}

fn modalities(json: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let side = |k: &str| list(&v[k].to_string());
    match (side("input"), side("output")) {
        (i, o) if i.is_empty() && o.is_empty() => "no modality is stated".into(),
        (i, o) => format!("modalities are {} -> {}", none_if_empty(i), none_if_empty(o)),
    }
}

fn none_if_empty(s: String) -> String {
    if s.is_empty() { "none".into() } else { s }
}

/// `n` with a decimal prefix (`7B`, `1.5M`), or a binary one (`Gi`) with `binary = "i"`.
pub(super) fn human(n: f64, binary: &str) -> String {
    let (base, units): (f64, [&str; 5]) = if binary.is_empty() {
        (1000.0, ["", "K", "M", "B", "T"])
    } else {
        (1024.0, ["", "Ki", "Mi", "Gi", "Ti"])
    };
    let mut v = n;
    let mut unit = 0;
    while v.abs() >= base && unit < units.len() - 1 {
        v /= base;
        unit += 1;
    }
    let text = format!("{v:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text}{}", units[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(s: &str) -> LookupQuery {
        LookupQuery::from_pairs(s.split('&').map(|p| p.split_once('=').unwrap())).unwrap()
    }

    #[test]
    fn each_parameter_is_one_constraint_each_required_language_its_own_and_qualifiers_ride_along() {
        let q = query(
            "license_class=permissive&license_class=copyleft&language=fr&language=de&max_latency_ms=50&hardware=A100&include_yanked=true&sort=size",
        );
        let got: Vec<(&str, Vec<String>)> =
            constraints(&q).into_iter().map(|c| (c.key, c.wanted())).collect();
        assert_eq!(
            got,
            [
                ("license_class", vec!["permissive".to_owned(), "copyleft".to_owned()]),
                ("language", vec!["fr".to_owned()]),
                ("language", vec!["de".to_owned()]),
                ("max_latency_ms", vec!["50".to_owned(), "hardware=A100".to_owned()]),
            ]
        );
    }

    #[test]
    fn relaxing_drops_one_constraint_with_its_qualifier_and_keeps_the_rest() {
        let q = query("language=fr&language=de&max_latency_ms=50&hardware=a100&min_context=8192");
        let cs = constraints(&q);
        let latency = cs.iter().find(|c| c.key == "max_latency_ms").unwrap();
        let relaxed = relax(&q, latency).unwrap();
        assert_eq!((relaxed.max_latency_ms, relaxed.hardware.as_deref()), (None, None));
        assert_eq!((relaxed.language.len(), relaxed.min_context), (2, Some(8192)));
        let fr = cs.iter().find(|c| c.key == "language").unwrap();
        assert_eq!(relax(&q, fr).unwrap().language.iter().map(|l| l.to_string()).collect::<Vec<_>>(), ["de"]);
    }

    #[test]
    fn numbers_read_with_prefixes() {
        assert_eq!(human(7_000_000_000.0, ""), "7B");
        assert_eq!(human(1_500_000.0, ""), "1.5M");
        assert_eq!(human(24.0 * 1024.0 * 1024.0 * 1024.0, "i"), "24Gi");
        assert_eq!(human(512.0, "i"), "512");
    }
}
