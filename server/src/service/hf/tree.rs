//! A version's files as the Hub's tree: the entries under a folder (its direct children, or
//! everything below it when recursive, folders included), in path order, a page at a time,
//! and `paths-info` (the entries for given paths). Pure functions over the manifest.

use std::collections::BTreeMap;

use modelreg_api::{Digest, FileEntry};

/// One entry of a tree listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeEntry {
    File { path: String, size: u64, digest: Digest },
    Directory { path: String },
}

impl TreeEntry {
    pub fn path(&self) -> &str {
        match self {
            Self::File { path, .. } | Self::Directory { path } => path,
        }
    }
}

/// One page of a tree listing; `next` is the cursor of the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreePage {
    pub entries: Vec<TreeEntry>,
    pub next: Option<String>,
}

/// Every entry of the version, by path: its files and every folder above them.
fn all_entries(files: &[FileEntry]) -> BTreeMap<String, TreeEntry> {
    let mut all = BTreeMap::new();
    for f in files {
        let path = f.path.as_str();
        for (i, _) in path.match_indices('/') {
            let dir = &path[..i];
            all.entry(dir.to_owned()).or_insert_with(|| TreeEntry::Directory { path: dir.to_owned() });
        }
        all.insert(
            path.to_owned(),
            TreeEntry::File { path: path.to_owned(), size: f.size, digest: f.digest },
        );
    }
    all
}

/// The entries under `folder` ("" = the root), after `cursor` (a path), at most `limit`.
/// `None` when `folder` is neither the root nor a folder of the version.
pub fn tree_page(
    files: &[FileEntry],
    folder: &str,
    recursive: bool,
    cursor: Option<&str>,
    limit: usize,
) -> Option<TreePage> {
    let folder = folder.trim_matches('/');
    let all = all_entries(files);
    if !folder.is_empty() && !matches!(all.get(folder), Some(TreeEntry::Directory { .. })) {
        return None;
    }
    let prefix = if folder.is_empty() { String::new() } else { format!("{folder}/") };
    let mut under = all.into_iter().filter(|(path, _)| {
        path.strip_prefix(&prefix).is_some_and(|rest| !rest.is_empty() && (recursive || !rest.contains('/')))
            && cursor.is_none_or(|c| path.as_str() > c)
    });
    let entries: Vec<TreeEntry> = under.by_ref().take(limit).map(|(_, e)| e).collect();
    let next = if under.next().is_some() { entries.last().map(|e| e.path().to_owned()) } else { None };
    Some(TreePage { entries, next })
}

/// The entries for `paths` that the version has (files or folders), in the order asked;
/// paths it lacks are left out, as the Hub does.
pub fn paths_info(files: &[FileEntry], paths: &[String]) -> Vec<TreeEntry> {
    let all = all_entries(files);
    let mut seen = std::collections::BTreeSet::new();
    paths
        .iter()
        .map(|p| p.trim_matches('/'))
        .filter(|p| seen.insert(p.to_owned()))
        .filter_map(|p| all.get(p).cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(paths: &[&str]) -> Vec<FileEntry> {
        let digest: Digest = format!("sha256:{}", "0".repeat(64)).parse().unwrap();
        paths.iter().map(|p| FileEntry { path: p.parse().unwrap(), digest, size: 1 }).collect()
    }

    fn paths(page: &TreePage) -> Vec<&str> {
        page.entries.iter().map(TreeEntry::path).collect()
    }

    #[test]
    fn a_flat_listing_shows_direct_children_and_a_recursive_one_everything_below() {
        let f = files(&["config.json", "tok/vocab.json", "tok/sub/merges.txt", "z.bin"]);
        let root = tree_page(&f, "", false, None, 100).unwrap();
        assert_eq!(paths(&root), ["config.json", "tok", "z.bin"]);
        let all = tree_page(&f, "", true, None, 100).unwrap();
        assert_eq!(
            paths(&all),
            ["config.json", "tok", "tok/sub", "tok/sub/merges.txt", "tok/vocab.json", "z.bin"]
        );
        let tok = tree_page(&f, "tok", false, None, 100).unwrap();
        assert_eq!(paths(&tok), ["tok/sub", "tok/vocab.json"]);
        assert!(tree_page(&f, "config.json", false, None, 100).is_none());
        assert!(tree_page(&f, "nope", true, None, 100).is_none());
    }

    #[test]
    fn pages_continue_after_the_cursor_until_the_last() {
        let f = files(&["a", "b", "c", "d", "e"]);
        let first = tree_page(&f, "", true, None, 2).unwrap();
        assert_eq!((paths(&first), first.next.as_deref()), (vec!["a", "b"], Some("b")));
        let second = tree_page(&f, "", true, first.next.as_deref(), 2).unwrap();
        assert_eq!(paths(&second), ["c", "d"]);
        let last = tree_page(&f, "", true, second.next.as_deref(), 2).unwrap();
        assert_eq!((paths(&last), last.next.as_deref()), (vec!["e"], None));
    }

    #[test]
    fn paths_info_answers_for_the_paths_that_exist() {
        let f = files(&["config.json", "tok/vocab.json"]);
        let asked = ["tok".to_owned(), "missing".to_owned(), "config.json".to_owned(), "tok".to_owned()];
        let got: Vec<String> = paths_info(&f, &asked).iter().map(|e| e.path().to_owned()).collect();
        assert_eq!(got, ["tok", "config.json"]);
    }
}
