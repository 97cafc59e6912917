//! [`BytePool`]: byte buffers from compile-time size classes.

use std::fmt;
use std::marker::PhantomData;

use crate::buf::{Block, BufferMut, ByteOwner, Home, Shared};
use crate::cache::{Local, Origin, Shelf, SlotShelf};
use crate::stats::{Event, Stats};
use crate::tiers::{self, Tiers};
use crate::{Error, PoolStats};

mod builder;
mod vtable;

pub use builder::Builder;
use vtable::{acquire_in, lying_class_of, with_global};
pub(crate) use vtable::{record_in_ring, vtable};

/// A pool of byte buffers in the size classes of `T`.
///
/// Every [`Tiers`] type has a process-wide pool, `T::pool()`, created on first use and kept
/// for the life of the process. `BytePool::new` and [`BytePool::builder`] make independent
/// instance pools, which can be configured and are freed when they and every buffer taken from
/// them are gone. Both kinds keep a small cache per thread in front of their shared tiers, so a
/// get and a release on one thread touch no memory another thread writes.
///
/// An instance pool's handles hold no reference count on their pool: a handle counts itself in
/// its thread's slot of the pool, with plain stores. When the pool is dropped it frees every
/// idle buffer at once, the ones other threads cache included; buffers still out keep working,
/// and each frees its memory when it is dropped, on whatever thread; the last of them frees
/// the pool's bookkeeping.
///
/// A get returns a [`BufferMut`] whose capacity is exactly its tier's size; dropping it gives the
/// buffer back. Requests above the largest tier are served by a plain allocation of exactly the
/// requested length, counted in [`Stats::discarded`], and freed on release.
///
/// Memory is bounded: an instance pool keeps at most
/// [`max_idle_per_tier`](Builder::max_idle_per_tier) idle buffers of each tier in all, its
/// threads' caches included (by default about 16 MiB worth, between 8 and 1024 buffers). A
/// process-wide pool keeps that many in its shared tier, and each thread's cache
/// `min(32, 1 MiB / size)` per tier besides (at least one).
///
/// # Examples
/// ```
/// use bytepool::{tiers::PowerOfTwo, PoolStats};
///
/// let pool = PowerOfTwo::pool();
/// let mut buf = pool.get(1000);
/// buf[..5].copy_from_slice(b"hello");
/// assert_eq!(buf.capacity(), 1024);
/// let shared = buf.freeze(); // reference-counted, `Send + Sync`
/// let copy = shared.clone();
/// assert_eq!(&copy[..5], b"hello");
/// drop((shared, copy)); // the last release returns the buffer
/// assert!(pool.stats().total_puts >= 1);
/// ```
pub struct BytePool<T: Tiers> {
    kind: Kind,
    _tiers: PhantomData<fn() -> T>,
}

/// Which kind of pool a builder makes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// A `Tiers` type's pool for the process (`T::pool()`): no life, its handles hold vtables.
    ProcessWide,
    /// A pool of its own, with a life that its handles hold tickets of.
    Instance,
}

/// A process-wide pool's state, or an instance pool's life.
enum Kind {
    /// `T::pool()`, in a static for the life of the process.
    Global(Box<Shared>),
    Instance(ByteOwner),
}

impl<T: Tiers> Default for BytePool<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Tiers> BytePool<T> {
    /// Creates an instance pool with the default configuration.
    ///
    /// Prefer `T::pool()`, the process-wide pool, unless you need separate statistics or
    /// configuration: it is faster (per-thread caches) and its handles carry no reference count.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::BytePool::<bytepool::tiers::Stream>::new();
    /// assert_eq!(pool.get(10).capacity(), 1024);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// Starts configuring an instance pool.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::BytePool::<bytepool::tiers::Stream>::builder()
    ///     .zero_on_release(true)
    ///     .build();
    /// # drop(pool);
    /// ```
    pub fn builder() -> Builder<T> {
        Builder::default()
    }

    /// Builds the process-wide pool of `T` (called once, by the code `define_tiers!` generates).
    #[doc(hidden)]
    #[must_use]
    pub fn __new_global() -> Self {
        Self::builder().build_inner(Scope::ProcessWide)
    }

