//! The handles of typed pools: [`PoolBox`] (unique) and [`PoolArc`] (shared), the slot an
//! object lives in while idle and while out ([`Entry`]), and the way back to its pool.

use std::fmt;
use std::ops::{Deref, DerefMut};

use super::home::{Entry, Obj, ObjEvent, ObjHome, ObjShared};
use super::ops::{count_instance, count_through, put_instance, OnUnwind};
use crate::raw::{Consume, Consumed, Homed, Payload, RawArc, Slot};

/// A unique handle to a pooled object; dropping it resets the object and returns it.
///
/// `Send` when `T` is; `Sync` when `T` is `Send + Sync`.
///
/// # Examples
/// ```
/// use bytepool::{Pool, PoolBox};
///
/// let pool = Pool::<Vec<u8>>::new();
/// let mut buf: PoolBox<Vec<u8>> = pool.get();
/// buf.push(1);
/// let owned: Vec<u8> = buf.into_inner(); // detached: never returned
/// assert_eq!(owned, [1]);
/// ```
#[must_use = "dropping a handle returns the object to the pool at once"]
pub struct PoolBox<T: 'static> {
    held: Consumed<Held<T>>,
}

/// What a [`PoolBox`] holds: its object's slot. Dropping the handle consumes it (see
/// [`Consume`]): the object is reset and returned.
struct Held<T: 'static>(Box<Slot<Obj<T>>>);

impl<T> Consume for Held<T> {
    #[inline(always)]
    fn consume(self) {
        let slot = self.0;
        match &slot.value.home {
            // A process-wide pool's `'static` home stays in the slot for the next hand-out,
            // which spares writing it twice per round trip.
            Some(ObjHome::Global(shared)) => {
                let shared = *shared;
                if std::thread::panicking() {
                    return drop_while_unwinding(shared, slot);
                }
                (shared.release_global)(shared, slot);
            }
            Some(ObjHome::Instance(_)) => release_instance(slot),
            // Not handed out by a pool: the object is simply dropped.
            None => drop(slot),
        }
    }
}

/// A handle of a process-wide pool dropped while its thread unwinds: the object is dropped,
/// not reset (user code must not run now: a second panic would abort), and counted as
/// returned then dropped.
#[cold]
#[inline(never)]
fn drop_while_unwinding<T>(shared: &'static ObjShared<T>, slot: Box<Slot<Obj<T>>>) {
    shared.count_global(ObjEvent::DropReturned);
    drop(slot);
}

/// The drop of a handle of an instance pool: the object is reset (the user's code, outside
/// the pool's windows; if it panics, the object is counted as returned then dropped) and
/// returned through the handle's ticket.
#[inline(never)]
fn release_instance<T>(mut slot: Box<Slot<Obj<T>>>) {
    // The ticket leaves the slot, so that an idle object does not keep its pool alive.
    let Some(ObjHome::Instance(ticket)) = slot.value.home.take() else {
        unreachable!("an instance pool's handle holds a ticket");
    };
    if std::thread::panicking() {
        count_instance(ticket, ObjEvent::DropReturned);
        return drop(slot);
    }
    {
        let counted = OnUnwind(Some(|| count_through(&ticket, ObjEvent::DropReturned)));
        (ticket.shared().reset)(&mut slot.value.value);
        counted.disarm();
    }
    put_instance(ticket, Entry(slot));
}

impl<T: 'static> PoolBox<T> {
    #[inline(always)]
    pub(crate) fn from_slot(slot: Box<Slot<Obj<T>>>) -> Self {
        PoolBox {
            held: Consumed::new(Held(slot)),
        }
    }

    #[inline]
    pub(crate) fn handed_out(entry: Entry<T>, home: ObjHome<T>) -> Self {
        let mut slot = entry.0;
        // A process-wide pool's objects keep their home while idle (see `Held::consume`).
        slot.value.home.get_or_insert(home);
        PoolBox::from_slot(slot)
    }

    fn obj(&self) -> &Obj<T> {
        &self.held.0.value
    }

    fn obj_mut(&mut self) -> &mut Obj<T> {
        &mut self.held.0.value
    }

    fn take_slot(self) -> Box<Slot<Obj<T>>> {
        self.held.into_inner().0
    }

    /// Shares the object: a reference-counted [`PoolArc`] with a count of one. Allocates
    /// nothing: the pooled slot carries the count.
    ///
    /// # Examples
    /// ```
    /// let pool = bytepool::Pool::<String>::new();
    /// let mut s = pool.get();
    /// s.push_str("hi");
    /// let a = s.into_shared();
    /// let b = a.clone();
    /// assert_eq!((b.as_str(), a.ref_count()), ("hi", 2));
    /// ```
    pub fn into_shared(self) -> PoolArc<T> {
        PoolArc {
            raw: RawArc::from_box(self.take_slot()),
        }
    }

    /// Detaches the object from its pool: it will never be returned. Counted in
    /// [`Stats::detached`](crate::Stats::detached).
    ///
    /// # Examples
    /// ```
    /// use bytepool::{Pool, PoolStats};
    /// let pool = Pool::<String>::new();
    /// let s: String = pool.get().into_inner();
    /// assert_eq!(pool.stats().detached, 1);
    /// # drop(s);
    /// ```
    #[must_use]
    pub fn into_inner(self) -> T {
        let slot = self.take_slot();
        let Homed { value, home } = slot.value;
        match home {
            Some(ObjHome::Global(shared)) => shared.count_global(ObjEvent::Detach),
            Some(ObjHome::Instance(ticket)) => count_instance(ticket, ObjEvent::Detach),
            None => {}
        }
        value
    }
}

