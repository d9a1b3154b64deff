//! `takwire completions SHELL`: shell completion scripts.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, Exit};

/// Options of `takwire completions`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  takwire completions bash > ~/.local/share/bash-completion/completions/takwire
  takwire completions zsh > ~/.zfunc/_takwire      # with fpath+=~/.zfunc in ~/.zshrc
  takwire completions fish > ~/.config/fish/completions/takwire.fish")]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: CompletionsArgs) -> Exit {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "takwire", &mut out);
    use std::io::Write;
    match std::io::stdout().lock().write_all(&out) {
        Ok(()) => Exit::Ok,
        Err(e) => {
            eprintln!("takwire: writing the completion script: {e}");
            Exit::Failure
        }
    }
}
