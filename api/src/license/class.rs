//! The licence vocabulary: `LicenseClass` and `CommercialUse`, their names and their order
//! from least to most restrictive. No licence ids and no expression logic here.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What kind of licence a model is under, from least to most restrictive (see the module
/// docs of `license` for the rules). `Unknown` is comparable only with itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LicenseClass {
    /// Use, change and redistribute freely; at most keep a notice.
    Permissive,
    /// Changes to the licensed files themselves must be shared under the same licence.
    WeakCopyleft,
    /// Derived works as a whole must be shared under the same licence.
    Copyleft,
    /// Commercial use allowed, but with use restrictions or conditions beyond notices.
    RestrictedUse,
    /// Commercial use is forbidden.
    NonCommercial,
    /// Not in the table, or not decidable from the expression.
    Unknown,
}

/// Whether a licence lets you use the model commercially, from most to least permissive.
/// `Unknown` is comparable only with itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CommercialUse {
    /// Allowed without conditions beyond the licence's notice or copyleft duties.
    Allowed,
    /// Allowed with conditions: a user threshold, a use policy, no hosted service, ...
    Restricted,
    /// Not allowed.
    Forbidden,
    /// Not in the table, or not decidable from the expression.
    Unknown,
}

/// A string that names no `LicenseClass` or `CommercialUse` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{input}': expected one of {expected}")]
pub struct LicenseTermError {
    what: &'static str,
    input: String,
    expected: String,
}

/// Both licence scales: an order with a most permissive and a strictest end, plus `Unknown`,
/// which compares with nothing but itself.
pub(super) trait Scale: Copy + PartialOrd {
    const UNKNOWN: Self;
    const MOST_PERMISSIVE: Self;
    const STRICTEST: Self;
}

impl LicenseClass {
    /// Every value, least restrictive first, `Unknown` last.
    pub const ALL: [Self; 6] = [
        Self::Permissive,
        Self::WeakCopyleft,
        Self::Copyleft,
        Self::RestrictedUse,
        Self::NonCommercial,
        Self::Unknown,
    ];

    /// The snake_case name, as in JSON and query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Permissive => "permissive",
            Self::WeakCopyleft => "weak_copyleft",
            Self::Copyleft => "copyleft",
            Self::RestrictedUse => "restricted_use",
            Self::NonCommercial => "non_commercial",
            Self::Unknown => "unknown",
        }
    }

    fn rank(self) -> Option<u8> {
        match self {
            Self::Permissive => Some(0),
            Self::WeakCopyleft => Some(1),
            Self::Copyleft => Some(2),
            Self::RestrictedUse => Some(3),
            Self::NonCommercial => Some(4),
            Self::Unknown => None,
        }
    }
}

impl CommercialUse {
    /// Every value, most permissive first, `Unknown` last.
    pub const ALL: [Self; 4] = [Self::Allowed, Self::Restricted, Self::Forbidden, Self::Unknown];

    /// The snake_case name, as in JSON and query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Restricted => "restricted",
            Self::Forbidden => "forbidden",
            Self::Unknown => "unknown",
        }
    }

    fn rank(self) -> Option<u8> {
        match self {
            Self::Allowed => Some(0),
            Self::Restricted => Some(1),
            Self::Forbidden => Some(2),
            Self::Unknown => None,
        }
    }
}

/// Orders by rank, where the greater value is the more restrictive; `Unknown` equals only
/// itself and is unordered against everything else.
fn compare(a: Option<u8>, b: Option<u8>) -> Option<Ordering> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.cmp(&b)),
        (None, None) => Some(Ordering::Equal),
        _ => None,
    }
}

/// Case-insensitive lookup of `s` (trimmed) among `all`, by `as_str`.
fn parse_name<T: Copy>(
    what: &'static str,
    s: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, LicenseTermError> {
    let wanted = s.trim();
    all.iter().copied().find(|v| name(*v).eq_ignore_ascii_case(wanted)).ok_or_else(|| LicenseTermError {
        what,
        input: wanted.chars().take(100).collect(),
        expected: all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", "),
    })
}

impl PartialOrd for LicenseClass {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        compare(self.rank(), other.rank())
    }
}

impl PartialOrd for CommercialUse {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        compare(self.rank(), other.rank())
    }
}

impl Scale for LicenseClass {
    const UNKNOWN: Self = Self::Unknown;
    const MOST_PERMISSIVE: Self = Self::Permissive;
    const STRICTEST: Self = Self::NonCommercial;
}

impl Scale for CommercialUse {
    const UNKNOWN: Self = Self::Unknown;
    const MOST_PERMISSIVE: Self = Self::Allowed;
    const STRICTEST: Self = Self::Forbidden;
}

impl FromStr for LicenseClass {
    type Err = LicenseTermError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name("licence class", s, &Self::ALL, Self::as_str)
    }
}

impl FromStr for CommercialUse {
    type Err = LicenseTermError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_name("commercial use", s, &Self::ALL, Self::as_str)
    }
}

impl fmt::Display for LicenseClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for CommercialUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CommercialUse::{Allowed, Forbidden, Restricted};
    use LicenseClass::{Copyleft, NonCommercial, Permissive, RestrictedUse, WeakCopyleft};

    #[test]
    fn names_round_trip_through_from_str_and_serde() {
        for class in LicenseClass::ALL {
            assert_eq!(class.as_str().parse::<LicenseClass>(), Ok(class));
            assert_eq!(serde_json::to_value(class).unwrap(), class.as_str());
        }
        for use_ in CommercialUse::ALL {
            assert_eq!(use_.as_str().to_uppercase().parse::<CommercialUse>(), Ok(use_));
            assert_eq!(serde_json::to_value(use_).unwrap(), use_.as_str());
        }
        let err = "free".parse::<LicenseClass>().unwrap_err().to_string();
        assert_eq!(
            err,
            "unknown licence class 'free': expected one of permissive, weak_copyleft, copyleft, \
             restricted_use, non_commercial, unknown"
        );
    }

    #[test]
    fn classes_are_ordered_from_least_to_most_restrictive_and_unknown_is_unordered() {
        assert!(Permissive < WeakCopyleft && WeakCopyleft < Copyleft);
        assert!(Copyleft < RestrictedUse && RestrictedUse < NonCommercial);
        assert!(Allowed < Restricted && Restricted < Forbidden);
        assert_eq!(LicenseClass::Unknown.partial_cmp(&Permissive), None);
        assert_eq!(CommercialUse::Unknown.partial_cmp(&Forbidden), None);
        assert_eq!(LicenseClass::Unknown.partial_cmp(&LicenseClass::Unknown), Some(Ordering::Equal));
    }
}
