//! [`Pool<T>`]: typed pools, process-wide (a `#[derive(Pooled)]` type's) or instance, and
//! their configuration ([`PoolBuilder`]).

use std::fmt;
use std::mem;

use super::handle::PoolBox;
use super::home::{
    release_global_never, Entry, GlobalFns, ObjEvent, ObjHome, ObjOwner, ObjShared, Resetter, STATS,
};
use super::ops::{count_in, take_instance, with_owner};
use super::{Reset, DEFAULT_CAPACITY, DEFAULT_THREAD_CACHE, MAX_THREAD_CACHE};
use crate::cache::{Core, Origin, Tier};
use crate::raw::{Emplace, Owner, Slot};
use crate::stats::{Lengths, Stats};
use crate::PoolStats;

/// A bounded pool of `T` objects, reset when they come back.
///
/// The typed counterpart of [`BytePool`](crate::BytePool): [`get`](Self::get) hands out a
/// [`PoolBox`], whose drop resets the object and returns it (or drops it when the pool already
/// holds `capacity` idle objects). Statistics are the same [`Stats`] as a byte pool's, with one
/// tier whose `size` is `size_of::<T>()`.
///
/// A panic inside the reset function leaves the pool consistent: that object is dropped (once),
/// not returned, and counted in [`Stats::discarded`]; the panic continues.
///
/// Pools made here are instance pools. Like the process-wide pool of a `#[derive(Pooled)]` type
/// ([`Pooled::take`](crate::Pooled::take)), they keep a small cache per thread in front of the
/// shared queue, so a get and a return on one thread touch no memory another thread writes; and
/// their handles hold no reference count. When the pool is dropped, every idle object is
/// dropped at once (the ones other threads cache included); objects still out keep working,
/// and are dropped where their handles are.
///
/// # Examples
/// ```
/// use bytepool::{Pool, PoolStats};
///
/// let pool = Pool::with(|| Vec::<u32>::with_capacity(64), |v| v.clear());
/// let mut v = pool.get();
/// v.push(7);
/// drop(v);
/// let v = pool.get();
/// assert!(v.is_empty() && v.capacity() >= 64);
/// assert_eq!(pool.stats().tiers[0].hits, 1);
/// ```
pub struct Pool<T: 'static> {
    kind: Kind<T>,
}

/// A process-wide pool's state, or an instance pool's life.
enum Kind<T: 'static> {
    /// A `#[derive(Pooled)]` type's pool, in a static for the life of the process.
    Global(Box<ObjShared<T>>),
    Instance(ObjOwner<T>),
}

impl<T: Reset + Default + 'static> Pool<T> {
    /// An instance pool of `T::default()` objects, reset with [`Reset`], keeping up to
    /// [`DEFAULT_CAPACITY`] idle.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::<String>::new();
    /// pool.get().push_str("scratch");
    /// assert!(pool.get().is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::with(T::default, T::reset)
    }
}

impl<T: Reset + Default + 'static> Default for Pool<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: 'static> Pool<T> {
    /// An instance pool of objects made by `factory` and cleaned by `reset` (the Go
    /// `sync.Pool`-style constructor), keeping up to [`DEFAULT_CAPACITY`] idle.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::with(|| [0u8; 32], |a| a.fill(0));
    /// assert_eq!(*pool.get(), [0; 32]);
    /// ```
    #[must_use]
    pub fn with(
        factory: impl Fn() -> T + Send + Sync + 'static,
        reset: impl Fn(&mut T) + Send + Sync + 'static,
    ) -> Self {
        Self::with_capacity(DEFAULT_CAPACITY, factory, reset)
    }

