//! Fixed-capacity ring queues that keep the most recent elements, as in the Go original.
//!
//! - [`RingQueue`]: lock-free, for plain values ([`RingValue`]: integers, floats, `bool`,
//!   `char`); a push overwrites the oldest element when the ring is full.
//! - [`LockedRingQueue`]: a mutex around a `VecDeque`, for any `Clone` type; adds
//!   [`pop`](LockedRingQueue::pop) and [`peek`](LockedRingQueue::peek).
//! - [`Ring`]: what both implement, with `&self` methods so one ring can be shared between
//!   threads. It is what [`Builder::recent_lengths`](crate::Builder::recent_lengths) takes to
//!   record the lengths a byte pool is asked for, and a user type can implement it too.
//!
//! # Examples
//! A byte pool that records its last 1024 requested lengths in a lock-free ring:
//! ```
//! use bytepool::ring::{Ring, RingQueue};
//! use bytepool::{tiers::Stream, BytePool, PoolStats};
//!
//! let pool = BytePool::<Stream>::builder()
//!     .recent_lengths(RingQueue::new(1024))
//!     .build();
//! for len in [100, 2000, 300] {
//!     drop(pool.get(len));
//! }
//! assert_eq!(pool.stats().recent_lengths, [100, 2000, 300]);
//!
//! // The rings on their own:
//! let recent = RingQueue::new(2);
//! for id in 1..=3u32 {
//!     recent.push(id);
//! }
//! assert_eq!(recent.to_vec(), [2, 3]); // the oldest was overwritten
//! ```

use std::collections::VecDeque;
use std::fmt;

use crossbeam_utils::atomic::AtomicCell;

use crate::sync::{fence, lock, AtomicUsize, Backoff, Mutex, MutexGuard, Ordering};

/// A bounded ring that keeps the newest `capacity` elements.
///
/// Every method takes `&self`, so one ring can be shared between threads (and given to a pool
/// as `Box<dyn Ring<usize> + Send + Sync>`).
///
/// # Examples
/// ```
/// use bytepool::ring::{LockedRingQueue, Ring, RingQueue};
///
/// fn fill(ring: &dyn Ring<u32>) -> Vec<u32> {
///     for i in 0..5 {
///         ring.push(i);
///     }
///     ring.to_vec()
/// }
/// assert_eq!(fill(&RingQueue::new(3)), [2, 3, 4]);
/// assert_eq!(fill(&LockedRingQueue::new(3)), [2, 3, 4]);
/// ```
pub trait Ring<T> {
    /// Appends `value`, evicting the oldest element when the ring is full.
    fn push(&self, value: T);
    /// The elements from oldest to newest.
    fn to_vec(&self) -> Vec<T>;
    /// The number of elements held.
    fn len(&self) -> usize;
    /// The most elements the ring holds.
    fn capacity(&self) -> usize;
    /// Whether the ring holds `capacity()` elements.
    fn is_full(&self) -> bool {
        self.len() == self.capacity()
    }
    /// Whether the ring holds nothing.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Removes every element.
    fn clear(&self);
}

/// A lock-free ring of plain values (integers, floats, `bool`, `char`: see [`RingValue`]) that
/// overwrites the oldest element when full.
///
/// Writers take a ticket (one `fetch_add`) and write their slot under a per-slot sequence
/// stamp; readers copy a slot and keep it only if its stamp did not move meanwhile (a seqlock
/// whose value cells are native atomics, so a read that overlaps a write is an atomic load, not
/// a data race: that is why the values are restricted to [`RingValue`] types). For values of any
/// `Clone` type, use [`LockedRingQueue`]. A writer waits only for the writer one lap ahead
/// of it on the same slot, so pushes never block each other otherwise.
/// [`to_vec`](Ring::to_vec) is a snapshot: elements being written during the call are left out.
///
/// # Examples
/// ```
/// use bytepool::ring::{Ring, RingQueue};
///
/// let ring = RingQueue::new(2);
/// ring.push('a');
/// ring.push('b');
/// ring.push('c'); // evicts 'a'
/// assert_eq!(ring.to_vec(), ['b', 'c']);
/// assert!(ring.is_full());
/// ```
pub struct RingQueue<T> {
    slots: Box<[RingSlot<T>]>,
    /// Tickets handed out: the number of pushes ever started.
    head: AtomicUsize,
    /// Tickets below this were cleared.
    start: AtomicUsize,
}

struct RingSlot<T> {
    /// `2 * (ticket + capacity)` once the writer of `ticket` finished (the value the next
    /// lap's writer waits for); odd while a write is in progress.
    stamp: AtomicUsize,
    /// Meaningful once `stamp` says a write finished; `T::INIT` before the first.
    value: AtomicCell<T>,
}

