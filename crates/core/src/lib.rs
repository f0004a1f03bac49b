//! The pure core: conversation tree, size table, model capabilities,
//! history building and wire types. Nothing here does I/O, spawns tasks or
//! reads the clock: time comes in as an argument.

// Public means another crate uses it: everything else is pub(crate) at most.
#![warn(unreachable_pub)]

pub mod grid;
pub mod hex;
pub mod history;
pub mod model;
pub mod settings;
pub mod size;
/// Fixtures for tests here and in the crates that use the core (feature
/// `testkit`, dev-only).
#[cfg(any(test, feature = "testkit"))]
pub mod testkit;
pub mod tree;
pub mod wire;
