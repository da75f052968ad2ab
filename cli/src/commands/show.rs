//! `modelreg show NS/NAME[@SELECTOR]`: one version's metadata and files, or its
//! `VersionManifest` as JSON.

use clap::Args;
use modelreg_api::VersionManifest;

use crate::client::Client;
use crate::commands::versions::render_table;
use crate::commands::{emit, emit_json};
use crate::error::ClientError;
use crate::output::{Output, count_files, human_size};
use crate::reference::ModelRef;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Model and version to show; the selector defaults to latest.
    #[arg(value_name = "NS/NAME[@SELECTOR]")]
    pub reference: ModelRef,
}

pub async fn run(client: &Client, args: ShowArgs, out: &Output) -> Result<(), ClientError> {
    let manifest = client.resolve(&args.reference.model, &args.reference.selector).await?;
    if out.json {
        emit_json(&manifest);
    } else {
        emit(&describe(&manifest));
    }
    Ok(())
}

/// The human view of a version: header, metadata keys, then the files.
pub fn describe(m: &VersionManifest) -> String {
    let mut lines = vec![
        format!("{}@{}", m.model, m.version),
        format!("digest:     {}", m.digest),
        format!("published:  {}", m.published_at),
        format!("size:       {} in {}", human_size(m.size_bytes), count_files(m.files.len())),
        format!("license:    {}", m.metadata.license),
    ];
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&m.metadata) {
        let rest: Vec<_> = fields.into_iter().filter(|(k, _)| k != "license").collect();
        if !rest.is_empty() {
            lines.push("metadata:".into());
        }
        for (key, value) in rest {
            let shown = match value {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            lines.push(format!("  {key}: {shown}"));
        }
    }
    lines.push("files:".into());
    let rows: Vec<[String; 3]> =
        m.files.iter().map(|f| [human_size(f.size), f.digest.to_string(), f.path.to_string()]).collect();
    for line in render_table(&rows).lines() {
        lines.push(format!("  {line}"));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {

    use modelreg_api::{FileEntry, Metadata};
    use serde_json::json;

    use super::*;

    #[test]
    fn a_version_is_described_with_metadata_and_files() {
        let digest = format!("sha256:{}", "cd".repeat(32)).parse().unwrap();
        let m = VersionManifest {
            model: "acme/bert".parse().unwrap(),
            version: "1.4.2".parse().unwrap(),
            digest,
            size_bytes: 2048,
            published_at: "2025-01-02T03:04:05Z".into(),
            files: vec![FileEntry { path: "model.bin".parse().unwrap(), digest, size: 2048 }],
            metadata: serde_json::from_value::<Metadata>(
                json!({"license": "Apache-2.0", "task": "fill-mask", "languages": ["en", "fr"]}),
            )
            .unwrap(),
            facts: Default::default(),
        };
        let text = describe(&m);
        assert!(text.starts_with("acme/bert@1.4.2\n"), "{text}");
        assert!(text.contains("license:    Apache-2.0"), "{text}");
        assert!(text.contains("  task: fill-mask"), "{text}");
        assert!(text.contains(r#"  languages: ["en","fr"]"#), "{text}");
        assert!(text.contains("2.0 KiB") && text.contains("model.bin"), "{text}");
    }
}
