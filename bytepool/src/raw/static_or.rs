//! [`StaticOr`]: a `&'static S` or an owned one-pointer `O` in one word, a handle's way home.

use std::marker::PhantomData;
use std::mem::{align_of, ManuallyDrop};
use std::ops::Deref;
use std::ptr::NonNull;

/// A `&'static S` or an owned `O` (a one-pointer value such as a pool's [`Ticket`]) in one
/// word: a handle's way back to its pool, which is either a process-wide pool (`'static`,
/// nothing counted) or an instance pool the handle holds a ticket of.
///
/// An enum of the two would take two words, since neither pointer has a niche the other can
/// use; here bit 0 of the address says which it is (`S` is aligned to at least 2, and an `O`'s
/// pointer must be too).
pub(crate) struct StaticOr<S: 'static, O: OnePointer> {
    /// Bit 0 clear: a `&'static S`. Set: `O::into_raw` of an `O`, plus 1.
    ptr: NonNull<u8>,
    // Holds one of the two, for the drop checker and the auto traits.
    _holds: PhantomData<(&'static S, O)>,
}

/// An owned value that is one pointer, aligned to at least 2, given up and taken back whole.
pub(crate) trait OnePointer: Sized {
    /// What the pointer points at, aligned to at least 2 (checked at compile time).
    type Pointee;

    fn into_raw(self) -> NonNull<u8>;

    /// # Safety
    /// `raw` comes from [`into_raw`](Self::into_raw), and this is its only use.
    unsafe fn from_raw(raw: NonNull<u8>) -> Self;
}

/// What a [`StaticOr`] holds.
pub(crate) enum Either<S, O> {
    Static(S),
    Owned(O),
}

/// An `O` lent out of a [`StaticOr`] for the borrow's length: it is not dropped.
pub(crate) struct Lent<'a, O>(ManuallyDrop<O>, PhantomData<&'a O>);

impl<O> Deref for Lent<'_, O> {
    type Target = O;

    #[inline(always)]
    fn deref(&self) -> &O {
        &self.0
    }
}

// SAFETY: a `StaticOr<S, O>` is a `&'static S` or an `O`, and is `Send` exactly when both of
// those are.
unsafe impl<S: Sync, O: OnePointer + Send> Send for StaticOr<S, O> {}
// SAFETY: as for `Send`: it lends out only `&S` and `&O`, and both of those are `Sync` here.
unsafe impl<S: Sync, O: OnePointer + Sync> Sync for StaticOr<S, O> {}

impl<S: 'static, O: OnePointer> StaticOr<S, O> {
    const TAG: usize = 1;
    const ALIGNED: () = assert!(align_of::<S>() > Self::TAG);
    const OWNED_ALIGNED: () = assert!(align_of::<O::Pointee>() > Self::TAG);

    #[inline(always)]
    pub(crate) fn from_static(s: &'static S) -> Self {
        let () = Self::ALIGNED;
        StaticOr {
            ptr: NonNull::from(s).cast(),
            _holds: PhantomData,
        }
    }

    #[inline(always)]
    pub(crate) fn from_owned(o: O) -> Self {
        let () = Self::OWNED_ALIGNED;
        let raw = o.into_raw();
        debug_assert!(
            raw.addr().get() & Self::TAG == 0,
            "a one-pointer value is aligned to 2"
        );
        StaticOr {
            ptr: raw.map_addr(|addr| addr | Self::TAG),
            _holds: PhantomData,
        }
    }

    /// The owned value's pointer, when this holds one.
    #[inline(always)]
    fn owned_ptr(&self) -> Option<NonNull<u8>> {
        let tagged = self.ptr.as_ptr();
        if tagged.addr() & Self::TAG == 0 {
            return None;
        }
        let raw = tagged.map_addr(|addr| addr & !Self::TAG);
        // SAFETY: the tag is set only on an owned value's pointer (`from_owned`), which is not
        // null and has bit 0 clear (`OWNED_ALIGNED`), so clearing the tag gives it back.
        Some(unsafe { NonNull::new_unchecked(raw) })
    }

    #[inline(always)]
    pub(crate) fn get(&self) -> Either<&'static S, Lent<'_, O>> {
        let Some(raw) = self.owned_ptr() else {
            // SAFETY: with bit 0 clear, `ptr` came from a `&'static S` (`from_static`).
            return Either::Static(unsafe { self.ptr.cast::<S>().as_ref() });
        };
        // SAFETY: `ptr` is `into_raw` of an `O` that `self` owns (`from_owned`); the copy made
        // here is lent, never dropped, for no longer than `self` is borrowed.
        let lent = ManuallyDrop::new(unsafe { O::from_raw(raw) });
        Either::Owned(Lent(lent, PhantomData))
    }

    #[inline(always)]
    pub(crate) fn into_inner(self) -> Either<&'static S, O> {
        let this = ManuallyDrop::new(self);
        match this.owned_ptr() {
            // SAFETY: `ptr` is `into_raw` of an `O` that `this` owned; `this` is not dropped,
            // so the `O` rebuilt here is its only owner.
            Some(raw) => Either::Owned(unsafe { O::from_raw(raw) }),
            // SAFETY: with bit 0 clear, `ptr` came from a `&'static S` (`from_static`).
            None => Either::Static(unsafe { this.ptr.cast::<S>().as_ref() }),
        }
    }
}

