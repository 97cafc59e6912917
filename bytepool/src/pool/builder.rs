//! [`Builder`]: the configuration of an instance [`BytePool`].

use std::fmt;
use std::marker::PhantomData;

use super::vtable::instance_vtable;
use super::{BytePool, Scope};
use crate::buf::Shared;
use crate::cache::{Core, Tier, MAGAZINE_SLOTS};
use crate::raw;
use crate::ring::Ring;
use crate::stats::Lengths;
use crate::tiers::{self, Tiers};

/// Idle buffers a thread's cache keeps per tier, at most.
const CACHE_MAX: usize = MAGAZINE_SLOTS;
/// A thread's cache keeps about this many bytes per tier (at least one buffer). A magazine
/// refills and spills half its blocks per visit to the shared tier, so this also sets how many
/// blocks a visit moves: buffers crossing threads (one thread gets, another releases) spend
/// much of their time in those visits when each moves only one or two.
const CACHE_BYTES: usize = 1 << 20;
/// The default bound on a tier: about this many bytes...
const IDLE_BYTES: usize = 16 << 20;
/// ...but at least this many buffers...
const IDLE_MIN: usize = 8;
/// ...and at most this many.
const IDLE_MAX: usize = 1024;

/// Configures an instance [`BytePool`].
///
/// # Examples
/// ```
/// use bytepool::ring::RingQueue;
/// use bytepool::{tiers::Stream, BytePool, PoolStats};
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
    thread_cache: Option<usize>,
    zero_on_release: bool,
    prewarm: usize,
    ring: Option<Box<dyn Ring<usize> + Send + Sync>>,
    _tiers: PhantomData<fn() -> T>,
}

impl<T: Tiers> Builder<T> {
    /// Keeps at most `n` idle buffers of each tier, in all: half of them (rounded down) may
    /// sit in the threads' caches, each thread claiming up to its
    /// [`thread_cache`](Self::thread_cache) limit on its first use of the pool while that half
    /// lasts, and the rest in the shared tier. `0` keeps nothing anywhere: every get allocates.
    /// Default: about 16 MiB per tier, between 8 and 1024 buffers.
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

    /// Keeps up to `n` idle buffers per tier in each thread's cache (at most
    /// [`MAX_THREAD_CACHE`](crate::MAX_THREAD_CACHE)), in front of the shared tiers: a get
    /// and a release on a thread with a cache touch no memory another thread writes. A cache
    /// that is full or empty exchanges half of `n` with the shared tier in one visit. `0`
    /// turns the caches off: every return goes to the shared tiers. Default: as for the
    /// process-wide pools, about 1 MiB of each tier (between 1 and 32 buffers). The caches
    /// count toward [`max_idle_per_tier`](Self::max_idle_per_tier).
    ///
    /// # Examples
    /// ```
    /// use bytepool::{tiers::Stream, BytePool, PoolStats};
    /// let uncached = BytePool::<Stream>::builder().thread_cache(0).build();
    /// drop(uncached.get(10));
    /// assert_eq!(uncached.stats().tiers[0].idle, 1); // in the shared tier
    /// ```
    pub fn thread_cache(mut self, n: usize) -> Self {
        self.thread_cache = Some(n);
        self
    }

    /// Zeroes every buffer's bytes when it comes back, before anyone else can get it and
    /// before the pool frees it (for secrets): every byte of its capacity, whatever its size,
    /// whether the pool keeps it or not (above the largest tier, a full tier, a vector given to
    /// [`put`](BytePool::put)). Off by default: a reused buffer then holds what its last user
    /// wrote. Memory a user takes out of the pool
    /// ([`BufferMut::into_vec`](crate::BufferMut::into_vec)) is theirs to clear.
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

    /// Allocates `n` idle buffers per tier up front, in the shared tiers: as many as they keep
    /// (their part of [`max_idle_per_tier`](Self::max_idle_per_tier), which is all of it but
    /// the half the threads' caches may claim).
    ///
    /// That holds `n` times the sum of the tier sizes from the start: `prewarm(4)` on
    /// [`PowerOfTwo`](crate::tiers::PowerOfTwo) (128 B to 2 MiB) holds about 16 MiB, on
    /// [`Stream`](crate::tiers::Stream) (1 to 128 KiB) about 1 MiB. `Stats::idle_bytes` says
    /// how much a pool holds.
    ///
    /// # Examples
    /// ```
    /// use bytepool::{tiers::Stream, BytePool, PoolStats, Tiers};
    /// let pool = BytePool::<Stream>::builder().prewarm(3).build();
    /// assert_eq!(pool.stats().idle_bytes, 3 * Stream::SIZES.iter().sum::<usize>());
    /// drop(pool.get(1));
    /// assert_eq!(pool.stats().tiers[0].misses, 0);
    /// ```
    pub fn prewarm(mut self, n: usize) -> Self {
        self.prewarm = n;
        self
    }

    /// Records every requested length in `ring` (shared by all threads, as the Go original
    /// does) instead of the default per-thread rings of 256.
    /// [`Stats::recent_lengths`](crate::Stats::recent_lengths) then returns `ring.to_vec()`.
    ///
    /// # Examples
    /// ```
    /// use bytepool::ring::LockedRingQueue;
    /// use bytepool::{tiers::Stream, BytePool, PoolStats};
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
    #[track_caller]
    pub fn build(self) -> BytePool<T> {
        self.build_inner(Scope::Instance)
    }

    #[track_caller]
    pub(super) fn build_inner(self, scope: Scope) -> BytePool<T> {
        tiers::validate::<T>();
        let tiers = T::SIZES
            .iter()
            .map(|&size| {
                let max_idle = self
                    .max_idle_per_tier
                    .unwrap_or_else(|| (IDLE_BYTES / size).clamp(IDLE_MIN, IDLE_MAX));
                let cache_limit = self
                    .thread_cache
                    .unwrap_or_else(|| (CACHE_BYTES / size).clamp(1, CACHE_MAX));
                if scope == Scope::ProcessWide {
                    Tier::global(size, max_idle, cache_limit)
                } else {
                    Tier::instance(size, max_idle, cache_limit)
                }
            })
            .collect();
        let core = Core::new(tiers, self.ring, Lengths::Recorded);
        for (t, &size) in T::SIZES.iter().enumerate() {
            if let Err(err) = core.prewarm(t, self.prewarm, || raw::alloc_zeroed(size)) {
                panic!("prewarming: {err}");
            }
        }
        let shared = Shared::new(
            core,
            self.zero_on_release,
            instance_vtable::<T>(self.zero_on_release),
        );
        BytePool::from_shared(shared, scope)
    }
}

impl<T: Tiers> fmt::Debug for Builder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("sizes", &T::SIZES)
            .field("max_idle_per_tier", &self.max_idle_per_tier)
            .field("thread_cache", &self.thread_cache)
            .field("zero_on_release", &self.zero_on_release)
            .field("prewarm", &self.prewarm)
            .field("shared_ring", &self.ring.is_some())
            .finish()
    }
}

impl<T: Tiers> Default for Builder<T> {
    fn default() -> Self {
        Builder {
            max_idle_per_tier: None,
            thread_cache: None,
            zero_on_release: false,
            prewarm: 0,
            ring: None,
            _tiers: PhantomData,
        }
    }
}