/// A value a [`RingQueue`] can hold: a type whose [`AtomicCell`] is a native atomic without
/// padding bytes (the integers, `f32`, `f64`, `bool` and `char`), so concurrent reads and writes
/// of a slot are atomic operations. Sealed.
///
/// # Examples
/// ```
/// use bytepool::ring::{Ring, RingQueue};
/// let ring = RingQueue::<f64>::new(2);
/// ring.push(1.5);
/// assert_eq!(ring.to_vec(), [1.5]);
/// ```
pub trait RingValue: Copy + Send + Sync + 'static + sealed::Sealed {
    /// The value a slot holds before its first write (never read back).
    #[doc(hidden)]
    const INIT: Self;
}

mod sealed {
    pub trait Sealed {}
}

macro_rules! ring_values {
    ($($ty:ty = $init:expr),* $(,)?) => {
        $(
            impl sealed::Sealed for $ty {}
            impl RingValue for $ty {
                const INIT: Self = $init;
            }
        )*

        /// Whether each `RingValue` type's cell is a native atomic on this target, in the order
        /// of the list above (the same list, so a new type cannot be left out of the test).
        #[cfg(all(test, not(loom)))]
        const RING_VALUES_LOCK_FREE: &[(&str, bool)] =
            &[$((stringify!($ty), AtomicCell::<$ty>::is_lock_free())),*];
    };
}

ring_values! {
    u8 = 0, u16 = 0, u32 = 0, u64 = 0, usize = 0,
    i8 = 0, i16 = 0, i32 = 0, i64 = 0, isize = 0,
    f32 = 0.0, f64 = 0.0, bool = false, char = '\0',
}

impl<T: RingValue> RingQueue<T> {
    /// Creates a ring holding at most `capacity` elements.
    ///
    /// # Panics
    /// If `capacity` is zero.
    ///
    /// # Examples
    /// ```
    /// use bytepool::ring::{Ring, RingQueue};
    ///
    /// let ring = RingQueue::<usize>::new(256);
    /// assert!(ring.is_empty());
    /// ```
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        const {
            assert!(
                AtomicCell::<T>::is_lock_free(),
                "RingQueue needs a native atomic for its values on this target"
            );
        }
        assert!(capacity > 0, "ring capacity must be non-zero");
        let slots = (0..capacity)
            .map(|i| RingSlot {
                stamp: AtomicUsize::new(2 * i),
                value: AtomicCell::new(T::INIT),
            })
            .collect();
        RingQueue {
            slots,
            head: AtomicUsize::new(0),
            start: AtomicUsize::new(0),
        }
    }

    fn first_live(&self, head: usize) -> usize {
        head.saturating_sub(self.slots.len())
            .max(self.start.load(Ordering::Acquire))
    }
}

impl<T: RingValue> Ring<T> for RingQueue<T> {
    fn push(&self, value: T) {
        let ticket = self.head.fetch_add(1, Ordering::AcqRel);
        let cap = self.slots.len();
        let slot = &self.slots[ticket % cap];
        // Wait for the previous lap's writer of this slot to finish.
        let ready = 2 * ticket;
        let backoff = Backoff::new();
        while slot.stamp.load(Ordering::Acquire) != ready {
            backoff.snooze();
        }
        slot.stamp.store(ready + 1, Ordering::Relaxed);
        fence(Ordering::Release);
        slot.value.store(value);
        slot.stamp.store(2 * (ticket + cap), Ordering::Release);
    }

    fn to_vec(&self) -> Vec<T> {
        let head = self.head.load(Ordering::Acquire);
        let cap = self.slots.len();
        let mut out = Vec::with_capacity(head.min(cap));
        for ticket in self.first_live(head)..head {
            let slot = &self.slots[ticket % cap];
            let done = 2 * (ticket + cap);
            if slot.stamp.load(Ordering::Acquire) != done {
                continue; // still being written, or already overwritten
            }
            let value = slot.value.load();
            fence(Ordering::Acquire);
            if slot.stamp.load(Ordering::Relaxed) == done {
                out.push(value);
            }
        }
        out
    }

    fn len(&self) -> usize {
        let head = self.head.load(Ordering::Acquire);
        head - self.first_live(head)
    }

    fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn clear(&self) {
        self.start
            .fetch_max(self.head.load(Ordering::Acquire), Ordering::AcqRel);
    }
}

impl<T: RingValue + fmt::Debug> fmt::Debug for RingQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.to_vec()).finish()
    }
}

/// A mutex-protected ring that overwrites the oldest element when full, with
/// [`pop`](Self::pop) and [`peek`](Self::peek) on the oldest element.
///
/// # Examples
/// ```
/// use bytepool::ring::{LockedRingQueue, Ring};
///
/// let ring = LockedRingQueue::new(2);
/// ring.push(1);
/// ring.push(2);
/// ring.push(3);
/// assert_eq!(ring.peek(), Some(2));
/// assert_eq!(ring.pop(), Some(2));
/// assert_eq!(ring.to_vec(), [3]);
/// ```
pub struct LockedRingQueue<T> {
    capacity: usize,
    items: Mutex<VecDeque<T>>,
}

