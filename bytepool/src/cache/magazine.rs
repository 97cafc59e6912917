//! [`Magazine`]: one tier's stack of idle blocks in a process-wide pool's thread cache.

use std::cell::Cell;
use std::fmt;

use super::local::Shelf;
#[cfg(loom)]
use super::Attached;
use super::{Core, Event};
use crate::raw::{Kept, Stack};
use crate::stats::{Counted, Length};
use crate::stats::{TierCounters, Writers, STANDIN};
use crate::sync::const_unless_loom;

/// The most blocks of one tier a thread's cache keeps (a power of two).
pub(crate) const MAGAZINE_SLOTS: usize = 32;

/// One tier's stack of idle blocks in one thread, inline in the thread-local: a pop or push is
/// a few loads and stores at fixed offsets from the thread pointer. Its limit is 0 until the
/// cache attaches (so a magazine that is not attached is empty and full at once), then the
/// tier's `cache_limit`, and 0 again once the thread retires it.
///
/// With statistics (`L` = [`Counted`]) the stack's length lives in the tier's counters in the
/// thread's counter block, with the counts of hits and puts: one pointer away, but a hit or a
/// put is counted by the store that updates the length anyway.
#[doc(hidden)]
pub struct Magazine<B: 'static, L: Length = Counted> {
    stack: Stack<B, MAGAZINE_SLOTS, L>,
    /// This tier's counters in the thread's counter block while attached, [`STANDIN`]'s
    /// otherwise.
    pub(super) counters: Cell<&'static TierCounters>,
    /// Under loom, where the magazine empties itself when dropped: its link to the pool, its
    /// tier and [`retire`](Self::retire) (a `Drop` cannot require `B: Kept`).
    #[cfg(loom)]
    #[allow(clippy::type_complexity)]
    pub(super) home: Cell<Option<(std::rc::Rc<Attached<B>>, usize, fn(&Self, &Core<B>, usize))>>,
}

impl<B, L: Length> Magazine<B, L> {
    const_unless_loom! {
        pub(super) fn new() -> Self {
            Magazine {
                stack: Stack::new(),
                counters: Cell::new(&STANDIN.tier),
                #[cfg(loom)]
                home: Cell::new(None),
            }
        }
    }

    pub(super) fn len(&self) -> usize {
        self.stack.len()
    }
}

// Every method here is crate-private, like the bound.
#[allow(private_bounds)]
impl<B: Kept, L: Length> Magazine<B, L> {
    /// Lets the magazine keep up to its tier's `cache_limit` blocks of `core`'s tier `tier`,
    /// counted in `counters`, which belong to the calling thread alone (its counter block).
    pub(super) fn open(
        &self,
        core: &'static Core<B>,
        tier: usize,
        counters: &'static TierCounters,
    ) {
        self.counters.set(counters);
        let tier = &core.tiers[tier];
        self.stack
            .open(&counters.magazine, tier.cache_limit, tier.size);
    }

    /// Gives the magazine back to the pool: no more pushes, every block parked in the shared
    /// tier (or freed and counted as discarded when it is full), and its word let go.
    pub(super) fn retire(&self, core: &Core<B>, tier: usize) {
        self.stack.close();
        let counters = &core.registry.shared;
        self.drain(|block| {
            if let Err(block) = core.tiers[tier].park(block) {
                counters.count(Event::Discard, Writers::Many);
                counters.count(Event::Freed(tier), Writers::Many);
                drop(block);
            }
        });
        self.stack.shut();
        self.counters.set(&STANDIN.tier);
    }

    /// Takes out the blocks held now, newest first, uncounted, into `sink`, then settles the
    /// counts: pushes whose blocks leave without a counted pop would otherwise, over many
    /// drains, run into the pops' bits of the word. At most the blocks held now: a `sink` that
    /// returns blocks to this magazine could otherwise keep the loop going for ever.
    pub(super) fn drain(&self, sink: impl FnMut(B)) {
        self.stack.take_all(sink);
        self.settle();
    }

    /// The newest block, if any, counted as a hit when `counted`.
    #[inline(always)]
    pub(super) fn pop(&self, counted: bool) -> Option<B> {
        if !counted {
            return self.stack.pop();
        }
        let (block, full) = self.stack.pop_counted()?;
        if full {
            self.counters.get().fold();
        }
        Some(block)
    }

    /// Keeps `block`, counted as a put when `counted`, or hands it back when the magazine is
    /// full (or not attached).
    #[inline(always)]
    pub(super) fn push(&self, block: B, counted: bool) -> Result<(), B> {
        if counted {
            self.stack.push_counted(block)
        } else {
            self.stack.push(block)
        }
    }

    /// Folds the counts in the magazine's word into the counters once they pass a quarter of
    /// their range (a pop checks only the sign bit; see `LenWord`), at a slow-path event.
    pub(super) fn settle(&self) {
        if self.stack.counts_full() {
            self.counters.get().fold();
        }
    }
}

#[allow(private_bounds)]
impl<B: Kept, L: Length> Shelf<B> for &[Magazine<B, L>] {
    #[inline(always)]
    fn pop(self, tier: usize, counted: bool) -> Option<B> {
        self[tier].pop(counted)
    }

    #[inline(always)]
    fn push(self, tier: usize, block: B, counted: bool) -> Result<(), B> {
        self[tier].push(block, counted)
    }

    fn settle(self, tier: usize) {
        self[tier].settle();
    }

    fn refill_half(self, tier: usize, source: impl FnMut() -> Option<B>, refused: impl FnOnce(B)) {
        self[tier].stack.refill_half(source, refused);
    }

    fn spill_half(self, tier: usize, sink: impl FnMut(B)) {
        self[tier].stack.spill_half(sink);
    }

    fn drain(self, tier: usize, sink: impl FnMut(B)) {
        self[tier].drain(sink);
    }

    fn tiers(self) -> usize {
        self.len()
    }
}

#[cfg(loom)]
impl<B, L: Length> Drop for Magazine<B, L> {
    fn drop(&mut self) {
        if let Some((attached, tier, retire)) = self.home.take() {
            retire(self, attached.core, tier);
        }
    }
}

impl<B, L: Length> fmt::Debug for Magazine<B, L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Magazine")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}
