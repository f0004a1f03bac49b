//! Test fixtures shared by pixloom's tests, benchmarks and fuzz harness
//! (dev-only: the product never depends on this crate).
//!
//! - [`pictures`]: images made in code from one seeded noise generator
//!   ([`pictures::Noise`]); no binary fixtures in the repository.
//! - [`alloc`]: a counting global allocator, for tests and benchmarks that
//!   show an operation's peak memory.
//! - [`fuzzing`]: the bodies the cargo-fuzz targets (`fuzz/`) and the
//!   stable harness in the tests run on arbitrary bytes.

pub mod alloc;
pub mod fuzzing;
pub mod pictures;
