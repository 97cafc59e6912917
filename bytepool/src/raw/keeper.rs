//! [`Anchor`] and [`Keeper`]: how a thread cache lives in a thread-local without a destructor
//! while a second thread-local with one empties it at thread exit.

use std::fmt;
use std::ptr::NonNull;
use std::thread::LocalKey;

use crate::sync::Cell;

/// A value in a destructor-free thread-local (the cache) that points at a value kept by a
/// second thread-local with a destructor (the [`Keeper`]). Only [`Keeper::hold`] sets it, and
/// the keeper clears it before dropping what it points at.
#[doc(hidden)]
pub struct Anchor<T>(Cell<Option<NonNull<T>>>);

impl<T> Anchor<T> {
    pub(crate) const fn new() -> Self {
        Anchor(Cell::new(None))
    }

    /// The kept value, while its keeper holds it.
    #[inline(always)]
    pub(crate) fn get(&self) -> Option<&T> {
        // Only `Keeper::hold` sets the pointer: to the value its keeper (a thread-local of this
        // thread; the anchor is `!Send`) owns. The keeper's destructor clears this anchor before
        // it frees the value, and runs at thread exit from the runtime, never nested inside a
        // pool operation that could still hold a reference returned here.
        // SAFETY: so while the pointer is set, it points at a live value nobody mutates.
        self.0.get().map(|ptr| unsafe { ptr.as_ref() })
    }

    fn clear(&self) {
        self.0.set(None);
    }
}

impl<T> fmt::Debug for Anchor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Anchor")
            .field(&self.0.get().is_some())
            .finish()
    }
}

/// A thread-local type that anchors a value kept by a [`Keeper`].
#[doc(hidden)]
pub trait Anchored: 'static {
    /// What the keeper keeps.
    type Target: 'static;

    /// The anchor in this thread's value.
    fn anchor(&self) -> &Anchor<Self::Target>;

    /// Called at thread exit while the kept value is still anchored, before it is dropped.
    fn retire(&self);
}

/// Keeps, in a thread-local with a destructor, the value that a destructor-free thread-local
/// of type `C` reaches through its [`Anchor`]; at thread exit, retires the other value, clears
/// the anchor and only then drops what it keeps.
///
/// The value lives in its own allocation, not inside the keeper: dropping the keeper borrows
/// it mutably, which must not overlap the shared borrows the anchor hands out.
#[doc(hidden)]
pub struct Keeper<C: Anchored> {
    /// From `Box::leak`, owned by the keeper.
    value: Cell<Option<NonNull<C::Target>>>,
    anchored: Cell<Option<&'static LocalKey<C>>>,
}

impl<C: Anchored> Keeper<C> {
    /// A keeper holding nothing.
    #[must_use]
    pub const fn new() -> Self {
        Keeper {
            value: Cell::new(None),
            anchored: Cell::new(None),
        }
    }

    /// Keeps `value` in this thread's `keeper` and anchors it in this thread's `anchored`;
    /// `false` (and `value` dropped) when the keeper is being destroyed (the thread is
    /// exiting) or already keeps a value.
    pub fn hold(
        keeper: &'static LocalKey<Self>,
        anchored: &'static LocalKey<C>,
        value: C::Target,
    ) -> bool {
        keeper
            .try_with(|keeper| {
                if keeper.value.get().is_some() {
                    return false;
                }
                let kept = NonNull::from(Box::leak(Box::new(value)));
                if anchored
                    .try_with(|owner| owner.anchor().0.set(Some(kept)))
                    .is_err()
                {
                    // SAFETY: `kept` came from `Box::leak` just above and was anchored nowhere.
                    drop(unsafe { Box::from_raw(kept.as_ptr()) });
                    return false;
                }
                keeper.value.set(Some(kept));
                keeper.anchored.set(Some(anchored));
                true
            })
            .unwrap_or(false)
    }
}

impl<C: Anchored> Default for Keeper<C> {
    fn default() -> Self {
        Self::new()
    }
}

impl<C: Anchored> Drop for Keeper<C> {
    fn drop(&mut self) {
        if let Some(anchored) = self.anchored.take() {
            // A destroyed owner has no anchor left to clear.
            let _ = anchored.try_with(|owner| {
                // Cleared even if `retire` unwinds: the kept value is dropped next either way.
                let _clear = ClearOnDrop(owner.anchor());
                owner.retire();
            });
        }
        if let Some(kept) = self.value.take() {
            // The anchor pointing at it was cleared just above, and no reference it lent is in
            // use: this destructor runs from the thread-exit runtime, not inside a pool operation.
            // SAFETY: `kept` came from `Box::leak` in `hold`; the cell is empty now, so once.
            drop(unsafe { Box::from_raw(kept.as_ptr()) });
        }
    }
}

/// Clears an anchor when dropped, also while unwinding.
struct ClearOnDrop<'a, T>(&'a Anchor<T>);

impl<T> Drop for ClearOnDrop<'_, T> {
    fn drop(&mut self) {
        self.0.clear();
    }
}

impl<C: Anchored> fmt::Debug for Keeper<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keeper")
            .field("holds", &self.value.get().is_some())
            .finish()
    }
}
