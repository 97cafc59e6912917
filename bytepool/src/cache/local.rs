//! [`Local`]: what one pool operation works with (the shared tiers, a counter block, and this
//! thread's magazines when it has a cache), with the general paths of a get and a return.

use std::cell::{Cell, RefCell};

use super::{Core, Magazine, POOLING};
use crate::raw::Kept;
use crate::stats::Counted;
use crate::stats::{Counters, Event, Writers};
use crate::Error;

/// A magazine move that is no hit or put of its own: the operation counted it already, or
/// it is a batch moving between the magazine and the shared tier.
const UNCOUNTED: bool = false;

/// Where a block that comes back to a pool comes from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Origin {
    /// The pool handed it out: its return lowers `outstanding`.
    HandedOut,
    /// A value given to the pool (`put`), counted as a foreign put: `outstanding` stays.
    Foreign,
}

impl Origin {
    /// What taking the block back does to `outstanding`.
    fn outstanding_delta(self) -> i64 {
        match self {
            Origin::HandedOut => -1,
            Origin::Foreign => 0,
        }
    }
}

/// What one pool operation works with: the shared pool, a counter block and, with a cache,
/// this thread's magazines.
pub(crate) struct Local<'a, B: 'static, M: Shelf<B> = &'a [Magazine<B, Counted>]> {
    pub(super) core: &'a Core<B>,
    pub(super) counters: &'a Counters,
    /// Where the blocks this operation lets go are put instead of dropped, when their drops
    /// must wait (user code, and the operation runs in an instance pool's window).
    pub(super) bin: Option<&'a RefCell<Vec<B>>>,
    /// This thread's cache: a process-wide pool's thread cache, or an instance pool's slot;
    /// `None` in the shared context, where `counters` are shared and every operation
    /// publishes its effect on `outstanding` at once (so `high_water` is exact).
    pub(super) cached: Option<Cached<'a, M>>,
}

/// The context of an operation through a process-wide pool's thread cache.
pub(crate) type CacheLocal<'a, B, L = Counted> = Local<'a, B, &'a [Magazine<B, L>]>;

/// A thread's cache, as an operation uses it.
#[derive(Clone, Copy)]
pub(crate) struct Cached<'a, M> {
    pub(super) mags: M,
    /// This thread's position in the counter block's ring (see `Recent::record_own`).
    pub(super) recent_next: &'a Cell<usize>,
    /// This thread's net buffers handed out, as it last published them (`high_water`).
    pub(super) flushed: &'a Cell<i64>,
}

/// A thread's magazines, one per tier, as the general paths use them: a process-wide pool's
/// (each knows its counters) or an instance pool's slot (whose counter block keeps the words).
/// Counted pops and pushes are counted as hits and puts in the magazine's word.
pub(crate) trait Shelf<B>: Copy {
    /// The newest block of `tier`, if any, counted as a hit when `counted`.
    fn pop(self, tier: usize, counted: bool) -> Option<B>;

    /// Keeps `block` in `tier`'s magazine, counted as a put when `counted`, or hands it back
    /// when the magazine is full (or closed).
    fn push(self, tier: usize, block: B, counted: bool) -> Result<(), B>;

    /// Folds `tier`'s counts into its counters once they pass a quarter of their range (a pop
    /// checks only the sign bit; see `LenWord`), at a slow-path event.
    fn settle(self, tier: usize);

    /// Fills `tier`'s magazine toward half its limit (see `Stack::refill_half`).
    fn refill_half(self, tier: usize, source: impl FnMut() -> Option<B>, refused: impl FnOnce(B));

    /// Takes up to half its limit off `tier`'s magazine (see `Stack::spill_half`).
    fn spill_half(self, tier: usize, sink: impl FnMut(B));

    /// Takes out the blocks of `tier` held now, newest first, uncounted, into `sink`, then
    /// settles the counts (see `Magazine::drain`).
    fn drain(self, tier: usize, sink: impl FnMut(B));

    /// How many tiers (magazines) there are.
    fn tiers(self) -> usize;
}

