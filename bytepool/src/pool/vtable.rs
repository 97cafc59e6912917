//! How a handle reaches its pool ([`Vtable`]), and the operations behind it: a get and a
//! return through a process-wide pool's thread cache, or through an instance pool's ticket.

use std::marker::PhantomData;

use crate::buf::{Acquired, Block, ByteTicket, Shared, Vtable};
use crate::cache::{run_global, CacheLocal, Core, Local, Origin, Shelf, SlotCache};
use crate::raw::{self, Access};
use crate::ring::Ring;
use crate::stats::Counters;
use crate::tiers::Tiers;
use crate::Error;

impl Vtable {
    /// The vtable of tier `TIER` of `T` (`define_tiers!` lists one per tier in
    /// `Tiers::__VTABLES`; a hand-written `Tiers` implementation does the same).
    #[must_use]
    pub const fn tier<T: Tiers, const TIER: usize>() -> Self {
        Vtable::new::<T>(Some(TIER), release_global_tier::<T, TIER>)
    }

    const fn new<T: Tiers>(tier: Option<usize>, release_global: fn(Block)) -> Self {
        Vtable {
            tier,
            sizes: T::SIZES,
            release_global,
            acquire_global: acquire_global::<T>,
            detach_global: detach_global::<T>,
            release_instance: release_instance::<T>,
            give_back_instance: give_back_instance::<T>,
            acquire_instance: acquire_instance::<T>,
            detach_instance: detach_instance::<T>,
        }
    }
}

/// The vtable of `T`'s blocks above the largest tier.
struct Untiered<T>(PhantomData<T>);

impl<T: Tiers> Untiered<T> {
    const VTABLE: &'static Vtable = &Vtable::new::<T>(None, release_global_untiered::<T>);
    /// For an instance pool that zeroes every block it takes back: its release always takes
    /// the general path, so the hot path need not ask.
    const ZEROING: &'static Vtable = &Vtable {
        release_instance: release_instance_slow::<T>,
        ..Vtable::new::<T>(None, release_global_untiered::<T>)
    };
}

/// The vtable an instance pool of `T` gives its handles (through their tickets).
pub(crate) fn instance_vtable<T: Tiers>(zero_on_release: bool) -> &'static Vtable {
    if zero_on_release {
        Untiered::<T>::ZEROING
    } else {
        Untiered::<T>::VTABLE
    }
}

/// The vtable of `T`'s blocks of tier `tier` (`None`: above the largest).
#[inline(always)]
pub(crate) fn vtable<T: Tiers>(tier: Option<usize>) -> &'static Vtable {
    match tier {
        Some(tier) => &T::__VTABLES[tier],
        None => Untiered::<T>::VTABLE,
    }
}

// ---------------------------------------------------------------------------------------------
// The operations, on any cache: a process-wide pool's thread cache, an instance pool's slot, or
// none.

/// A block holding `len > 0` bytes from `local`, counted as a get and its length recorded in
/// the counter block (not in a shared ring: see [`record_in_ring`]), and the vtable of its
/// tier. A request that fails is neither counted nor recorded.
#[inline]
pub(crate) fn acquire_in<T: Tiers, M: Shelf<Block>>(
    local: &mut Local<'_, Block, M>,
    len: usize,
) -> Result<Acquired, Error> {
    let acquired = match T::class_of(len) {
        Some(tier) => {
            if T::SIZES.get(tier).is_none_or(|&size| size < len) {
                lying_class_of::<T>(len, tier);
            }
            let block = local.get_tier(tier, T::STATS, raw::alloc_zeroed)?;
            (block, vtable::<T>(Some(tier)))
        }
        None => {
            let block = raw::alloc_zeroed(len)?;
            local.got_oversize(T::STATS);
            (block, vtable::<T>(None))
        }
    };
    local.record_len(len, T::STATS);
    Ok(acquired)
}

