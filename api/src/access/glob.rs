//! Glob matching for namespace patterns, where `*` matches any run of characters. Linear in
//! the lengths of pattern and text: no backtracking, whatever the number of stars.

/// Whether `text` matches `pattern`.
///
/// The pattern splits at its stars into literal segments. The first segment must be a
/// prefix of the text and the last a suffix (without overlapping); each segment in between
/// is taken at its leftmost occurrence after the previous one. Taking the leftmost
/// occurrence is always safe: it leaves the longest possible rest for the segments after
/// it, so if any placement of the segments works, this one does. Each search is a
/// substring search (`str::find`, linear), and each search starts where the last match
/// ended, so the whole match reads the text a bounded number of times.
pub(crate) fn glob_matches(pattern: &str, text: &str) -> bool {
    let Some((first, after_first)) = pattern.split_once('*') else {
        return pattern == text;
    };
    let (middle, last) = after_first.rsplit_once('*').unwrap_or(("", after_first));
    if text.len() < first.len() + last.len() || !text.starts_with(first) || !text.ends_with(last) {
        return false;
    }
    // Both bounds fall on character boundaries: one ends a matched prefix, the other starts
    // a matched suffix, and the length check keeps them in order.
    let mut rest = &text[first.len()..text.len() - last.len()];
    for segment in middle.split('*').filter(|s| !s.is_empty()) {
        match rest.find(segment) {
            Some(at) => rest = &rest[at + segment.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::glob_matches;

    /// The obvious backtracking matcher, as the reference for short inputs.
    fn reference(p: &[u8], s: &[u8]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some((b'*', rest)) => (0..=s.len()).any(|i| reference(rest, &s[i..])),
            Some((c, rest)) => s.first() == Some(c) && reference(rest, &s[1..]),
        }
    }

    /// Every string of length 0..=max over `alphabet`.
    fn all_strings(alphabet: &[u8], max: usize) -> Vec<String> {
        let mut out = vec![String::new()];
        let mut layer = vec![String::new()];
        for _ in 0..max {
            layer = layer
                .iter()
                .flat_map(|s| alphabet.iter().map(move |&c| format!("{s}{}", c as char)))
                .collect();
            out.extend(layer.iter().cloned());
        }
        out
    }

    #[test]
    fn agrees_with_the_backtracking_reference_on_every_short_pattern_and_text() {
        let patterns = all_strings(b"ab*", 5);
        let texts = all_strings(b"ab", 6);
        for p in &patterns {
            for t in &texts {
                assert_eq!(glob_matches(p, t), reference(p.as_bytes(), t.as_bytes()), "'{p}' vs '{t}'");
            }
        }
    }

    #[test]
    fn prefix_and_suffix_may_not_overlap() {
        assert!(!glob_matches("ab*ba", "aba"));
        assert!(glob_matches("ab*ba", "abba"));
        assert!(!glob_matches("a*a", "a"));
        assert!(glob_matches("*", ""));
        assert!(glob_matches("**", "x"));
    }

    #[test]
    fn thirty_stars_against_a_long_name_that_almost_matches_answer_at_once() {
        // The backtracking matcher explores on the order of 64^30 splits here.
        let pattern = format!("{}b", "a*".repeat(30));
        let text = "a".repeat(64);
        assert!(!glob_matches(&pattern, &text));
        assert!(glob_matches(&pattern, &format!("{text}b")));
        let pattern = format!("{}*b", "*".repeat(30));
        assert!(!glob_matches(&pattern, &text));
    }
}
