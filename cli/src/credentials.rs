//! The credentials file `modelreg login` writes: one token per registry URL, in
//! `$XDG_CONFIG_HOME/modelreg/credentials.toml` (else `~/.config/modelreg/...`), created
//! with mode 0600 in a 0700 directory and replaced atomically. It also decides which token
//! a command uses. It never prints, and never puts a token into an error or `Debug`.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use reqwest::Url;
use serde::{Deserialize, Serialize};

use crate::error::ClientError;

/// The file's name inside the `modelreg` config directory.
pub const FILE_NAME: &str = "credentials.toml";

const HEADER: &str = "# Written by `modelreg login`. It holds secrets: keep it private (mode 0600).\n\n";

/// One stored login.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredLogin {
    pub token: String,
    /// The token's name as the registry reported it at login (for messages only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl fmt::Debug for StoredLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredLogin").field("token", &"<redacted>").field("name", &self.name).finish()
    }
}

/// The file's content: logins keyed by registry (see [`registry_key`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    #[serde(default)]
    pub registry: BTreeMap<String, StoredLogin>,
}

/// Where a command's token came from; decides the hint on a refused token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOrigin {
    /// No token at all.
    None,
    /// `--token` or `MODELREG_TOKEN`.
    Given,
    /// The credentials file, written by `modelreg login`.
    Stored,
}

/// How a registry URL is written in the file: without query, fragment or trailing `/`, so
/// that `https://host/reg` and `https://host/reg/` share one login.
pub fn registry_key(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.as_str().trim_end_matches('/').to_owned()
}

/// The token a command sends: a non-empty `--token`/`MODELREG_TOKEN` wins (clap has
/// already preferred the flag to the variable), then the stored login; `stored` is only
/// called when no token was given.
pub fn pick_token<E>(
    given: Option<&str>,
    stored: impl FnOnce() -> Result<Option<String>, E>,
) -> Result<(Option<String>, TokenOrigin), E> {
    if let Some(t) = given.map(str::trim).filter(|t| !t.is_empty()) {
        return Ok((Some(t.to_owned()), TokenOrigin::Given));
    }
    Ok(match stored()? {
        Some(t) => (Some(t), TokenOrigin::Stored),
        None => (None, TokenOrigin::None),
    })
}

/// The token `modelreg login` stored for `registry`, if any. Without a config directory
/// (neither `XDG_CONFIG_HOME` nor `HOME`) there is none.
pub fn stored_token(registry: &Url) -> Result<Option<String>, ClientError> {
    let Ok(path) = default_path() else { return Ok(None) };
    Ok(Credentials::load(&path)?.get(registry).map(|login| login.token.clone()))
}

/// `$XDG_CONFIG_HOME/modelreg/credentials.toml` when that variable is an absolute path
/// (the XDG rule), else `$HOME/.config/modelreg/credentials.toml`.
pub fn credentials_path(xdg_config_home: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    let config = match xdg_config_home.filter(|p| p.is_absolute()) {
        Some(dir) => dir,
        None => home.filter(|p| !p.as_os_str().is_empty())?.join(".config"),
    };
    Some(config.join("modelreg").join(FILE_NAME))
}

/// The credentials file of the current user, from the environment.
pub fn default_path() -> Result<PathBuf, ClientError> {
    let var = |name| std::env::var_os(name).map(PathBuf::from);
    credentials_path(var("XDG_CONFIG_HOME"), var("HOME")).ok_or_else(|| {
        ClientError::Invalid("cannot find your config directory: set XDG_CONFIG_HOME or HOME".into())
    })
}

impl Credentials {
    /// Reads the file; a missing file is empty. A file that cannot be read or parsed is an
    /// error naming the path (never quoting its content).
    pub fn load(path: &Path) -> Result<Self, ClientError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(ClientError::io(format!("cannot read '{}'", path.display()), e)),
        };
        toml::from_str(&text).map_err(|e| {
            ClientError::Invalid(format!(
                "'{}' is not a valid credentials file ({}): fix or delete it",
                path.display(),
                e.message()
            ))
        })
    }

    /// The login stored for `registry`, if any.
    pub fn get(&self, registry: &Url) -> Option<&StoredLogin> {
        self.registry.get(&registry_key(registry))
    }

    /// Stores (or replaces) the login for `registry`.
    pub fn set(&mut self, registry: &Url, login: StoredLogin) {
        self.registry.insert(registry_key(registry), login);
    }

    /// Removes the login for `registry`; false when there was none.
    pub fn remove(&mut self, registry: &Url) -> bool {
        self.registry.remove(&registry_key(registry)).is_some()
    }

    /// Writes the file atomically: a new temporary file created with mode 0600 beside it
    /// (in a directory created with mode 0700), fsynced, then renamed over the old one. An
    /// empty set of logins removes the file.
    pub fn save(&self, path: &Path) -> Result<(), ClientError> {
        if self.registry.is_empty() {
            return match std::fs::remove_file(path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(ClientError::io(format!("cannot remove '{}'", path.display()), e))
                }
                _ => Ok(()),
            };
        }
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        create_private_dir(dir)?;
        let body =
            toml::to_string(self).map_err(|e| ClientError::Invalid(format!("cannot encode logins: {e}")))?;
        let temp = TempFile::create(path)?;
        let write_err = |e| ClientError::io(format!("cannot write '{}'", temp.path.display()), e);
        let mut file = temp.file.as_ref().expect("open until committed");
        file.write_all(HEADER.as_bytes())
            .and_then(|()| file.write_all(body.as_bytes()))
            .map_err(write_err)?;
        file.sync_all().map_err(write_err)?;
        temp.commit(path)
    }
}

/// Creates `dir` (and missing parents) with mode 0700 where the platform has modes.
fn create_private_dir(dir: &Path) -> Result<(), ClientError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| ClientError::io(format!("cannot create '{}'", dir.display()), e))
}

/// A temporary file beside the credentials file, removed unless committed.
struct TempFile {
    path: PathBuf,
    file: Option<std::fs::File>,
}

impl TempFile {
    fn create(target: &Path) -> Result<Self, ClientError> {
        let mut name = target.file_name().unwrap_or_default().to_os_string();
        name.push(format!(".{}.tmp", std::process::id()));
        let path = target.with_file_name(name);
        // A leftover of a crashed run with our pid would make create_new fail.
        let _ = std::fs::remove_file(&path);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&path)
            .map_err(|e| ClientError::io(format!("cannot create '{}'", path.display()), e))?;
        Ok(Self { path, file: Some(file) })
    }

    fn commit(mut self, target: &Path) -> Result<(), ClientError> {
        drop(self.file.take());
        std::fs::rename(&self.path, target)
            .map_err(|e| ClientError::io(format!("cannot write '{}'", target.display()), e))?;
        self.path = PathBuf::new();
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            // Best effort: the name is never the credentials file itself.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests;