/// Takes back a block to `local`: to tier `tier`, or counted and freed above the largest.
#[inline]
pub(crate) fn release_in<T: Tiers, M: Shelf<Block>>(
    local: &mut Local<'_, Block, M>,
    block: Block,
    tier: Option<usize>,
) {
    match tier {
        Some(tier) => local.put_tier(tier, block, Origin::HandedOut, T::STATS),
        None => {
            local.put_oversize(T::STATS);
            drop(block);
        }
    }
}

/// The tier a block of `len` bytes belongs to: a tier's block is exactly its size, and any
/// other is untiered (the size check keeps a wrong `class_of` from filing a block in a tier of
/// another size).
#[inline]
pub(crate) fn tier_of<T: Tiers>(len: usize) -> Option<usize> {
    T::class_of(len).filter(|&tier| T::SIZES.get(tier) == Some(&len))
}

#[cold]
#[track_caller]
pub(crate) fn lying_class_of<T: Tiers>(len: usize, tier: usize) -> ! {
    panic!(
        "`{}::class_of({len})` returned tier {tier}, which does not hold {len} bytes",
        std::any::type_name::<T>()
    )
}

/// Records `len` in a pool's shared ring, the user's code, outside every critical section of
/// the pool: if it panics, `give_back` returns `held` (the buffer just counted as a get) to the
/// pool, counted as returned, instead of letting it vanish.
pub(crate) fn record_in_ring<H>(
    ring: &(dyn Ring<usize> + Send + Sync),
    len: usize,
    held: H,
    give_back: impl FnOnce(H),
) -> H {
    struct GiveBack<H, F: FnOnce(H)>(Option<(H, F)>);
    impl<H, F: FnOnce(H)> Drop for GiveBack<H, F> {
        fn drop(&mut self) {
            if let Some((held, give_back)) = self.0.take() {
                give_back(held);
            }
        }
    }
    let mut guard = GiveBack(Some((held, give_back)));
    ring.push(len);
    match guard.0.take() {
        Some((held, _)) => held,
        None => unreachable!("the block is given back only on unwind"),
    }
}

// ---------------------------------------------------------------------------------------------
// `T`'s process-wide pool

/// Runs `f` in the calling thread's cache of `T`'s process-wide pool (not during thread exit,
/// not re-entered), in the shared context otherwise.
#[inline]
pub(crate) fn with_global<T: Tiers, R>(
    f: impl FnOnce(&mut CacheLocal<'_, Block, T::__Length>) -> R,
) -> R {
    run_global(global_core::<T>, |run| T::__with_cache(run), f)
}

pub(crate) fn global_shared<T: Tiers>() -> &'static Shared {
    T::__global().global_shared()
}

fn global_core<T: Tiers>() -> &'static Core<Block> {
    &global_shared::<T>().core
}

fn acquire_global<T: Tiers>(len: usize) -> Result<Acquired, Error> {
    with_global::<T, _>(|local| acquire_in::<T, _>(local, len))
}

fn detach_global<T: Tiers>() {
    with_global::<T, _>(|local| local.detach(T::STATS));
}

/// Takes back a block of `T`'s process-wide pool: the calling thread's magazine when it has
/// room, the general path otherwise. The pool itself is looked up only on the general path.
#[inline]
fn release_global<T: Tiers>(block: Block, tier: Option<usize>) {
    let mut block = Some(block);
    if let Some(tier) = tier {
        T::__with_cache(|cache| cache.push(tier, &mut block, T::STATS));
    }
    if let Some(block) = block {
        release_global_slow::<T>(block, tier);
    }
}

#[inline(never)]
fn release_global_slow<T: Tiers>(mut block: Block, tier: Option<usize>) {
    debug_assert_eq!(tier.map(|t| T::SIZES[t]), tier.map(|_| block.len()));
    global_shared::<T>().scrub(&mut block);
    with_global::<T, _>(|local| release_in::<T, _>(local, block, tier));
}

fn release_global_tier<T: Tiers, const TIER: usize>(block: Block) {
    release_global::<T>(block, Some(TIER));
}

