//! [`BytePool`]: byte buffers from compile-time size classes.

use std::fmt;
use std::marker::PhantomData;

use crate::buf::{BufferMut, Home};
use crate::cache::{Core, Local, Tier};
use crate::raw;
use crate::ring::Ring;
use crate::stats::{Event, Stats};
use crate::sync::Arc;
use crate::tiers::{self, Tiers};
use crate::{Error, PoolStats};

/// Idle buffers a thread's cache keeps per tier, at most.
const CACHE_MAX: usize = crate::cache::MAGAZINE_SLOTS;
/// A thread's cache keeps about this many bytes per tier (at least one buffer). A magazine
/// refills and spills half its blocks per visit to the shared tier, so this also sets how many
/// blocks a visit moves: at 256 KiB a 64 KiB tier moved two, and buffers crossing threads
/// (one thread gets, another releases) spent about a third of their time in those visits.
const CACHE_BYTES: usize = 1 << 20;
/// The default bound on a shared tier: about this many bytes...
const IDLE_BYTES: usize = 16 << 20;
/// ...but at least this many buffers...
const IDLE_MIN: usize = 8;
/// ...and at most this many.
const IDLE_MAX: usize = 1024;

/// A pool of byte buffers in the size classes of `T`.
///
/// Every [`Tiers`] type has a process-wide pool, `T::pool()`, whose threads each keep a small
/// cache in front of the shared tiers (the fast path touches no shared memory). `BytePool::new`
/// and [`BytePool::builder`] make independent instance pools: they have no thread caches (every
/// operation visits the shared lock-free tier queues) and can be configured.
///
/// The difference is large. A get and its release from an instance pool do about nine atomic
/// read-modify-writes on shared memory (the tier queue, the counters, the handle's reference
/// count on its pool). On our 2-core test machine a 128 B round trip took about 42 ns, against
/// 5 ns from `T::pool()` and 15 ns for `Vec::with_capacity` (whose allocator has a thread
/// cache of its own), and two threads sharing one instance pool took several hundred ns per
/// round trip, since they contend for the same cache lines. Choose an instance pool for
/// separate bounds, statistics or zeroing, and the process-wide pool for speed;
/// `docs/bench.md` shows both next to the other pools.
///
/// A get returns a [`BufferMut`] whose capacity is exactly its tier's size; dropping it gives the
/// buffer back. Requests above the largest tier are served by a plain allocation of exactly the
/// requested length, counted in [`Stats::discarded`], and freed on release.
///
/// Memory is bounded: a shared tier keeps at most
/// [`max_idle_per_tier`](Builder::max_idle_per_tier) idle buffers (by default about 16 MiB
/// worth, between 8 and 1024 buffers), and each thread's cache at most
/// `min(max_idle_per_tier, 32, 1 MiB / size)` per tier (at least one).
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
    shared: Arc<Shared>,
    /// `shared.global`, here too: the hot path reads it without following the `Arc`.
    global: bool,
    _tiers: PhantomData<fn() -> T>,
}

/// A pooled allocation: always fully initialised, its length is its tier's size.
pub(crate) type Block = Box<[u8]>;