impl<T: 'static> Deref for PoolBox<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.obj().value
    }
}

impl<T: 'static> DerefMut for PoolBox<T> {
    #[inline]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.obj_mut().value
    }
}

impl<T: fmt::Debug + 'static> fmt::Debug for PoolBox<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PoolBox").field(&**self).finish()
    }
}

impl<T> Payload for Obj<T> {
    fn last_release(slot: Box<Slot<Self>>) {
        drop(PoolBox::from_slot(slot));
    }
}

/// A shared handle to a pooled object: `clone` retains, drop releases, and the last release
/// resets the object and returns it exactly once.
///
/// `Send` and `Sync` when `T` is `Send + Sync`. A count that would overflow aborts.
///
/// # Examples
/// ```
/// let pool = bytepool::Pool::<Vec<u32>>::new();
/// let mut v = pool.get();
/// v.extend([1, 2, 3]);
/// let shared = v.into_shared();
/// let worker = shared.clone();
/// std::thread::spawn(move || assert_eq!(worker.len(), 3)).join().unwrap();
/// let mut unique = shared.try_unwrap().unwrap(); // the worker's clone is gone
/// unique.clear();
/// ```
#[must_use = "dropping the last reference returns the object to the pool at once"]
pub struct PoolArc<T: 'static> {
    raw: RawArc<Obj<T>>,
}

impl<T: 'static> PoolArc<T> {
    /// The number of references (other threads may change it at any time).
    ///
    /// # Examples
    /// ```
    /// let a = bytepool::Pool::<u8>::new().get().into_shared();
    /// assert_eq!(a.ref_count(), 1);
    /// ```
    #[inline]
    pub fn ref_count(&self) -> usize {
        self.raw.ref_count()
    }

    /// Mutable access when this is the only reference.
    ///
    /// # Examples
    /// ```
    /// let mut a = bytepool::Pool::<u8>::new().get().into_shared();
    /// *a.get_mut().unwrap() = 5;
    /// let b = a.clone();
    /// assert!(a.get_mut().is_none());
    /// # drop(b);
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.raw.get_mut().map(|obj| &mut obj.value)
    }

    /// The unique handle back when this is the only reference; `self` otherwise.
    ///
    /// # Errors
    /// Returns `self` when other references exist.
    ///
    /// # Examples
    /// ```
    /// let a = bytepool::Pool::<u8>::new().get().into_shared();
    /// let b = a.clone();
    /// let a = a.try_unwrap().unwrap_err();
    /// drop(b);
    /// assert!(a.try_unwrap().is_ok());
    /// ```
    pub fn try_unwrap(self) -> Result<PoolBox<T>, Self> {
        match self.raw.try_unwrap() {
            Ok(slot) => Ok(PoolBox::from_slot(slot)),
            Err(raw) => Err(PoolArc { raw }),
        }
    }
}

impl<T: 'static> Clone for PoolArc<T> {
    #[inline]
    fn clone(&self) -> Self {
        PoolArc {
            raw: self.raw.clone(),
        }
    }
}

impl<T: 'static> Deref for PoolArc<T> {
    type Target = T;

    #[inline]
    fn deref(&self) -> &T {
        &self.raw.get().value
    }
}

impl<T: fmt::Debug + 'static> fmt::Debug for PoolArc<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolArc")
            .field("value", &**self)
            .field("ref_count", &self.ref_count())
            .finish()
    }
}
