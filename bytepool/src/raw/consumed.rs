//! [`Consumed`]: a value handed over by value when its owner drops it, the handles' drops.

use std::fmt;
use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};

/// A value that is used up, by value, when its owner drops it: see [`Consumed`].
pub(crate) trait Consume {
    /// Runs instead of the value's drop glue.
    fn consume(self);
}

/// Owns a `T` and hands it to [`Consume::consume`] by value when dropped.
///
/// `Drop` lends `&mut self`, so a handle that gives its parts away on drop must leave
/// placeholders behind (`mem::take`), which the drop glue then inspects again after the
/// hand-off; across an indirect call the compiler cannot prove them empty. Here the drop moves
/// the value out once and nothing runs after `consume`, which can then be a tail call.
pub(crate) struct Consumed<T: Consume>(ManuallyDrop<T>);

impl<T: Consume> Consumed<T> {
    pub(crate) const fn new(value: T) -> Self {
        Consumed(ManuallyDrop::new(value))
    }

    /// The value, without consuming it.
    pub(crate) fn into_inner(self) -> T {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so this is the only move out of the value.
        unsafe { ManuallyDrop::take(&mut this.0) }
    }
}

impl<T: Consume> Deref for Consumed<T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Consume> DerefMut for Consumed<T> {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: Consume> Drop for Consumed<T> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: `drop` runs at most once, and `into_inner` forgets `self` instead of dropping
        // it, so the value is still there and is moved out exactly once.
        let value = unsafe { ManuallyDrop::take(&mut self.0) };
        value.consume();
    }
}

impl<T: Consume + fmt::Debug> fmt::Debug for Consumed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        T::fmt(self, f)
    }
}
