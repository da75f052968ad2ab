//! A version's effective licence through its lineage: the most restrictive verdict on the
//! chain of bases (fine-tune, adapter, quantisation, merge), and the conflicts where a
//! derivative declares something more permissive than a base allows. Pure logic over
//! verdicts that the caller has already resolved; no storage, no look-ups.
//!
//! Rules (see docs/metadata.md): each axis (class, commercial use) is folded with `AND`
//! over the version's own verdict and the effective verdict of every base, so `unknown`
//! anywhere on the chain makes the answer `unknown` unless another link is already the
//! strictest value. A conflict is a base whose effective verdict is strictly more
//! restrictive, on either axis, than the version's own declared one (both known).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::assess::stricter;
use super::class::{CommercialUse, LicenseClass};

/// How many links of `base_model` are followed when computing and propagating effective
/// licences; deeper chains (and cycles) stop there.
pub const MAX_LINEAGE_DEPTH: usize = 8;

/// The class and commercial-use answer of one licence (or of a chain of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LicenseVerdict {
    pub class: LicenseClass,
    pub commercial_use: CommercialUse,
}

impl LicenseVerdict {
    pub const UNKNOWN: Self = Self { class: LicenseClass::Unknown, commercial_use: CommercialUse::Unknown };

    /// Both axes apply: the stricter of each.
    pub fn and(self, other: Self) -> Self {
        Self {
            class: stricter(self.class, other.class),
            commercial_use: stricter(self.commercial_use, other.commercial_use),
        }
    }
}

/// One direct base of a version with its effective verdict: from the registry when the base
/// is published there, else from the licence the derivative's card states for it, else
/// unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseVerdict {
    /// `namespace/name` or `namespace/name@version`, as shown to users.
    pub base: String,
    pub verdict: LicenseVerdict,
}

/// A base whose licence is more restrictive than what its derivative declares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LicenseConflict {
    /// The base: `namespace/name` or `namespace/name@version`.
    pub base: String,
    /// The base's effective licence class.
    pub base_class: LicenseClass,
    /// The base's effective commercial-use answer.
    pub base_commercial_use: CommercialUse,
    /// The derivative's own licence class.
    pub declared_class: LicenseClass,
    /// The derivative's own commercial-use answer.
    pub declared_commercial_use: CommercialUse,
}

/// A version's licence after its lineage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EffectiveLicense {
    pub class: LicenseClass,
    pub commercial_use: CommercialUse,
    /// Bases that allow less than the version declares; empty when there are none.
    #[serde(default)]
    pub conflicts: Vec<LicenseConflict>,
}

/// `own` folded with the effective verdict of every direct base, and the conflicts.
pub fn effective_license(own: LicenseVerdict, bases: &[BaseVerdict]) -> EffectiveLicense {
    let mut effective = own;
    let mut conflicts = Vec::new();
    for b in bases {
        effective = effective.and(b.verdict);
        let more = |base: Option<std::cmp::Ordering>| base == Some(std::cmp::Ordering::Greater);
        if more(b.verdict.class.partial_cmp(&own.class))
            || more(b.verdict.commercial_use.partial_cmp(&own.commercial_use))
        {
            conflicts.push(LicenseConflict {
                base: b.base.clone(),
                base_class: b.verdict.class,
                base_commercial_use: b.verdict.commercial_use,
                declared_class: own.class,
                declared_commercial_use: own.commercial_use,
            });
        }
    }
    EffectiveLicense { class: effective.class, commercial_use: effective.commercial_use, conflicts }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommercialUse::{Allowed, Forbidden, Restricted};
    use LicenseClass::{Copyleft, NonCommercial, Permissive, RestrictedUse};

    fn v(class: LicenseClass, commercial_use: CommercialUse) -> LicenseVerdict {
        LicenseVerdict { class, commercial_use }
    }

    fn base(name: &str, verdict: LicenseVerdict) -> BaseVerdict {
        BaseVerdict { base: name.to_owned(), verdict }
    }

    #[test]
    fn a_version_without_bases_keeps_its_own_verdict() {
        let e = effective_license(v(Permissive, Allowed), &[]);
        assert_eq!((e.class, e.commercial_use, e.conflicts.len()), (Permissive, Allowed, 0));
    }

    #[test]
    fn a_three_level_chain_takes_the_most_restrictive_link() {
        // llama (restricted) <- finetune (declares Apache) <- quantisation (declares MIT).
        let root = effective_license(v(RestrictedUse, Restricted), &[]);
        let mid = effective_license(
            v(Permissive, Allowed),
            &[base("meta/llama-3", v(root.class, root.commercial_use))],
        );
        assert_eq!((mid.class, mid.commercial_use), (RestrictedUse, Restricted));
        assert_eq!(mid.conflicts.len(), 1, "Apache-2.0 on a Llama fine-tune is a conflict");
        let leaf =
            effective_license(v(Permissive, Allowed), &[base("acme/ft", v(mid.class, mid.commercial_use))]);
        assert_eq!((leaf.class, leaf.commercial_use), (RestrictedUse, Restricted));
        assert_eq!(leaf.conflicts[0].base, "acme/ft");
    }

    #[test]
    fn a_merge_takes_the_stricter_of_its_bases_per_axis() {
        let e = effective_license(
            v(NonCommercial, Forbidden),
            &[base("a/gpl", v(Copyleft, Allowed)), base("b/nc", v(NonCommercial, Forbidden))],
        );
        assert_eq!((e.class, e.commercial_use), (NonCommercial, Forbidden));
        assert!(e.conflicts.is_empty(), "declaring the strictest licence conflicts with nothing");
        let e = effective_license(
            v(Copyleft, Allowed),
            &[base("a/gpl", v(Copyleft, Allowed)), base("b/llama", v(RestrictedUse, Restricted))],
        );
        assert_eq!((e.class, e.commercial_use), (RestrictedUse, Restricted));
        assert_eq!(e.conflicts.iter().map(|c| c.base.as_str()).collect::<Vec<_>>(), ["b/llama"]);
    }

    #[test]
    fn an_unknown_base_makes_the_answer_unknown_unless_already_strictest() {
        let e = effective_license(v(Permissive, Allowed), &[base("x/y", LicenseVerdict::UNKNOWN)]);
        assert_eq!((e.class, e.commercial_use), (LicenseClass::Unknown, CommercialUse::Unknown));
        assert!(e.conflicts.is_empty(), "an unknown base is no proven conflict");
        let e = effective_license(v(NonCommercial, Forbidden), &[base("x/y", LicenseVerdict::UNKNOWN)]);
        assert_eq!((e.class, e.commercial_use), (NonCommercial, Forbidden));
    }

    #[test]
    fn a_stricter_commercial_answer_alone_is_a_conflict() {
        // CC-BY-ND is restricted_use with commercial use allowed; Llama restricts it.
        let e =
            effective_license(v(RestrictedUse, Allowed), &[base("meta/llama", v(RestrictedUse, Restricted))]);
        assert_eq!(e.commercial_use, Restricted);
        assert_eq!(e.conflicts.len(), 1);
    }
}