impl<'a, B: Kept, M: Shelf<B>> Local<'a, B, M> {
    /// The context without a thread cache: shared queues and shared counters.
    pub(crate) fn uncached(core: &'a Core<B>) -> Self {
        Local {
            core,
            counters: &core.registry.shared,
            bin: None,
            cached: None,
        }
    }

    /// Puts the blocks this operation lets go into `bin` instead of dropping them.
    pub(crate) fn dropping_into(mut self, bin: &'a RefCell<Vec<B>>) -> Self {
        self.bin = Some(bin);
        self
    }

    /// Who writes `counters`: this thread alone, with a cache.
    #[inline]
    pub(crate) fn writers(&self) -> Writers {
        if self.cached.is_some() {
            Writers::One
        } else {
            Writers::Many
        }
    }

    /// This thread's magazines, with a cache.
    #[inline]
    fn mags(&self) -> Option<M> {
        self.cached.map(|cached| cached.mags)
    }

    #[inline]
    pub(crate) fn count(&self, event: Event, stats: bool) {
        if stats {
            self.counters.count(event, self.writers());
        }
    }

    /// Publishes the effect on `outstanding` of an operation on a slow path that handed out
    /// (`+1`) or took back (`-1`) a buffer. A thread with a cache publishes its net from its
    /// own counters (its hot paths publish nothing); the shared context publishes `delta`.
    #[inline]
    fn track(&self, delta: i64, stats: bool) {
        if !stats {
            return;
        }
        match self.cached {
            Some(cached) => publish_net(self.core, self.counters, cached.flushed),
            None => self.core.registry.flush_outstanding(delta),
        }
    }

    /// Records the length of a get just counted in the counter block's ring: in a thread's
    /// block, one record per get counted there keeps the ring's position equal to the block's
    /// count of gets. Not for a pool with a shared ring, whose `push` is user code that the
    /// caller runs once the get is settled.
    #[inline]
    pub(crate) fn record_len(&self, len: usize, stats: bool) {
        if !stats || self.core.ring.is_some() {
            return;
        }
        match self.cached {
            Some(cached) => self.counters.recent.record_own(cached.recent_next, len),
            None => self.counters.recent.record(len),
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
            if let Some(block) = self.mags().and_then(|mags| mags.pop(tier, stats)) {
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
            // Held while the magazine refills, which frees a block it cannot keep.
            found = shared_tier
                .unpark()
                .map(|block| self.unkept(tier, block, stats));
            if let Some(mags) = self.mags() {
                mags.settle(tier);
                if found.is_some() {
                    mags.refill_half(
                        tier,
                        || shared_tier.unpark(),
                        |block| self.park_or_free(tier, block, stats),
                    );
                }
            }
        }
        let (block, event) = match found {
            Some(found) => (found.keep(), Event::Hit(tier)),
            None => (alloc(shared_tier.size)?, Event::Miss(tier)),
        };
        self.count(event, stats);
        self.track(1, stats);
        Ok(block)
    }

    /// Takes back a block of tier `tier`, from `origin`.
    #[inline]
    pub(crate) fn put_tier(&mut self, tier: usize, block: B, origin: Origin, stats: bool) {
        if POOLING {
            if let Some(mags) = self.mags() {
                match mags.push(tier, block, stats) {
                    Ok(()) => return,
                    Err(back) => return self.put_tier_slow(tier, back, origin, stats),
                }
            }
        }
        self.put_tier_slow(tier, block, origin, stats);
    }

    #[inline(never)]
    fn put_tier_slow(&mut self, tier: usize, block: B, origin: Origin, stats: bool) {
        // Settle the counts first: a block the tier cannot keep is dropped below, and a user
        // `Drop` that panics must leave the counters right.
        self.count(Event::Put(tier), stats);
        self.track(origin.outstanding_delta(), stats);
        // Held while the magazine spills, which frees what the shared tier cannot keep.
        let block = self.unkept(tier, block, stats);
        if let Some(mags) = self.mags().filter(|_| POOLING) {
            // The magazine is full (or disabled): spill half of it in one visit.
            mags.settle(tier);
            mags.spill_half(tier, |spilled| self.park_or_free(tier, spilled, stats));
            if let Err(back) = mags.push(tier, block.keep(), UNCOUNTED) {
                self.park_or_free(tier, back, stats);
            }
        } else {
            self.park_or_free(tier, block.keep(), stats);
        }
    }

    /// Keeps `block`, idle or just returned, in the shared tier `tier`, or frees it, counted
    /// as discarded, when that tier is full.
    fn park_or_free(&self, tier: usize, block: B, stats: bool) {
        if let Err(block) = self.core.tiers[tier].park(block) {
            drop(self.unkept(tier, block, stats));
        }
    }

    /// Holds a block of tier `tier` that the pool counts as idle or returned but keeps
    /// nowhere yet: see [`Unkept`].
    fn unkept(&self, tier: usize, block: B, stats: bool) -> Unkept<'a, B> {
        Unkept {
            block: Some(block),
            counters: self.counters,
            bin: self.bin,
            tier,
            writers: self.writers(),
            stats,
        }
    }

