//! Opening a download's own files (`.part`, `.part.ranges`) without following links: a pull
//! writes only into files it created itself, or, to resume, into a regular file with no
//! other name. Whatever else sits at such a path (a symbolic link, a hard link to another
//! file, a folder) is removed or refused, never written through. On Unix every open also
//! carries `O_NOFOLLOW`, so a link swapped in later fails the open instead of being followed.

use std::fs::{File, Metadata, OpenOptions};
use std::io;
use std::path::Path;

/// Adds `O_NOFOLLOW` where the platform has it.
fn no_follow(options: &mut OpenOptions) -> &mut OpenOptions {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options
}

/// [`no_follow`] for tokio's `OpenOptions`.
pub fn tokio_no_follow(options: &mut tokio::fs::OpenOptions) -> &mut tokio::fs::OpenOptions {
    #[cfg(unix)]
    options.custom_flags(libc::O_NOFOLLOW);
    options
}

/// Whether `meta` (from `symlink_metadata` or an open handle) is a regular file with no
/// other name: not a link of any kind.
pub fn is_private_file(meta: &Metadata) -> bool {
    #[cfg(unix)]
    let single_name = {
        use std::os::unix::fs::MetadataExt;
        meta.nlink() == 1
    };
    #[cfg(not(unix))]
    let single_name = true;
    meta.file_type().is_file() && single_name
}

fn options(append: bool) -> OpenOptions {
    let mut o = OpenOptions::new();
    o.read(true);
    if append {
        o.append(true);
    } else {
        o.write(true);
    }
    o
}

/// Removes what is at `path` unless it is a private regular file (a link is removed
/// itself, its target is left alone). Absent is fine.
pub fn remove_unless_private(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !is_private_file(&meta) => std::fs::remove_file(path),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates `path` as a new file, failing if anything at all is there, dangling link included.
pub fn create_new(path: &Path, append: bool) -> io::Result<File> {
    no_follow(options(append).create_new(true)).open(path)
}

/// The private regular file an earlier pull left at `path`, opened for reading and
/// writing, or `None` when there is none.
pub fn open_existing(path: &Path, append: bool) -> io::Result<Option<File>> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if is_private_file(&meta) => {}
        Ok(_) => return Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    let file = no_follow(&mut options(append)).open(path)?;
    // Checked again on the handle: what was looked at above may have been replaced since.
    Ok(is_private_file(&file.metadata()?).then_some(file))
}

/// The file at `path` for a download to write: the one an earlier pull left (`true`), or
/// else a new one, after removing whatever else was there (`false`).
pub fn open_or_create(path: &Path, append: bool) -> io::Result<(File, bool)> {
    if let Some(file) = open_existing(path, append)? {
        return Ok((file, true));
    }
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    Ok((create_new(path, append)?, false))
}

#[cfg(all(test, unix))]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn links_at_a_temporary_path_are_replaced_and_their_targets_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim.txt");
        std::fs::write(&victim, b"precious").unwrap();
        let symlink: fn(&Path, &Path) -> io::Result<()> = |a, b| std::os::unix::fs::symlink(a, b);
        let hard_link: fn(&Path, &Path) -> io::Result<()> = |a, b| std::fs::hard_link(a, b);
        for (name, link) in [("sym.part", symlink), ("hard.part", hard_link)] {
            let part = dir.path().join(name);
            link(&victim, &part).unwrap();
            assert!(open_existing(&part, true).unwrap().is_none(), "{name}");
            let (mut file, resumed) = open_or_create(&part, true).unwrap();
            assert!(!resumed, "{name}");
            file.write_all(b"download").unwrap();
            assert_eq!(std::fs::read(&victim).unwrap(), b"precious", "{name}");
            assert_eq!(std::fs::read(&part).unwrap(), b"download", "{name}");
            assert!(!std::fs::symlink_metadata(&part).unwrap().file_type().is_symlink());
        }
    }

    #[test]
    fn a_new_file_is_never_created_through_a_dangling_link() {
        let dir = tempfile::tempdir().unwrap();
        let part = dir.path().join("x.part");
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), &part).unwrap();
        assert!(create_new(&part, false).is_err());
        assert!(!dir.path().join("elsewhere").exists());
    }
}
