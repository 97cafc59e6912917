//! Per-thread caches ("magazines") in front of a global pool's shared tiers, and [`Local`],
//! the context every pool operation runs in.
//!
//! `define_tiers!` gives each tier set a `thread_local!` [`ThreadCache`] with one [`Magazine`]
//! per tier (statics in generic code would be shared by every instantiation, so the macro emits
//! them). A get pops the calling thread's magazine; an empty magazine refills half of its
//! capacity from the shared `ArrayQueue` in one go, and a full one spills half back, so a thread
//! touches shared cache lines once per batch, not once per buffer. A buffer released on another
//! thread lands in that thread's magazine and reaches the shared tier when it spills; at thread
//! exit every magazine is flushed to the shared tiers.

use std::cell::{Cell, OnceCell, RefCell};
use std::fmt;

use crate::ring::Ring;
use crate::stats::{Counters, Event, Registry};
use crate::sync::{Arc, ArrayQueue};
use crate::Error;

/// `false` under the `passthrough` feature: nothing is ever kept idle.
const POOLING: bool = !cfg!(feature = "passthrough");

/// The type-erased heart of every pool: its tiers of idle blocks (`B` is `Box<[u8]>` for byte
/// pools, a boxed object slot for typed pools), its counters and its optional shared ring.
pub(crate) struct Core<B> {
    pub(crate) tiers: Box<[Tier<B>]>,
    pub(crate) registry: Registry,
    pub(crate) ring: Option<Box<dyn Ring<usize> + Send + Sync>>,
}

impl<B> Core<B> {
    pub(crate) fn new(
        tiers: Box<[Tier<B>]>,
        ring: Option<Box<dyn Ring<usize> + Send + Sync>>,
    ) -> Self {
        Core {
            registry: Registry::new(tiers.len()),
            tiers,
            ring,
        }
    }

    /// Idle blocks per tier outside thread caches.
    pub(crate) fn idle(&self) -> impl Iterator<Item = usize> + '_ {
        self.tiers.iter().map(Tier::idle)
    }

    /// Frees every idle block of the shared tiers; returns the bytes (tier sizes) freed.
    pub(crate) fn trim(&self) -> usize {
        self.tiers.iter().map(Tier::trim).sum()
    }
}

/// One size class: its idle blocks and bounds.
pub(crate) struct Tier<B> {
    pub(crate) size: usize,
    idle: Option<ArrayQueue<B>>,
    /// The most blocks of this tier one thread's cache keeps.
    pub(crate) cache_limit: usize,
}

impl<B> Tier<B> {
    /// A tier keeping at most `max_idle` idle blocks, and `cache_limit` per thread cache.
    pub(crate) fn new(size: usize, max_idle: usize, cache_limit: usize) -> Self {
        Tier {
            size,
            idle: (max_idle > 0).then(|| ArrayQueue::new(max_idle)),
            cache_limit: cache_limit.min(max_idle),
        }
    }

    /// Keeps `block` idle, or gives it back when the tier is full.
    pub(crate) fn park(&self, block: B) -> Result<(), B> {
        match &self.idle {
            Some(queue) if POOLING => queue.push(block),
            _ => Err(block),
        }
    }

    pub(crate) fn unpark(&self) -> Option<B> {
        self.idle.as_ref()?.pop()
    }

    fn idle(&self) -> usize {
        self.idle.as_ref().map_or(0, ArrayQueue::len)
    }

    fn trim(&self) -> usize {
        let mut freed = 0;
        while let Some(block) = self.unpark() {
            drop(block);
            freed += self.size;
        }
        freed
    }
}

/// A thread's cache for one global pool: its magazines and its counter block.
///
/// Generated per tier set by `define_tiers!` (and per type by `#[derive(Pooled)]`); not part
/// of the public API.
#[doc(hidden)]
pub struct ThreadCache<B: 'static, M: ?Sized = [Magazine<B>]> {
    attached: OnceCell<Attached<B>>,
    mags: RefCell<M>,
}

impl<B, const N: usize> ThreadCache<B, [Magazine<B>; N]> {
    /// An empty cache, attached to its pool on first use.
    #[must_use]
    pub const fn new() -> Self {
        ThreadCache {
            attached: OnceCell::new(),
            mags: RefCell::new([const { Magazine::new() }; N]),
        }
    }
}

impl<B, const N: usize> Default for ThreadCache<B, [Magazine<B>; N]> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B, M: ?Sized> fmt::Debug for ThreadCache<B, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadCache")
            .field("attached", &self.attached.get().is_some())
            .finish_non_exhaustive()
    }
}

/// The link from a thread's cache to its pool; dropping it (at thread exit) retires the
/// thread's counters.
struct Attached<B: 'static> {
    core: &'static Core<B>,
    counters: Arc<Counters>,
    /// Buffers handed out minus buffers taken back by this thread since its last flush.
    net: Cell<i64>,
}

