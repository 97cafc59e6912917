//! [`Reset`]: cleaning an object in place for its next user, keeping its allocations, with the
//! std impls people pool; and [`Capacity`], for bounding what a reset keeps.

use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;
use std::mem;

/// Cleans an object in place for reuse, keeping its allocations.
///
/// Implemented for the std types people pool: collections are cleared (capacity kept),
/// `Option` becomes `None`, numbers, `bool` and `char` become their default, and `Box`, arrays
/// and tuples reset their contents. `#[derive(Pooled)]` implements it field by field.
///
/// # Examples
/// ```
/// use bytepool::Reset;
///
/// let mut v = Vec::with_capacity(100);
/// v.push(1u8);
/// v.reset();
/// assert!(v.is_empty());
/// assert!(v.capacity() >= 100);
///
/// let mut pair = (Some(3), String::from("x"));
/// pair.reset();
/// assert_eq!(pair, (None, String::new()));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not implement `bytepool::Reset`",
    label = "no `Reset` for this type",
    note = "`#[derive(Pooled)]` resets every field: add `#[pooled(skip)]` to keep this field as is, \
            or `#[pooled(reset = path::to::fn)]` to reset it with a `fn(&mut T)`",
    note = "for a type of your own, derive `Pooled` or implement `bytepool::Reset`"
)]
pub trait Reset {
    /// Makes `self` ready for its next user.
    fn reset(&mut self);

    /// Whether [`reset`](Self::reset) would now run in line: no drop glue to run and no call
    /// out of line (for a collection, whether it is empty or its elements need no drop).
    /// A process-wide pool resets an object that says so in a function without a stack frame,
    /// and any other in a function of its own. Implemented by the std impls and
    /// `#[derive(Pooled)]`; the default (yes) keeps a hand-written `reset` in the first one.
    ///
    /// # Examples
    /// ```
    /// use bytepool::Reset;
    /// let mut names = vec![String::from("a")];
    /// assert!(!names.__resets_in_line()); // a `String` to drop
    /// names.reset();
    /// assert!(names.__resets_in_line());
    /// ```
    #[doc(hidden)]
    #[inline]
    fn __resets_in_line(&self) -> bool {
        true
    }
}

/// Collections whose allocation can be measured, for `#[pooled(max_capacity = N)]`.
///
/// # Examples
/// ```
/// use bytepool::Capacity;
/// assert!(Capacity::capacity(&Vec::<u8>::with_capacity(10)) >= 10);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no capacity to bound",
    label = "`max_capacity` needs a collection such as `Vec`, `String` or `HashMap`",
    note = "`#[pooled(max_capacity = N)]` applies to types implementing `bytepool::Capacity`"
)]
pub trait Capacity {
    /// How many elements the collection holds without reallocating.
    fn capacity(&self) -> usize;
}

macro_rules! reset_to_default {
    ($($t:ty)*) => {$(
        impl Reset for $t {
            #[inline]
            fn reset(&mut self) {
                *self = <$t>::default();
            }
        }
    )*};
}

reset_to_default!(u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize f32 f64 bool char);

impl Reset for () {
    #[inline]
    fn reset(&mut self) {}
}

/// Resets a collection by `clear`, which keeps its allocation. When the elements have drop
/// glue, the clear runs out of line and only for a non-empty collection: an idle `Vec<String>`
/// then costs a test in every reset, not an inlined drop loop whose saved registers every
/// return pays. Without drop glue the clear
/// is a store or two and stays in line.
macro_rules! reset_by_clear {
    ($([$($g:tt)*] $t:ty => $elem:ty),* $(,)?) => {$(
        impl<$($g)*> Reset for $t {
            #[inline]
            fn reset(&mut self) {
                if !mem::needs_drop::<$elem>() {
                    self.clear();
                } else if !self.is_empty() {
                    out_of_line(self, Self::clear);
                }
            }

            #[inline]
            fn __resets_in_line(&self) -> bool {
                !mem::needs_drop::<$elem>() || self.is_empty()
            }
        }
    )*};
}

reset_by_clear!(
    [T] Vec<T> => T,
    [] String => u8,
    [T] VecDeque<T> => T,
    [T] BinaryHeap<T> => T,
    [K, V, S] HashMap<K, V, S> => (K, V),
    [T, S] HashSet<T, S> => T,
    [K, V] BTreeMap<K, V> => (K, V),
    [T] BTreeSet<T> => T,
);

/// Calls `f(value)` in a frame of its own.
#[inline(never)]
fn out_of_line<T: ?Sized>(value: &mut T, f: impl FnOnce(&mut T)) {
    f(value);
}

macro_rules! capacity {
    ($([$($g:tt)*] $t:ty),* $(,)?) => {$(
        impl<$($g)*> Capacity for $t {
            #[inline]
            fn capacity(&self) -> usize {
                <$t>::capacity(self)
            }
        }
    )*};
}

capacity!(
    [T] Vec<T>,
    [] String,
    [T] VecDeque<T>,
    [T] BinaryHeap<T>,
    [K, V, S: BuildHasher] HashMap<K, V, S>,
    [T, S: BuildHasher] HashSet<T, S>,
);

impl<T> Reset for Option<T> {
    #[inline]
    fn reset(&mut self) {
        *self = None;
    }

    #[inline]
    fn __resets_in_line(&self) -> bool {
        !mem::needs_drop::<T>() || self.is_none()
    }
}

impl<T: Reset + ?Sized> Reset for Box<T> {
    #[inline]
    fn reset(&mut self) {
        (**self).reset();
    }

    #[inline]
    fn __resets_in_line(&self) -> bool {
        (**self).__resets_in_line()
    }
}

impl<T: Reset, const N: usize> Reset for [T; N] {
    #[inline]
    fn reset(&mut self) {
        self.iter_mut().for_each(Reset::reset);
    }

    #[inline]
    fn __resets_in_line(&self) -> bool {
        self.iter().all(Reset::__resets_in_line)
    }
}

macro_rules! reset_tuple {
    ($($name:ident)+) => {
        impl<$($name: Reset),+> Reset for ($($name,)+) {
            #[inline]
            #[allow(non_snake_case)]
            fn reset(&mut self) {
                let ($($name,)+) = self;
                $($name.reset();)+
            }

            #[inline]
            #[allow(non_snake_case)]
            fn __resets_in_line(&self) -> bool {
                let ($($name,)+) = self;
                true $(&& $name.__resets_in_line())+
            }
        }
    };
}

reset_tuple!(A);
reset_tuple!(A B);
reset_tuple!(A B C);
reset_tuple!(A B C D);
reset_tuple!(A B C D E);
reset_tuple!(A B C D E F);
reset_tuple!(A B C D E F G);
reset_tuple!(A B C D E F G H);

/// Resets `value`, or replaces it with its default when its capacity grew beyond `max` (what
/// `#[pooled(max_capacity = N)]` generates).
///
/// # Examples
/// ```
/// let mut small = Vec::<u8>::with_capacity(8);
/// bytepool::reset_bounded(&mut small, 64);
/// assert!(small.capacity() >= 8);
/// let mut big = Vec::<u8>::with_capacity(1000);
/// bytepool::reset_bounded(&mut big, 64);
/// assert_eq!(big.capacity(), 0);
/// ```
#[inline]
pub fn reset_bounded<T: Reset + Capacity + Default>(value: &mut T, max: usize) {
    if value.capacity() > max {
        *value = T::default();
    } else {
        value.reset();
    }
}
