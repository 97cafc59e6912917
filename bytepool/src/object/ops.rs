//! The operations of typed pools that handles and pools share: a get and the counts on any
//! cache, and an instance pool's get, return and counts through its tickets.

use std::cell::RefCell;

use super::home::{Entry, Obj, ObjEvent, ObjOwner, ObjShared, ObjTicket, STATS};
use crate::cache::{Local, Origin, Shelf, SlotCache, SlotShelf};
use crate::raw::{Access, Slot};
use crate::stats::{Counters, Event};

/// An idle object, or a new one in the slot `make` builds.
pub(crate) fn get_in<T, M: Shelf<Entry<T>>>(
    local: &mut Local<'_, Entry<T>, M>,
    make: impl FnOnce() -> Box<Slot<Obj<T>>>,
) -> Entry<T> {
    let made = local.get_tier(0, STATS, |_| Ok(Entry(make())));
    match made {
        Ok(entry) => entry,
        Err(err) => unreachable!("object factories do not fail: {err}"),
    }
}

pub(crate) fn count_in<T, M: Shelf<Entry<T>>>(local: &mut Local<'_, Entry<T>, M>, event: ObjEvent) {
    match event {
        ObjEvent::Detach => local.detach(STATS),
        ObjEvent::DropReturned => local.drop_returned(0, STATS),
        ObjEvent::ForeignPut => local.count(Event::ForeignPut, STATS),
    }
}

/// Runs `f` in the calling thread's slot of the instance pool `owner` (in the shared context
/// while the thread exits).
pub(super) fn with_owner<T, R>(
    owner: &ObjOwner<T>,
    f: impl FnOnce(&mut Local<'_, Entry<T>, SlotShelf<'_, Entry<T>>>) -> R,
) -> R {
    let core = &owner.shared().core;
    match owner.here() {
        Some(here) => f(&mut here.private().local(core, here.public())),
        None => f(&mut Local::uncached(core)),
    }
}

/// An object of an instance pool and its ticket: from the calling thread's magazine, or the
/// general path.
#[inline]
pub(super) fn take_instance<T>(owner: &ObjOwner<T>) -> (Entry<T>, ObjTicket<T>) {
    if let Some(here) = owner.here() {
        if let Some(entry) = here.private().pop_ticketed(0, here.public(), None, STATS) {
            return (entry, here.private_ticket());
        }
    }
    take_instance_slow(owner)
}

#[cold]
#[inline(never)]
fn take_instance_slow<T>(owner: &ObjOwner<T>) -> (Entry<T>, ObjTicket<T>) {
    let shared = owner.shared();
    let entry = with_owner(owner, |local| {
        get_in(local, || Slot::new_from(None, &shared.factory))
    });
    (entry, owner.ticket())
}

/// Returns a reset object to the instance pool of `ticket`, giving the ticket back: into this
/// thread's magazine when it can (nothing there runs user code), else by the general path.
#[inline]
pub(crate) fn put_instance<T>(ticket: ObjTicket<T>, entry: Entry<T>) {
    let kept = ticket.try_redeem_here(entry, |entry, _, counters, cache| {
        cache.push_ticketed(0, entry, counters, STATS)
    });
    if let Err((ticket, entry)) = kept {
        put_instance_slow(ticket, entry);
    }
}

/// [`put_instance`] off its hot path. Objects the pool lets go meanwhile (a full cache's spill
/// that the shared queue cannot keep, or all of them once the pool is gone) are dropped after
/// the ticket's window: their drops are user code.
#[cold]
#[inline(never)]
fn put_instance_slow<T>(ticket: ObjTicket<T>, entry: Entry<T>) {
    let dropped = ticket.redeem(|shared, access| match access {
        Access::Here(counters, cache) => {
            let bin = RefCell::new(Vec::new());
            cache
                .local(&shared.core, counters)
                .dropping_into(&bin)
                .put_tier(0, entry, Origin::HandedOut, STATS);
            bin.into_inner()
        }
        Access::Elsewhere => {
            let bin = RefCell::new(Vec::new());
            <Local<'_, _>>::uncached(&shared.core)
                .dropping_into(&bin)
                .put_tier(0, entry, Origin::HandedOut, STATS);
            bin.into_inner()
        }
        Access::Gone => vec![entry],
    });
    drop(dropped);
}

/// Counts `event` in the instance pool of `ticket`, giving the ticket back.
pub(crate) fn count_instance<T>(ticket: ObjTicket<T>, event: ObjEvent) {
    ticket.redeem(|shared, access| count_at(shared, access, event));
}

/// Counts `event` in the instance pool of `ticket`, which the caller keeps.
pub(crate) fn count_through<T>(ticket: &ObjTicket<T>, event: ObjEvent) {
    ticket.visit(|shared, access| count_at(shared, access, event));
}

fn count_at<T>(
    shared: &ObjShared<T>,
    access: Access<'_, Counters, SlotCache<Entry<T>>>,
    event: ObjEvent,
) {
    match access {
        Access::Here(counters, cache) => count_in(&mut cache.local(&shared.core, counters), event),
        Access::Elsewhere => count_in(&mut <Local<'_, _>>::uncached(&shared.core), event),
        Access::Gone => {}
    }
}

/// Runs its closure if dropped armed: while a user's reset unwinds.
pub(crate) struct OnUnwind<F: FnOnce()>(pub(crate) Option<F>);

impl<F: FnOnce()> OnUnwind<F> {
    /// The code it guarded did not unwind.
    pub(crate) fn disarm(self) {
        std::mem::forget(self);
    }
}

impl<F: FnOnce()> Drop for OnUnwind<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}
