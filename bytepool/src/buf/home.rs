//! How a byte buffer reaches its pool ([`Home`]): through the vtable of its tier, for a
//! `Tiers` type's process-wide pool, or through a ticket of an instance pool's life, whose state
//! ([`Shared`]) holds its `Tiers` type's [`Vtable`]. The vtables' functions are the pool's
//! (`crate::pool`); the handles know only this table.

use std::fmt;

use crate::cache::{Core, SlotCache};
use crate::raw::{Either, Owner, StaticOr, Ticket};
use crate::stats::Counters;
use crate::Error;

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

impl AsRef<Core<Block>> for Shared {
    fn as_ref(&self) -> &Core<Block> {
        &self.core
    }
}

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

/// A block just handed out by a process-wide pool, and the vtable of its tier.
pub(crate) type Acquired = (Block, &'static Vtable);

/// What a type-erased handle knows about its block: the block's tier, and `T`'s functions.
/// Each tier of a tier set has its own ([`Vtable::tier`], listed in `Tiers::__VTABLES`), and
/// blocks above the largest tier share one more.
///
/// A handle of `T`'s process-wide pool holds its block's vtable: each tier's release is its
/// own function with the tier a constant in it, taking nothing but the block, so a handle's
/// drop passes no pool and the release does not compute the tier (a chain of dependent
/// instructions on the address of the store that refills the magazine). A handle of an
/// instance pool holds a ticket instead, whose pool holds `T`'s untiered vtable; its release
/// computes the tier from the block's length.
#[doc(hidden)]
pub struct Vtable {
    /// The block's tier (its length is exactly that tier's size); `None` above the largest.
    pub(crate) tier: Option<usize>,
    pub(crate) sizes: &'static [usize],
    /// Takes back a block of this tier to `T`'s process-wide pool.
    pub(crate) release_global: fn(Block),
    /// A block of at least `len` bytes from `T`'s process-wide pool, counted.
    pub(crate) acquire_global: fn(usize) -> Result<Acquired, Error>,
    /// Counts a block of `T`'s process-wide pool leaving it for good.
    pub(crate) detach_global: fn(),
    /// Takes back a block to the instance pool of the ticket, giving the ticket back.
    pub(crate) release_instance: fn(ByteTicket, Block),
    /// Takes back a block to the instance pool of the ticket, which the handle keeps (the
    /// block it outgrew).
    pub(crate) give_back_instance: fn(&ByteTicket, Block),
    /// A block of at least `len` bytes from the instance pool of the ticket, counted.
    pub(crate) acquire_instance: fn(&ByteTicket, usize) -> Result<Block, Error>,
    /// Counts a block leaving the instance pool of the ticket for good; gives the ticket back.
    pub(crate) detach_instance: fn(ByteTicket),
}

impl fmt::Debug for Vtable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vtable")
            .field("tier", &self.tier)
            .finish_non_exhaustive()
    }
}

/// Where a pooled block goes back to, in one word: the vtable of the block's tier for a `Tiers`
/// type's process-wide pool (reached through the vtable, with nothing counted), or a ticket of
/// the instance pool, whose release finds the tier from the block's length.
pub(crate) struct Home(StaticOr<Vtable, ByteTicket>);

impl Home {
    #[inline(always)]
    pub(crate) fn global(vtable: &'static Vtable) -> Self {
        Home(StaticOr::from_static(vtable))
    }

    #[inline(always)]
    pub(crate) fn instance(ticket: ByteTicket) -> Self {
        Home(StaticOr::from_owned(ticket))
    }

    /// Returns `block` (the block a handle outgrew) to the pool; the handle keeps its home.
    #[inline]
    pub(super) fn give_back(&self, block: Box<[u8]>) {
        match self.0.get() {
            Either::Static(vtable) => (vtable.release_global)(block),
            Either::Owned(ticket) => (ticket.shared().vtable.give_back_instance)(&ticket, block),
        }
    }

    /// Returns `block`, of this home, to its pool for good (a handle's drop).
    #[inline(always)]
    pub(super) fn take_back(self, block: Box<[u8]>) {
        match self.0.into_inner() {
            // Nothing runs after the release: a tail call.
            Either::Static(vtable) => (vtable.release_global)(block),
            Either::Owned(ticket) => (ticket.shared().vtable.release_instance)(ticket, block),
        }
    }

    /// A block of at least `len` bytes from this home's pool, and the vtable of its tier when
    /// the home is a process-wide pool's (which [`move_to`](Self::move_to) then takes).
    pub(super) fn acquire(
        &self,
        len: usize,
    ) -> Result<(Box<[u8]>, Option<&'static Vtable>), Error> {
        match self.0.get() {
            Either::Static(vtable) => {
                (vtable.acquire_global)(len).map(|(block, vtable)| (block, Some(vtable)))
            }
            Either::Owned(ticket) => {
                (ticket.shared().vtable.acquire_instance)(&ticket, len).map(|block| (block, None))
            }
        }
    }

    /// The tier sizes of the pool.
    pub(super) fn sizes(&self) -> &'static [usize] {
        match self.0.get() {
            Either::Static(vtable) => vtable.sizes,
            Either::Owned(ticket) => ticket.shared().vtable.sizes,
        }
    }

    /// Leaves the pool with a block counted as handed out (`into_vec`).
    pub(super) fn detach(self) {
        match self.0.into_inner() {
            Either::Static(vtable) => (vtable.detach_global)(),
            Either::Owned(ticket) => (ticket.shared().vtable.detach_instance)(ticket),
        }
    }

    /// Follows the handle to a new block, whose vtable is `vtable`.
    pub(super) fn move_to(&mut self, vtable: &'static Vtable) {
        if let Either::Static(_) = self.0.get() {
            *self = Home::global(vtable);
        }
    }
}
