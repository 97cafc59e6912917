//! The crate's one unsafe module: a manually reference-counted slot ([`RawArc`]) that a typed
//! pool's object is built in place in ([`Slot::new_homed`], [`Emplace`]), a fallible zeroed
//! allocation ([`alloc_zeroed`]), a value dropped by value ([`Consumed`]), a static
//! reference or a pool's ticket in one word ([`StaticOr`]), an instance pool's life without a
//! reference count on its hot path ([`life`]), and the two pieces that let a thread
//! cache live in a thread-local without a destructor ([`Stack`], whose length may live in a
//! counter block's [`LenWord`], and [`Anchor`] with its [`Keeper`]).
//!
//! `RawArc` is `Arc` without the weak count and with a hook for the last release: the slot is
//! handed back to its owner ([`Payload::last_release`]) instead of being freed, so pooled
//! handles recycle their reference-count headers and typed objects return to their pool.
//! The counting follows `bytes` and `std::sync::Arc`: increments are `Relaxed` and abort past
//! `isize::MAX`; decrements are `Release`, and the thread that drops the last reference does an
//! `Acquire` load before touching the payload (a load rather than a fence, which ThreadSanitizer
//! understands).

mod alloc;
mod arc;
mod consumed;
#[cfg(not(loom))]
mod keeper;
pub(crate) mod life;
mod stack;
mod static_or;

pub(crate) use alloc::alloc_zeroed;
pub(crate) use arc::{Emplace, Homed, Payload, RawArc, Slot};
pub(crate) use consumed::{Consume, Consumed};
#[cfg(not(loom))]
pub(crate) use keeper::Anchor;
#[cfg(not(loom))]
pub use keeper::{Anchored, Keeper};
pub(crate) use life::{Access, Owner, Reclaim, Ticket};

pub(crate) use stack::{Kept, Stack};
pub(crate) use static_or::{Either, OnePointer, StaticOr};
