//! An instance pool's cache for one thread: the private part of the thread's slot in the
//! pool's life ([`crate::raw::life`]), next to the counter block that is its public part.
//!
//! As in a process-wide pool's thread cache, each magazine's length shares a word with the
//! counts of its hits and puts, so the hot path counts with the store that moves the length.
//! That word is in the slot's counter block, which a magazine cannot point at (the slot is
//! the pool's, not `'static`), so it keeps the word beside it ([`Beside`]) and every
//! operation passes the counter block in: the pair is a [`SlotShelf`].

use std::cell::Cell;

use super::local::{Cached, Shelf};
use super::{Core, Local, MAGAZINE_SLOTS, POOLING};
use crate::raw::{Beside, Kept, Stack};
use crate::stats::{Counters, Event, TierCounters};

/// One thread's magazines for an instance pool, and its positions in its counter block.
pub(crate) struct SlotCache<B: Kept + 'static> {
    mags: Box<[Stack<B, MAGAZINE_SLOTS, Beside>]>,
    recent_next: Cell<usize>,
    flushed: Cell<i64>,
}

/// A slot's magazines with its counter block's tiers, whose words hold their lengths.
pub(crate) struct SlotShelf<'a, B: 'static> {
    mags: &'a [Stack<B, MAGAZINE_SLOTS, Beside>],
    counters: &'a [TierCounters],
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
    /// counted in `counters` (the slot's own) with `len` recorded, when `stats`.
    #[inline(always)]
    pub(crate) fn pop(
        &self,
        tier: usize,
        counters: &Counters,
        len: usize,
        stats: bool,
    ) -> Option<B> {
        if !POOLING {
            return None;
        }
        let block = self.shelf(counters).pop(tier, stats)?;
        if stats {
            counters.recent.record_own(&self.recent_next, len);
        }
        Some(block)
    }

    /// The hot path of an instance release: keeps `block` in this thread's magazine of tier
    /// `tier`, counted in `counters` when `stats`, or hands it back when the magazine is full.
    #[inline(always)]
    pub(crate) fn push(
        &self,
        tier: usize,
        block: B,
        counters: &Counters,
        stats: bool,
    ) -> Result<(), B> {
        if !POOLING {
            return Err(block);
        }
        self.shelf(counters).push(tier, block, stats)
    }

    /// Hands every block back to `core`'s shared tiers, for a thread that exits; what a full
    /// tier cannot keep goes to `garbage`, counted in `counters` (the slot's own) as discarded
    /// and freed.
    pub(crate) fn retire_into(&self, core: &Core<B>, counters: &Counters, garbage: &mut Vec<B>) {
        let shelf = self.shelf(counters);
        for (t, tier) in core.tiers.iter().enumerate() {
            shelf.drain(t, |block| {
                if let Err(block) = tier.park(block) {
                    counters.count(Event::Discard, true);
                    counters.count(Event::Freed(t), true);
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

impl<B: Kept> Shelf<B> for SlotShelf<'_, B> {
    #[inline(always)]
    fn pop(self, tier: usize, counted: bool) -> Option<B> {
        let (mag, counters) = (self.mags.get(tier)?, self.counters.get(tier)?);
        let (block, full) = mag.pop_in(&counters.magazine, counted)?;
        if counted && full {
            counters.fold();
        }
        Some(block)
    }

    #[inline(always)]
    fn push(self, tier: usize, block: B, counted: bool) -> Result<(), B> {
        let (Some(mag), Some(counters)) = (self.mags.get(tier), self.counters.get(tier)) else {
            return Err(block);
        };
        mag.push_in(&counters.magazine, block, counted)
    }

    fn settle(self, tier: usize) {
        let counters = &self.counters[tier];
        if self.mags[tier].counts_full_in(&counters.magazine) {
            counters.fold();
        }
    }

    fn refill_half(self, tier: usize, source: impl FnMut() -> Option<B>, refused: impl FnOnce(B)) {
        self.mags[tier].refill_half_in(&self.counters[tier].magazine, source, refused);
    }

    fn spill_half(self, tier: usize, sink: impl FnMut(B)) {
        self.mags[tier].spill_half_in(&self.counters[tier].magazine, sink);
    }

    fn drain(self, tier: usize, sink: impl FnMut(B)) {
        self.mags[tier].take_all_in(&self.counters[tier].magazine, sink);
        self.settle(tier);
    }

    fn tiers(self) -> usize {
        self.mags.len()
    }
}

impl<B: Kept + 'static> std::fmt::Debug for SlotCache<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlotCache")
            .field("tiers", &self.mags.len())
            .finish_non_exhaustive()
    }
}