impl<T> LockedRingQueue<T> {
    /// Creates a ring holding at most `capacity` elements.
    ///
    /// # Panics
    /// If `capacity` is zero.
    ///
    /// # Examples
    /// ```
    /// use bytepool::ring::{LockedRingQueue, Ring};
    ///
    /// let ring = LockedRingQueue::<String>::new(8);
    /// assert_eq!(ring.capacity(), 8);
    /// ```
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        assert!(capacity > 0, "ring capacity must be non-zero");
        LockedRingQueue {
            capacity,
            items: Mutex::new(VecDeque::with_capacity(capacity)),
        }
    }

    fn items(&self) -> MutexGuard<'_, VecDeque<T>> {
        // A panic cannot leave the deque inconsistent (no user code runs under the lock except
        // `Clone` in `peek`/`to_vec`, which does not mutate it), so poisoning is ignored.
        lock(&self.items)
    }

    /// Removes and returns the oldest element.
    ///
    /// # Examples
    /// ```
    /// use bytepool::ring::{LockedRingQueue, Ring};
    /// let ring = LockedRingQueue::new(4);
    /// ring.push("a");
    /// assert_eq!(ring.pop(), Some("a"));
    /// assert_eq!(ring.pop(), None);
    /// ```
    pub fn pop(&self) -> Option<T> {
        self.items().pop_front()
    }

    /// Returns a copy of the oldest element without removing it.
    ///
    /// # Examples
    /// ```
    /// use bytepool::ring::{LockedRingQueue, Ring};
    /// let ring = LockedRingQueue::new(4);
    /// ring.push(7);
    /// assert_eq!(ring.peek(), Some(7));
    /// assert_eq!(ring.len(), 1);
    /// ```
    pub fn peek(&self) -> Option<T>
    where
        T: Clone,
    {
        self.items().front().cloned()
    }
}

impl<T: Clone + Send> Ring<T> for LockedRingQueue<T> {
    fn push(&self, value: T) {
        let mut items = self.items();
        if items.len() == self.capacity {
            items.pop_front();
        }
        items.push_back(value);
    }

    fn to_vec(&self) -> Vec<T> {
        self.items().iter().cloned().collect()
    }

    fn len(&self) -> usize {
        self.items().len()
    }

    fn capacity(&self) -> usize {
        self.capacity
    }

    fn clear(&self) {
        self.items().clear();
    }
}

impl<T: fmt::Debug> fmt::Debug for LockedRingQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items = self.items();
        f.debug_list().entries(items.iter()).finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn smoke() {
        let ring = RingQueue::new(4);
        assert!(ring.is_empty());
        for i in 0..10 {
            ring.push(i);
        }
        assert_eq!(ring.to_vec(), [6, 7, 8, 9]);
        assert_eq!(ring.len(), 4);
        ring.clear();
        assert!(ring.is_empty());
        assert_eq!(ring.to_vec(), Vec::<i32>::new());
        ring.push(42);
        assert_eq!(ring.to_vec(), [42]);
    }

    #[test]
    fn locked_matches_lock_free_sequentially() {
        let a = RingQueue::new(5);
        let b = LockedRingQueue::new(5);
        for i in 0..23u64 {
            a.push(i * 3);
            b.push(i * 3);
            assert_eq!(a.to_vec(), b.to_vec());
            assert_eq!(a.len(), b.len());
            assert_eq!(a.is_full(), b.is_full());
        }
    }

    #[test]
    fn concurrent_pushes_keep_per_thread_order() {
        let ring = Arc::new(RingQueue::new(64));
        let n = if cfg!(miri) { 50 } else { 20_000 };
        // A value is `thread << 32 | i`.
        let threads: Vec<_> = (0..2u64)
            .map(|t| {
                let ring = Arc::clone(&ring);
                std::thread::spawn(move || {
                    for i in 0..n {
                        ring.push(t << 32 | i);
                        let seen = ring.to_vec();
                        assert!(seen.len() <= 64);
                        // Each thread's own values appear in increasing order.
                        for w in seen.windows(2) {
                            if w[0] >> 32 == w[1] >> 32 {
                                assert!(w[0] < w[1], "{w:?}");
                            }
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(ring.len(), 64);
        assert_eq!(ring.to_vec().len(), 64);
    }

    #[test]
    fn every_ring_value_is_a_native_atomic() {
        assert_eq!(RING_VALUES_LOCK_FREE.len(), 14);
        for &(ty, lock_free) in RING_VALUES_LOCK_FREE {
            assert!(lock_free, "`AtomicCell<{ty}>` is not a native atomic here");
        }
    }
}
