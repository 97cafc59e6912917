//! [`Ticket`]: a handle's one-word hold on its pool's life, counted per thread, and the ways it
//! reaches the pool (its windows) and gives itself back.

use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;

use super::window::{Access, Entered, FreeIfLast};
use super::{Life, Reclaim};
use crate::raw::OnePointer;
use crate::sync::Ordering;

/// One counted reference to a pool's life, one pointer wide, counted per thread.
pub(crate) struct Ticket<S: Reclaim<P, Q>, P, Q> {
    pub(super) life: NonNull<Life<S, P, Q>>,
    pub(super) _holds: PhantomData<Life<S, P, Q>>,
}

// SAFETY: as for the owner: a ticket lends `&S`, `&P` and its thread's own `Q`, and may be the
// one that frees them, on any thread.
unsafe impl<S: Reclaim<P, Q> + Send + Sync, P: Send + Sync, Q: Send> Send for Ticket<S, P, Q> {}
// SAFETY: as for `Send`.
unsafe impl<S: Reclaim<P, Q> + Send + Sync, P: Send + Sync, Q: Send> Sync for Ticket<S, P, Q> {}

impl<S: Reclaim<P, Q>, P, Q> Ticket<S, P, Q> {
    #[inline(always)]
    fn life(&self) -> &Life<S, P, Q> {
        // SAFETY: a ticket is counted: the life is freed only once every ticket is given
        // back (`Finish`, `FreeIfLast`).
        unsafe { self.life.as_ref() }
    }

    /// The shared state.
    #[inline(always)]
    pub(crate) fn shared(&self) -> &S {
        &self.life().shared
    }

    /// Gives the ticket back, running `f` on the way: in this thread's slot's window while the
    /// pool lives (`f` must not run user code there: the owner's drop waits for it), or after
    /// the owner is gone. The count goes down before `f` runs while the pool keeps the life
    /// alive, after it otherwise.
    #[inline(always)]
    pub(crate) fn redeem<R>(self, f: impl FnOnce(&S, Access<'_, P, Q>) -> R) -> R {
        let this = ManuallyDrop::new(self);
        // SAFETY: as in `life`: the ticket (`this`, not dropped before this returns) is counted.
        let life = unsafe { this.life.as_ref() };
        if let Some(window) = life.mine_last().and_then(|slot| life.enter_slot(slot)) {
            let held = window.slot.tickets.load(Ordering::Relaxed);
            window.slot.tickets.store(held - 1, Ordering::Relaxed);
            let done = f(
                &life.shared,
                Access::Here(&window.slot.public, &window.slot.private),
            );
            drop(window);
            return done;
        }
        ManuallyDrop::into_inner(this).redeem_slow(f)
    }

    /// The hot path of [`redeem`](Self::redeem): when the thread-local shortcut finds this
    /// thread's slot of a live pool, runs `f` in a leaf window; if `f` succeeds, it counted the
    /// ticket given back in the slot's parts ([`Reclaim::own_tickets`]), and the ticket is
    /// gone. Otherwise (no shortcut, a pool no longer live, or `f` handing `value` back)
    /// returns the ticket and `value` for the general path. Nothing here calls out of line, so
    /// the compiler can keep it a leaf.
    ///
    /// `f` must run no code that could open a window on this pool (no user code: a drop of
    /// another handle would): leaf windows do not nest.
    #[inline(always)]
    pub(crate) fn try_redeem_here<V>(
        self,
        value: V,
        f: impl FnOnce(V, &S, &P, &Q) -> Result<(), V>,
    ) -> Result<(), (Self, V)> {
        let life = self.life();
        let Some(window) = life.mine_last().and_then(|slot| life.enter_leaf(slot)) else {
            return Err((self, value));
        };
        let slot = window.0;
        match f(value, &life.shared, &slot.public, &slot.private) {
            Ok(()) => {
                drop(window);
                std::mem::forget(self);
                Ok(())
            }
            Err(value) => {
                drop(window);
                Err((self, value))
            }
        }
    }

    /// [`redeem`](Self::redeem) off its fast path: the slot looked up or made, or none.
    #[cold]
    #[inline(never)]
    fn redeem_slow<R>(self, f: impl FnOnce(&S, Access<'_, P, Q>) -> R) -> R {
        let this = ManuallyDrop::new(self);
        let life = this.life();
        // Bound, so that the window closes before `this` goes.
        let done = match life.enter() {
            Entered::Here(window) => {
                let held = window.slot.tickets.load(Ordering::Relaxed);
                window.slot.tickets.store(held - 1, Ordering::Relaxed);
                f(
                    &life.shared,
                    Access::Here(&window.slot.public, &window.slot.private),
                )
            }
            Entered::Elsewhere(_window) => {
                life.tickets.fetch_sub(1, Ordering::Relaxed);
                f(&life.shared, Access::Elsewhere)
            }
            Entered::Gone => {
                life.wait_dead();
                let _last = FreeIfLast(this.life);
                f(&life.shared, Access::Gone)
            }
        };
        done
    }

    /// Runs `f` as [`redeem`](Self::redeem) does, keeping the ticket.
    #[inline(always)]
    pub(crate) fn visit<R>(&self, f: impl FnOnce(&S, Access<'_, P, Q>) -> R) -> R {
        let life = self.life();
        if let Some(window) = life.mine_last().and_then(|slot| life.enter_slot(slot)) {
            let done = f(
                &life.shared,
                Access::Here(&window.slot.public, &window.slot.private),
            );
            drop(window);
            return done;
        }
        self.visit_slow(f)
    }

    #[cold]
    #[inline(never)]
    fn visit_slow<R>(&self, f: impl FnOnce(&S, Access<'_, P, Q>) -> R) -> R {
        let life = self.life();
        let done = match life.enter() {
            Entered::Here(window) => f(
                &life.shared,
                Access::Here(&window.slot.public, &window.slot.private),
            ),
            Entered::Elsewhere(_window) => f(&life.shared, Access::Elsewhere),
            Entered::Gone => {
                life.wait_dead();
                f(&life.shared, Access::Gone)
            }
        };
        done
    }

    /// The ticket as one pointer, to be given back by [`from_raw`](Self::from_raw).
    pub(crate) fn into_raw(self) -> NonNull<u8> {
        ManuallyDrop::new(self).life.cast()
    }

    /// # Safety
    /// `raw` comes from [`into_raw`](Self::into_raw) of a ticket of this type, and is not
    /// used again.
    pub(crate) unsafe fn from_raw(raw: NonNull<u8>) -> Self {
        Ticket {
            life: raw.cast(),
            _holds: PhantomData,
        }
    }
}

impl<S: Reclaim<P, Q>, P, Q> OnePointer for Ticket<S, P, Q> {
    type Pointee = Life<S, P, Q>;

    #[inline(always)]
    fn into_raw(self) -> NonNull<u8> {
        Ticket::into_raw(self)
    }

    #[inline(always)]
    unsafe fn from_raw(raw: NonNull<u8>) -> Self {
        // SAFETY: the caller passes `into_raw` of a ticket of this type, once.
        unsafe { Ticket::from_raw(raw) }
    }
}

impl<S: Reclaim<P, Q>, P, Q> Drop for Ticket<S, P, Q> {
    fn drop(&mut self) {
        let this = Ticket {
            life: self.life,
            _holds: PhantomData,
        };
        this.redeem(|_, _| ());
    }
}

impl<S: Reclaim<P, Q>, P, Q> std::fmt::Debug for Ticket<S, P, Q> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticket")
            .field("pool", &self.life().id)
            .finish()
    }
}
