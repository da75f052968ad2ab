//! What one lookup may ask for: how often parameters may repeat, and which values the
//! `license` filter takes. `LookupQuery::from_pairs` applies both, so that a request is
//! refused with a 400 naming the parameter before it can grow the SQL past what a database
//! accepts (SQLite refuses expression trees deeper than 1000) or ask for a licence no
//! version can carry.

use std::collections::BTreeMap;

use super::{LookupError, bad};

/// Most values one repeatable parameter (`language`, `license`, `tag`, ...) may have.
pub const MAX_VALUES_PER_PARAM: usize = 64;
/// Most parameters one lookup may have, all keys together.
pub const MAX_QUERY_PARAMS: usize = 256;

/// Counts the parameters of one query as they arrive.
#[derive(Debug, Default)]
pub(super) struct ParamBudget<'a> {
    total: usize,
    per_key: BTreeMap<&'a str, usize>,
}

impl<'a> ParamBudget<'a> {
    /// Takes one more `key`; refuses, naming it, past either cap.
    pub(super) fn take(&mut self, key: &'a str) -> Result<(), LookupError> {
        self.total += 1;
        if self.total > MAX_QUERY_PARAMS {
            return Err(bad(key, format!("the query has more than {MAX_QUERY_PARAMS} parameters")));
        }
        let n = self.per_key.entry(key).or_default();
        *n += 1;
        if *n > MAX_VALUES_PER_PARAM {
            return Err(bad(key, format!("may be given at most {MAX_VALUES_PER_PARAM} times")));
        }
        Ok(())
    }
}

/// A `license` filter value: one licence id an expression can name, in the canonical form
/// `LicenseExpr` stores (`crate::canonical_license_id`). Taken are ids of the SPDX list (any
/// case, with `+`, `-only` or `-or-later`), `LicenseRef-` ids, and the Hugging Face ids that
/// translate to one (`llama3` is `LicenseRef-llama3`, `other` is `LicenseRef-other`).
/// Expressions and anything else are refused: they would match nothing.
pub(super) fn license_filter_id(param: &str, value: &str) -> Result<String, LookupError> {
    let value = value.trim();
    if let Some(id) = crate::canonical_license_id(value) {
        return Ok(id);
    }
    let shown: String = value.chars().take(80).collect();
    Err(bad(
        param,
        format!(
            "'{shown}' is not a licence id (an SPDX id such as MIT or Apache-2.0, a Hugging Face id such as \
             llama3, or LicenseRef-...)"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn licence_filters_take_spdx_hugging_face_and_licence_ref_ids() {
        for (given, kept) in [
            ("MIT", "MIT"),
            ("apache-2.0", "Apache-2.0"),
            ("GPL-3.0-or-later", "GPL-3.0-or-later"),
            ("gpl-3.0+", "GPL-3.0+"),
            ("LicenseRef-my.licence-2", "LicenseRef-my.licence-2"),
            ("licenseref-openrail-m", "LicenseRef-openrail-m"),
            ("other", "LicenseRef-other"),
            ("llama3.1", "LicenseRef-llama3.1"),
            (" CC-BY-NC-4.0 ", "CC-BY-NC-4.0"),
        ] {
            assert_eq!(license_filter_id("license", given).unwrap(), kept, "{given}");
        }
    }

    #[test]
    fn licence_filters_refuse_what_is_not_one_id() {
        for value in
            ["Not A Licence (", "MIT OR Apache-2.0", "Made-Up-1.0", "LicenseRef-", "LicenseRef-a b", "+"]
        {
            let err = license_filter_id("license", value).unwrap_err();
            assert_eq!(err.param, "license", "{value}: {err}");
        }
    }

    #[test]
    fn a_parameter_may_repeat_64_times_and_a_query_hold_256() {
        let mut budget = ParamBudget::default();
        for _ in 0..MAX_VALUES_PER_PARAM {
            budget.take("language").unwrap();
        }
        assert_eq!(budget.take("language").unwrap_err().param, "language");

        let mut budget = ParamBudget::default();
        for key in ["a", "b", "c", "d"] {
            for _ in 0..MAX_VALUES_PER_PARAM {
                budget.take(key).unwrap();
            }
        }
        let err = budget.take("tag").unwrap_err();
        assert_eq!(err.param, "tag");
        assert!(err.reason.contains("256"), "{err}");
    }
}