/// Above the largest tier: an empty block (from a `get(0)`) was never counted as a get, so it
/// goes nowhere.
fn release_global_untiered<T: Tiers>(block: Block) {
    if !block.is_empty() {
        release_global::<T>(block, None);
    }
}

// ---------------------------------------------------------------------------------------------
// `T`'s instance pools

/// Takes back a block to the instance pool of `ticket`, giving the ticket back: into this
/// thread's magazine when it can (a full magazine, and everything else, take the general path;
/// a pool that zeroes always does, by its vtable).
fn release_instance<T: Tiers>(ticket: ByteTicket, block: Block) {
    let kept = ticket.try_redeem_here(block, |block, _, counters, cache| {
        // The magazine takes only a block of its tier's size, so `class_of` (which a
        // hand-written `Tiers` could get wrong) need not be checked here.
        match T::class_of(block.len()) {
            Some(tier) => cache.push_ticketed(tier, block, counters, T::STATS),
            None => Err(block),
        }
    });
    if let Err((ticket, block)) = kept {
        release_instance_slow::<T>(ticket, block);
    }
}

/// [`release_instance`] off its hot path.
#[cold]
#[inline(never)]
fn release_instance_slow<T: Tiers>(ticket: ByteTicket, mut block: Block) {
    // Outside the ticket's window: zeroing a large block takes a while.
    ticket.shared().scrub(&mut block);
    ticket.redeem(|shared, access| put_back_slow::<T>(shared, access, block));
}

fn give_back_instance<T: Tiers>(ticket: &ByteTicket, mut block: Block) {
    ticket.shared().scrub(&mut block);
    ticket.visit(|shared, access| put_back_slow::<T>(shared, access, block));
}

/// The return of a block to an instance pool, in its ticket's window, off the hot path: the
/// general path, or (the pool being gone) the allocator. An empty block, from a `get(0)` (which
/// never visits a tier), was never counted as a get, so it goes nowhere.
#[cold]
#[inline(never)]
fn put_back_slow<T: Tiers>(shared: &Shared, access: SlotAccess<'_>, block: Block) {
    if block.is_empty() {
        return;
    }
    let tier = tier_of::<T>(block.len());
    match access {
        Access::Here(counters, cache) => {
            release_in::<T, _>(&mut cache.local(&shared.core, counters), block, tier);
        }
        Access::Elsewhere => {
            release_in::<T, _>(&mut <Local<'_, _>>::uncached(&shared.core), block, tier);
        }
        Access::Gone => drop(block),
    }
}

/// How a ticket's operation reaches an instance byte pool.
type SlotAccess<'a> = Access<'a, Counters, SlotCache<Block>>;

fn acquire_instance<T: Tiers>(ticket: &ByteTicket, len: usize) -> Result<Block, Error> {
    let block = ticket.visit(|shared, access| match access {
        Access::Here(counters, cache) => {
            acquire_in::<T, _>(&mut cache.local(&shared.core, counters), len).map(|(b, _)| b)
        }
        Access::Elsewhere => {
            acquire_in::<T, _>(&mut <Local<'_, _>>::uncached(&shared.core), len).map(|(b, _)| b)
        }
        // The pool is gone: a plain allocation the size a pool would have given.
        Access::Gone => raw::alloc_zeroed(
            T::class_of(len)
                .and_then(|tier| T::SIZES.get(tier).copied())
                .unwrap_or(len),
        ),
    })?;
    match &ticket.shared().core.ring {
        Some(ring) if T::STATS => Ok(record_in_ring(&**ring, len, block, |block| {
            give_back_instance::<T>(ticket, block);
        })),
        _ => Ok(block),
    }
}

fn detach_instance<T: Tiers>(ticket: ByteTicket) {
    ticket.redeem(|shared, access| match access {
        Access::Here(counters, cache) => cache.local(&shared.core, counters).detach(T::STATS),
        Access::Elsewhere => <Local<'_, _>>::uncached(&shared.core).detach(T::STATS),
        Access::Gone => {}
    });
}
