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

    /// Frees every idle block of the shared tiers; returns the bytes (tier sizes) freed.
    ///
    /// Each block is counted before it is dropped, one at a time, so a `Drop` that panics
    /// leaves the counts matching what the tiers still hold.
    pub(crate) fn trim(&self) -> usize {
        let mut bytes = 0;
        for (t, tier) in self.tiers.iter().enumerate() {
            while let Some(block) = tier.unpark() {
                self.registry.shared.count(Event::Freed(t), false);
                bytes += tier.size;
                drop(block);
            }
        }
        bytes
    }

    /// Fills tier `t` with up to `n` idle blocks made by `make` (prewarming), stopping when the
    /// tier is full.
    pub(crate) fn prewarm(&self, t: usize, n: usize, mut make: impl FnMut() -> B) {
        for _ in 0..n {
            if self.tiers[t].park(make()).is_err() {
                break;
            }
            self.registry.shared.count(Event::Prewarmed(t), false);
        }
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
    /// This thread's net buffers handed out (by its own counters) when it last published it.
    flushed: Cell<i64>,
}

impl<B> Attached<B> {
    /// Publishes this thread's net buffers handed out, for `high_water` (a slow-path event).
    fn flush(&self) {
        let net = self.counters.net();
        self.core
            .registry
            .flush_outstanding(net - self.flushed.replace(net));
    }
}

impl<B> Drop for Attached<B> {
    fn drop(&mut self) {
        self.flush();
        self.core.registry.retire(&self.counters);
    }
}

/// One tier's stack of idle buffers in one thread.
#[doc(hidden)]
pub struct Magazine<B: 'static> {
    blocks: Vec<B>,
    /// The most blocks kept (the tier's `cache_limit`, copied here at attach time so the hot
    /// path reads one cache line).
    limit: usize,
    /// Where the blocks go when the thread exits: the pool and tier index.
    home: Option<(&'static Core<B>, usize)>,
}

impl<B> Magazine<B> {
    const fn new() -> Self {
        Magazine {
            blocks: Vec::new(),
            limit: 0,
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
            // The thread is exiting: its idle blocks go to the shared tier.
            let counters = &core.registry.shared;
            for block in self.blocks.drain(..) {
                if let Err(block) = core.tiers[tier].park(block) {
                    counters.count(Event::Discard, false);
                    counters.count(Event::Freed(tier), false);
                    drop(block);
                }
            }
        }
    }
}

impl<B> ThreadCache<B> {
    /// Runs `f` in this thread's context for the pool `core` returns (the one this cache
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
                mag.limit = core.tiers[tier].cache_limit;
                // Pushes within the limit never reallocate.
                mag.blocks.reserve_exact(mag.limit);
            }
            Attached {
                core,
                counters: core.registry.register(core.tiers.len()),
                flushed: Cell::new(0),
            }
        });
        let mut local = Local {
            core: attached.core,
            counters: &attached.counters,
            attached: Some(attached),
            mags: Some(&mut mags),
        };
        Some(f(&mut local))
    }

    /// The hot path of a get: a block of tier `tier` from this thread's magazine, counted (and
    /// `len` recorded when `record`). `None` sends the caller to the general path: the magazine
    /// is empty, the cache is not attached yet, or it is busy.
    ///
    /// A thread cache belongs to a process-wide pool, which has no shared ring, so `len` goes
    /// to this thread's own ring.
    #[inline]
    pub(crate) fn pop(&self, tier: usize, len: usize, record: bool, stats: bool) -> Option<B> {
        if !POOLING {
            return None;
        }
        let attached = self.attached.get()?;
        let mut mags = self.mags.try_borrow_mut().ok()?;
        let block = mags.get_mut(tier)?.blocks.pop()?;
        if stats {
            attached.counters.count(Event::Hit(tier), true);
            if record {
                attached.counters.record_len(len, true);
            }
        }
        Some(block)
    }

    /// The hot path of a return: keeps `*block` in this thread's magazine of tier `tier` and
    /// takes it out of the option. Leaves it in place (for the general path) when the magazine
    /// is full, the cache is not attached yet, or it is busy.
    #[inline]
    pub(crate) fn push(&self, tier: usize, block: &mut Option<B>, stats: bool) {
        if !POOLING {
            return;
        }
        let Some(attached) = self.attached.get() else {
            return;
        };
        let Ok(mut mags) = self.mags.try_borrow_mut() else {
            return;
        };
        let Some(mag) = mags.get_mut(tier) else {
            return;
        };
        if mag.blocks.len() >= mag.limit {
            return;
        }
        mag.blocks.extend(block.take());
        if stats {
            attached.counters.count(Event::Put(tier), true);
        }
    }
}