/// A block just handed out, and the vtable of its tier.
pub(crate) type Acquired = (Block, &'static Vtable);

/// The state of a byte pool, shared by the pool and (for instance pools) its handles.
pub(crate) struct Shared {
    pub(crate) core: Core<Box<[u8]>>,
    zero_on_release: bool,
    /// Whether this is a `Tiers` type's process-wide pool (which has thread caches).
    global: bool,
    /// The functions of this pool's `Tiers` type that do not depend on a block's tier: an
    /// instance pool's handle reaches its pool through them (see `Home`).
    pub(crate) vtable: &'static Vtable,
}

impl Shared {
    /// Zeroes every byte of `block` when the pool zeroes on release: whatever happens to the
    /// block next (kept idle, or freed because it fits no tier or its tier is full), it no
    /// longer holds what its user wrote. `black_box` keeps the compiler from dropping the
    /// stores as dead when the block is freed right after.
    fn scrub(&self, block: &mut [u8]) {
        if self.zero_on_release {
            block.fill(0);
            std::hint::black_box(block);
        }
    }
}

// A pool's state is consistent whenever control leaves it, a panic included: no user code runs
// inside its critical sections, counts are settled before anything is dropped, and the one
// piece of user code a byte pool calls (a shared ring's `push`) runs after the get it records,
// which gives its buffer back if the push unwinds. So observing it after a caught panic is fine.
impl std::panic::RefUnwindSafe for Shared {}

/// Configures an instance [`BytePool`].
///
/// # Examples
/// ```
/// use bytepool::{tiers::Stream, BytePool, PoolStats, RingQueue};
///
/// let pool = BytePool::<Stream>::builder()
///     .max_idle_per_tier(64)
///     .zero_on_release(true)
///     .prewarm(2)
///     .recent_lengths(RingQueue::new(1024))
///     .build();
/// assert_eq!(pool.stats().tiers[0].idle, 2);
/// ```
#[must_use = "a builder does nothing until `build` is called"]
pub struct Builder<T: Tiers> {
    max_idle_per_tier: Option<usize>,
    zero_on_release: bool,
    prewarm: usize,
    ring: Option<Box<dyn Ring<usize> + Send + Sync>>,
    _tiers: PhantomData<fn() -> T>,
}

impl<T: Tiers> Builder<T> {
    /// Keeps at most `n` idle buffers in each shared tier (and caps each thread cache at `n`).
    /// `0` keeps nothing: every get allocates. Default: about 16 MiB per tier, between 8 and
    /// 1024 buffers.
    ///
    /// # Examples
    /// ```
    /// use bytepool::{tiers::Stream, BytePool, PoolStats};
    /// let pool = BytePool::<Stream>::builder().max_idle_per_tier(1).build();
    /// let (a, b) = (pool.get(10), pool.get(10));
    /// drop((a, b));
    /// assert_eq!(pool.stats().tiers[0].idle, 1);
    /// assert_eq!(pool.stats().discarded, 1);
    /// ```
    pub fn max_idle_per_tier(mut self, n: usize) -> Self {
        self.max_idle_per_tier = Some(n);
        self
    }

    /// Zeroes every buffer's bytes when it comes back, before anyone else can get it and
    /// before the pool frees it (for secrets): every byte of its capacity, whatever its size,
    /// whether the pool keeps it or not (above the largest tier, a full tier, a vector given to
    /// [`put`](BytePool::put)). Off by default: a reused buffer then holds what its last user
    /// wrote. Memory a user takes out of the pool ([`BufferMut::into_vec`]) is theirs to clear.
    ///
    /// # Examples
    /// ```
    /// use bytepool::{tiers::Stream, BytePool};
    /// let pool = BytePool::<Stream>::builder().zero_on_release(true).build();
    /// pool.get(4).copy_from_slice(b"key!");
    /// assert_eq!(&pool.get(4)[..], [0; 4]);
    /// ```
    pub fn zero_on_release(mut self, on: bool) -> Self {
        self.zero_on_release = on;
        self
    }

    /// Allocates `n` idle buffers per tier up front (bounded by `max_idle_per_tier`).
    ///
    /// # Examples
    /// ```
    /// use bytepool::{tiers::Stream, BytePool, PoolStats};
    /// let pool = BytePool::<Stream>::builder().prewarm(3).build();
    /// drop(pool.get(1));
    /// assert_eq!(pool.stats().tiers[0].misses, 0);
    /// ```
    pub fn prewarm(mut self, n: usize) -> Self {
        self.prewarm = n;
        self
    }

    /// Records every requested length in `ring` (shared by all threads, as the Go original
    /// does) instead of the default per-thread rings of 256. [`Stats::recent_lengths`] then
    /// returns `ring.to_vec()`.
    ///
    /// # Examples
    /// ```
    /// use bytepool::{tiers::Stream, BytePool, LockedRingQueue, PoolStats};
    /// let pool = BytePool::<Stream>::builder().recent_lengths(LockedRingQueue::new(2)).build();
    /// for len in [1, 2, 3] {
    ///     drop(pool.get(len));
    /// }
    /// assert_eq!(pool.stats().recent_lengths, [2, 3]);
    /// ```
    pub fn recent_lengths(mut self, ring: impl Ring<usize> + Send + Sync + 'static) -> Self {
        self.ring = Some(Box::new(ring));
        self
    }

    /// Builds the pool.
    ///
    /// # Panics
    /// If `T` was implemented by hand with sizes that are empty, zero, not ascending or above
    /// `isize::MAX` (`define_tiers!` rejects those at compile time), or if prewarming cannot
    /// allocate.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::BytePool::<bytepool::tiers::Stream>::builder().build();
    /// assert_eq!(pool.max_size(), 131072);
    /// ```
    #[must_use]
    pub fn build(self) -> BytePool<T> {
        self.build_inner(false)
    }

    fn build_inner(self, global: bool) -> BytePool<T> {
        tiers::validate::<T>();
        let tiers = T::SIZES
            .iter()
            .map(|&size| {
                let max_idle = self
                    .max_idle_per_tier
                    .unwrap_or_else(|| (IDLE_BYTES / size).clamp(IDLE_MIN, IDLE_MAX));
                Tier::new(size, max_idle, (CACHE_BYTES / size).clamp(1, CACHE_MAX))
            })
            .collect();
        let core = Core::new(tiers, self.ring, true);
        for (t, &size) in T::SIZES.iter().enumerate() {
            core.prewarm(t, self.prewarm, || {
                raw::alloc_zeroed(size).unwrap_or_else(|e| panic!("prewarming: {e}"))
            });
        }
        BytePool {
            shared: Arc::new(Shared {
                core,
                zero_on_release: self.zero_on_release,
                global,
                vtable: vtable::<T>(None),
            }),
            global,
            _tiers: PhantomData,
        }
    }
}

impl<T: Tiers> fmt::Debug for Builder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("sizes", &T::SIZES)
            .field("max_idle_per_tier", &self.max_idle_per_tier)
            .field("zero_on_release", &self.zero_on_release)
            .field("prewarm", &self.prewarm)
            .field("shared_ring", &self.ring.is_some())
            .finish()
    }
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
        Builder {
            max_idle_per_tier: None,
            zero_on_release: false,
            prewarm: 0,
            ring: None,
            _tiers: PhantomData,
        }
    }

    /// Builds the process-wide pool of `T` (called once, by the code `define_tiers!` generates).
    #[doc(hidden)]
    #[must_use]
    pub fn __new_global() -> Self {
        Self::builder().build_inner(true)
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
    pub fn get(&self, len: usize) -> BufferMut {
        let (block, home) = match self.pop_cached(len) {
            Some((block, tier)) => (block, Home::global(vtable::<T>(Some(tier)))),
            None => self.get_block_slow(len),
        };
        BufferMut::from_block(block, len, home)
    }

    /// The general path of [`get`](Self::get). `#[cold]` keeps its call out of the hot path's
    /// straight line, so a get from a magazine runs on into the handle without a jump
    /// (`round_trip/bytepool_global/128`: 4.40-4.53 -> 4.09-4.18 ns in all four code layouts of
    /// `benches/layout_ab.sh`, with `release_to_instance` cold too). Instance pools come here
    /// on every get; their round trip did not move (44.4-45.6 ns on both sides).
    #[cold]
    #[inline(never)]
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
        let (block, home) = match self.pop_cached(len) {
            Some((block, tier)) => (block, Home::global(vtable::<T>(Some(tier)))),
            None => self.try_get_block_slow(len)?,
        };
        Ok(BufferMut::from_block(block, len, home))
    }

    /// The hot path of a get from a process-wide pool: a block from the calling thread's
    /// magazine, no shared memory touched, and its tier. `None` sends the caller to the
    /// general path.
    ///
    /// Both paths hand back their parts and the handle is built in one place: merging two
    /// handles built on different paths made the compiler copy the handle through the stack
    /// with loads wider than its stores, which stalls store forwarding. The general path
    /// builds its own `Home`, though: when the merge also chose between a global and an
    /// instance home, the fast path took a second test of `global` and two more jumps
    /// (`overhead_stats/stats_off`: 3.74 against 4.05 ns in three of four code layouts,
    /// never slower).
    #[inline(always)]
    fn pop_cached(&self, len: usize) -> Option<(Block, usize)> {
        if !self.global || len == 0 {
            return None;
        }
        let tier = T::class_of(len)?;
        let block = T::__with_cache(|cache| cache.pop(tier, len, true, T::STATS))??;
        if block.len() < len {
            lying_class_of::<T>(len, tier);
        }
        Some((block, tier))
    }

    /// A block for `len` bytes from the general path (an empty one for `len == 0`), and its
    /// home.
    #[cold]
    #[inline(never)]
    fn try_get_block_slow(&self, len: usize) -> Result<(Block, Home), Error> {
        let (block, vtable) = if len == 0 {
            (Block::default(), vtable::<T>(None))
        } else {
            acquire::<T>(&self.shared, len)?
        };
        Ok((block, self.home(vtable)))
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
        if tier.is_some() || self.shared.zero_on_release {
            // Initialise the tail so the whole allocation is initialised, as pooled blocks are,
            // and can be scrubbed; `into_boxed_slice` then keeps it (len == capacity).
            vec.resize(cap, 0);
        }
        let mut block = vec.into_boxed_slice();
        self.shared.scrub(&mut block);
        with_local::<T, _>(&self.shared, |local| {
            local.count(Event::ForeignPut, T::STATS);
            match tier {
                Some(tier) => local.put_tier(tier, block, false, T::STATS),
                None => {
                    local.count(Event::UntieredPut, T::STATS);
                    local.count(Event::Discard, T::STATS);
                    drop(block);
                }
            }
        });
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
        let cached = with_local::<T, _>(&self.shared, |local| local.trim_cache());
        cached + self.shared.core.trim()
    }

    /// The home of a block from this pool whose tier's vtable is `vtable`.
    #[inline(always)]
    fn home(&self, vtable: &'static Vtable) -> Home {
        if self.global {
            Home::global(vtable)
        } else {
            Home::instance(Arc::clone(&self.shared))
        }
    }
}