    /// Like [`with`](Self::with), keeping at most `capacity` idle objects (`0` keeps none).
    ///
    /// # Examples
    /// ```
    /// use bytepool::{Pool, PoolStats};
    /// let pool = Pool::with_capacity(1, String::new, String::clear);
    /// let (a, b) = (pool.get(), pool.get());
    /// drop((a, b));
    /// assert_eq!(pool.stats().tiers[0].idle, 1);
    /// assert_eq!(pool.stats().discarded, 1);
    /// ```
    #[must_use]
    pub fn with_capacity(
        capacity: usize,
        factory: impl Fn() -> T + Send + Sync + 'static,
        reset: impl Fn(&mut T) + Send + Sync + 'static,
    ) -> Self {
        Self::builder(factory, reset).capacity(capacity).build()
    }

    /// Starts configuring an instance pool of objects made by `factory` and cleaned by
    /// `reset`.
    ///
    /// # Examples
    /// ```
    /// use bytepool::{Pool, PoolStats};
    /// let pool = Pool::builder(String::new, String::clear)
    ///     .capacity(64)
    ///     .thread_cache(0)
    ///     .build();
    /// drop(pool.get());
    /// assert_eq!(pool.stats().tiers[0].idle, 1);
    /// ```
    pub fn builder(
        factory: impl Fn() -> T + Send + Sync + 'static,
        reset: impl Fn(&mut T) + Send + Sync + 'static,
    ) -> PoolBuilder<T> {
        PoolBuilder {
            capacity: DEFAULT_CAPACITY,
            thread_cache: DEFAULT_THREAD_CACHE,
            factory: Emplace::new(factory),
            reset: Box::new(reset),
        }
    }

    /// A pool around the state of `T`'s process-wide pool.
    pub(super) fn from_global(shared: ObjShared<T>) -> Self {
        Pool {
            kind: Kind::Global(Box::new(shared)),
        }
    }

    /// The state of `T`'s process-wide pool, this pool.
    pub(crate) fn global_shared(&self) -> &ObjShared<T> {
        match &self.kind {
            Kind::Global(shared) => shared,
            Kind::Instance(_) => unreachable!("`Pooled::pool` is a process-wide pool"),
        }
    }

    fn shared(&self) -> &ObjShared<T> {
        match &self.kind {
            Kind::Global(shared) => shared,
            Kind::Instance(owner) => owner.shared(),
        }
    }

    /// The functions of a process-wide pool.
    fn global_fns(shared: &ObjShared<T>) -> &'static GlobalFns<T> {
        match shared.global {
            Some(global) => global,
            None => unreachable!("a process-wide pool has its functions"),
        }
    }

    /// An object from the pool: an idle one, reset when it came back, or a new one.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::<Vec<u8>>::new();
    /// let mut v = pool.get();
    /// v.extend_from_slice(b"abc");
    /// assert_eq!(v.len(), 3);
    /// ```
    #[inline]
    pub fn get(&self) -> PoolBox<T> {
        match &self.kind {
            Kind::Global(shared) => {
                let global = Self::global_fns(shared);
                PoolBox::handed_out((global.get)(), ObjHome::Global((global.home)()))
            }
            Kind::Instance(owner) => {
                let (entry, ticket) = take_instance(owner);
                PoolBox::handed_out(entry, ObjHome::Instance(ticket))
            }
        }
    }

    /// Resets `value` and keeps it idle (dropped if the pool is full). Counted in
    /// [`Stats::foreign_puts`].
    ///
    /// # Examples
    /// ```
    /// use bytepool::{Pool, PoolStats};
    /// let pool = Pool::<Vec<u8>>::new();
    /// pool.put(Vec::with_capacity(10));
    /// assert_eq!(pool.stats().tiers[0].idle, 1);
    /// assert!(pool.get().capacity() >= 10);
    /// ```
    pub fn put(&self, mut value: T) {
        (self.shared().reset)(&mut value);
        let entry = Entry(Slot::new_homed(None, || value));
        match &self.kind {
            Kind::Global(shared) => {
                let global = Self::global_fns(shared);
                (global.count)(ObjEvent::ForeignPut);
                (global.put)(entry, Origin::Foreign);
            }
            Kind::Instance(owner) => with_owner(owner, |local| {
                count_in(local, ObjEvent::ForeignPut);
                local.put_tier(0, entry, Origin::Foreign, STATS);
            }),
        }
    }

    /// Drops every idle object of the shared pool and of the calling thread's cache; returns
    /// how many bytes of `T` (`size_of::<T>()` each) that freed.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::<u64>::new();
    /// drop(pool.get());
    /// assert_eq!(pool.trim(), 8);
    /// ```
    pub fn trim(&self) -> usize {
        let cached = match &self.kind {
            Kind::Global(shared) => (Self::global_fns(shared).trim_cache)(),
            Kind::Instance(owner) => with_owner(owner, |local| local.trim_cache()),
        };
        cached + self.shared().core.trim()
    }
}

