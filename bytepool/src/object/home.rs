//! What a pooled object's way back to its pool is made of: its slot ([`Entry`], an [`Obj`]
//! with its [`ObjHome`]), the pool's state that handles reach ([`ObjShared`]), an instance
//! pool's life ([`ObjOwner`], [`ObjTicket`]), and a process-wide pool's functions
//! ([`GlobalFns`]).

use std::fmt;

use crate::cache::{Core, Origin, SlotCache};
use crate::raw::{Emplace, Homed, Kept, Owner, Slot, Ticket};
use crate::stats::Counters;

/// Typed pools always keep statistics (a tier set's `Tiers::STATS` can turn a byte pool's off).
pub(crate) const STATS: bool = true;

pub(crate) type Resetter<T> = Box<dyn Fn(&mut T) + Send + Sync>;

/// A process-wide pool's release of a returned object: reset it and keep it.
pub(crate) type Release<T> = fn(&ObjShared<T>, Box<Slot<Obj<T>>>);

/// An instance typed pool's life: the pool owns it, each handle holds a ticket, and each
/// thread that uses it has a slot with its counter block and its cache.
pub(crate) type ObjOwner<T> = Owner<ObjShared<T>, Counters, SlotCache<Entry<T>>>;
pub(crate) type ObjTicket<T> = Ticket<ObjShared<T>, Counters, SlotCache<Entry<T>>>;

/// Counted events of a typed pool that do not move an object in or out of a tier.
#[derive(Clone, Copy)]
pub(crate) enum ObjEvent {
    Detach,
    DropReturned,
    ForeignPut,
}

/// A pooled object's slot: the object and the pool it returns to (kept while idle for a
/// process-wide pool; an instance pool's ticket is held only while the object is out).
#[doc(hidden)]
pub struct Entry<T: 'static>(pub(crate) Box<Slot<Obj<T>>>);

impl<T> Kept for Entry<T> {
    type Boxed = Box<Slot<Obj<T>>>;

    #[inline(always)]
    fn into_boxed(self) -> Self::Boxed {
        self.0
    }

    #[inline(always)]
    fn from_boxed(boxed: Self::Boxed) -> Self {
        Entry(boxed)
    }
}

impl<T> fmt::Debug for Entry<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Entry")
    }
}

/// An object in its slot, with the pool it returns to.
pub(crate) type Obj<T> = Homed<T, Option<ObjHome<T>>>;

/// Where an object goes back to.
pub(crate) enum ObjHome<T: 'static> {
    /// `T`'s process-wide pool: a `'static` reference, nothing counted.
    Global(&'static ObjShared<T>),
    /// An instance pool: a ticket of its life.
    Instance(ObjTicket<T>),
}

/// The state of a typed pool that its handles reach.
pub(crate) struct ObjShared<T: 'static> {
    pub(crate) core: Core<Entry<T>>,
    pub(super) factory: Emplace<T>,
    pub(crate) reset: Resetter<T>,
    /// A process-wide pool's release (reset the object, keep it), which a handle's drop calls
    /// directly. An instance pool's handles return through their ticket and never call it.
    pub(crate) release_global: Release<T>,
    /// A process-wide pool's functions, which need `T: Pooled`; `None` for an instance pool.
    pub(super) global: Option<&'static GlobalFns<T>>,
}

// As for byte pools: the pool's own state is consistent after a panic, including one in the
// user's reset (see `PoolBox`'s drop). Objects of a type that is not unwind-safe still make the
// handles that expose them not unwind-safe.
impl<T> std::panic::RefUnwindSafe for ObjShared<T> {}

impl<T: 'static> ObjShared<T> {
    /// Counts `event` in a process-wide pool (instance pools count through a ticket).
    pub(crate) fn count_global(&self, event: ObjEvent) {
        if let Some(global) = self.global {
            (global.count)(event);
        }
    }

    /// A thread's slot in an instance pool: its counter block and an empty cache.
    pub(super) fn new_slot(&self) -> (Counters, SlotCache<Entry<T>>) {
        let counters = Counters::new(1);
        let cache = SlotCache::new(&self.core, &counters);
        (counters, cache)
    }
}

impl<T> AsRef<Core<Entry<T>>> for ObjShared<T> {
    fn as_ref(&self) -> &Core<Entry<T>> {
        &self.core
    }
}

/// What a process-wide pool's [`Pool`] methods and handles call, for its `T`.
pub(crate) struct GlobalFns<T: 'static> {
    pub(crate) get: fn() -> Entry<T>,
    pub(crate) put: fn(Entry<T>, Origin),
    pub(crate) count: fn(ObjEvent),
    pub(crate) trim_cache: fn() -> usize,
    /// The pool's state, as its handles' `'static` home.
    pub(crate) home: fn() -> &'static ObjShared<T>,
}

/// The release of an instance pool's state, which its handles never call (they return
/// through their ticket).
pub(crate) fn release_global_never<T>(_: &ObjShared<T>, slot: Box<Slot<Obj<T>>>) {
    debug_assert!(
        false,
        "an instance pool's handle returned through the process-wide path"
    );
    drop(slot);
}
