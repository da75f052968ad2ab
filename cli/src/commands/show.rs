//! `modelreg show NS/NAME[@SELECTOR] [--readme]`: one version's full card (with its base
//! chain and derived models looked up), or its `VersionManifest` as JSON.

use clap::Args;

use crate::card::{Card, render};
use crate::client::Client;
use crate::commands::{emit, emit_json};
use crate::error::{ClientError, FailureKind};
use crate::lineage::lineage;
use crate::output::{Output, yanked_notice};
use crate::reference::ModelRef;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Model and version to show; the selector defaults to latest.
    #[arg(value_name = "NS/NAME[@SELECTOR]")]
    pub reference: ModelRef,
    /// Also print the model card (Markdown) at the end.
    #[arg(long)]
    pub readme: bool,
}

pub async fn run(client: &Client, args: ShowArgs, out: &Output) -> Result<(), ClientError> {
    let manifest = client.resolve(&args.reference.model, &args.reference.selector).await?;
    if let Some(yank) = &manifest.yanked {
        out.warn(yanked_notice(&manifest.model, &manifest.version, yank));
    }
    if out.json {
        emit_json(&manifest);
        return Ok(());
    }
    let lineage = lineage(client, &manifest).await;
    // Derived models are extra information: a registry without the route, or a failure,
    // leaves them out instead of failing the command.
    let derivatives = match client.derivatives(&manifest.model).await {
        Ok(list) => Some(list),
        Err(err) if err.kind() == FailureKind::NotFound => None,
        Err(err) => {
            out.info(format!("warning: cannot list the models derived from {}: {err}", manifest.model));
            None
        }
    };
    let card = Card {
        manifest: &manifest,
        lineage: &lineage,
        derivatives: derivatives.as_ref(),
        readme: args.readme,
    };
    emit(&render(&card));
    Ok(())
}