impl<B> Drop for Attached<B> {
    fn drop(&mut self) {
        self.core.registry.flush_outstanding(self.net.get());
        self.core.registry.retire(&self.counters);
    }
}

/// One tier's stack of idle buffers in one thread.
#[doc(hidden)]
pub struct Magazine<B: 'static> {
    blocks: Vec<B>,
    /// Where the blocks go when the thread exits: the pool and tier index.
    home: Option<(&'static Core<B>, usize)>,
}

impl<B> Magazine<B> {
    const fn new() -> Self {
        Magazine {
            blocks: Vec::new(),
            home: None,
        }
    }
}

impl<B> fmt::Debug for Magazine<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Magazine")
            .field("len", &self.blocks.len())
            .finish_non_exhaustive()
    }
}

impl<B> Drop for Magazine<B> {
    fn drop(&mut self) {
        if let Some((core, tier)) = self.home {
            for block in self.blocks.drain(..) {
                if core.tiers[tier].park(block).is_err() {
                    core.registry.shared.count(Event::Discard, false);
                }
            }
        }
    }
}

impl<B> ThreadCache<B> {
    /// Runs `f` in this thread's context for the pool `shared` returns (the one this cache
    /// belongs to). Leaves `f` in place and returns `None` when the cache is busy (a re-entrant
    /// call, e.g. from a global allocator).
    #[inline]
    pub(crate) fn run<R, F: FnOnce(&mut Local<'_, B>) -> R>(
        &self,
        core: fn() -> &'static Core<B>,
        f: &mut Option<F>,
    ) -> Option<R> {
        let mut mags = self.mags.try_borrow_mut().ok()?;
        let f = f.take()?;
        let attached = self.attached.get_or_init(|| {
            let core = core();
            for (tier, mag) in mags.iter_mut().enumerate() {
                mag.home = Some((core, tier));
            }
            Attached {
                core,
                counters: core.registry.register(core.tiers.len()),
                net: Cell::new(0),
            }
        });
        let mut local = Local {
            core: attached.core,
            counters: &attached.counters,
            exclusive: true,
            net: Some(&attached.net),
            mags: Some(&mut mags),
        };
        Some(f(&mut local))
    }
}

/// What one pool operation works with: the shared pool, a counter block and, for a global
/// pool's thread, that thread's magazines.
pub(crate) struct Local<'a, B: 'static> {
    core: &'a Core<B>,
    counters: &'a Counters,
    /// Whether `counters` is written by this thread only.
    exclusive: bool,
    /// Unflushed net gets; `None` flushes every operation (exact `high_water`).
    net: Option<&'a Cell<i64>>,
    mags: Option<&'a mut [Magazine<B>]>,
}

impl<'a, B> Local<'a, B> {
    /// The context without a thread cache: shared queues and shared counters.
    pub(crate) fn uncached(core: &'a Core<B>) -> Self {
        Local {
            core,
            counters: &core.registry.shared,
            exclusive: false,
            net: None,
            mags: None,
        }
    }

    #[inline]
    pub(crate) fn count(&self, event: Event, stats: bool) {
        if stats {
            self.counters.count(event, self.exclusive);
        }
    }

    /// Tracks buffers handed out (`+1`) and taken back (`-1`); `slow` marks a slow-path event,
    /// where the thread's running total is published for `high_water`.
    #[inline]
    fn track(&self, delta: i64, slow: bool, stats: bool) {
        if !stats {
            return;
        }
        match self.net {
            Some(net) if !slow => net.set(net.get() + delta),
            Some(net) => {
                self.core.registry.flush_outstanding(net.get() + delta);
                net.set(0);
            }
            None => self.core.registry.flush_outstanding(delta),
        }
    }

    /// Records a requested length.
    #[inline]
    pub(crate) fn record_len(&self, len: usize, stats: bool) {
        if !stats {
            return;
        }
        match &self.core.ring {
            Some(ring) => ring.push(len),
            None => self.counters.record_len(len, self.exclusive),
        }
    }

    /// A block of tier `tier`: from this thread's magazine, a batch from the shared tier, or
    /// `alloc`.
    #[inline]
    pub(crate) fn get_tier(
        &mut self,
        tier: usize,
        stats: bool,
        alloc: impl FnOnce(usize) -> Result<B, Error>,
    ) -> Result<B, Error> {
        if POOLING {
            if let Some(mags) = self.mags.as_deref_mut() {
                let mag = &mut mags[tier];
                if let Some(block) = mag.blocks.pop() {
                    if stats {
                        self.counters.set_cached(tier, mag.blocks.len());
                    }
                    self.count(Event::Hit(tier), stats);
                    self.track(1, false, stats);
                    return Ok(block);
                }
            }
        }
        self.get_tier_slow(tier, stats, alloc)
    }

