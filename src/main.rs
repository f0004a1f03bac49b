//! The `pixloom` binary: parse flags, set up error reporting and the log
//! file, run the command, and print any failure as one line.

use clap::Parser as _;

fn main() -> std::process::ExitCode {
    // Installed first so a panic report (and, in the app, the terminal
    // restore) goes through it.
    let _ = color_eyre::install();
    let cli = pixloom::cli::Cli::parse();
    // Before the log is set up: completions must work without touching
    // the state folder (they are often generated at install time).
    if let Some(pixloom::cli::Command::Completions(args)) = &cli.command {
        return exit(pixloom::cli::print_completions(args.shell));
    }
    let _log = pixloom::logging::init(cli.global.log_level.as_deref());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pixloom: could not start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    exit(runtime.block_on(pixloom::cli::run(cli)))
}

/// A failure is one line on stderr (and in the log) and a non-zero exit.
fn exit(result: color_eyre::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let line = pixloom::cli::error_line(&e);
            tracing::error!("{line}");
            eprintln!("pixloom: {line}");
            std::process::ExitCode::FAILURE
        }
    }
}
