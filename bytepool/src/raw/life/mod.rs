//! The life of an instance pool, with no reference count on its hot path: one [`Owner`] (the
//! pool), any number of [`Ticket`]s (its handles, one word each), and a slot per thread that
//! uses the pool, holding that thread's cache.
//!
//! A thread's slot is found through its thread index ([`thread_index`]) in a table of
//! buckets, with a thread-local shortcut to the last slot it used. Its `private` part (the
//! cache's cells) is touched by that thread alone while the pool lives; its `public` part
//! (counters) is `Sync`, read by statistics on any thread.
//!
//! Tickets are counted without read-modify-writes: taking one adds one to the taking thread's
//! slot, giving one back subtracts one in the giving thread's slot, each a plain load and store
//! by the slot's own thread. Only the sum means anything, and only when nobody is counting.
//!
//! # The owner's drop, and the windows it waits for
//! While the owner lives, nobody can end the pool, so the owner's own operations (its gets)
//! need no protection. A ticket's operation (a handle's release) can race with the owner's
//! drop, so it runs in a *window*: it marks its slot busy, issues a light fence
//! ([`barrier::light`]), and proceeds only if the pool is still live. The owner's drop marks
//! the pool dying, issues the heavy fence ([`barrier::heavy`]) when another thread has a slot,
//! and waits until no slot is busy: the two fences make sure that either the window sees the
//! pool dying, or the drop sees the window and waits for it. A thread with no slot (its first
//! release on this pool, which makes one, or a thread that is exiting) counts itself in
//! `unslotted` instead, with a `SeqCst` fence on either side, and the drop waits for it too.
//!
//! Once nothing is in a window the drop has the pool to itself: it lets the caller reclaim
//! every slot's cache (`close`), then sums the tickets. None: everything is freed at once.
//! Some: the sum moves into one atomic count and the pool is dead; from then on every ticket
//! operation sees it dead, and the last ticket given back frees everything.

use std::collections::BTreeSet;
use std::ptr::NonNull;

mod barrier;
mod owner;
mod table;
#[cfg(all(test, not(loom)))]
mod tests;
mod thread_index;
mod ticket;
mod window;

pub(crate) use owner::Owner;
pub(crate) use ticket::Ticket;
pub(crate) use window::Access;
use window::Entered;

use crate::sync::{
    lock, static_init, thread_local_const, AtomicBool, AtomicIsize, AtomicPtr, AtomicU64, AtomicU8,
    AtomicUsize, Mutex, Ordering, LOOM,
};

/// What the owner's drop does with every slot, once it has the pool to itself.
pub(crate) trait Reclaim<P, Q> {
    /// What reclaiming takes out (the idle blocks), dropped once the pool is dead, so that
    /// their drops run outside every window.
    type Garbage;

    fn reclaim(&self, slots: &mut dyn Iterator<Item = (&P, &Q)>) -> Self::Garbage;

    /// What an exiting thread does with its slot of a live pool, in a window: hand what the
    /// slot keeps back to the shared state. The thread's next owner inherits the slot.
    fn retire_slot(&self, public: &P, private: &Q) -> Self::Garbage;

    /// The tickets a slot's parts counted themselves: taken by [`Here::private_ticket`] minus
    /// given back by [`Ticket::try_redeem_here`], on the slot's thread. Read by the owner's
    /// drop, with every window closed.
    fn own_tickets(&self, public: &P, private: &Q) -> isize;
}

/// Live, and the light fence is free ([`barrier::light_is_free`], fixed for the process): a
/// window checks this one value and is open.
const LIVE_UNFENCED: u8 = 0;
/// Live, and a window must fence before it reads the state.
const LIVE: u8 = 1;
const DYING: u8 = 2;
const DEAD: u8 = 3;

fn is_live(state: u8) -> bool {
    state <= LIVE
}

/// Thread indices up to `usize::MAX - 2` fit: bucket `b` holds the slots of indices
/// `2^b - 1 ..= 2^(b+1) - 2`. Loom's threads are few, and every bucket scanned is an atomic
/// load for loom to explore.
const BUCKETS: usize = if LOOM { 4 } else { usize::BITS as usize };

/// Every pool's `id` is different, for the life of the process, so a thread-local shortcut
/// to a slot of a pool that is gone never matches a pool that lives. (Std's atomic even under
/// loom: ids only need to differ, also across model executions.)
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

static_init! {
    /// The ids of the lives not yet freed. A life leaves it, under its lock, before it is freed, so
    /// whoever holds the lock and finds an id here may use that life until it lets go.
    static LIVES: Mutex<BTreeSet<u64>> = Mutex::new(BTreeSet::new());
}

thread_local_const! {
    /// The id of the pool whose slot this thread used last, and that slot.
    static LAST: std::cell::Cell<(u64, *const ())> = std::cell::Cell::new((0, std::ptr::null()));
}

