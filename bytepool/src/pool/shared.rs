//! What a byte pool shares with its handles ([`Shared`]), and the two ends of an instance
//! pool's life: its owner (the [`BytePool`](crate::BytePool)) and the tickets its handles hold.

use super::Vtable;
use crate::cache::{Core, SlotCache};
use crate::raw::{Owner, Reclaim, Ticket};
use crate::stats::Counters;

/// A pooled allocation: always fully initialised, its length is its tier's size.
pub(crate) type Block = Box<[u8]>;

/// An instance byte pool's life: the pool owns it, each handle holds a ticket, and each thread
/// that uses it has a slot with its counter block and its cache.
pub(crate) type ByteOwner = Owner<Shared, Counters, SlotCache<Block>>;
pub(crate) type ByteTicket = Ticket<Shared, Counters, SlotCache<Block>>;

/// The state of a byte pool that its handles reach: the tiers, counters and ring, and how to
/// treat what comes back.
pub(crate) struct Shared {
    pub(crate) core: Core<Block>,
    zero_on_release: bool,
    /// The functions of this pool's `Tiers` type that do not depend on a block's tier: an
    /// instance pool's handle reaches them through its ticket.
    pub(crate) vtable: &'static Vtable,
}

// A pool's state is consistent whenever control leaves it, a panic included: no user code runs
// inside its critical sections, counts are settled before anything is dropped, and the one
// piece of user code a byte pool calls (a shared ring's `push`) runs after the get it records,
// which gives its buffer back if the push unwinds. So observing it after a caught panic is fine.
impl std::panic::RefUnwindSafe for Shared {}

impl Shared {
    pub(crate) fn new(core: Core<Block>, zero_on_release: bool, vtable: &'static Vtable) -> Self {
        Shared {
            core,
            zero_on_release,
            vtable,
        }
    }

    pub(crate) fn zero_on_release(&self) -> bool {
        self.zero_on_release
    }

    /// Zeroes every byte of `block` when the pool zeroes on release: whatever happens to the
    /// block next (kept idle, or freed because it fits no tier or its tier is full), it no
    /// longer holds what its user wrote. `black_box` keeps the compiler from dropping the
    /// stores as dead when the block is freed right after.
    pub(crate) fn scrub(&self, block: &mut [u8]) {
        if self.zero_on_release {
            block.fill(0);
            std::hint::black_box(block);
        }
    }

    /// A thread's slot in an instance pool: its counter block and an empty cache.
    pub(crate) fn new_slot(&self) -> (Counters, SlotCache<Block>) {
        let counters = Counters::new(self.core.tiers.len());
        let cache = SlotCache::new(&self.core, &counters);
        (counters, cache)
    }
}

impl Reclaim<Counters, SlotCache<Block>> for Shared {
    type Garbage = Vec<Block>;

    /// At the owner's drop: every idle block, from the shared tiers and every thread's cache.
    fn reclaim(
        &self,
        slots: &mut dyn Iterator<Item = (&Counters, &SlotCache<Block>)>,
    ) -> Vec<Block> {
        let mut garbage = Vec::new();
        for (counters, cache) in slots {
            cache.drain_into(counters, &mut garbage);
        }
        self.core.drain_into(&mut garbage);
        garbage
    }

    fn retire_slot(&self, counters: &Counters, cache: &SlotCache<Block>) -> Vec<Block> {
        let mut garbage = Vec::new();
        cache.retire_into(&self.core, counters, &mut garbage);
        garbage
    }

    fn own_tickets(&self, counters: &Counters, cache: &SlotCache<Block>) -> isize {
        cache.own_tickets(counters)
    }
}
