//! pixloom: keyboard-driven, multi-turn image generation in the terminal.
//!
//! See `docs/architecture.md` for the map. In short: the core is pure (tree,
//! sizes, history, wire types; crate `pixloom_core`); the edges do I/O
//! ([`gateway`], [`images`], [`convfile`], [`config`]; the fake gateway is
//! crate `pixloom_fake`); [`engine`] runs turns on tokio tasks;
//! [`cli`] and the TUI drive it.

// Public means another crate uses it: everything else is pub(crate) at most.
#![warn(unreachable_pub)]

/// What to do about a failure, phrased for the user (the drivers' words).
pub mod advice;
pub mod budget;
pub mod cli;
pub(crate) mod config;
pub mod convfile;
pub mod durable;
pub mod engine;
pub(crate) mod errline;
pub(crate) mod folder_fs;
pub mod gateway;
pub mod images;
pub mod ledger;
pub mod logging;
pub mod provenance;
/// The conversations opened lately (the start screen's list).
pub(crate) mod recent;
pub(crate) mod sanitize;
pub mod tui;