    /// Counts a block served above the largest tier (allocated by the caller).
    pub(crate) fn got_oversize(&mut self, stats: bool) {
        self.count(Event::Oversize, stats);
        self.track(1, stats);
    }

    /// Counts a block above the largest tier coming back (freed by the caller).
    pub(crate) fn put_oversize(&mut self, stats: bool) {
        self.count(Event::UntieredPut, stats);
        self.track(-1, stats);
    }

    /// Counts a block of tier `tier` that came back but cannot be kept (its reset panicked,
    /// say): returned, then discarded and freed.
    pub(crate) fn drop_returned(&mut self, tier: usize, stats: bool) {
        self.count(Event::Put(tier), stats);
        self.count(Event::Discard, stats);
        self.count(Event::Freed(tier), stats);
        self.track(-1, stats);
    }

    /// Counts a buffer leaving the pool for good.
    pub(crate) fn detach(&mut self, stats: bool) {
        self.count(Event::Detach, stats);
        self.track(-1, stats);
    }

    /// Frees this thread's idle buffers of every tier; returns the bytes freed. As in
    /// [`Core::trim`], each block is counted before it is dropped.
    pub(crate) fn trim_cache(&mut self) -> usize {
        let writers = self.writers();
        let Some(mags) = self.mags() else {
            return 0;
        };
        let mut bytes = 0;
        for tier in 0..mags.tiers() {
            mags.drain(tier, |block| {
                self.counters.count(Event::Freed(tier), writers);
                bytes += self.core.tiers[tier].size;
                drop(block);
            });
        }
        bytes
    }
}

/// A block the pool has counted as idle or returned but keeps nowhere yet, held in a local
/// while the pool runs code that may drop other blocks (a full tier's spill, a refill), and
/// with them user `Drop`s that may panic. Dropped (by that unwind, or by a pool that cannot
/// keep it), it counts itself discarded and freed, as every block the pool lets go is counted,
/// before it is dropped; [`keep`](Self::keep) takes it back out.
struct Unkept<'a, B> {
    block: Option<B>,
    counters: &'a Counters,
    /// Where it goes instead of being dropped (see `Local::bin`).
    bin: Option<&'a RefCell<Vec<B>>>,
    tier: usize,
    writers: Writers,
    stats: bool,
}

impl<B> Unkept<'_, B> {
    fn keep(mut self) -> B {
        match self.block.take() {
            Some(block) => block,
            None => unreachable!("an unkept block is kept once"),
        }
    }
}

impl<B> Drop for Unkept<'_, B> {
    fn drop(&mut self) {
        let Some(block) = self.block.take() else {
            return;
        };
        if self.stats {
            // Passthrough frees without discarding: a pool would have kept it.
            if POOLING {
                self.counters.count(Event::Discard, self.writers);
            }
            self.counters.count(Event::Freed(self.tier), self.writers);
        }
        match self.bin {
            Some(bin) => bin.borrow_mut().push(block),
            None => drop(block),
        }
    }
}

/// Publishes the net buffers handed out by a thread's counter block since it last did, for
/// `high_water` (a slow-path event).
pub(super) fn publish_net<B>(core: &Core<B>, counters: &Counters, flushed: &Cell<i64>) {
    let net = counters.net();
    let delta = net - flushed.replace(net);
    // Unchanged: spare the shared cache line.
    if delta != 0 {
        core.registry.flush_outstanding(delta);
    }
}
