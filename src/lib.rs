//! pixloom: keyboard-driven, multi-turn image generation in the terminal.
//!
//! See `docs/architecture.md` for the map. In short: [`core`] is pure (tree,
//! sizes, history, wire types); the edges do I/O ([`gateway`], [`images`],
//! [`convfile`], [`config`], [`fake`]); [`engine`] runs turns on tokio tasks;
//! [`cli`] and the TUI drive it.

pub mod cli;
pub mod config;
pub mod convfile;
pub mod core;
pub mod durable;
pub mod engine;
pub mod errline;
pub mod fake;
pub mod folder_fs;
/// Entry points shared by cargo-fuzz targets and the stable harness.
pub mod fuzzing;
pub mod gateway;
pub mod images;
pub mod logging;
pub mod provenance;
/// The conversations opened lately (the start screen's list).
pub mod recent;
pub mod sanitize;
pub mod tui;