    fn from_shared(shared: Shared, scope: Scope) -> Self {
        let kind = match scope {
            Scope::ProcessWide => Kind::Global(Box::new(shared)),
            Scope::Instance => Kind::Instance(ByteOwner::new(shared, Shared::new_slot)),
        };
        BytePool {
            kind,
            _tiers: PhantomData,
        }
    }

    /// The state of `T`'s process-wide pool, this pool.
    pub(crate) fn global_shared(&self) -> &Shared {
        match &self.kind {
            Kind::Global(shared) => shared,
            Kind::Instance(_) => unreachable!("`Tiers::__global` is a process-wide pool"),
        }
    }

    fn shared(&self) -> &Shared {
        match &self.kind {
            Kind::Global(shared) => shared,
            Kind::Instance(owner) => owner.shared(),
        }
    }

    /// A buffer of `len` bytes from the smallest tier that holds it (capacity exactly that
    /// tier's size), or a plain allocation of exactly `len` bytes above the largest tier.
    ///
    /// The bytes of a reused buffer are whatever its previous user left (all zeros for a new
    /// buffer, or with [`zero_on_release`](Builder::zero_on_release)): never uninitialised, but
    /// not cleared either. `get(0)` returns an empty buffer without allocating or counting.
    ///
    /// # Panics
    /// If `len` exceeds `isize::MAX` or the allocator fails; [`try_get`](Self::try_get) returns
    /// an `Err` instead.
    ///
    /// # Examples
    /// ```
    /// use bytepool::tiers::Stream;
    /// let buf = Stream::pool().get(1500);
    /// assert_eq!((buf.len(), buf.capacity()), (1500, 4096));
    /// let big = Stream::pool().get(1 << 20);
    /// assert_eq!(big.capacity(), 1 << 20); // above the largest tier: exact, not pooled
    /// ```
    #[inline(always)]
    #[track_caller]
    pub fn get(&self, len: usize) -> BufferMut {
        let (block, home) = match self.pop_hot(len) {
            Some(got) => got,
            None => self.get_block_slow(len),
        };
        BufferMut::from_block(block, len, home)
    }

    /// The general path of [`get`](Self::get). `#[cold]` keeps its call out of the hot paths'
    /// straight line, so that a get from a magazine runs on into the handle without a jump.
    #[cold]
    #[inline(never)]
    #[track_caller]
    fn get_block_slow(&self, len: usize) -> (Block, Home) {
        match self.try_get_block_slow(len) {
            Ok(got) => got,
            Err(err) => panic!("BytePool::get({len}): {err}"),
        }
    }

    /// Like [`get`](Self::get), but reports sizes that cannot be allocated.
    ///
    /// # Errors
    /// [`Error::CapacityOverflow`] above `isize::MAX`, [`Error::AllocFailed`] when the
    /// allocator fails.
    ///
    /// # Examples
    /// ```
    /// use bytepool::{tiers::Stream, Error};
    /// assert_eq!(Stream::pool().try_get(usize::MAX).unwrap_err(), Error::CapacityOverflow);
    /// assert_eq!(Stream::pool().try_get(10).unwrap().len(), 10);
    /// ```
    #[inline]
    pub fn try_get(&self, len: usize) -> Result<BufferMut, Error> {
        let (block, home) = match self.pop_hot(len) {
            Some(got) => got,
            None => self.try_get_block_slow(len)?,
        };
        Ok(BufferMut::from_block(block, len, home))
    }

    /// The hot path of a get: a block from the calling thread's magazine and its home.
    /// `None` sends the caller to the general path, which builds its own `Home`.
    ///
    /// The paths hand back their parts and `get` builds the handle in one place: handles built
    /// on different paths and merged made the compiler copy them through the stack with loads
    /// wider than their stores, which stalls store forwarding.
    #[inline(always)]
    fn pop_hot(&self, len: usize) -> Option<(Block, Home)> {
        if len == 0 {
            return None;
        }
        match &self.kind {
            Kind::Global(_) => self
                .pop_cached(len)
                .map(|(block, tier)| (block, Home::global(vtable::<T>(Some(tier))))),
            Kind::Instance(owner) => Self::pop_instance(owner, len),
        }
    }

