//! The pure core: conversation tree, size table, model capabilities,
//! history building and wire types. Nothing here does I/O, spawns tasks or
//! reads the clock: time comes in as an argument.

pub mod history;
pub mod model;
pub mod settings;
pub mod size;
#[cfg(test)]
pub(crate) mod testkit;
pub mod tree;
pub mod wire;
