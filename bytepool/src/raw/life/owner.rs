//! [`Owner`]: the pool's unique hold on its life, the thread's view of its slot ([`Here`]), and
//! the owner's drop, which reclaims every slot and frees the life or leaves it to the tickets.

use std::marker::PhantomData;
use std::ptr::NonNull;

use super::ticket::Ticket;
use super::Reclaim;
use super::{
    barrier, free, thread_index, Life, Slot, DEAD, DYING, LIVE, LIVES, LIVE_UNFENCED, NEXT_ID,
};
use crate::sync::{
    fence, lock, AtomicIsize, AtomicPtr, AtomicU8, AtomicUsize, Backoff, Mutex, MutexGuard,
    Ordering,
};

/// The unique owner of a pool's life: see the module docs.
pub(crate) struct Owner<S: Reclaim<P, Q>, P, Q> {
    life: NonNull<Life<S, P, Q>>,
    _owns: PhantomData<Life<S, P, Q>>,
}

// SAFETY: an owner lends `&S` and `&P` on any thread (so `S` and `P` are `Sync`), moves nothing
// out of `S` but drops it wherever the pool ends (so `Send`), and hands `Q`, each thread's
// private part, to the thread that ends the pool (so `Q: Send`). Everything else it holds is
// atomic.
unsafe impl<S: Reclaim<P, Q> + Send + Sync, P: Send + Sync, Q: Send> Send for Owner<S, P, Q> {}
// SAFETY: as for `Send`: `&Owner` lends only `&S` and `&P`, and each thread's own `Q`.
unsafe impl<S: Reclaim<P, Q> + Send + Sync, P: Send + Sync, Q: Send> Sync for Owner<S, P, Q> {}

impl<S: Reclaim<P, Q>, P, Q> Owner<S, P, Q> {
    /// A live pool with shared state `shared`; `make` builds a thread's slot on its first use.
    pub(crate) fn new(shared: S, make: fn(&S) -> (P, Q)) -> Self {
        barrier::init();
        let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        lock(&LIVES).insert(id);

        let life = Box::new(Life {
            id,
            state: AtomicU8::new(if barrier::light_is_free() {
                LIVE_UNFENCED
            } else {
                LIVE
            }),
            tickets: AtomicIsize::new(0),
            unslotted: AtomicUsize::new(0),
            closing: Mutex::new(()),
            make,
            buckets: std::array::from_fn(|_| AtomicPtr::new(std::ptr::null_mut())),
            shared,
        });
        Owner {
            life: NonNull::from(Box::leak(life)),
            _owns: PhantomData,
        }
    }

    #[inline(always)]
    fn life(&self) -> &Life<S, P, Q> {
        // SAFETY: the owner keeps the life alive: it is freed only after the owner is dropped
        // (`close`).
        unsafe { self.life.as_ref() }
    }

    /// The shared state.
    #[inline(always)]
    pub(crate) fn shared(&self) -> &S {
        &self.life().shared
    }

    /// This thread's slot (made on first use), or `None` while the thread exits.
    #[inline(always)]
    pub(crate) fn here(&self) -> Option<Here<'_, S, P, Q>> {
        let slot = self.life().mine_or_make()?;
        Some(Here { owner: self, slot })
    }

    /// A ticket, counted in this thread's slot (or centrally while the thread exits).
    #[inline]
    pub(crate) fn ticket(&self) -> Ticket<S, P, Q> {
        match self.here() {
            Some(here) => here.ticket(),
            None => {
                self.life().tickets.fetch_add(1, Ordering::Relaxed);
                Ticket {
                    life: self.life,
                    _holds: PhantomData,
                }
            }
        }
    }

    /// The public part of every slot made so far.
    pub(crate) fn publics(&self) -> impl Iterator<Item = &P> {
        self.life().slots().map(|(_, slot)| &slot.public)
    }
}

