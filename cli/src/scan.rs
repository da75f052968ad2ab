//! Walking a push directory: which files become the version's files, under which
//! `FilePath`s, read from where. Refuses what cannot be pushed faithfully (links leaving the
//! directory, linked directories, special files). Reads no file contents.

use std::fs;
use std::path::{Path, PathBuf};

use glob::Pattern;
use modelreg_api::FilePath;

use crate::error::ClientError;

/// The metadata file at the top of a push directory; never one of the version's files.
pub use modelreg_api::card::METADATA_FILE;

/// One file found by the scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScannedFile {
    /// Where the file goes in the version.
    pub path: FilePath,
    /// Where to read its content (the resolved target for a symlink).
    pub source: PathBuf,
}

/// Lists the files under `root`, sorted by path. Hidden files are included; `excludes`
/// are matched against each file's relative '/'-separated path and against each of its
/// leading directories, so that `logs` or `logs/**` drops a whole directory.
pub fn scan_dir(root: &Path, excludes: &[Pattern]) -> Result<Vec<ScannedFile>, ClientError> {
    let real_root = fs::canonicalize(root)
        .map_err(|e| ClientError::io(format!("cannot open directory '{}'", root.display()), e))?;
    if !real_root.is_dir() {
        return Err(ClientError::Invalid(format!("'{}' is not a directory", root.display())));
    }
    let mut walk = Walk { root, real_root: &real_root, excludes, files: Vec::new() };
    walk.visit(root, "")?;
    let mut files = walk.files;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

struct Walk<'a> {
    root: &'a Path,
    real_root: &'a Path,
    excludes: &'a [Pattern],
    files: Vec<ScannedFile>,
}

impl Walk<'_> {
    /// Visits directory `dir`, whose relative path is `prefix` ("" for the root).
    fn visit(&mut self, dir: &Path, prefix: &str) -> Result<(), ClientError> {
        let root = self.root;
        let shown = |p: &Path| p.strip_prefix(root).unwrap_or(p).display().to_string();
        let entries =
            fs::read_dir(dir).map_err(|e| ClientError::io(format!("cannot list '{}'", dir.display()), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| ClientError::io(format!("cannot list '{}'", dir.display()), e))?;
            let full = entry.path();
            let name = entry.file_name();
            let name = name.to_str().ok_or_else(|| {
                ClientError::Invalid(format!("'{}': file name is not valid UTF-8", shown(&full)))
            })?;
            let rel = if prefix.is_empty() { name.to_owned() } else { format!("{prefix}/{name}") };
            if prefix.is_empty() && name == METADATA_FILE {
                continue;
            }
            if self.excludes.iter().any(|p| p.matches(&rel)) {
                continue;
            }
            let meta = fs::symlink_metadata(&full)
                .map_err(|e| ClientError::io(format!("cannot inspect '{rel}'"), e))?;
            let kind = meta.file_type();
            if kind.is_dir() {
                self.visit(&full, &rel)?;
            } else if kind.is_file() {
                self.push(rel, full)?;
            } else if kind.is_symlink() {
                let target = self.resolve_link(&full, &rel)?;
                self.push(rel, target)?;
            } else {
                return Err(ClientError::Invalid(format!(
                    "'{rel}' is not a regular file (a fifo, socket or device); exclude it with --exclude"
                )));
            }
        }
        Ok(())
    }

    /// Follows a symlink that must end at a regular file inside the root.
    fn resolve_link(&self, link: &Path, rel: &str) -> Result<PathBuf, ClientError> {
        let target = fs::canonicalize(link).map_err(|e| {
            ClientError::Invalid(format!("'{rel}' is a symbolic link that cannot be followed: {e}"))
        })?;
        if !target.starts_with(self.real_root) {
            return Err(ClientError::Invalid(format!(
                "'{rel}' is a symbolic link pointing outside the pushed directory (to '{}')",
                target.display()
            )));
        }
        let meta =
            fs::metadata(&target).map_err(|e| ClientError::io(format!("cannot inspect '{rel}'"), e))?;
        if meta.is_dir() {
            return Err(ClientError::Invalid(format!(
                "'{rel}' is a symbolic link to a directory; only links to files are followed"
            )));
        }
        if !meta.is_file() {
            return Err(ClientError::Invalid(format!(
                "'{rel}' is a symbolic link to something that is not a regular file"
            )));
        }
        Ok(target)
    }

    fn push(&mut self, rel: String, source: PathBuf) -> Result<(), ClientError> {
        let path: FilePath =
            rel.parse().map_err(|e| ClientError::Invalid(format!("cannot push '{rel}': {e}")))?;
        self.files.push(ScannedFile { path, source });
        Ok(())
    }
}

