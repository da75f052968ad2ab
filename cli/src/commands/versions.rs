//! `modelreg versions NS/NAME`: a model's versions as a table, or the `VersionList` as JSON.

use clap::Args;
use modelreg_api::{ModelName, VersionList};

use crate::client::Client;
use crate::commands::{emit, emit_json};
use crate::error::ClientError;
use crate::output::{Output, human_size};

#[derive(Debug, Args)]
pub struct VersionsArgs {
    /// Model whose versions to list.
    #[arg(value_name = "NS/NAME")]
    pub model: ModelName,
}

pub async fn run(client: &Client, args: VersionsArgs, out: &Output) -> Result<(), ClientError> {
    let list = client.versions(&args.model).await?;
    if out.json {
        emit_json(&list);
    } else if list.versions.is_empty() {
        out.info(format!("{} has no versions", list.model));
    } else {
        emit(&table(&list));
    }
    Ok(())
}

/// Version, publication time, size, file count and digest, one row per version, in the
/// order the registry returned them (semver); a `YANKED` column with the reason when any
/// version is yanked.
pub fn table(list: &VersionList) -> String {
    let header = ["VERSION", "PUBLISHED", "SIZE", "FILES", "DIGEST", "YANKED"].map(str::to_owned);
    let mut rows = vec![header];
    for v in &list.versions {
        rows.push([
            v.version.to_string(),
            v.published_at.clone(),
            human_size(v.size_bytes),
            v.file_count.to_string(),
            v.digest.to_string(),
            v.yanked.as_ref().map_or_else(String::new, |y| y.reason.clone()),
        ]);
    }
    if list.versions.iter().all(|v| v.yanked.is_none()) {
        let rows: Vec<[String; 5]> = rows.into_iter().map(|[a, b, c, d, e, _]| [a, b, c, d, e]).collect();
        return crate::table::render(&rows);
    }
    crate::table::render(&rows)
}

#[cfg(test)]
mod tests {
    use modelreg_api::VersionSummary;

    use super::*;

    #[test]
    fn versions_render_as_an_aligned_table() {
        let digest = format!("sha256:{}", "ab".repeat(32)).parse().unwrap();
        let list = VersionList {
            model: "acme/bert".parse().unwrap(),
            versions: vec![
                VersionSummary {
                    version: "1.4.0".parse().unwrap(),
                    digest,
                    size_bytes: 4_718_592,
                    file_count: 3,
                    published_at: "2025-01-02T03:04:05Z".into(),
                    yanked: None,
                },
                VersionSummary {
                    version: "10.0.0-rc.1".parse().unwrap(),
                    digest,
                    size_bytes: 12,
                    file_count: 1,
                    published_at: "2025-02-02T03:04:05Z".into(),
                    yanked: None,
                },
            ],
        };
        let text = table(&list);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("VERSION      PUBLISHED"), "{text}");
        assert!(lines[1].starts_with("1.4.0        2025-01-02T03:04:05Z  4.5 MiB  3"), "{text}");
        assert!(lines[2].contains("12 B"), "{text}");
        assert!(!text.contains("YANKED"), "{text}");

        let mut list = list;
        list.versions[0].yanked = Some(modelreg_api::YankInfo {
            reason: "bad weights".into(),
            at: "2025-03-01T00:00:00Z".into(),
            by: "ci".into(),
        });
        let text = table(&list);
        assert!(text.lines().next().unwrap().ends_with("  YANKED"), "{text}");
        assert!(text.lines().nth(1).unwrap().ends_with("  bad weights"), "{text}");
    }
}
