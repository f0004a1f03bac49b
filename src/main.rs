//! The `pixloom` binary: parse flags, set up error reporting and the log
//! file, run the command, and print any failure as one line.

use clap::Parser as _;

/// The system allocator, watched for failure: an allocation that fails
/// aborts the process without a panic hook or any drop running, which
/// left the terminal raw and in the alternate screen. The terminal is
/// restored first, without allocating (the report then lands readable).
#[allow(unsafe_code)] // a GlobalAlloc is unsafe by definition; this one only forwards
mod watched_alloc {
    use std::alloc::{GlobalAlloc, Layout, System};

    pub(crate) struct Watched;

    fn check(p: *mut u8) -> *mut u8 {
        if p.is_null() {
            pixloom::tui::terminal::restore_after_fatal();
        }
        p
    }

    // SAFETY: every call forwards to `System` with the same arguments.
    unsafe impl GlobalAlloc for Watched {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            check(unsafe { System.alloc(layout) })
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            check(unsafe { System.alloc_zeroed(layout) })
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) }
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            check(unsafe { System.realloc(ptr, layout, new_size) })
        }
    }

    #[global_allocator]
    static WATCHED: Watched = Watched;
}

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
