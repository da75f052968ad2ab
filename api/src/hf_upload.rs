//! The Hugging Face Hub upload protocol's bodies as the clients send them (issue 11): the
//! commit (`application/x-ndjson`: a header line, then `file`, `lfsFile`, `deletedFile`,
//! `deletedFolder` lines), the `preupload` question and the LFS batch request. Parsed and
//! validated here, at the edge: paths become `FilePath`s, oids `Digest`s, base64 bytes.
//! No I/O; the server decides what the operations do.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::{CommitId, Digest, FilePath};

/// Most lines one commit may have.
pub const MAX_COMMIT_OPERATIONS: usize = 10_000;

/// One parsed commit.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HfCommit {
    pub summary: String,
    /// The commit the client based its change on; a stale one is refused.
    pub parent_commit: Option<CommitId>,
    pub operations: Vec<HfCommitOperation>,
}

/// What one line of a commit does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HfCommitOperation {
    /// A file sent inline (`file`, base64).
    Inline { path: FilePath, content: Vec<u8> },
    /// A file uploaded before through LFS (`lfsFile`): its sha256 and, if given, size.
    Lfs { path: FilePath, oid: Digest, size: Option<u64> },
    /// `deletedFile`.
    DeleteFile { path: FilePath },
    /// `deletedFolder`: every file under the folder.
    DeleteFolder { prefix: String },
}

