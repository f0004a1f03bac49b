//! The integration tests: one test crate (one link, one binary), each
//! former test file a module. They drive the real binary
//! (`CARGO_BIN_EXE_pixloom`), the library against the fake gateway over
//! real HTTP, and the app in real terminals (a pty, tmux).
//! `cargo test --test integration MODULE::` runs one module.
//!
//! The tests that measure peak memory with a counting allocator live in
//! their own crate (`tests/hostile_files`): the allocator is process-wide.

#[path = "../common/mod.rs"]
mod common;

mod cli;
mod cli_expectations;
mod client;
mod convfile;
mod cost;
mod crash;
mod fake_gateway;
mod fuzz_harness;
mod hostile_gateway;
mod images;
mod ledger;
mod paid;
mod tui_e2e;
mod tui_pty;
mod tui_rerun;
mod tui_tmux;
mod turns;