    #[inline(never)]
    fn get_tier_slow(
        &mut self,
        tier: usize,
        stats: bool,
        alloc: impl FnOnce(usize) -> Result<B, Error>,
    ) -> Result<B, Error> {
        let shared_tier = &self.core.tiers[tier];
        let mut found = None;
        if POOLING {
            found = shared_tier.unpark();
            if let (Some(_), Some(mags)) = (&found, self.mags.as_deref_mut()) {
                // Refill half the magazine in one visit to the shared queue.
                let mag = &mut mags[tier];
                let batch = shared_tier.cache_limit.div_ceil(2);
                while mag.blocks.len() + 1 < batch {
                    match shared_tier.unpark() {
                        Some(block) => mag.blocks.push(block),
                        None => break,
                    }
                }
                if stats {
                    self.counters.set_cached(tier, mag.blocks.len());
                }
            }
        }
        let (block, event) = match found {
            Some(block) => (block, Event::Hit(tier)),
            None => (alloc(shared_tier.size)?, Event::Miss(tier)),
        };
        self.count(event, stats);
        self.track(1, true, stats);
        Ok(block)
    }

    /// Takes back a block of tier `tier`; `returned` is false for a foreign `put`, which does
    /// not change `outstanding`.
    #[inline]
    pub(crate) fn put_tier(&mut self, tier: usize, block: B, returned: bool, stats: bool) {
        self.count(Event::Put(tier), stats);
        if !POOLING {
            self.track(-i64::from(returned), false, stats);
            return;
        }
        let limit = self.core.tiers[tier].cache_limit;
        if let Some(mags) = self.mags.as_deref_mut() {
            let mag = &mut mags[tier];
            if mag.blocks.len() < limit {
                mag.blocks.push(block);
                if stats {
                    self.counters.set_cached(tier, mag.blocks.len());
                }
                self.track(-i64::from(returned), false, stats);
                return;
            }
        }
        self.put_tier_slow(tier, block, returned, stats);
    }

    #[inline(never)]
    fn put_tier_slow(&mut self, tier: usize, block: B, returned: bool, stats: bool) {
        // Settle the counts first: a block the tier cannot keep is dropped below, and a user
        // `Drop` that panics must leave the counters right.
        self.track(-i64::from(returned), true, stats);
        let shared_tier = &self.core.tiers[tier];
        let park_or_drop = |block: B| {
            if let Err(block) = shared_tier.park(block) {
                if stats {
                    self.counters.count(Event::Discard, self.exclusive);
                }
                drop(block);
            }
        };
        let mut block = Some(block);
        if let Some(mags) = self.mags.as_deref_mut() {
            // The magazine is full (or disabled): spill its older half in one visit.
            let mag = &mut mags[tier];
            let batch = shared_tier.cache_limit.div_ceil(2).min(mag.blocks.len());
            mag.blocks.drain(..batch).for_each(park_or_drop);
            if mag.blocks.len() < shared_tier.cache_limit {
                mag.blocks.extend(block.take());
            }
            if stats {
                self.counters.set_cached(tier, mag.blocks.len());
            }
        }
        if let Some(block) = block {
            park_or_drop(block);
        }
    }

    /// Counts a block served above the largest tier (allocated by the caller).
    pub(crate) fn got_oversize(&mut self, stats: bool) {
        self.count(Event::Oversize, stats);
        self.track(1, true, stats);
    }

    /// Counts a block above the largest tier coming back (freed by the caller).
    pub(crate) fn put_oversize(&mut self, stats: bool) {
        self.count(Event::UntieredPut, stats);
        self.track(-1, true, stats);
    }

    /// Counts a block of tier `tier` that came back but cannot be kept (its reset panicked,
    /// say): returned, then discarded.
    pub(crate) fn drop_returned(&mut self, tier: usize, stats: bool) {
        self.count(Event::Put(tier), stats);
        self.count(Event::Discard, stats);
        self.track(-1, false, stats);
    }

    /// Counts a buffer leaving the pool for good.
    pub(crate) fn detach(&mut self, stats: bool) {
        self.count(Event::Detach, stats);
        self.track(-1, false, stats);
    }

    /// Frees this thread's idle buffers of every tier; returns the bytes freed.
    pub(crate) fn trim_cache(&mut self) -> usize {
        let Some(mags) = self.mags.as_deref_mut() else {
            return 0;
        };
        let mut freed = 0;
        for (tier, mag) in mags.iter_mut().enumerate() {
            freed += mag.blocks.drain(..).count() * self.core.tiers[tier].size;
            self.counters.set_cached(tier, 0);
        }
        freed
    }
}
