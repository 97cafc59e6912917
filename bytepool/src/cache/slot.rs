//! An instance pool's cache for one thread: the private part of the thread's slot in the
//! pool's life ([`crate::raw::life`]), next to the counter block that is its public part.
//!
//! As in a process-wide pool's thread cache, each magazine's length shares a word with the
//! counts of its hits and puts, so the hot path counts with the store that moves the length.
//! That word is in the slot's counter block, which a magazine cannot point at (the slot is
//! the pool's, not `'static`), so it keeps the word beside it ([`Beside`]) and every
//! operation passes the counter block in: the pair is a [`SlotShelf`].
//!
//! The same stores count the pool's tickets on the hot paths: a get that pops a magazine takes
//! a ticket and a release that pushes one gives it back, so the tickets this slot handed out
//! there are how far the magazines' lengths fell below `kept`, which every other move of a block
//! in or out keeps level with them ([`SlotCache::own_tickets`]).

use std::cell::Cell;

use super::local::{Cached, Shelf};
use super::{Core, Local, MAGAZINE_SLOTS, POOLING};
use crate::raw::{Kept, Reclaim, Stack};
use crate::stats::Beside;
use crate::stats::{Counters, Event, TierCounters, Writers};

/// One thread's magazines for an instance pool, and its positions in its counter block.
pub(crate) struct SlotCache<B: Kept + 'static> {
    mags: Box<[Stack<B, MAGAZINE_SLOTS, Beside>]>,
    /// The blocks the magazines would hold, all told, if only the general paths had moved
    /// blocks: the hot paths' pops and pushes each take or give back a ticket instead.
    kept: Cell<isize>,
    recent_next: Cell<usize>,
    flushed: Cell<i64>,
}

/// A slot's magazines with its counter block's tiers, whose words hold their lengths.
pub(crate) struct SlotShelf<'a, B: 'static> {
    mags: &'a [Stack<B, MAGAZINE_SLOTS, Beside>],
    counters: &'a [TierCounters],
    kept: &'a Cell<isize>,
}

impl<B> Clone for SlotShelf<'_, B> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<B> Copy for SlotShelf<'_, B> {}

// Every method here is crate-private, like the bound.
#[allow(private_bounds)]
impl<B: Kept + 'static> SlotCache<B> {
    /// An empty cache for `core`'s tiers, counted in `counters` (the slot's own block, fresh),
    /// each magazine keeping up to what its tier lets a cache claim.
    pub(crate) fn new(core: &Core<B>, counters: &Counters) -> Self {
        let mags = core
            .tiers
            .iter()
            .zip(counters.tiers())
            .map(|(tier, counters)| {
                let mag = Stack::new();
                mag.open_beside(&counters.magazine, tier.claim_cache(), tier.size);
                mag
            })
            .collect();
        SlotCache {
            mags,
            kept: Cell::new(0),
            recent_next: Cell::new(0),
            flushed: Cell::new(0),
        }
    }

    /// The magazines with their words in `counters`, the slot's own block.
    #[inline(always)]
    fn shelf<'a>(&'a self, counters: &'a Counters) -> SlotShelf<'a, B> {
        SlotShelf {
            mags: &self.mags,
            counters: counters.tiers(),
            kept: &self.kept,
        }
    }

    /// The context of an operation through this slot; `counters` is the slot's own block.
    pub(crate) fn local<'a>(
        &'a self,
        core: &'a Core<B>,
        counters: &'a Counters,
    ) -> Local<'a, B, SlotShelf<'a, B>> {
        Local {
            core,
            counters,
            bin: None,
            cached: Some(Cached {
                mags: self.shelf(counters),
                recent_next: &self.recent_next,
                flushed: &self.flushed,
            }),
        }
    }

    /// The hot path of an instance get: a block of tier `tier` from this thread's magazine,
    /// counted in `counters` (the slot's own) with the length `record` holds recorded, when
    /// `stats`. The caller
    /// hands it out with a ticket that this pop counted (`Here::private_ticket`), taken before
    /// anything can panic: a ticket counted and never made would keep the pool alive.
    #[inline(always)]
    pub(crate) fn pop_ticketed(
        &self,
        tier: usize,
        counters: &Counters,
        record: Option<usize>,
        stats: bool,
    ) -> Option<B> {
        if !POOLING {
            return None;
        }
        let block = self.shelf(counters).take(tier, stats)?;
        if let (true, Some(len)) = (stats, record) {
            counters.recent.record_own(&self.recent_next, len);
        }
        Some(block)
    }

    /// The hot path of an instance release: keeps `block` in this thread's magazine of tier
    /// `tier`, counted in `counters` when `stats`, or hands it back when the magazine is full.
    /// Kept, it counts the ticket that the caller gives back (`Ticket::try_redeem_here`).
    #[inline(always)]
    pub(crate) fn push_ticketed(
        &self,
        tier: usize,
        block: B,
        counters: &Counters,
        stats: bool,
    ) -> Result<(), B> {
        if !POOLING {
            return Err(block);
        }
        self.shelf(counters).give(tier, block, stats)
    }

    /// The tickets this slot's hot paths took and did not give back ([`Reclaim::own_tickets`]),
    /// for the owner's drop; `counters` is the slot's own block.
    ///
    /// [`Reclaim::own_tickets`]: crate::raw::Reclaim::own_tickets
    pub(crate) fn own_tickets(&self, counters: &Counters) -> isize {
        self.kept.get() - self.shelf(counters).held()
    }

    /// Hands every block back to `core`'s shared tiers, for a thread that exits; what a full
    /// tier cannot keep goes to `garbage`, counted in `counters` (the slot's own) as discarded
    /// and freed.
    pub(crate) fn retire_into(&self, core: &Core<B>, counters: &Counters, garbage: &mut Vec<B>) {
        let shelf = self.shelf(counters);
        for (t, tier) in core.tiers.iter().enumerate() {
            shelf.drain(t, |block| {
                if let Err(block) = tier.park(block) {
                    counters.count(Event::Discard, Writers::One);
                    counters.count(Event::Freed(t), Writers::One);
                    garbage.push(block);
                }
            });
        }
    }

    /// Moves every block out, for the owner's drop (which counts nothing any more).
    pub(crate) fn drain_into(&self, counters: &Counters, garbage: &mut Vec<B>) {
        let shelf = self.shelf(counters);
        for tier in 0..shelf.tiers() {
            shelf.drain(tier, |block| garbage.push(block));
        }
    }
}

