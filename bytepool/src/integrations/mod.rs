//! Optional integrations with other crates, each behind the feature of the same name.

#[cfg(feature = "bytes")]
#[allow(unsafe_code)] // `bytes::BufMut` is an `unsafe trait`: see the module's notes.
mod bytes;
#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(feature = "serde")]
mod serde;

#[cfg(feature = "serde")]
pub use self::serde::Expvar;
