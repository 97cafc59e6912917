//! The core of every pool: its shared tiers ([`Core`], [`Tier`]) and the per-thread caches
//! in front of them, with [`Local`], the context every pool operation runs in.
//!
//! Each thread keeps, per tier, a stack of idle blocks (a magazine): a process-wide pool's in
//! a `thread_local!` [`ThreadCache`] that `define_tiers!` generates (`thread_cache`), an
//! instance pool's in the thread's slot of the pool ([`SlotCache`], `slot`). A get pops the
//! calling thread's magazine; an empty magazine refills half of its capacity from the shared
//! `ArrayQueue` in one go, and a full one spills half back, so a thread touches shared cache
//! lines once per batch, not once per buffer. A buffer released on another thread lands in that
//! thread's magazine and reaches the shared tier when it spills; at thread exit every magazine
//! is handed back to the shared tiers.

use crate::ring::Ring;
use crate::stats::{Event, Lengths, Registry, Writers};
use crate::sync::{AtomicUsize, LazyQueue, Ordering};

mod local;
mod magazine;
mod slot;
mod thread_cache;

pub(crate) use local::Local;
pub(crate) use local::{CacheLocal, Origin, Shelf};
pub use magazine::Magazine;
pub(crate) use magazine::MAGAZINE_SLOTS;
pub(crate) use slot::{SlotCache, SlotShelf};
pub(crate) use thread_cache::run_global;
pub use thread_cache::{Attached, ThreadCache};

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
    /// A pool of `tiers`; `lengths` says whether it records the length of every get (in
    /// `ring` when given, else in its counter blocks).
    pub(crate) fn new(
        tiers: Box<[Tier<B>]>,
        ring: Option<Box<dyn Ring<usize> + Send + Sync>>,
        lengths: Lengths,
    ) -> Self {
        Core {
            registry: Registry::new(tiers.len(), lengths),
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
            // At most the blocks idle now: a `Drop` that returns new blocks to this pool could
            // otherwise keep the loop going for ever.
            for block in (0..tier.idle_len()).map_while(|_| tier.unpark()) {
                self.registry.shared.count(Event::Freed(t), Writers::Many);
                bytes += tier.size;
                drop(block);
            }
        }
        bytes
    }

    /// Moves every idle block of the shared tiers into `garbage`, uncounted: for an instance
    /// pool's end, when nobody reads its counters any more.
    pub(crate) fn drain_into(&self, garbage: &mut Vec<B>) {
        for tier in self.tiers.iter() {
            garbage.extend((0..tier.idle_len()).map_while(|_| tier.unpark()));
        }
    }

    /// Fills tier `t` with up to `n` idle blocks made by `make` (prewarming), stopping when the
    /// tier is full.
    pub(crate) fn prewarm<E>(
        &self,
        t: usize,
        n: usize,
        mut make: impl FnMut() -> Result<B, E>,
    ) -> Result<(), E> {
        for _ in 0..n {
            if self.tiers[t].park(make()?).is_err() {
                break;
            }
            self.registry
                .shared
                .count(Event::Prewarmed(t), Writers::Many);
        }
        Ok(())
    }
}

/// One size class: its idle blocks and bounds.
pub(crate) struct Tier<B> {
    pub(crate) size: usize,
    /// Allocated when the first block is parked: a pool that never keeps one allocates none.
    idle: Option<LazyQueue<B>>,
    /// The most blocks of this tier one thread's cache keeps (at most [`MAGAZINE_SLOTS`]).
    pub(crate) cache_limit: usize,
    /// For an instance pool, the blocks that the threads' caches may still claim: the pool's
    /// bound counts what its caches hold (see [`Tier::instance`]).
    cache_budget: AtomicUsize,
}

impl<B> Tier<B> {
    /// A process-wide pool's tier: at most `max_idle` idle blocks in the shared queue, and
    /// `cache_limit` in each thread's cache besides.
    pub(crate) fn global(size: usize, max_idle: usize, cache_limit: usize) -> Self {
        Tier {
            size,
            idle: (max_idle > 0).then(|| LazyQueue::new(max_idle)),
            cache_limit: cache_limit.min(max_idle).min(MAGAZINE_SLOTS),
            cache_budget: AtomicUsize::new(0),
        }
    }

    /// An instance pool's tier, keeping at most `max_idle` idle blocks in all: half of them may
    /// sit in the threads' caches (each claims up to `cache_limit` when the thread first uses
    /// the pool, while the half lasts), the rest in the shared queue.
    pub(crate) fn instance(size: usize, max_idle: usize, cache_limit: usize) -> Self {
        let cached = max_idle / 2;
        let shared = max_idle - cached;
        Tier {
            size,
            idle: (shared > 0).then(|| LazyQueue::new(shared)),
            cache_limit: cache_limit.min(cached).min(MAGAZINE_SLOTS),
            cache_budget: AtomicUsize::new(cached),
        }
    }

    /// Claims room for a new thread cache: up to `cache_limit` blocks, as many as are left.
    pub(crate) fn claim_cache(&self) -> usize {
        let mut left = self.cache_budget.load(Ordering::Relaxed);
        loop {
            let claim = left.min(self.cache_limit);
            match self.cache_budget.compare_exchange(
                left,
                left - claim,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return claim,
                Err(now) => left = now,
            }
        }
    }

    /// Keeps `block` idle, or gives it back when the tier is full.
    pub(crate) fn park(&self, block: B) -> Result<(), B> {
        match &self.idle {
            Some(queue) if POOLING => queue.push(block),
            _ => Err(block),
        }
    }

    /// The number of blocks idle in the shared queue.
    fn idle_len(&self) -> usize {
        self.idle.as_ref().map_or(0, LazyQueue::len)
    }

    pub(crate) fn unpark(&self) -> Option<B> {
        self.idle.as_ref()?.pop()
    }
}