impl<B: Kept> SlotShelf<'_, B> {
    /// A pop that takes a ticket (the hot path's; see the module docs).
    #[inline(always)]
    fn take(self, tier: usize, counted: bool) -> Option<B> {
        let (mag, counters) = (self.mags.get(tier)?, self.counters.get(tier)?);
        let (block, full) = mag.pop_in(&counters.magazine, counted)?;
        if counted && full {
            counters.fold();
        }
        Some(block)
    }

    /// A push that gives a ticket back (the hot path's).
    #[inline(always)]
    fn give(self, tier: usize, block: B, counted: bool) -> Result<(), B> {
        let (Some(mag), Some(counters)) = (self.mags.get(tier), self.counters.get(tier)) else {
            return Err(block);
        };
        mag.push_in(&counters.magazine, block, counted)
    }

    /// The blocks the magazines hold, all told.
    fn held(self) -> isize {
        let held: usize = (self.mags.iter().zip(self.counters))
            .map(|(mag, counters)| mag.len_in(&counters.magazine))
            .sum();
        held as isize // at most `MAGAZINE_SLOTS` a tier
    }

    fn add_kept(self, n: isize) {
        self.kept.set(self.kept.get() + n);
    }
}

/// The general paths' moves: none takes or gives back a ticket, so each keeps `kept` level,
/// block by block, before a sink runs (which may drop a block, and with it run user code that
/// moves blocks too).
impl<B: Kept> Shelf<B> for SlotShelf<'_, B> {
    fn pop(self, tier: usize, counted: bool) -> Option<B> {
        let block = self.take(tier, counted)?;
        self.add_kept(-1);
        Some(block)
    }

    fn push(self, tier: usize, block: B, counted: bool) -> Result<(), B> {
        self.give(tier, block, counted)?;
        self.add_kept(1);
        Ok(())
    }

    fn settle(self, tier: usize) {
        let counters = &self.counters[tier];
        if self.mags[tier].counts_full_in(&counters.magazine) {
            counters.fold();
        }
    }

    fn refill_half(
        self,
        tier: usize,
        mut source: impl FnMut() -> Option<B>,
        refused: impl FnOnce(B),
    ) {
        let source = || {
            let block = source()?;
            self.add_kept(1);
            Some(block)
        };
        let refused = |block| {
            self.add_kept(-1);
            refused(block);
        };
        self.mags[tier].refill_half_in(&self.counters[tier].magazine, source, refused);
    }

    fn spill_half(self, tier: usize, mut sink: impl FnMut(B)) {
        let sink = |block| {
            self.add_kept(-1);
            sink(block);
        };
        self.mags[tier].spill_half_in(&self.counters[tier].magazine, sink);
    }

    fn drain(self, tier: usize, mut sink: impl FnMut(B)) {
        let sink = |block| {
            self.add_kept(-1);
            sink(block);
        };
        self.mags[tier].take_all_in(&self.counters[tier].magazine, sink);
        self.settle(tier);
    }

    fn tiers(self) -> usize {
        self.mags.len()
    }
}

/// The life of every instance pool whose state keeps a [`Core`] and gives each thread a
/// [`SlotCache`] next to its counter block: byte and typed pools alike.
impl<S: AsRef<Core<B>>, B: Kept + 'static> Reclaim<Counters, SlotCache<B>> for S {
    type Garbage = Vec<B>;

    /// At the owner's drop: every idle block, from the shared tiers and every thread's cache.
    fn reclaim(&self, slots: &mut dyn Iterator<Item = (&Counters, &SlotCache<B>)>) -> Vec<B> {
        let mut garbage = Vec::new();
        for (counters, cache) in slots {
            cache.drain_into(counters, &mut garbage);
        }
        self.as_ref().drain_into(&mut garbage);
        garbage
    }

    fn retire_slot(&self, counters: &Counters, cache: &SlotCache<B>) -> Vec<B> {
        let mut garbage = Vec::new();
        cache.retire_into(self.as_ref(), counters, &mut garbage);
        garbage
    }

    fn own_tickets(&self, counters: &Counters, cache: &SlotCache<B>) -> isize {
        cache.own_tickets(counters)
    }
}

impl<B: Kept + 'static> std::fmt::Debug for SlotCache<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotCache")
            .field("tiers", &self.mags.len())
            .finish_non_exhaustive()
    }
}