/// What a pool keeps per thread: `public` (any thread may read it) and `private` (its thread's
/// alone while the pool lives).
struct Slot<P, Q> {
    /// Windows open on this slot (nested ones included), written by its thread alone.
    busy: AtomicUsize,
    /// Whether a leaf window is open on this slot (see [`Ticket::try_redeem_here`]), written by
    /// its thread alone. Apart from `busy` so that the hot path only stores: a leaf runs no
    /// code that could open another window, so it never nests in one of its own kind.
    leaf: AtomicBool,
    /// The serial of the last thread that took this slot up (`thread_index::serial`), by the
    /// threads holding its index.
    adopted: AtomicU64,
    /// Tickets taken minus tickets given back on this slot's thread, by that thread alone,
    /// but for those its parts count themselves ([`Reclaim::own_tickets`]).
    tickets: AtomicIsize,
    public: P,
    private: Q,
}

/// The heap block an owner and its tickets point at.
pub(crate) struct Life<S, P, Q> {
    id: u64,
    state: AtomicU8,
    /// Tickets counted outside any slot while the pool lives; all of them once it is dead.
    tickets: AtomicIsize,
    /// Ticket operations in progress without a slot.
    unslotted: AtomicUsize,
    /// Held by the owner's drop from the moment the pool is dying until it is dead: a ticket
    /// operation that finds the pool dying waits here, parked rather than spinning.
    closing: Mutex<()>,
    make: fn(&S) -> (P, Q),
    buckets: [AtomicPtr<AtomicPtr<Slot<P, Q>>>; BUCKETS],
    shared: S,
}

/// The bucket and the place in it of thread index `index`.
#[inline]
fn locate(index: usize) -> (usize, usize) {
    let position = index + 1;
    let bucket = (usize::BITS - 1 - position.leading_zeros()) as usize;
    (bucket, position - (1 << bucket))
}

impl<S: Reclaim<P, Q>, P, Q> Life<S, P, Q> {
    /// Waits until the owner's drop has moved every ticket into `tickets`: it holds `closing`
    /// from before the pool is dying until it is dead.
    fn wait_dead(&self) {
        drop(lock(&self.closing));
        debug_assert_eq!(self.state.load(Ordering::Acquire), DEAD);
    }
}

/// This thread's exit work for its slot of the life at `data`: if the life is still there,
/// and live, hands what the slot keeps back to the pool (`Reclaim::retire_slot`), so that what
/// an exiting thread cached is not stranded in a slot until another thread takes its index.
///
/// # Safety
/// `data` points at a `Life<S, P, Q>` whose id is `id` as long as `LIVES` holds `id`.
unsafe fn retire_slot<S: Reclaim<P, Q>, P, Q>(data: *const (), id: u64) {
    let live = lock(&LIVES);
    if !live.contains(&id) {
        return;
    }
    // SAFETY: `LIVES` holds `id` and we hold its lock, so the life is not freed meanwhile (the
    // caller's contract; `free` takes the lock first).
    let life = unsafe { &*data.cast::<Life<S, P, Q>>() };
    let garbage = match life.enter() {
        Entered::Here(window) => Some(
            life.shared
                .retire_slot(&window.slot.public, &window.slot.private),
        ),
        Entered::Elsewhere(_) | Entered::Gone => None,
    };
    drop(live);
    // User code (an object's drop), outside the lock and the window.
    drop(garbage);
}

/// Frees a life that nothing refers to any more, after taking it out of `LIVES`.
///
/// # Safety
/// `life` came from `Box::leak` (`Owner::new`), and nothing refers to it: no owner, no ticket,
/// no operation in progress.
unsafe fn free<S, P, Q>(life: NonNull<Life<S, P, Q>>) {
    // SAFETY: the caller's contract: the life is alive until the `Box::from_raw` below.
    let id = unsafe { life.as_ref() }.id;
    lock(&LIVES).remove(&id);
    // SAFETY: the caller's contract; out of `LIVES`, so no exit work reaches it any more. Freed
    // outside the lock: its drop runs user code (the shared state's).
    drop(unsafe { Box::from_raw(life.as_ptr()) });
}

impl<S, P, Q> Drop for Life<S, P, Q> {
    fn drop(&mut self) {
        for bucket in 0..BUCKETS {
            // Loom's atomics have no `get_mut`; with `&mut self`, nothing else accesses it.
            let array = self.buckets[bucket].load(Ordering::Relaxed);
            if array.is_null() {
                // Buckets are made by the threads whose indices fall in them, in any order.
                continue;
            }
            let array = std::ptr::slice_from_raw_parts_mut(array, 1 << bucket);
            // SAFETY: installed once from `Box::into_raw` of a slice of this length
            // (`make_slot`); `drop` runs once, with nothing else referring to the life.
            let array = unsafe { Box::from_raw(array) };
            for cell in array.iter() {
                let slot = cell.load(Ordering::Relaxed);
                if !slot.is_null() {
                    // SAFETY: stored once from `Box::into_raw` (`make_slot`), freed only here.
                    drop(unsafe { Box::from_raw(slot) });
                }
            }
        }
    }
}