impl<T: Tiers> PoolStats for BytePool<T> {
    fn stats(&self) -> Stats {
        let core = &self.shared.core;
        core.registry.snapshot(T::SIZES, core.ring.as_deref())
    }
}

impl<T: Tiers> fmt::Debug for BytePool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BytePool")
            .field("sizes", &T::SIZES)
            .field("global", &self.shared.global)
            .field("zero_on_release", &self.shared.zero_on_release)
            .finish_non_exhaustive()
    }
}

/// Runs `f` in the calling thread's context for the pool `shared` of tiers `T`: the thread's
/// cache for a global pool when it is available (not during thread exit, not re-entered), the
/// shared context otherwise.
#[inline]
fn with_local<T: Tiers, R>(
    shared: &Shared,
    f: impl FnOnce(&mut Local<'_, Box<[u8]>, T::__Length>) -> R,
) -> R {
    let mut f = Some(f);
    if shared.global {
        if let Some(Some(done)) =
            T::__with_cache(|cache| f.take().map(|f| cache.run(global_core::<T>, f)))
        {
            return done;
        }
    }
    match f.take() {
        Some(f) => f(&mut Local::uncached(&shared.core)),
        None => unreachable!("the thread cache consumed the operation without finishing it"),
    }
}

fn global_shared<T: Tiers>() -> &'static Shared {
    &T::__global().shared
}