/// Parses `--exclude` globs up front so that a typo fails before any work is done.
pub fn parse_excludes(globs: &[String]) -> Result<Vec<Pattern>, ClientError> {
    globs
        .iter()
        .map(|g| {
            Pattern::new(g).map_err(|e| ClientError::Invalid(format!("invalid --exclude glob '{g}': {e}")))
        })
        .collect()
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn paths(root: &Path, excludes: &[&str]) -> Vec<String> {
        let excludes: Vec<String> = excludes.iter().map(|s| (*s).to_owned()).collect();
        let files = scan_dir(root, &parse_excludes(&excludes).unwrap()).unwrap();
        files.iter().map(|f| f.path.to_string()).collect()
    }

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let p = dir.path().join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, f.as_bytes()).unwrap();
        }
        dir
    }

    #[test]
    fn files_are_listed_recursively_sorted_with_hidden_files_and_without_the_metadata_file() {
        let dir =
            tree(&["b.bin", "a/z.json", "a/.hidden", ".gitattributes", "modelreg.toml", "x/modelreg.toml"]);
        assert_eq!(
            paths(dir.path(), &[]),
            [".gitattributes", "a/.hidden", "a/z.json", "b.bin", "x/modelreg.toml"]
        );
    }

    #[test]
    fn excludes_match_files_and_whole_directories() {
        let dir =
            tree(&["keep.bin", "logs/a.txt", "logs/deep/b.txt", "ckpt/x.ckpt", "sub/y.ckpt", "sub/z.bin"]);
        assert_eq!(paths(dir.path(), &["logs"]), ["ckpt/x.ckpt", "keep.bin", "sub/y.ckpt", "sub/z.bin"]);
        assert_eq!(paths(dir.path(), &["logs/**"]), ["ckpt/x.ckpt", "keep.bin", "sub/y.ckpt", "sub/z.bin"]);
        assert_eq!(paths(dir.path(), &["*.ckpt", "logs"]), ["keep.bin", "sub/z.bin"]);
        assert_eq!(
            paths(dir.path(), &["sub/z.bin"]),
            ["ckpt/x.ckpt", "keep.bin", "logs/a.txt", "logs/deep/b.txt", "sub/y.ckpt"]
        );
        assert!(parse_excludes(&["a[".to_owned()]).is_err());
    }

    #[test]
    fn a_symlink_inside_the_directory_is_followed_under_its_own_path() {
        let dir = tree(&["weights/model.bin"]);
        symlink("weights/model.bin", dir.path().join("model.bin")).unwrap();
        let files = scan_dir(dir.path(), &[]).unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].path.as_str(), "model.bin");
        assert_eq!(fs::read(&files[0].source).unwrap(), b"weights/model.bin");
    }

    #[test]
    fn a_symlink_leaving_the_directory_is_refused_naming_the_path() {
        let outside = tree(&["secret"]);
        let dir = tree(&["ok"]);
        symlink(outside.path().join("secret"), dir.path().join("leak")).unwrap();
        let err = scan_dir(dir.path(), &[]).unwrap_err().to_string();
        assert!(err.contains("'leak'") && err.contains("outside"), "{err}");
    }

    #[test]
    fn a_symlinked_directory_and_a_broken_link_are_refused() {
        let dir = tree(&["real/a"]);
        symlink("real", dir.path().join("alias")).unwrap();
        let err = scan_dir(dir.path(), &[]).unwrap_err().to_string();
        assert!(err.contains("'alias'") && err.contains("directory"), "{err}");

        let dir = tree(&["a"]);
        symlink("nowhere", dir.path().join("dangling")).unwrap();
        let err = scan_dir(dir.path(), &[]).unwrap_err().to_string();
        assert!(err.contains("'dangling'"), "{err}");
    }

    #[test]
    fn special_files_are_refused_unless_excluded() {
        let dir = tree(&["a"]);
        let status = std::process::Command::new("mkfifo").arg(dir.path().join("pipe")).status().unwrap();
        assert!(status.success());
        let err = scan_dir(dir.path(), &[]).unwrap_err().to_string();
        assert!(err.contains("'pipe'") && err.contains("not a regular file"), "{err}");
        assert_eq!(paths(dir.path(), &["pipe"]), ["a"]);

        let dir = tree(&["a"]);
        let _listener = std::os::unix::net::UnixListener::bind(dir.path().join("sock")).unwrap();
        let err = scan_dir(dir.path(), &[]).unwrap_err().to_string();
        assert!(err.contains("'sock'"), "{err}");
    }

    #[test]
    fn names_that_are_not_valid_file_paths_are_refused_naming_the_path() {
        let dir = tree(&["ok"]);
        fs::write(dir.path().join("bad\\name"), b"x").unwrap();
        let err = scan_dir(dir.path(), &[]).unwrap_err().to_string();
        assert!(err.contains("bad\\name"), "{err}");
    }
}
