//! `#[derive(Pooled)]`, in thiserror's phases:
//!
//! - `attr`: `#[pooled(...)]` into typed settings, one attribute at a time,
//! - `ast`: borrowed views of the struct and its fields, unsupported shapes rejected,
//! - `valid`: rules that relate two settings,
//! - `expand`: `derive`, which runs the phases above, then the pure `quote!` of the impls
//!   (or, on error, the errors plus stub impls); `global` generates the process-wide pool and
//!   the inherent `take()`/`pool()`, `tokens` the span and token helpers both use.

mod ast;
mod attr;
mod expand;
mod global;
mod tokens;
mod valid;

pub use expand::derive;
