//! The `takwire` command: a thin layer over the takwire library.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