    /// The hot path of a get from a process-wide pool: a block from the calling thread's
    /// magazine, no shared memory touched, and its tier.
    #[inline(always)]
    fn pop_cached(&self, len: usize) -> Option<(Block, usize)> {
        let tier = T::class_of(len)?;
        let block = T::__with_cache(|cache| cache.pop(tier, Some(len), T::STATS))??;
        if block.len() < len {
            lying_class_of::<T>(len, tier);
        }
        Some((block, tier))
    }

    /// The hot path of a get from an instance pool: a block from the calling thread's
    /// magazine in its slot of the pool, and a ticket counted there. `None` sends the caller to
    /// the general path (so does a pool with a shared ring, whose push is user code).
    #[inline(always)]
    fn pop_instance(owner: &ByteOwner, len: usize) -> Option<(Block, Home)> {
        if owner.shared().core.ring.is_some() {
            return None;
        }
        let tier = T::class_of(len)?;
        let here = owner.here()?;
        let block = here
            .private()
            .pop_ticketed(tier, here.public(), Some(len), T::STATS)?;
        // The pop took a ticket: the home holds it before anything can panic.
        let home = Home::instance(here.private_ticket());
        if block.len() < len {
            lying_class_of::<T>(len, tier);
        }
        Some((block, home))
    }

    /// A block for `len` bytes from the general path (an empty one for `len == 0`), and its
    /// home.
    #[cold]
    #[inline(never)]
    fn try_get_block_slow(&self, len: usize) -> Result<(Block, Home), Error> {
        match &self.kind {
            Kind::Global(_) => {
                let (block, vtable) = if len == 0 {
                    (Block::default(), vtable::<T>(None))
                } else {
                    with_global::<T, _>(|local| acquire_in::<T, _>(local, len))?
                };
                Ok((block, Home::global(vtable)))
            }
            Kind::Instance(owner) => {
                let block = if len == 0 {
                    Block::default()
                } else {
                    with_owner(owner, |local| acquire_in::<T, _>(local, len))?.0
                };
                let got = (block, Home::instance(owner.ticket()));
                match &owner.shared().core.ring {
                    Some(ring) if T::STATS && len != 0 => {
                        Ok(record_in_ring(&**ring, len, got, |(block, home)| {
                            drop(BufferMut::from_block(block, 0, home));
                        }))
                    }
                    _ => Ok(got),
                }
            }
        }
    }

    /// An empty buffer (length 0) from the tier that holds `capacity` bytes.
    ///
    /// The request is recorded in [`Stats::recent_lengths`] as `capacity`. For read buffers,
    /// where the bytes actually read matter more, [`BufferMut::shrink_to_fit`] moves a short
    /// read down to the smallest tier that holds it.
    ///
    /// # Panics
    /// As [`get`](Self::get).
    ///
    /// # Examples
    /// ```
    /// use std::io::Write;
    /// let mut buf = bytepool::tiers::Stream::pool().with_capacity(2000);
    /// assert_eq!((buf.len(), buf.capacity()), (0, 4096));
    /// buf.write_all(b"abc").unwrap();
    /// assert_eq!(&buf[..], b"abc");
    /// ```
    #[inline]
    #[track_caller]
    pub fn with_capacity(&self, capacity: usize) -> BufferMut {
        let mut buf = self.get(capacity);
        buf.clear();
        buf
    }

    /// Takes back a vector (the Go `Put`): kept when its capacity is exactly a tier size and
    /// that tier has room; otherwise dropped and counted in [`Stats::discarded`]. Counted in
    /// [`Stats::foreign_puts`], so it never makes `outstanding` negative.
    ///
    /// # Examples
    /// ```
    /// use bytepool::{tiers::Stream, BytePool, PoolStats};
    /// let pool = BytePool::<Stream>::new();
    /// pool.put(Vec::with_capacity(4096)); // kept
    /// pool.put(vec![1, 2, 3]); // no tier has capacity 3: dropped
    /// let s = pool.stats();
    /// assert_eq!((s.tiers[1].idle, s.discarded, s.foreign_puts), (1, 1, 2));
    /// assert_eq!(pool.get(4096).capacity(), 4096); // a hit
    /// assert_eq!(pool.stats().tiers[1].hits, 1);
    /// ```
    pub fn put(&self, mut vec: Vec<u8>) {
        let cap = vec.capacity();
        let tier = T::class_of(cap).filter(|&t| T::SIZES.get(t) == Some(&cap));
        if tier.is_some() || self.shared().zero_on_release() {
            // Initialise the tail so the whole allocation is initialised, as pooled blocks are,
            // and can be scrubbed; `into_boxed_slice` then keeps it (len == capacity).
            vec.resize(cap, 0);
        }
        let mut block = vec.into_boxed_slice();
        self.shared().scrub(&mut block);
        match &self.kind {
            Kind::Global(_) => with_global::<T, _>(|local| put_in::<T, _>(local, block, tier)),
            Kind::Instance(owner) => with_owner(owner, |local| put_in::<T, _>(local, block, tier)),
        }
    }

