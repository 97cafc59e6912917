//! User code that panics at each place where a pool calls it (an object's `Drop` while the
//! pool spills a full cache, a user `Ring`'s `push`, a factory), and the counts afterwards:
//! every object the pool counts is held by the pool or by a user, none is lost uncounted, and
//! the pool stays usable. (A reset that panics: `test_bad_input.rs`.)

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use bytepool::ring::{LockedRingQueue, Ring};
use bytepool::tiers::Stream;
use bytepool::{BytePool, Pool, PoolStats, Pooled};
use common::POOLING;

/// Objects of one type alive now, and whether the next drop panics.
struct Census {
    live: AtomicUsize,
    armed: AtomicBool,
}

impl Census {
    const fn new() -> Self {
        Census {
            live: AtomicUsize::new(0),
            armed: AtomicBool::new(false),
        }
    }

    fn born(&self) {
        self.live.fetch_add(1, Ordering::SeqCst);
    }

    /// Called by `Drop`: panics once when armed (never during an unwind, which would abort).
    fn died(&self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
        if !std::thread::panicking() && self.armed.swap(false, Ordering::SeqCst) {
            panic!("a pooled object's drop panicked");
        }
    }

    fn live(&self) -> usize {
        self.live.load(Ordering::SeqCst)
    }
}

/// Declares a pooled type that keeps at most one idle object, two per thread cache, and whose
/// drop panics when its census is armed.
macro_rules! bomb {
    ($name:ident, $census:ident) => {
        static $census: Census = Census::new();

        #[derive(Pooled)]
        #[pooled(capacity = 1, thread_cache = 2)]
        struct $name {
            _payload: u64,
        }

        impl Default for $name {
            fn default() -> Self {
                $census.born();
                $name { _payload: 0 }
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                $census.died();
            }
        }
    };
}

/// Drops `value` and says whether the drop panicked.
fn panicked(drop_it: impl FnOnce()) -> bool {
    catch_unwind(AssertUnwindSafe(drop_it)).is_err()
}

bomb!(Returned, RETURNED);

/// The third object returned finds the thread cache full; of the two it spills, one fits the
/// shared tier and the other is freed, and that drop panics. The object being returned must
/// not be lost uncounted meanwhile: afterwards the pool's `idle` is what is really alive.
#[test]
fn a_drop_that_panics_while_a_full_cache_spills_loses_nothing_uncounted() {
    let taken: Vec<_> = (0..3).map(|_| Returned::take()).collect();
    RETURNED.armed.store(true, Ordering::SeqCst);
    let panics = taken
        .into_iter()
        .map(|obj| panicked(|| drop(obj)))
        .filter(|&p| p)
        .count();
    assert_eq!(panics, 1, "the spill freed one object, whose drop panicked");
    let s = Returned::pool().stats();
    assert_eq!(
        (s.total_gets, s.total_puts, s.outstanding),
        (3, 3, 0),
        "{s:?}"
    );
    assert_eq!(s.tiers[0].idle, RETURNED.live(), "{s:?}");
    // Usable: everything idle comes out and goes back.
    let again: Vec<_> = (0..3).map(|_| Returned::take()).collect();
    drop(again);
    Returned::pool().trim();
    let s = Returned::pool().stats();
    assert_eq!(
        (s.outstanding, s.tiers[0].idle),
        (0, RETURNED.live()),
        "{s:?}"
    );
}

bomb!(Foreign, FOREIGN);

/// The same spill reached by `put` on a process-wide pool.
#[test]
fn a_drop_that_panics_while_a_foreign_put_spills_loses_nothing_uncounted() {
    let made: Vec<_> = (0..3).map(|_| Foreign::default()).collect();
    FOREIGN.armed.store(true, Ordering::SeqCst);
    let panics = made
        .into_iter()
        .map(|obj| panicked(|| Foreign::pool().put(obj)))
        .filter(|&p| p)
        .count();
    assert_eq!(panics, 1);
    let s = Foreign::pool().stats();
    assert_eq!((s.foreign_puts, s.total_puts), (3, 3), "{s:?}");
    assert_eq!(s.tiers[0].idle, FOREIGN.live(), "{s:?}");
}