/// What one pool operation works with: the shared pool, a counter block and, for a global
/// pool's thread, that thread's magazines.
pub(crate) struct Local<'a, B: 'static> {
    core: &'a Core<B>,
    counters: &'a Counters,
    /// The thread's link to its pool; `None` in the shared context, where `counters` are
    /// shared and every operation publishes its effect on `outstanding` at once (so
    /// `high_water` is exact).
    attached: Option<&'a Attached<B>>,
    mags: Option<&'a mut [Magazine<B>]>,
}

impl<'a, B> Local<'a, B> {
    /// The context without a thread cache: shared queues and shared counters.
    pub(crate) fn uncached(core: &'a Core<B>) -> Self {
        Local {
            core,
            counters: &core.registry.shared,
            attached: None,
            mags: None,
        }
    }

    /// Whether `counters` is written by this thread only.
    #[inline]
    fn exclusive(&self) -> bool {
        self.attached.is_some()
    }

    #[inline]
    pub(crate) fn count(&self, event: Event, stats: bool) {
        if stats {
            self.counters.count(event, self.exclusive());
        }
    }

    /// Publishes the effect on `outstanding` of an operation that handed out (`+1`) or took
    /// back (`-1`) a buffer. A thread with a cache publishes only at slow-path events (`slow`),
    /// computing its net from its own counters; the shared context publishes every operation.
    #[inline]
    fn track(&self, delta: i64, slow: bool, stats: bool) {
        if !stats {
            return;
        }
        match self.attached {
            Some(attached) if slow => attached.flush(),
            Some(_) => {}
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
            None => self.counters.record_len(len, self.exclusive()),
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
            if let Some(block) = self.mags.as_deref_mut().and_then(|m| m[tier].blocks.pop()) {
                self.count(Event::Hit(tier), stats);
                return Ok(block);
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
        if POOLING {
            if let Some(mag) = self.mags.as_deref_mut().map(|m| &mut m[tier]) {
                if mag.blocks.len() < mag.limit {
                    mag.blocks.push(block);
                    self.count(Event::Put(tier), stats);
                    return;
                }
            }
        }
        self.put_tier_slow(tier, block, returned, stats);
    }

    #[inline(never)]
    fn put_tier_slow(&mut self, tier: usize, block: B, returned: bool, stats: bool) {
        // Settle the counts first: a block the tier cannot keep is dropped below, and a user
        // `Drop` that panics must leave the counters right.
        self.count(Event::Put(tier), stats);
        self.track(-i64::from(returned), true, stats);
        let shared_tier = &self.core.tiers[tier];
        let exclusive = self.exclusive();
        let park_or_free = |block: B| {
            if let Err(block) = shared_tier.park(block) {
                if stats {
                    // Passthrough frees without discarding: a pool would have kept it.
                    if POOLING {
                        self.counters.count(Event::Discard, exclusive);
                    }
                    self.counters.count(Event::Freed(tier), exclusive);
                }
                drop(block);
            }
        };
        let mut block = Some(block);
        if let Some(mags) = self.mags.as_deref_mut().filter(|_| POOLING) {
            // The magazine is full (or disabled): spill its older half in one visit.
            let mag = &mut mags[tier];
            let batch = shared_tier.cache_limit.div_ceil(2).min(mag.blocks.len());
            mag.blocks.drain(..batch).for_each(park_or_free);
            if mag.blocks.len() < mag.limit {
                mag.blocks.extend(block.take());
            }
        }
        if let Some(block) = block {
            park_or_free(block);
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
    /// say): returned, then discarded and freed.
    pub(crate) fn drop_returned(&mut self, tier: usize, stats: bool) {
        self.count(Event::Put(tier), stats);
        self.count(Event::Discard, stats);
        self.count(Event::Freed(tier), stats);
        self.track(-1, true, stats);
    }

    /// Counts a buffer leaving the pool for good.
    pub(crate) fn detach(&mut self, stats: bool) {
        self.count(Event::Detach, stats);
        self.track(-1, true, stats);
    }

    /// Frees this thread's idle buffers of every tier; returns the bytes freed. As in
    /// [`Core::trim`], each block is counted before it is dropped.
    pub(crate) fn trim_cache(&mut self) -> usize {
        let exclusive = self.exclusive();
        let Some(mags) = self.mags.as_deref_mut() else {
            return 0;
        };
        let mut bytes = 0;
        for (tier, mag) in mags.iter_mut().enumerate() {
            while let Some(block) = mag.blocks.pop() {
                self.counters.count(Event::Freed(tier), exclusive);
                bytes += self.core.tiers[tier].size;
                drop(block);
            }
        }
        bytes
    }
}
