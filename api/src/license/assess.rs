//! Evaluating a whole licence expression: `assess` folds the table's verdicts through its
//! `OR`/`AND` tree, `permits` answers the lookup filter. No licence knowledge lives here.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use spdx::expression::{ExprNode, Operator};
use spdx::{Expression, LicenseItem};

use super::LicenseExpr;
use super::class::{CommercialUse, LicenseClass, Scale};
use super::terms::license_terms;

/// The verdict on a licence expression, per axis; see the rules in the `license` module docs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LicenseAssessment {
    pub class: LicenseClass,
    pub commercial_use: CommercialUse,
    /// Every licence id in the expression, once each, in order of first appearance; without
    /// `+` or `WITH` exceptions (`GPL-3.0-or-later` keeps its suffix, which is the id).
    pub ids: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
struct Verdict {
    class: LicenseClass,
    commercial_use: CommercialUse,
}

impl Verdict {
    const UNKNOWN: Self = Self { class: LicenseClass::Unknown, commercial_use: CommercialUse::Unknown };

    fn of(item: &LicenseItem) -> Self {
        let terms = match item {
            LicenseItem::Spdx { id, .. } => license_terms(id.name),
            // A `DocumentRef-...:LicenseRef-...` is defined by some other document, so its
            // name tells us nothing even when it matches one of ours.
            LicenseItem::Other(r) if r.doc_ref.is_none() => license_terms(&r.to_string()),
            LicenseItem::Other(_) => None,
        };
        terms.map_or(Self::UNKNOWN, |t| Self { class: t.class, commercial_use: t.commercial_use })
    }

    fn or(self, other: Self) -> Self {
        Self {
            class: more_permissive(self.class, other.class),
            commercial_use: more_permissive(self.commercial_use, other.commercial_use),
        }
    }

    fn and(self, other: Self) -> Self {
        Self {
            class: stricter(self.class, other.class),
            commercial_use: stricter(self.commercial_use, other.commercial_use),
        }
    }
}

/// `OR`: the licensee picks, so the more permissive side wins. With an unknown side the
/// result is known only when the other side is already the most permissive possible.
fn more_permissive<T: Scale>(a: T, b: T) -> T {
    if a == T::MOST_PERMISSIVE || b == T::MOST_PERMISSIVE {
        return T::MOST_PERMISSIVE;
    }
    match a.partial_cmp(&b) {
        Some(std::cmp::Ordering::Greater) => b,
        Some(_) => a,
        None => T::UNKNOWN,
    }
}

/// `AND`: both apply, so the stricter side wins. With an unknown side the result is known
/// only when the other side is already the strictest possible.
pub(super) fn stricter<T: Scale>(a: T, b: T) -> T {
    if a == T::STRICTEST || b == T::STRICTEST {
        return T::STRICTEST;
    }
    match a.partial_cmp(&b) {
        Some(std::cmp::Ordering::Less) => b,
        Some(_) => a,
        None => T::UNKNOWN,
    }
}

/// The parsed form of `expr`, which `LicenseExpr::from_str` has already checked parses.
fn parse(expr: &LicenseExpr) -> Option<Expression> {
    Expression::parse(expr.as_str()).ok()
}

/// The licence id of one leaf, as `ids` and `permits` see it: no `+`, no exception.
fn leaf_id(item: &LicenseItem) -> String {
    match item {
        LicenseItem::Spdx { id, .. } => id.name.to_owned(),
        LicenseItem::Other(r) => r.to_string(),
    }
}

/// Classifies a licence expression: class and commercial use, folded through the
/// expression by the rules in the `license` module docs, plus every id it names.
pub fn assess(expr: &LicenseExpr) -> LicenseAssessment {
    let unknown =
        |ids| LicenseAssessment { class: LicenseClass::Unknown, commercial_use: CommercialUse::Unknown, ids };
    // Cannot fail for a `LicenseExpr`; if it ever did, unknown is the honest answer.
    let Some(parsed) = parse(expr) else { return unknown(Vec::new()) };

    let mut ids: Vec<String> = Vec::new();
    for req in parsed.requirements() {
        let id = leaf_id(&req.req.license);
        if !ids.contains(&id) {
            ids.push(id);
        }
    }

    // The tree comes in postfix order: leaves push, operators combine the top two.
    let mut stack: Vec<Verdict> = Vec::new();
    for node in parsed.iter() {
        let verdict = match node {
            // An exception (`WITH`) only ever relaxes its licence; the base verdict stands.
            ExprNode::Req(req) => Verdict::of(&req.req.license),
            ExprNode::Op(op) => {
                let (Some(right), Some(left)) = (stack.pop(), stack.pop()) else { return unknown(ids) };
                match op {
                    Operator::Or => left.or(right),
                    Operator::And => left.and(right),
                }
            }
        };
        stack.push(verdict);
    }
    match (stack.pop(), stack.is_empty()) {
        (Some(v), true) => LicenseAssessment { class: v.class, commercial_use: v.commercial_use, ids },
        _ => unknown(ids),
    }
}