impl<S: Reclaim<P, Q>, P, Q> Drop for Owner<S, P, Q> {
    /// Ends the pool: waits until no ticket operation is in progress, lets `S::reclaim` empty
    /// every slot, frees everything now if no ticket is left (or leaves that to the last one),
    /// and only then drops what was reclaimed.
    fn drop(&mut self) {
        let life = self.life();
        let closing = lock(&life.closing);
        life.state.store(DYING, Ordering::Relaxed);
        // Pairs with the fence in `enter_unslotted`.
        fence(Ordering::SeqCst);
        let backoff = Backoff::new();
        while life.unslotted.load(Ordering::Acquire) != 0 {
            backoff.snooze();
        }
        let mine = thread_index::held();
        if life.slots().any(|(index, _)| Some(index) != mine) {
            barrier::heavy();
        }
        for (_, slot) in life.slots() {
            let backoff = Backoff::new();
            while slot.busy.load(Ordering::Acquire) != 0 || slot.leaf.load(Ordering::Acquire) {
                backoff.snooze();
            }
        }
        let garbage = {
            // Dead even if `reclaim` unwinds: ticket operations wait for it. Dropped in place at
            // the end of the block, never passed by value: its drop may free the life its lock
            // guard points into, which a reference passed to a function must outlive.
            let _finish = Finish {
                life: self.life,
                closing: Some(closing),
            };
            life.shared
                .reclaim(&mut life.slots().map(|(_, slot)| (&slot.public, &slot.private)))
        };
        drop(garbage);
    }
}

/// This thread's slot of a live pool, as its owner reaches it.
pub(crate) struct Here<'a, S: Reclaim<P, Q>, P, Q> {
    owner: &'a Owner<S, P, Q>,
    slot: &'a Slot<P, Q>,
}

impl<'a, S: Reclaim<P, Q>, P, Q> Here<'a, S, P, Q> {
    #[inline(always)]
    pub(crate) fn public(&self) -> &'a P {
        &self.slot.public
    }

    #[inline(always)]
    pub(crate) fn private(&self) -> &'a Q {
        &self.slot.private
    }

    /// A ticket, counted in this slot.
    #[inline(always)]
    pub(crate) fn ticket(&self) -> Ticket<S, P, Q> {
        let held = self.slot.tickets.load(Ordering::Relaxed);
        self.slot.tickets.store(held + 1, Ordering::Relaxed);
        self.private_ticket()
    }

    /// A ticket that the slot's parts counted themselves, as [`Reclaim::own_tickets`] reports:
    /// a hot path counts it with a store it makes anyway.
    #[inline(always)]
    pub(crate) fn private_ticket(&self) -> Ticket<S, P, Q> {
        Ticket {
            life: self.owner.life,
            _holds: PhantomData,
        }
    }
}

/// Moves every ticket into the life's count and marks it dead, or frees it when none is left.
struct Finish<'a, S: Reclaim<P, Q>, P, Q> {
    life: NonNull<Life<S, P, Q>>,
    /// The life's `closing` lock, let go once the pool is dead (or before it is freed).
    closing: Option<MutexGuard<'a, ()>>,
}

impl<S: Reclaim<P, Q>, P, Q> Drop for Finish<'_, S, P, Q> {
    fn drop(&mut self) {
        // SAFETY: the owner's drop runs this, with the life alive.
        let life = unsafe { self.life.as_ref() };
        // Nobody counts while the pool is dying: ticket operations wait for it to be dead.
        let total = life.tickets.load(Ordering::Relaxed)
            + life
                .slots()
                .map(|(_, slot)| {
                    slot.tickets.load(Ordering::Relaxed)
                        + life.shared.own_tickets(&slot.public, &slot.private)
                })
                .sum::<isize>();
        if total == 0 {
            // No ticket, so nobody waits on the lock: let go of it before it is freed.
            drop(self.closing.take());
            // SAFETY: no owner and no ticket left, and no operation in progress (the windows
            // were waited for): nothing refers to the life. It came from `Box::leak` (`new`).
            unsafe { free(self.life) };
        } else {
            life.tickets.store(total, Ordering::Relaxed);
            life.state.store(DEAD, Ordering::Release);
            drop(self.closing.take());
        }
    }
}

impl<S: Reclaim<P, Q>, P, Q> std::fmt::Debug for Owner<S, P, Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Owner")
            .field("pool", &self.life().id)
            .finish()
    }
}