fn global_core<T: Tiers>() -> &'static Core<Box<[u8]>> {
    &global_shared::<T>().core
}

/// A block holding `len > 0` bytes, counted as a get and its length recorded, and the vtable
/// of its tier. A request that fails is neither counted nor recorded.
#[inline]
fn acquire<T: Tiers>(shared: &Shared, len: usize) -> Result<Acquired, Error> {
    let acquired = with_local::<T, _>(shared, |local| {
        let acquired = match T::class_of(len) {
            Some(tier) => {
                if T::SIZES.get(tier).is_none_or(|&size| size < len) {
                    lying_class_of::<T>(len, tier);
                }
                let block = local.get_tier(tier, T::STATS, raw::alloc_zeroed)?;
                (block, vtable::<T>(Some(tier)))
            }
            None => {
                let block = raw::alloc_zeroed(len)?;
                local.got_oversize(T::STATS);
                (block, vtable::<T>(None))
            }
        };
        local.record_len(len, T::STATS);
        Ok(acquired)
    })?;
    match &shared.core.ring {
        Some(ring) if T::STATS => Ok(record_in_ring::<T>(shared, &**ring, len, acquired)),
        _ => Ok(acquired),
    }
}

/// Records `len` in the pool's shared ring, the user's code: if it panics, the block just
/// counted as a get goes back to the pool, counted as returned, instead of vanishing.
fn record_in_ring<T: Tiers>(
    shared: &Shared,
    ring: &(dyn Ring<usize> + Send + Sync),
    len: usize,
    acquired: Acquired,
) -> Acquired {
    struct GiveBack<'a, T: Tiers> {
        shared: &'a Shared,
        acquired: Option<Acquired>,
        _tiers: PhantomData<T>,
    }
    impl<T: Tiers> Drop for GiveBack<'_, T> {
        fn drop(&mut self) {
            if let Some((block, vtable)) = self.acquired.take() {
                release::<T>(self.shared, block, vtable.tier);
            }
        }
    }
    let mut guard = GiveBack::<T> {
        shared,
        acquired: Some(acquired),
        _tiers: PhantomData,
    };
    ring.push(len);
    match guard.acquired.take() {
        Some(acquired) => acquired,
        None => unreachable!("the block is given back only on unwind"),
    }
}

