//! `modelreg completions SHELL`: the shell completion script, generated from the same clap
//! definitions as the parser, so it never drifts. Needs no registry.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;
use serde_json::json;

use crate::commands::{Cli, emit_json};
use crate::error::ClientError;
use crate::output::Output;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish (also elvish, powershell).
    #[arg(value_name = "SHELL")]
    pub shell: Shell,
}

pub fn run(args: &CompletionsArgs, out: &Output) -> Result<(), ClientError> {
    let script = script(args.shell);
    if out.json {
        emit_json(&json!({ "shell": args.shell.to_string(), "script": script }));
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    // A closed pipe is not an error, as for every other result.
    let _ = stdout.write_all(script.as_bytes()).and_then(|()| stdout.flush());
    Ok(())
}

/// The completion script for `shell`.
pub fn script(shell: Shell) -> String {
    let mut buffer = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "modelreg", &mut buffer);
    String::from_utf8_lossy(&buffer).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_complete_the_new_subcommands() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let text = script(shell);
            for word in ["login", "whoami", "alias", "yank", "audit", "--token-stdin"] {
                assert!(text.contains(word), "{shell}: no {word}");
            }
        }
    }
}
