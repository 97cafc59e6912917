//! The buffer handles: [`BufferMut`] (unique, writable) and [`Buffer`] (shared, immutable).
//!
//! Both are one non-generic type for every pool: a handle reaches its pool through a
//! `&'static` table of functions generated per tier set (as `bytes` does with its vtables), and
//! a handle of a global pool carries no reference count at all.

mod buffer;
mod buffer_mut;
mod home;
mod slots;

pub use buffer::Buffer;
pub use buffer_mut::BufferMut;
#[doc(hidden)]
pub use home::Vtable;
pub(crate) use home::{Acquired, Block, ByteOwner, ByteTicket, Home, Shared};