#[cold]
#[track_caller]
fn lying_class_of<T: Tiers>(len: usize, tier: usize) -> ! {
    panic!(
        "`{}::class_of({len})` returned tier {tier}, which does not hold {len} bytes",
        std::any::type_name::<T>()
    )
}

/// Takes back a block of `T`'s process-wide pool: the calling thread's magazine when it has
/// room, the general path otherwise. The pool itself is looked up only on the general path.
/// A global pool never zeroes on release, so the block goes back as it is.
#[inline]
fn release_global<T: Tiers>(block: Block, tier: Option<usize>) {
    let mut block = Some(block);
    if let Some(tier) = tier {
        T::__with_cache(|cache| cache.push(tier, &mut block, T::STATS));
    }
    if let Some(block) = block {
        release_global_slow::<T>(block, tier);
    }
}

#[inline(never)]
fn release_global_slow<T: Tiers>(block: Block, tier: Option<usize>) {
    release::<T>(global_shared::<T>(), block, tier);
}

#[inline]
fn release<T: Tiers>(shared: &Shared, mut block: Block, tier: Option<usize>) {
    debug_assert_eq!(tier.map(|t| T::SIZES[t]), tier.map(|_| block.len()));
    shared.scrub(&mut block);
    match tier {
        Some(tier) => {
            with_local::<T, _>(shared, |local| local.put_tier(tier, block, true, T::STATS));
        }
        None => {
            drop(block);
            with_local::<T, _>(shared, |local| local.put_oversize(T::STATS));
        }
    }
}

fn detach<T: Tiers>(shared: &Shared) {
    with_local::<T, _>(shared, |local| local.detach(T::STATS));
}