impl<S: 'static, O: OnePointer> Drop for StaticOr<S, O> {
    fn drop(&mut self) {
        if let Some(raw) = self.owned_ptr() {
            // SAFETY: as in `into_inner`; `drop` runs once, so the `O` is rebuilt once.
            drop(unsafe { O::from_raw(raw) });
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    static ANSWER: u64 = 42;

    /// A one-pointer value for the tests: a static counter, counting each time it is rebuilt.
    impl OnePointer for &'static std::sync::atomic::AtomicUsize {
        type Pointee = std::sync::atomic::AtomicUsize;

        fn into_raw(self) -> NonNull<u8> {
            NonNull::from(self).cast()
        }

        unsafe fn from_raw(raw: NonNull<u8>) -> Self {
            self_drops(raw)
        }
    }

    fn self_drops(raw: NonNull<u8>) -> &'static std::sync::atomic::AtomicUsize {
        // SAFETY: the tests store only `&'static AtomicUsize`s.
        let count = unsafe { raw.cast::<std::sync::atomic::AtomicUsize>().as_ref() };
        count.fetch_add(1, Ordering::Relaxed);
        count
    }

    #[test]
    fn a_static_or_gives_back_the_static_it_holds() {
        type Held = StaticOr<u64, &'static std::sync::atomic::AtomicUsize>;
        let held = Held::from_static(&ANSWER);
        assert!(matches!(held.get(), Either::Static(s) if std::ptr::eq(s, &ANSWER)));
        assert!(matches!(held.into_inner(), Either::Static(s) if std::ptr::eq(s, &ANSWER)));
    }

    #[test]
    fn a_static_or_rebuilds_what_it_owns_once_per_use() {
        static REBUILT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        type Held = StaticOr<u64, &'static std::sync::atomic::AtomicUsize>;
        let held = Held::from_owned(&REBUILT);
        assert!(matches!(held.get(), Either::Owned(o) if std::ptr::eq(*o, &REBUILT)));
        assert_eq!(REBUILT.load(Ordering::Relaxed), 1, "lent: rebuilt once");
        let Either::Owned(back) = held.into_inner() else {
            panic!("an owned value came back as a static");
        };
        assert!(std::ptr::eq(back, &REBUILT));
        assert_eq!(REBUILT.load(Ordering::Relaxed), 2, "taken out: once more");
        drop(Held::from_owned(&REBUILT));
        assert_eq!(
            REBUILT.load(Ordering::Relaxed),
            3,
            "dropped: rebuilt to be dropped"
        );
    }

    #[test]
    fn a_static_or_is_one_word_and_its_option_too() {
        type Held = StaticOr<u64, &'static std::sync::atomic::AtomicUsize>;
        let word = std::mem::size_of::<usize>();
        assert_eq!(std::mem::size_of::<Held>(), word);
        assert_eq!(std::mem::size_of::<Option<Held>>(), word);
    }
}