impl<T: 'static> PoolStats for Pool<T> {
    fn stats(&self) -> Stats {
        let slots: Vec<_> = match &self.kind {
            Kind::Global(_) => Vec::new(),
            Kind::Instance(owner) => owner.publics().collect(),
        };
        let core = &self.shared().core;
        core.registry.snapshot(&[mem::size_of::<T>()], None, &slots)
    }
}

impl<T: 'static> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("type", &std::any::type_name::<T>())
            .field("global", &matches!(self.kind, Kind::Global(_)))
            .finish_non_exhaustive()
    }
}

/// Configures an instance [`Pool`]; made by [`Pool::builder`].
#[must_use = "a builder does nothing until `build` is called"]
pub struct PoolBuilder<T: 'static> {
    capacity: usize,
    thread_cache: usize,
    factory: Emplace<T>,
    reset: Resetter<T>,
}

impl<T: 'static> PoolBuilder<T> {
    /// Keeps at most `n` idle objects in all: half of them (rounded down) may sit in the
    /// threads' caches, each thread claiming up to its [`thread_cache`](Self::thread_cache)
    /// limit on its first use of the pool while that half lasts, and the rest in the shared
    /// queue. `0` keeps none. Default: [`DEFAULT_CAPACITY`].
    ///
    /// # Examples
    /// ```
    /// use bytepool::{Pool, PoolStats};
    /// let pool = Pool::builder(|| 0u64, |n| *n = 0).capacity(1).build();
    /// let (a, b) = (pool.get(), pool.get());
    /// drop((a, b));
    /// assert_eq!(pool.stats().tiers[0].idle, 1);
    /// ```
    pub fn capacity(mut self, n: usize) -> Self {
        self.capacity = n;
        self
    }

    /// Keeps up to `n` idle objects in each thread's cache (at most [`MAX_THREAD_CACHE`]), in
    /// front of the shared queue; `0` turns the caches off. Default:
    /// [`DEFAULT_THREAD_CACHE`].
    ///
    /// # Examples
    /// ```
    /// use bytepool::{Pool, PoolStats};
    /// let pool = Pool::builder(Vec::<u8>::new, Vec::clear).thread_cache(4).build();
    /// drop(pool.get());
    /// assert_eq!(pool.stats().tiers[0].idle, 1);
    /// ```
    pub fn thread_cache(mut self, n: usize) -> Self {
        self.thread_cache = n.min(MAX_THREAD_CACHE);
        self
    }

    /// Builds the pool.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::builder(String::new, String::clear).build();
    /// assert!(pool.get().is_empty());
    /// ```
    #[must_use]
    pub fn build(self) -> Pool<T> {
        let tier = Tier::instance(mem::size_of::<T>(), self.capacity, self.thread_cache);
        let shared = ObjShared {
            core: Core::new(Box::new([tier]), None, Lengths::Unrecorded),
            factory: self.factory,
            reset: self.reset,
            release_global: release_global_never::<T>,
            global: None,
        };
        Pool {
            kind: Kind::Instance(Owner::new(shared, ObjShared::new_slot)),
        }
    }
}

impl<T: 'static> fmt::Debug for PoolBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolBuilder")
            .field("capacity", &self.capacity)
            .field("thread_cache", &self.thread_cache)
            .finish_non_exhaustive()
    }
}