/// A shared ring of recent lengths whose push panics once when armed.
struct FailingRing {
    inner: LockedRingQueue<usize>,
    armed: Arc<AtomicBool>,
}

impl Ring<usize> for FailingRing {
    fn push(&self, value: usize) {
        if self.armed.swap(false, Ordering::SeqCst) {
            panic!("a user ring's push panicked");
        }
        self.inner.push(value);
    }

    fn to_vec(&self) -> Vec<usize> {
        self.inner.to_vec()
    }

    fn len(&self) -> usize {
        self.inner.len()
    }

    fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    fn clear(&self) {
        self.inner.clear();
    }
}

/// A get is counted, then the length goes to the user's ring: when that panics, the buffer
/// must go back to the pool, counted, not vanish with `outstanding` left at one. Growth gets
/// its bigger buffer the same way, and the buffer being grown stays as it was.
#[test]
fn a_ring_that_panics_on_push_leaves_no_buffer_outstanding() {
    let armed = Arc::new(AtomicBool::new(true));
    let pool = BytePool::<Stream>::builder()
        .recent_lengths(FailingRing {
            inner: LockedRingQueue::new(4),
            armed: Arc::clone(&armed),
        })
        .build();
    assert!(panicked(|| drop(pool.get(100))));
    let s = pool.stats();
    assert_eq!(
        (s.total_gets, s.total_puts, s.outstanding),
        (1, 1, 0),
        "{s:?}"
    );
    assert_eq!(s.tiers[0].idle, usize::from(POOLING), "{s:?}");

    let mut buf = pool.get(10);
    buf.copy_from_slice(b"0123456789");
    armed.store(true, Ordering::SeqCst);
    assert!(panicked(|| buf.reserve(5000)));
    assert_eq!((&buf[..], buf.capacity()), (&b"0123456789"[..], 1024));
    let s = pool.stats();
    assert_eq!(
        (s.total_gets, s.total_puts, s.outstanding),
        (3, 2, 1),
        "{s:?}"
    );
    drop(buf);
    assert_eq!(pool.stats().outstanding, 0);
    assert_eq!(pool.stats().recent_lengths, [10]);
}

/// A factory that panics: nothing was handed out, so nothing is counted, and the next get
/// works. For an instance pool and for a type's process-wide pool.
#[test]
fn a_factory_that_panics_counts_nothing_and_leaves_the_pool_usable() {
    let fail = Arc::new(AtomicBool::new(true));
    let pool = Pool::with(
        {
            let fail = Arc::clone(&fail);
            move || {
                assert!(!fail.swap(false, Ordering::SeqCst), "a factory panicked");
                Vec::<u8>::with_capacity(8)
            }
        },
        Vec::clear,
    );
    assert!(panicked(|| drop(pool.get())));
    let s = pool.stats();
    assert_eq!(
        (s.total_gets, s.outstanding, s.tiers[0].misses),
        (0, 0, 0),
        "{s:?}"
    );
    drop(pool.get());
    let s = pool.stats();
    assert_eq!(
        (s.total_gets, s.total_puts, s.outstanding),
        (1, 1, 0),
        "{s:?}"
    );

    assert!(panicked(|| drop(Made::take())));
    let s = Made::pool().stats();
    assert_eq!((s.total_gets, s.outstanding), (0, 0), "{s:?}");
    drop(Made::take());
    let s = Made::pool().stats();
    assert_eq!(
        (s.total_gets, s.total_puts, s.outstanding),
        (1, 1, 0),
        "{s:?}"
    );
}

static MADE_FAILS: AtomicBool = AtomicBool::new(true);

#[derive(Pooled)]
#[pooled(new = make)]
struct Made {
    _payload: u64,
}

fn make() -> Made {
    assert!(
        !MADE_FAILS.swap(false, Ordering::SeqCst),
        "a derived pool's constructor panicked"
    );
    Made { _payload: 1 }
}