/// Lower-cased id without a trailing `+`, `-only` or `-or-later`, so that `GPL-3.0`,
/// `GPL-3.0-only`, `GPL-3.0-or-later` and `gpl-3.0+` all compare equal.
fn base_id(id: &str) -> String {
    let id = id.trim().to_ascii_lowercase();
    let id = id.strip_suffix('+').unwrap_or(&id);
    let id = id.strip_suffix("-or-later").or_else(|| id.strip_suffix("-only")).unwrap_or(id);
    id.to_owned()
}

/// Whether `expr` lets a user take the artifact under licence `id`, alone or together with
/// others: true when `id` appears anywhere in the expression. SPDX has no negation, so every
/// id sits in at least one satisfiable alternative (`MIT AND Apache-2.0` includes MIT terms,
/// `MIT OR Apache-2.0` offers them). Case-insensitive; `+`, `-only` and `-or-later` are
/// ignored on both sides and exceptions are not looked at.
pub fn permits(expr: &LicenseExpr, id: &str) -> bool {
    let wanted = base_id(id);
    if wanted.is_empty() {
        return false;
    }
    parse(expr)
        .is_some_and(|parsed| parsed.requirements().any(|req| base_id(&leaf_id(&req.req.license)) == wanted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommercialUse::{Allowed, Forbidden, Restricted};
    use LicenseClass::{Copyleft, NonCommercial, Permissive, RestrictedUse, WeakCopyleft};

    fn verdict(expr: &str) -> (LicenseClass, CommercialUse) {
        let a = assess(&expr.parse().unwrap());
        (a.class, a.commercial_use)
    }

    const UNKNOWN: (LicenseClass, CommercialUse) = (LicenseClass::Unknown, CommercialUse::Unknown);

    #[test]
    fn a_single_id_takes_its_table_verdict() {
        assert_eq!(verdict("MIT"), (Permissive, Allowed));
        assert_eq!(verdict("LGPL-3.0-only"), (WeakCopyleft, Allowed));
        assert_eq!(verdict("LicenseRef-Llama3"), (RestrictedUse, Restricted));
        assert_eq!(verdict("CC-BY-NC-4.0"), (NonCommercial, Forbidden));
        assert_eq!(verdict("LicenseRef-mine"), UNKNOWN);
        assert_eq!(verdict("Beerware"), UNKNOWN);
    }

    #[test]
    fn or_takes_the_more_permissive_alternative() {
        assert_eq!(verdict("MIT OR GPL-3.0-only"), (Permissive, Allowed));
        assert_eq!(verdict("GPL-3.0-only OR MIT"), (Permissive, Allowed));
        assert_eq!(verdict("CC-BY-NC-4.0 OR LicenseRef-llama3"), (RestrictedUse, Restricted));
        assert_eq!(verdict("CC-BY-NC-4.0 OR CC-BY-ND-4.0"), (RestrictedUse, Allowed));
    }

    #[test]
    fn and_takes_the_stricter_side() {
        assert_eq!(verdict("MIT AND GPL-3.0-only"), (Copyleft, Allowed));
        assert_eq!(verdict("Apache-2.0 AND LicenseRef-gemma"), (RestrictedUse, Restricted));
        assert_eq!(verdict("MPL-2.0 AND CC-BY-NC-SA-4.0"), (NonCommercial, Forbidden));
    }

    #[test]
    fn nesting_follows_the_tree() {
        assert_eq!(verdict("(MIT AND CC-BY-NC-4.0) OR GPL-2.0-only"), (Copyleft, Allowed));
        assert_eq!(verdict("MIT AND (CC-BY-NC-4.0 OR GPL-2.0-only)"), (Copyleft, Allowed));
        assert_eq!(verdict("MIT AND CC-BY-NC-4.0 OR GPL-2.0-only"), (Copyleft, Allowed));
    }

    #[test]
    fn unknown_or_is_decided_only_by_a_most_permissive_alternative() {
        assert_eq!(verdict("LicenseRef-mine OR MIT"), (Permissive, Allowed));
        assert_eq!(verdict("MIT OR LicenseRef-mine"), (Permissive, Allowed));
        // The unknown side might be permissive, but GPL already allows commercial use.
        assert_eq!(verdict("LicenseRef-mine OR GPL-3.0-only"), (LicenseClass::Unknown, Allowed));
        assert_eq!(verdict("LicenseRef-mine OR CC-BY-NC-4.0"), UNKNOWN);
        assert_eq!(verdict("LicenseRef-mine OR LicenseRef-theirs"), UNKNOWN);
    }

    #[test]
    fn unknown_and_is_decided_only_by_a_strictest_side() {
        assert_eq!(verdict("LicenseRef-mine AND MIT"), UNKNOWN);
        assert_eq!(verdict("GPL-3.0-only AND LicenseRef-mine"), UNKNOWN);
        assert_eq!(verdict("LicenseRef-mine AND CC-BY-NC-4.0"), (NonCommercial, Forbidden));
        assert_eq!(verdict("(LicenseRef-mine AND MIT) OR Apache-2.0"), (Permissive, Allowed));
    }

    #[test]
    fn an_external_document_ref_is_unknown_even_with_a_known_name() {
        assert_eq!(verdict("DocumentRef-other:LicenseRef-llama3"), UNKNOWN);
    }

    #[test]
    fn with_exception_keeps_the_licence_verdict() {
        assert_eq!(verdict("Apache-2.0 WITH LLVM-exception"), (Permissive, Allowed));
        assert_eq!(verdict("GPL-2.0-only WITH Classpath-exception-2.0"), (Copyleft, Allowed));
        assert_eq!(verdict("LicenseRef-mine WITH LLVM-exception"), UNKNOWN);
    }

    #[test]
    fn or_later_keeps_the_base_verdict() {
        assert_eq!(verdict("Apache-2.0+"), verdict("Apache-2.0"));
        assert_eq!(verdict("CC-BY-SA-4.0+"), (Copyleft, Allowed));
        assert_eq!(verdict("GPL-3.0-or-later"), verdict("GPL-3.0-only"));
    }

    #[test]
    fn ids_lists_each_licence_once_without_plus_or_exception() {
        let a = assess(
            &"(Apache-2.0+ WITH LLVM-exception OR MIT) AND LicenseRef-Llama3 AND MIT".parse().unwrap(),
        );
        assert_eq!(a.ids, ["Apache-2.0", "MIT", "LicenseRef-Llama3"]);
    }

    #[test]
    fn assessment_serialises_in_snake_case() {
        let a = assess(&"CC-BY-NC-4.0 OR LicenseRef-x".parse().unwrap());
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            serde_json::json!({
                "class": "unknown", "commercial_use": "unknown", "ids": ["CC-BY-NC-4.0", "LicenseRef-x"]
            })
        );
    }

    #[test]
    fn permits_matches_an_id_anywhere_in_the_expression() {
        let permits_str = |expr: &str, id| permits(&expr.parse().unwrap(), id);
        assert!(permits_str("MIT OR Apache-2.0", "MIT"));
        assert!(permits_str("MIT AND Apache-2.0", "MIT"));
        assert!(permits_str("MIT AND Apache-2.0", "apache-2.0"));
        assert!(permits_str("LicenseRef-Llama3", "licenseref-llama3"));
        assert!(permits_str("Apache-2.0 WITH LLVM-exception", "Apache-2.0"));
        assert!(!permits_str("MIT OR Apache-2.0", "BSD-3-Clause"));
        assert!(!permits_str("LicenseRef-llama3", "LicenseRef-llama3.1"));
        assert!(!permits_str("MIT", ""));
    }

    #[test]
    fn permits_ignores_or_later_spellings() {
        let permits_str = |expr: &str, id| permits(&expr.parse().unwrap(), id);
        assert!(permits_str("GPL-3.0-or-later", "GPL-3.0"));
        assert!(permits_str("GPL-3.0-only", "GPL-3.0-or-later"));
        assert!(permits_str("Apache-2.0+", "Apache-2.0"));
        assert!(permits_str("Apache-2.0", "Apache-2.0+"));
        assert!(!permits_str("LGPL-3.0-only", "GPL-3.0"));
    }
}
