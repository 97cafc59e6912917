//! A `#[derive(Pooled)]` type's process-wide pool: its thread cache's fast paths (what
//! [`Pooled::take`] and a handle's drop run) and the functions its [`Pool`] reaches through
//! [`GlobalFns`] (they need `T: Pooled`, which an instance pool's `T` need not be).

use std::mem;

use super::handle::PoolBox;
use super::home::{Entry, GlobalFns, Obj, ObjEvent, ObjHome, ObjShared, Release, STATS};
use super::ops::{count_in, get_in, OnUnwind};
use super::{Pool, Pooled};
use crate::cache::{run_global, Core, Local, Origin, Tier};
use crate::raw::{Emplace, Slot};
use crate::stats::Lengths;

/// `T`'s functions, in a `'static` a pool's state points at.
pub(crate) struct Fns<T>(T);

impl<T: Pooled> Fns<T> {
    pub(crate) const GLOBAL: GlobalFns<T> = GlobalFns {
        get: get_global::<T>,
        put: put_global::<T>,
        count: |event| with_local::<T, _>(|local| count_in(local, event)),
        trim_cache: || with_local::<T, _>(|local| local.trim_cache()),
        home: global_shared::<T>,
    };

    /// An object whose reset runs in line is reset and kept here, in a function that then
    /// needs no stack frame; any other is handed to a function of its own, whose frame holds
    /// what its out-of-line calls need (see [`Reset::__resets_in_line`]).
    pub(crate) const RELEASE: Release<T> = |shared, slot| {
        if slot.value.value.__resets_in_line() {
            reset_and_put(shared, slot);
        } else {
            reset_and_put_out_of_line(shared, slot);
        }
    };
}

/// Resets the object and keeps it in `T`'s process-wide pool. If the user's reset panics, the
/// object is counted as returned-then-dropped, and dropped once, by the unwinding `slot`.
#[inline(always)]
fn reset_and_put<T: Pooled>(shared: &ObjShared<T>, mut slot: Box<Slot<Obj<T>>>) {
    let counted = OnUnwind(Some(|| shared.count_global(ObjEvent::DropReturned)));
    T::reset(&mut slot.value.value);
    counted.disarm();
    put_global::<T>(Entry(slot), Origin::HandedOut);
}

#[inline(never)]
fn reset_and_put_out_of_line<T: Pooled>(shared: &ObjShared<T>, slot: Box<Slot<Obj<T>>>) {
    reset_and_put(shared, slot);
}

/// Runs `f` in the calling thread's cache of `T`'s process-wide pool, or uncached.
#[inline]
fn with_local<T: Pooled, R>(f: impl FnOnce(&mut Local<'_, Entry<T>>) -> R) -> R {
    run_global(global_core::<T>, |run| T::__with_cache(run), f)
}

fn global_shared<T: Pooled>() -> &'static ObjShared<T> {
    T::pool().global_shared()
}

fn global_core<T: Pooled>() -> &'static Core<Entry<T>> {
    &global_shared::<T>().core
}

/// An object of `T`'s process-wide pool: the calling thread's magazine, or the general path.
#[inline]
fn get_global<T: Pooled>() -> Entry<T> {
    match T::__with_cache(|cache| cache.pop(0, None, STATS)) {
        Some(Some(entry)) => entry,
        _ => get_global_slow::<T>(),
    }
}

/// The general path of [`get_global`], out of the hot path's straight line (see
/// `BytePool::get_other`).
#[cold]
#[inline(never)]
fn get_global_slow<T: Pooled>() -> Entry<T> {
    with_local::<T, _>(|local| get_in(local, || Slot::new_homed(None, T::__new)))
}

/// The fast path of [`Pooled::take`]: no vtable, no count on the pool.
#[inline]
pub(crate) fn take<T: Pooled>() -> PoolBox<T> {
    PoolBox::handed_out(get_global::<T>(), ObjHome::Global(global_shared::<T>()))
}

/// Puts an object back into `T`'s process-wide pool: the calling thread's magazine when it
/// has room (and the object was handed out, not a foreign put), the general path otherwise.
#[inline(always)]
fn put_global<T: Pooled>(entry: Entry<T>, origin: Origin) {
    let mut entry = Some(entry);
    if origin == Origin::HandedOut {
        T::__with_cache(|cache| cache.push(0, &mut entry, STATS));
    }
    if let Some(entry) = entry {
        put_global_slow::<T>(entry, origin);
    }
}

#[inline(never)]
fn put_global_slow<T: Pooled>(entry: Entry<T>, origin: Origin) {
    with_local::<T, _>(|local| local.put_tier(0, entry, origin, STATS));
}

impl<T: Pooled> Pool<T> {
    /// Builds the process-wide pool of `T` (called once, by the code `#[derive(Pooled)]`
    /// generates).
    #[doc(hidden)]
    #[must_use]
    pub fn __new_global(capacity: usize, thread_cache: usize) -> Self {
        let tier = Tier::global(mem::size_of::<T>(), capacity, thread_cache);
        Pool::from_global(ObjShared {
            core: Core::new(Box::new([tier]), None, Lengths::Unrecorded),
            factory: Emplace::new(T::__new),
            reset: Box::new(T::reset),
            release_global: Fns::<T>::RELEASE,
            global: Some(&Fns::<T>::GLOBAL),
        })
    }
}