    /// The tier sizes, smallest first.
    ///
    /// # Examples
    /// ```
    /// use bytepool::tiers::Stream;
    /// assert_eq!(Stream::pool().tier_sizes()[0], 1024);
    /// ```
    #[must_use]
    pub fn tier_sizes(&self) -> &'static [usize] {
        T::SIZES
    }

    /// The largest tier size; larger requests are served unpooled.
    ///
    /// # Examples
    /// ```
    /// use bytepool::tiers::PowerOfTwo;
    /// assert_eq!(PowerOfTwo::pool().max_size(), 2 << 20);
    /// ```
    #[must_use]
    pub fn max_size(&self) -> usize {
        tiers::max_size::<T>()
    }

    /// Frees every idle buffer of the shared tiers and of the calling thread's cache; returns
    /// the bytes freed.
    ///
    /// Other threads' caches keep their buffers (at most `min(32, 1 MiB / size)` per tier
    /// each) until those threads release more buffers, call `trim`, or exit.
    ///
    /// # Examples
    /// ```
    /// use bytepool::{tiers::Stream, BytePool, PoolStats};
    /// let pool = BytePool::<Stream>::new();
    /// drop(pool.get(1000));
    /// assert_eq!(pool.trim(), 1024);
    /// assert_eq!(pool.stats().idle_bytes, 0);
    /// ```
    pub fn trim(&self) -> usize {
        let cached = match &self.kind {
            Kind::Global(_) => with_global::<T, _>(|local| local.trim_cache()),
            Kind::Instance(owner) => with_owner(owner, |local| local.trim_cache()),
        };
        cached + self.shared().core.trim()
    }
}

impl<T: Tiers> PoolStats for BytePool<T> {
    fn stats(&self) -> Stats {
        let core = &self.shared().core;
        let slots: Vec<_> = match &self.kind {
            Kind::Global(_) => Vec::new(),
            Kind::Instance(owner) => owner.publics().collect(),
        };
        core.registry
            .snapshot(T::SIZES, core.ring.as_deref(), &slots)
    }
}

impl<T: Tiers> fmt::Debug for BytePool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BytePool")
            .field("sizes", &T::SIZES)
            .field("global", &matches!(self.kind, Kind::Global(_)))
            .field("zero_on_release", &self.shared().zero_on_release())
            .finish_non_exhaustive()
    }
}

/// Runs `f` in the calling thread's slot of the instance pool `owner` (in the shared context
/// while the thread exits).
#[inline]
fn with_owner<R>(
    owner: &ByteOwner,
    f: impl FnOnce(&mut Local<'_, Block, SlotShelf<'_, Block>>) -> R,
) -> R {
    let core = &owner.shared().core;
    match owner.here() {
        Some(here) => f(&mut here.private().local(core, here.public())),
        None => f(&mut Local::uncached(core)),
    }
}

/// Takes a vector given to [`BytePool::put`], made a block of `tier` (or of none).
fn put_in<T: Tiers, M: Shelf<Block>>(
    local: &mut Local<'_, Block, M>,
    block: Block,
    tier: Option<usize>,
) {
    local.count(Event::ForeignPut, T::STATS);
    match tier {
        Some(tier) => local.put_tier(tier, block, Origin::Foreign, T::STATS),
        None => {
            local.count(Event::UntieredPut, T::STATS);
            local.count(Event::Discard, T::STATS);
            drop(block);
        }
    }
}
