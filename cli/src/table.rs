//! Plain-text tables for stdout: columns separated by two spaces, numbers right-aligned,
//! and, when asked, fitted to a width by cutting the cells of the widest flexible columns
//! with `…`. Knows nothing about what the cells mean.

/// How a column is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Right-align the cells (numbers, sizes).
    pub right: bool,
    /// The column may be cut to fit the width, down to `min` characters.
    pub flexible: bool,
    pub min: usize,
}

impl Column {
    /// Left-aligned, never cut.
    pub const FIXED: Self = Self { right: false, flexible: false, min: 0 };
    /// Right-aligned, never cut.
    pub const NUMBER: Self = Self { right: true, flexible: false, min: 0 };

    /// Left-aligned, cut to fit down to `min` characters.
    pub const fn flexible(min: usize) -> Self {
        Self { right: false, flexible: true, min }
    }
}

const GAP: &str = "  ";

/// Left-aligned columns separated by two spaces, no trailing blanks.
pub fn render<const N: usize>(rows: &[[String; N]]) -> String {
    render_fitted(rows, &[Column::FIXED; N], usize::MAX)
}

/// Lays `rows` (the first is the header) out in at most `width` characters per line where
/// that is possible: the widest flexible column is narrowed one character at a time until
/// the table fits or every flexible column is at its minimum.
pub fn render_fitted<const N: usize>(rows: &[[String; N]], columns: &[Column; N], width: usize) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let total = |widths: &[usize; N]| widths.iter().sum::<usize>() + GAP.len() * N.saturating_sub(1);
    while total(&widths) > width {
        let widest = (0..N)
            .filter(|&i| columns[i].flexible && widths[i] > columns[i].min.max(1))
            .max_by_key(|&i| (widths[i], std::cmp::Reverse(i)));
        match widest {
            Some(i) => widths[i] -= 1,
            None => break,
        }
    }
    let lines: Vec<String> = rows
        .iter()
        .map(|row| {
            let cells: Vec<String> = row
                .iter()
                .zip(widths)
                .zip(columns)
                .map(|((cell, w), col)| {
                    let cell = truncate(cell, w);
                    if col.right { format!("{cell:>w$}") } else { format!("{cell:<w$}") }
                })
                .collect();
            cells.join(GAP).trim_end().to_owned()
        })
        .collect();
    lines.join("\n")
}

/// `text` cut to at most `width` characters, ending in `…` when it was cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<[String; 3]> {
        vec![
            ["NAME".into(), "NOTE".into(), "SIZE".into()],
            ["acme/a-very-long-model-name@1.0.0".into(), "short".into(), "4.5 MiB".into()],
            ["acme/b@2.0.0".into(), "a long note about it".into(), "12 B".into()],
        ]
    }

    #[test]
    fn tables_align_columns_and_numbers() {
        let text = render_fitted(&rows(), &[Column::FIXED, Column::FIXED, Column::NUMBER], 200);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "NAME                               NOTE                     SIZE");
        assert!(lines[1].ends_with("short                 4.5 MiB"), "{text}");
        assert!(lines[2].ends_with("   12 B"), "{text}");
    }

    #[test]
    fn wide_flexible_columns_are_cut_to_fit_the_width() {
        let cols = [Column::flexible(12), Column::flexible(6), Column::NUMBER];
        let text = render_fitted(&rows(), &cols, 40);
        for line in text.lines() {
            assert!(line.chars().count() <= 40, "{line:?} in\n{text}");
        }
        assert!(text.contains('…'), "{text}");
        assert!(text.contains("4.5 MiB") && text.contains("12 B"), "numbers are never cut: {text}");
        // Narrower than the minimums allow: the columns stop at their minimum.
        let text = render_fitted(&rows(), &cols, 10);
        assert!(text.lines().nth(1).unwrap().starts_with("acme/a-very…  short   "), "{text}");
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abc", 0), "");
    }
}
