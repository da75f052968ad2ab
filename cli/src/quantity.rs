//! Human quantities on the command line and in tables: parameter counts (`3B`, `1.5B`,
//! `500M`), byte sizes (`4GiB`, `500MB`) and token counts (`128K`), parsed exactly (no
//! floating point) and printed short. Byte sizes are printed by `output::human_size`.

/// Parses a count with an optional decimal suffix: `K` (10^3), `M` (10^6), `B` or `G`
/// (10^9), `T` (10^12), any case; `1.5B`, `500M`, `7_000_000_000`. The result is rounded
/// to a whole number.
pub fn parse_count(s: &str) -> Result<u64, String> {
    let (number, suffix) = split_suffix(s);
    let multiplier: u64 = match suffix.to_ascii_lowercase().as_str() {
        "" => 1,
        "k" => 1_000,
        "m" => 1_000_000,
        "b" | "g" => 1_000_000_000,
        "t" => 1_000_000_000_000,
        other => return Err(format!("unknown suffix '{other}' in '{s}' (use K, M, B or T, e.g. 1.5B)")),
    };
    scale(s, number, multiplier)
}

/// Parses a byte size: a number with an optional unit, `B`, decimal `KB`/`MB`/`GB`/`TB`
/// (powers of 1000) or binary `KiB`/`MiB`/`GiB`/`TiB` (powers of 1024); a bare `K`, `M`,
/// `G`, `T` is binary. Any case; `4GiB`, `500MB`, `1.5G`, `1048576`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let (number, unit) = split_suffix(s);
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        other => {
            return Err(format!(
                "unknown unit '{other}' in '{s}' (use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)"
            ));
        }
    };
    scale(s, number, multiplier)
}

/// Splits `1.5 GiB` into `1.5` and `GiB`.
fn split_suffix(s: &str) -> (&str, &str) {
    let s = s.trim();
    let at = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    (s[..at].trim(), s[at..].trim())
}

/// `number * multiplier`, computed on the decimal digits, rounded half up.
fn scale(input: &str, number: &str, multiplier: u64) -> Result<u64, String> {
    let bad = || format!("'{input}' is not a number (e.g. 3B, 1.5B, 500M, 4GiB)");
    let digits: String = number.chars().filter(|&c| c != '_').collect();
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return Err(bad());
    }
    if !whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit()) || fraction.len() > 18 {
        return Err(bad());
    }
    let too_big = || format!("'{input}' is too large");
    let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| too_big())? };
    let denominator = 10u128.pow(fraction.len() as u32);
    let fraction: u128 = if fraction.is_empty() { 0 } else { fraction.parse().map_err(|_| bad())? };
    let numerator = whole
        .checked_mul(denominator)
        .and_then(|w| w.checked_add(fraction))
        .and_then(|n| n.checked_mul(u128::from(multiplier)))
        .ok_or_else(too_big)?;
    let value = (numerator + denominator / 2) / denominator;
    u64::try_from(value).map_err(|_| too_big())
}

pub use modelreg_api::words::{grouped, human_count, human_tokens};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_accept_decimal_suffixes() {
        for (input, value) in [
            ("3B", 3_000_000_000),
            ("1.5B", 1_500_000_000),
            ("500M", 500_000_000),
            ("500m", 500_000_000),
            ("7_000_000", 7_000_000),
            ("2.5k", 2_500),
            ("0.5T", 500_000_000_000),
            (" 12 ", 12),
            ("1.5", 2),
        ] {
            assert_eq!(parse_count(input), Ok(value), "{input}");
        }
        for bad in ["", "B", "three", "1.2.3B", "-1B", "5X", "99999999999999T"] {
            assert!(parse_count(bad).is_err(), "{bad}");
        }
        assert!(parse_count("5X").unwrap_err().contains("K, M, B or T"));
    }

    #[test]
    fn sizes_accept_decimal_and_binary_units() {
        for (input, value) in [
            ("4GiB", 4 << 30),
            ("4gib", 4 << 30),
            ("500MB", 500_000_000),
            ("1.5G", 3 << 29),
            ("1 KiB", 1024),
            ("10B", 10),
            ("1048576", 1 << 20),
            ("2TB", 2_000_000_000_000),
        ] {
            assert_eq!(parse_size(input), Ok(value), "{input}");
        }
        for bad in ["", "GiB", "4 GiBs", "4PB", "1,5GB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