/// What a type-erased handle knows about its block: the block's tier, and the functions that
/// reach its pool. Each tier of a tier set has its own ([`Vtable::tier`], listed in
/// `Tiers::__VTABLES`), and blocks above the largest tier share one more.
///
/// Each tier's release to `T`'s process-wide pool is its own function with the tier a constant in
/// it, taking nothing but the block, so a handle's drop passes no pool and the release does not
/// test for one. Computing the tier at release (from the block's length) or loading it (from the
/// handle) puts a chain of dependent instructions on the address of the store that refills the
/// magazine; a constant behind a predicted indirect call does not. Measured with criterion against
/// computing it: 64 KiB round trip 12.0 -> 10.8 ns, refcounted 32.9 -> 22.3 ns (128 B, whose
/// `class_of` is one predicted compare, unchanged). An instance pool's release, which visits the
/// shared queues anyway, computes the tier ([`release_instance`]).
#[doc(hidden)]
pub struct Vtable {
    /// The block's tier (its length is exactly that tier's size); `None` above the largest.
    pub(crate) tier: Option<usize>,
    pub(crate) sizes: &'static [usize],
    pub(crate) global: fn() -> &'static Shared,
    pub(crate) acquire: fn(&Shared, usize) -> Result<Acquired, Error>,
    /// Takes back a block of this tier to `T`'s process-wide pool: one function per tier, with
    /// the tier a constant in it. A handle's drop tail-calls it with nothing else to pass.
    pub(crate) release_global: fn(Block),
    /// Takes back a block of `T` to an instance pool (the same function in every vtable of `T`).
    pub(crate) release_instance: fn(&Shared, Block),
    pub(crate) detach: fn(&Shared),
}

impl Vtable {
    /// The vtable of tier `TIER` of `T` (`define_tiers!` lists one per tier in
    /// `Tiers::__VTABLES`; a hand-written `Tiers` implementation does the same).
    #[must_use]
    pub const fn tier<T: Tiers, const TIER: usize>() -> Self {
        Vtable::new::<T>(Some(TIER), release_global_tier::<T, TIER>)
    }

    const fn new<T: Tiers>(tier: Option<usize>, release_global: fn(Block)) -> Self {
        Vtable {
            tier,
            sizes: T::SIZES,
            global: global_shared::<T>,
            acquire: acquire::<T>,
            release_global,
            release_instance: release_instance::<T>,
            detach: detach::<T>,
        }
    }
}

impl fmt::Debug for Vtable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vtable")
            .field("tier", &self.tier)
            .finish_non_exhaustive()
    }
}

fn release_global_tier<T: Tiers, const TIER: usize>(block: Block) {
    release_global::<T>(block, Some(TIER));
}

/// Above the largest tier: an empty block (from a `get(0)`) was never counted as a get, so it
/// goes nowhere.
fn release_global_untiered<T: Tiers>(block: Block) {
    if !block.is_empty() {
        release_global::<T>(block, None);
    }
}

/// Takes back a block of `T` to the instance pool `shared`. An instance pool's handle carries
/// no tier, so the tier comes from the block's length: a tier's block is exactly that tier's
/// size, and any other block is untiered (`class_of` finds the tier, and the size check keeps a
/// wrong `class_of` from sending a block to a tier of another size). An empty block, from a
/// `get(0)` (which never visits a tier), was never counted as a get, so it goes nowhere.
fn release_instance<T: Tiers>(shared: &Shared, block: Block) {
    let len = block.len();
    if len != 0 {
        let tier = T::class_of(len).filter(|&tier| T::SIZES.get(tier) == Some(&len));
        release::<T>(shared, block, tier);
    }
}

/// The vtable of `T`'s blocks above the largest tier.
struct Untiered<T>(PhantomData<T>);

impl<T: Tiers> Untiered<T> {
    const VTABLE: &'static Vtable = &Vtable::new::<T>(None, release_global_untiered::<T>);
}

/// The vtable of `T`'s blocks of tier `tier` (`None`: above the largest).
#[inline(always)]
pub(crate) fn vtable<T: Tiers>(tier: Option<usize>) -> &'static Vtable {
    match tier {
        Some(tier) => &T::__VTABLES[tier],
        None => Untiered::<T>::VTABLE,
    }
}
