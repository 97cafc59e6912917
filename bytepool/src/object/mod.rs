//! Typed object pools: [`Pool<T>`], its handles [`PoolBox`] and [`PoolArc`], the [`Reset`]
//! trait that cleans an object in place, and [`Pooled`], which `#[derive(Pooled)]` implements
//! to give a type its own process-wide pool.
//!
//! Objects live in boxed slots that carry a reference count, so [`PoolBox::into_shared`]
//! allocates nothing: the pooled allocation itself becomes the shared one.

use crate::cache::ThreadCache;

mod derived;
mod global;
mod handle;
mod home;
mod ops;
mod pool;
mod reset;

#[doc(hidden)]
pub use derived::{
    AssertSend, Gate, NoProcessWidePool, NotPooled, NotSendField, SendField, SendProbe,
};
pub use handle::{PoolArc, PoolBox};
#[doc(hidden)]
pub use home::Entry;
pub use pool::{Pool, PoolBuilder};
pub use reset::{reset_bounded, Capacity, Reset};

/// Idle objects a pool keeps when no capacity is given.
pub const DEFAULT_CAPACITY: usize = 1024;
/// Idle objects each thread's cache keeps for a process-wide typed pool, by default.
pub const DEFAULT_THREAD_CACHE: usize = 32;
/// The most idle objects (or buffers of one tier) a thread's cache keeps: the slots live in
/// the thread-local itself. `#[pooled(thread_cache = N)]` above this is a compile error.
///
/// # Examples
/// ```
/// assert!(bytepool::DEFAULT_THREAD_CACHE <= bytepool::MAX_THREAD_CACHE);
/// ```
pub const MAX_THREAD_CACHE: usize = crate::cache::MAGAZINE_SLOTS;

/// A type with its own process-wide pool; implement it with `#[derive(Pooled)]`.
///
/// ```
/// use bytepool::{PoolArc, PoolBox, PoolStats, Pooled};
///
/// #[derive(Pooled, Default)]
/// #[pooled(capacity = 1024)]
/// struct LogEntry {
///     timestamp: i64,
///     message: Vec<u8>,
///     #[pooled(max_capacity = 65536)]
///     fields: Vec<(String, String)>,
///     #[pooled(skip)]
///     origin: &'static str,
/// }
///
/// let mut e: PoolBox<LogEntry> = LogEntry::take();
/// e.message.extend_from_slice(b"hello");
/// let shared: PoolArc<LogEntry> = e.into_shared();
/// drop(shared); // reset, back to the pool
/// let again = LogEntry::take();
/// assert!(again.message.is_empty() && again.message.capacity() >= 5);
/// assert_eq!(again.origin, ""); // skipped: kept as it was (here, never set)
/// println!("{}", LogEntry::pool().stats());
/// ```
///
/// The derive resets every field with [`Reset`] unless an attribute says otherwise, and gives
/// the type inherent `take()` and `pool()` that need no `use` of this trait: its
/// [page](derive@crate::Pooled) documents every attribute.
///
/// A process-wide pool is a `static`, so it needs a non-generic `Send` type. A generic struct
/// gets only `Reset` from the derive and is pooled through an instance [`Pool`].
pub trait Pooled: Reset + Send + Sized + 'static {
    /// The type's process-wide pool, created on first use.
    fn pool() -> &'static Pool<Self>;

    /// An object from the type's pool.
    #[inline]
    fn take() -> PoolBox<Self> {
        global::take::<Self>()
    }

    #[doc(hidden)]
    fn __with_cache<R, F: FnOnce(&ThreadCache<Entry<Self>>) -> R>(f: F) -> Option<R>;

    /// A new object (the derive's `new` path, or `Default`), called directly rather than
    /// through the pool's factory so that a large object is built in its slot.
    #[doc(hidden)]
    fn __new() -> Self;
}