#[derive(Deserialize)]
struct Line {
    key: String,
    value: serde_json::Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HeaderValue {
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    parent_commit: Option<String>,
}

#[derive(Deserialize)]
struct FileValue {
    path: String,
    content: String,
    #[serde(default)]
    encoding: Option<String>,
}

#[derive(Deserialize)]
struct LfsFileValue {
    path: String,
    #[serde(default)]
    algo: Option<String>,
    oid: String,
    #[serde(default)]
    size: Option<u64>,
}

#[derive(Deserialize)]
struct PathValue {
    path: String,
}

fn file_path(line: usize, raw: &str) -> Result<FilePath, String> {
    raw.parse::<FilePath>().map_err(|e| format!("line {line}: path '{}': {e}", shown(raw)))
}

fn shown(raw: &str) -> String {
    raw.chars().take(200).collect()
}

/// Parses a commit body. Errors name the line (counted from 1) and the field.
pub fn parse_hf_commit(body: &str) -> Result<HfCommit, String> {
    let mut commit = HfCommit::default();
    let mut seen_header = false;
    for (i, text) in body.lines().enumerate().filter(|(_, t)| !t.trim().is_empty()) {
        let n = i + 1;
        if commit.operations.len() >= MAX_COMMIT_OPERATIONS {
            return Err(format!("a commit may have at most {MAX_COMMIT_OPERATIONS} operations"));
        }
        let line: Line =
            serde_json::from_str(text).map_err(|e| format!("line {n}: not a commit line: {e}"))?;
        let value = |v: serde_json::Value| v;
        let op = match line.key.as_str() {
            "header" => {
                let h: HeaderValue = serde_json::from_value(value(line.value))
                    .map_err(|e| format!("line {n}: header: {e}"))?;
                if seen_header {
                    return Err(format!("line {n}: a commit has one header"));
                }
                seen_header = true;
                commit.summary = h.summary.unwrap_or_default();
                commit.parent_commit = match h.parent_commit {
                    Some(p) => Some(p.parse().map_err(|e| format!("line {n}: parentCommit: {e}"))?),
                    None => None,
                };
                continue;
            }
            "file" => {
                let f: FileValue =
                    serde_json::from_value(line.value).map_err(|e| format!("line {n}: file: {e}"))?;
                if f.encoding.as_deref().is_some_and(|e| e != "base64") {
                    return Err(format!("line {n}: file: encoding must be base64"));
                }
                let content = base64::engine::general_purpose::STANDARD
                    .decode(f.content.as_bytes())
                    .map_err(|e| format!("line {n}: file: content is not base64: {e}"))?;
                HfCommitOperation::Inline { path: file_path(n, &f.path)?, content }
            }
            "lfsFile" => {
                let f: LfsFileValue =
                    serde_json::from_value(line.value).map_err(|e| format!("line {n}: lfsFile: {e}"))?;
                if f.algo.as_deref().is_some_and(|a| a != "sha256") {
                    return Err(format!("line {n}: lfsFile: algo must be sha256"));
                }
                let oid = lfs_oid(&f.oid).map_err(|e| format!("line {n}: lfsFile: {e}"))?;
                HfCommitOperation::Lfs { path: file_path(n, &f.path)?, oid, size: f.size }
            }
            "deletedFile" => {
                let p: PathValue =
                    serde_json::from_value(line.value).map_err(|e| format!("line {n}: deletedFile: {e}"))?;
                HfCommitOperation::DeleteFile { path: file_path(n, &p.path)? }
            }
            "deletedFolder" => {
                let p: PathValue = serde_json::from_value(line.value)
                    .map_err(|e| format!("line {n}: deletedFolder: {e}"))?;
                let prefix = p.path.trim_matches('/');
                if !prefix.is_empty() {
                    file_path(n, prefix)?;
                }
                HfCommitOperation::DeleteFolder { prefix: prefix.to_owned() }
            }
            other => return Err(format!("line {n}: unknown key '{}'", shown(other))),
        };
        commit.operations.push(op);
    }
    if !seen_header {
        return Err("the commit has no header line".into());
    }
    Ok(commit)
}

/// An LFS oid (64 hex digits, the sha256) as a digest.
pub fn lfs_oid(oid: &str) -> Result<Digest, String> {
    format!("sha256:{oid}").parse::<Digest>().map_err(|_| format!("oid '{}' is not a sha256", shown(oid)))
}

/// `POST /api/models/{repo}/preupload/{rev}`.
#[derive(Debug, Clone, Deserialize)]
pub struct PreuploadRequest {
    pub files: Vec<PreuploadFile>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PreuploadFile {
    pub path: String,
    pub size: u64,
}

/// The answer: how each file travels.
#[derive(Debug, Clone, Serialize)]
pub struct PreuploadResponse {
    pub files: Vec<PreuploadAnswer>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreuploadAnswer {
    pub path: String,
    /// `lfs` or `regular`.
    pub upload_mode: &'static str,
    pub should_ignore: bool,
}

/// `POST /{repo}.git/info/lfs/objects/batch`.
#[derive(Debug, Clone, Deserialize)]
pub struct LfsBatchRequest {
    pub operation: String,
    #[serde(default)]
    pub transfers: Vec<String>,
    pub objects: Vec<LfsObject>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct LfsObject {
    pub oid: String,
    pub size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    const OID: &str = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

    #[test]
    fn a_commit_with_every_kind_of_line_is_parsed() {
        let lfs = format!(
            r#"{{"key":"lfsFile","value":{{"path":"model.safetensors","algo":"sha256","oid":"{OID}","size":3}}}}"#
        );
        let body = [
            r#"{"key":"header","value":{"summary":"Upload","description":"","parentCommit":"0123456789abcdef0123456789abcdef01234567"}}"#,
            r#"{"key":"file","value":{"path":"config.json","content":"e30=","encoding":"base64"}}"#,
            &lfs,
            r#"{"key":"deletedFile","value":{"path":"old.bin"}}"#,
            r#"{"key":"deletedFolder","value":{"path":"logs/"}}"#,
        ]
        .join("\n");
        let commit = parse_hf_commit(&body).unwrap();
        assert_eq!(commit.summary, "Upload");
        assert_eq!(commit.parent_commit.unwrap().to_string(), "0123456789abcdef0123456789abcdef01234567");
        assert_eq!(
            commit.operations,
            [
                HfCommitOperation::Inline { path: "config.json".parse().unwrap(), content: b"{}".to_vec() },
                HfCommitOperation::Lfs {
                    path: "model.safetensors".parse().unwrap(),
                    oid: lfs_oid(OID).unwrap(),
                    size: Some(3)
                },
                HfCommitOperation::DeleteFile { path: "old.bin".parse().unwrap() },
                HfCommitOperation::DeleteFolder { prefix: "logs".into() },
            ]
        );
    }

    #[test]
    fn bad_lines_are_refused_naming_the_line_and_field() {
        let header = r#"{"key":"header","value":{"summary":"x"}}"#;
        for (line, wanted) in [
            (r#"{"key":"file","value":{"path":"../x","content":"e30="}}"#, "line 2: path"),
            (r#"{"key":"file","value":{"path":"a","content":"!!"}}"#, "line 2: file: content"),
            (r#"{"key":"lfsFile","value":{"path":"a","oid":"xyz"}}"#, "line 2: lfsFile: oid"),
            (r#"{"key":"copy","value":{}}"#, "line 2: unknown key"),
            ("not json", "line 2: not a commit line"),
        ] {
            let err = parse_hf_commit(&format!("{header}\n{line}\n")).unwrap_err();
            assert!(err.starts_with(wanted), "{line}: {err}");
        }
        assert!(
            parse_hf_commit(r#"{"key":"deletedFile","value":{"path":"a"}}"#).unwrap_err().contains("header")
        );
        let stale = r#"{"key":"header","value":{"summary":"x","parentCommit":"main"}}"#;
        assert!(parse_hf_commit(stale).unwrap_err().contains("parentCommit"));
    }
}
