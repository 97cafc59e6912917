//! Hostile input: impossible sizes, growth that would overflow, odd vectors given back, user
//! code that panics inside the pool, and crashes found by fuzzing (`fuzz/`). Every test here
//! also holds in `--release` (no reliance on debug overflow checks).
//!
//! Reference-count overflow: `Buffer::clone` and `PoolArc::clone` abort when the count would
//! pass `isize::MAX` (as `Arc` does). That needs 2^63 leaked clones on a 64-bit target
//! (centuries of increments), and the count is private, so no test here can reach it; the
//! check is one line in `raw.rs` (`old > isize::MAX as usize` then `abort`). The subprocess
//! harness below (`run_in_child`) is what a test of it would use, and it checks the other
//! "must not abort" promise: user code is never run while the thread is already panicking.

mod common;

use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytepool::{BufferMut, BytePool, Error, Pool, PoolStats, Pooled};

bytepool::define_tiers! {
    /// The tiers of these tests.
    pub Edge = [16, 1500, 9000];
}

const LARGEST: usize = 9000;
const TOO_BIG: usize = isize::MAX as usize + 1;

/// Whether pools keep idle buffers (not under `--features bytepool/passthrough`).
fn pooling() -> bool {
    let pool = BytePool::<Edge>::builder().max_idle_per_tier(1).build();
    drop(pool.get(1));
    pool.stats().tiers[0].idle == 1
}

fn assert_untouched(pool: &BytePool<Edge>) {
    let s = pool.stats();
    assert_eq!(
        (s.total_gets, s.total_puts, s.outstanding),
        (0, 0, 0),
        "{s:?}"
    );
    assert_eq!((s.discarded, s.oversize, s.idle_bytes), (0, 0, 0), "{s:?}");
}

#[test]
fn smoke() {
    let pool = BytePool::<Edge>::new();
    assert_eq!(
        pool.try_get(usize::MAX).unwrap_err(),
        Error::CapacityOverflow
    );
    let mut buf = pool.get(10);
    assert!(buf.try_reserve(usize::MAX).is_err());
    assert_eq!((buf.len(), buf.capacity()), (10, 16));
    drop(buf);
    pool.put(Vec::new());
    assert_eq!(pool.stats().outstanding, 0);
}

#[test]
fn impossible_sizes_are_errors_that_count_nothing() {
    let pool = BytePool::<Edge>::new();
    for len in [usize::MAX, usize::MAX - 1, TOO_BIG, TOO_BIG + 1] {
        assert_eq!(
            pool.try_get(len).unwrap_err(),
            Error::CapacityOverflow,
            "try_get({len})"
        );
    }
    assert_untouched(&pool);
    assert_eq!(
        Edge::pool().try_get(TOO_BIG).unwrap_err(),
        Error::CapacityOverflow
    );
}

/// `isize::MAX` itself is a valid size that no allocator can provide: `AllocFailed`, not a
/// crash. (Under AddressSanitizer this needs `allocator_may_return_null=1`, which
/// `.ci/sanitize` sets; Miri reports such an allocation as resource exhaustion, so it skips
/// this test.)
#[test]
#[cfg_attr(miri, ignore)]
fn the_largest_valid_size_fails_to_allocate_cleanly() {
    let pool = BytePool::<Edge>::new();
    let len = isize::MAX as usize;
    assert_eq!(
        pool.try_get(len).unwrap_err(),
        Error::AllocFailed { size: len }
    );
    let mut buf = pool.get(1);
    // `1 + (isize::MAX - 1)` is valid and above the largest tier, so growth asks the
    // allocator for exactly that much.
    assert_eq!(
        buf.try_reserve(len - 1).unwrap_err(),
        Error::AllocFailed { size: len }
    );
    assert_eq!(buf.try_reserve(len).unwrap_err(), Error::CapacityOverflow);
    assert_eq!((buf.len(), buf.capacity()), (1, 16));
    drop(buf);
    let s = pool.stats();
    assert_eq!(
        (s.total_gets, s.total_puts, s.outstanding),
        (1, 1, 0),
        "{s:?}"
    );
    assert_eq!(
        s.oversize, 0,
        "failed allocations are not counted as served"
    );
}

#[test]
#[should_panic(expected = "BytePool::get(18446744073709551615)")]
#[cfg(target_pointer_width = "64")]
fn get_usize_max_panics_naming_the_request() {
    drop(BytePool::<Edge>::new().get(usize::MAX));
}

#[test]
#[should_panic(expected = "capacity overflow")]
fn with_capacity_past_isize_max_panics() {
    drop(Edge::pool().with_capacity(TOO_BIG));
}

/// The bytes RUSTSEC-2026-0007 shape: reserve close to `usize::MAX` on a buffer that already
/// holds bytes (after reuse), where `len + additional` wraps or passes `isize::MAX`. Every such
/// call fails, leaves the buffer as it was, and takes nothing from the pool.
#[test]
fn growth_that_would_overflow_fails_and_changes_nothing() {
    let pool = BytePool::<Edge>::new();
    drop(pool.get(1500)); // so the next get reuses a block
    let mut buf = pool.get(700);
    buf.copy_from_slice(&[9; 700]);
    let before = pool.stats();
    let len = buf.len();
    for additional in [
        usize::MAX,
        usize::MAX - len + 1, // wraps to 0
        usize::MAX - len,     // exactly usize::MAX
        usize::MAX - len - 1,
        TOO_BIG - len, // exactly isize::MAX + 1
        TOO_BIG,
        isize::MAX as usize,
    ] {
        assert_eq!(
            buf.try_reserve(additional).unwrap_err(),
            Error::CapacityOverflow,
            "try_reserve({additional})"
        );
        assert_eq!((buf.len(), buf.capacity()), (700, 1500));
        assert!(buf.iter().all(|&b| b == 9));
    }
    assert_eq!(
        pool.stats(),
        before,
        "a failed growth takes nothing from the pool"
    );
    drop(buf);
    assert_eq!(pool.stats().outstanding, 0);
}

#[test]
fn growth_of_unpooled_buffers_near_usize_max_fails_too() {
    let mut buf = BufferMut::from(vec![1, 2, 3]);
    for additional in [usize::MAX, usize::MAX - 2, TOO_BIG] {
        assert_eq!(
            buf.try_reserve(additional).unwrap_err(),
            Error::CapacityOverflow
        );
        assert_eq!(&buf[..], [1, 2, 3]);
    }
    let mut empty = BufferMut::new();
    assert_eq!(
        empty.try_reserve(TOO_BIG).unwrap_err(),
        Error::CapacityOverflow
    );
    assert!(empty.is_empty());
}

macro_rules! panics_with_overflow {
    ($name:ident, |$buf:ident| $body:expr) => {
        #[test]
        #[should_panic(expected = "capacity overflow")]
        fn $name() {
            let mut $buf = Edge::pool().get(5);
            $body;
        }
    };
}

panics_with_overflow!(reserve_usize_max_panics, |buf| buf.reserve(usize::MAX));
panics_with_overflow!(reserve_wrapping_panics, |buf| buf.reserve(usize::MAX - 4));
panics_with_overflow!(resize_to_usize_max_panics, |buf| buf.resize(usize::MAX, 0));
panics_with_overflow!(resize_past_isize_max_panics, |buf| buf.resize(TOO_BIG, 1));
panics_with_overflow!(extend_reserving_past_isize_max_panics, |buf| {
    // `Extend` reserves the iterator's lower size bound first.
    buf.extend(std::iter::repeat_n(0u8, TOO_BIG))
});

/// A growth error converts into an `io::Error` of kind `OutOfMemory` (what `io::Write` on a
/// `BufferMut` reports), and the buffer is unchanged.
#[test]
fn growth_errors_convert_to_io_errors() {
    let mut buf = Edge::pool().get(3);
    let err: std::io::Error = buf.try_reserve(usize::MAX).unwrap_err().into();
    assert_eq!(err.kind(), std::io::ErrorKind::OutOfMemory);
    assert_eq!(buf.len(), 3);
}

#[test]
fn put_of_empty_foreign_and_oversize_vectors() {
    let pool = BytePool::<Edge>::builder().max_idle_per_tier(1).build();
    pool.put(Vec::new()); // capacity 0: no tier
    pool.put(Vec::with_capacity(100)); // no tier of that capacity
    pool.put(Vec::with_capacity(LARGEST + 1)); // above every tier
    pool.put(Vec::with_capacity(15)); // just below a tier
    pool.put(Vec::with_capacity(17)); // just above a tier
    let s = pool.stats();
    assert_eq!(
        (s.foreign_puts, s.total_puts, s.discarded),
        (5, 5, 5),
        "{s:?}"
    );
    assert_eq!(
        (s.outstanding, s.idle_bytes, s.total_gets),
        (0, 0, 0),
        "{s:?}"
    );
    assert!(s.tiers.iter().all(|t| t.puts == 0 && t.idle == 0), "{s:?}");

    // An exact tier capacity is kept, whatever its length and contents; a second one finds the
    // tier full.
    let mut v = Vec::with_capacity(16);
    v.extend_from_slice(b"left over");
    pool.put(v);
    pool.put(Vec::with_capacity(16));
    let s = pool.stats();
    let kept = usize::from(pooling());
    assert_eq!((s.tiers[0].puts, s.tiers[0].idle), (2, kept), "{s:?}");
    assert_eq!(
        s.outstanding, 0,
        "foreign puts never make `outstanding` negative"
    );
    let buf = pool.get(16);
    assert_eq!((buf.len(), buf.capacity()), (16, 16));
    if pooling() {
        assert_eq!(&buf[..9], b"left over", "a kept vector is reused as it was");
    }
    drop(buf);
    let s = pool.stats();
    assert_eq!((s.total_gets, s.outstanding), (1, 0));
}

#[test]
fn a_detached_vector_reshaped_then_put_back() {
    let pool = BytePool::<Edge>::builder().max_idle_per_tier(4).build();
    let mut v = pool.get(1000).into_vec();
    assert_eq!(v.capacity(), 1500);
    v.shrink_to_fit(); // capacity 1000: no longer a tier's
    pool.put(v);
    let mut w = pool.get(10).into_vec();
    w.reserve(5000); // reallocated: capacity at least 5010, not a tier's (or 9000 by chance)
    let cap = w.capacity();
    pool.put(w);
    let s = pool.stats();
    assert_eq!(
        (s.detached, s.foreign_puts, s.outstanding),
        (2, 2, 0),
        "{s:?}"
    );
    let kept = cap == LARGEST && pooling();
    assert_eq!(s.discarded, if kept { 1 } else { 2 }, "{s:?}");
}

/// Many foreign puts cannot grow a pool past its bound.
#[test]
fn foreign_puts_are_bounded() {
    let pool = BytePool::<Edge>::builder().max_idle_per_tier(3).build();
    for _ in 0..common::scaled(1000) {
        pool.put(Vec::with_capacity(16));
    }
    let s = pool.stats();
    assert!(s.tiers[0].idle <= 3, "{s:?}");
    for _ in 0..common::scaled(1000) {
        Edge::pool().put(Vec::with_capacity(1500));
    }
    let g = Edge::pool().stats();
    // The shared tier's default bound is at most 1024; this thread's cache adds at most 32.
    assert!(g.tiers[1].idle <= 1024 + 32, "{g:?}");
    Edge::pool().trim();
}

// -------------------------------------------------------------------------------------------
// User code that panics inside the pool

/// Every object made, by id, and how many times each was dropped.
#[derive(Default)]
struct Ledger {
    made: AtomicUsize,
    drops: Mutex<HashMap<usize, usize>>,
}

impl Ledger {
    fn assert_each_dropped_once(&self) {
        let drops = self.drops.lock().unwrap();
        let made = self.made.load(Ordering::SeqCst);
        for id in 0..made {
            assert_eq!(drops.get(&id), Some(&1), "object {id} of {made}: {drops:?}");
        }
    }
}

/// An object whose drop records itself and panics when `panic_at` says so.
struct Tracked {
    id: usize,
    ledger: Arc<Ledger>,
    drop_panics: bool,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        *self
            .ledger
            .drops
            .lock()
            .unwrap()
            .entry(self.id)
            .or_default() += 1;
        if self.drop_panics && !std::thread::panicking() {
            panic!("drop of object {} panicked", self.id);
        }
    }
}

/// A pool whose reset panics on its `k`-th call and whose objects' drops panic when flagged.
fn tracked_pool(
    capacity: usize,
    ledger: &Arc<Ledger>,
    reset_panics_at: usize,
) -> (Pool<Tracked>, Arc<AtomicUsize>) {
    let resets = Arc::new(AtomicUsize::new(0));
    let make = {
        let ledger = Arc::clone(ledger);
        move || Tracked {
            id: ledger.made.fetch_add(1, Ordering::SeqCst),
            ledger: Arc::clone(&ledger),
            drop_panics: false,
        }
    };
    let reset = {
        let resets = Arc::clone(&resets);
        move |_: &mut Tracked| {
            let k = resets.fetch_add(1, Ordering::SeqCst) + 1;
            if k == reset_panics_at {
                panic!("reset #{k} panicked");
            }
        }
    };
    (Pool::with_capacity(capacity, make, reset), resets)
}

#[test]
fn a_reset_that_panics_on_the_kth_call_drops_that_object_once() {
    for k in 1..=4 {
        let ledger = Arc::new(Ledger::default());
        let (pool, resets) = tracked_pool(2, &ledger, k);
        let mut held: Vec<_> = (0..4).map(|_| pool.get()).collect();
        let mut panics = 0;
        while let Some(obj) = held.pop() {
            if catch_unwind(AssertUnwindSafe(|| drop(obj))).is_err() {
                panics += 1;
            }
        }
        assert_eq!((panics, resets.load(Ordering::SeqCst)), (1, 4), "k = {k}");
        let s = pool.stats();
        assert_eq!(
            (s.total_gets, s.total_puts, s.outstanding),
            (4, 4, 0),
            "k = {k}: {s:?}"
        );
        let kept = if pooling() { 2 } else { 0 };
        assert_eq!(s.tiers[0].idle, kept, "k = {k}: {s:?}");
        // Still usable: reuse, return, trim.
        let again = pool.get();
        drop(again);
        assert_eq!(pool.stats().outstanding, 0);
        pool.trim();
        drop(pool);
        ledger.assert_each_dropped_once();
    }
}

#[test]
fn a_panicking_reset_of_a_shared_handle_on_its_last_release() {
    let ledger = Arc::new(Ledger::default());
    let (pool, _) = tracked_pool(1, &ledger, 1);
    let shared = pool.get().into_shared();
    let other = shared.clone();
    drop(shared);
    assert!(catch_unwind(AssertUnwindSafe(|| drop(other))).is_err());
    let s = pool.stats();
    // Returned, then discarded (pooling or not): its reset never finished.
    assert_eq!(
        (s.outstanding, s.total_puts, s.discarded),
        (0, 1, 1),
        "{s:?}"
    );
    drop(pool);
    ledger.assert_each_dropped_once();
}

/// Objects whose drop panics, dropped by the pool: when it discards one (tier full), when it
/// trims, when it is itself dropped. The panic reaches the caller, no object is dropped twice,
/// and the pool stays usable with counts that add up.
#[test]
fn drops_that_panic_inside_the_pool() {
    let ledger = Arc::new(Ledger::default());
    let (pool, _) = tracked_pool(2, &ledger, usize::MAX);
    let mut held: Vec<_> = (0..4).map(|_| pool.get()).collect();
    for obj in &mut held {
        obj.drop_panics = true;
    }
    // Two fit; the third and fourth are discarded, and their drops panic.
    let mut panics = 0;
    while let Some(obj) = held.pop() {
        if catch_unwind(AssertUnwindSafe(|| drop(obj))).is_err() {
            panics += 1;
        }
    }
    let expected_panics = if pooling() { 2 } else { 4 };
    assert_eq!(panics, expected_panics);
    let s = pool.stats();
    assert_eq!((s.total_puts, s.outstanding), (4, 0), "{s:?}");
    if pooling() {
        assert_eq!((s.tiers[0].idle, s.discarded), (2, 2), "{s:?}");
        // Trim drops the two idle ones; the first drop panics and stops the trim (what
        // `stats()` says afterwards is `stats_after_a_trim_interrupted_by_a_panicking_drop`).
        assert!(catch_unwind(AssertUnwindSafe(|| pool.trim())).is_err());
        // The pool is usable: what is left comes out and goes back.
        let mut obj = pool.get();
        obj.drop_panics = false;
        drop(obj);
    }
    pool.trim();
    assert_eq!(pool.stats().outstanding, 0);
    drop(pool);
    ledger.assert_each_dropped_once();
}

/// After a trim cut short by a panicking drop, `idle` must match what the pool still holds.
///
/// Regression test: `trim` used to count blocks as freed after dropping them, so a `Drop` that
/// panicked skipped the count and the derived `idle` (`prewarmed + puts - hits - freed`) stayed
/// too high for the pool's lifetime. Each block is now counted before it is dropped.
#[test]
fn stats_after_a_trim_interrupted_by_a_panicking_drop() {
    if !pooling() {
        return;
    }
    let ledger = Arc::new(Ledger::default());
    let (pool, _) = tracked_pool(4, &ledger, usize::MAX);
    let mut held: Vec<_> = (0..3).map(|_| pool.get()).collect();
    held[0].drop_panics = true;
    // Returned in order 2, 1, 0: the queue holds 2, 1, 0; trim drops 2 and 1, then 0 panics.
    while let Some(obj) = held.pop() {
        drop(obj);
    }
    assert_eq!(pool.stats().tiers[0].idle, 3);
    held.clear();
    assert!(catch_unwind(AssertUnwindSafe(|| pool.trim())).is_err());
    // Whatever the trim freed before the panic, `idle` must equal what a drain finds.
    let reported = pool.stats().tiers[0].idle;
    let mut drained = Vec::new();
    loop {
        let obj = pool.get();
        if obj.id >= 3 {
            break; // a new object: the pool was empty
        }
        drained.push(obj);
    }
    assert_eq!(
        reported,
        drained.len(),
        "stats().tiers[0].idle after an interrupted trim"
    );
    drop(drained);
    pool.trim();
    drop(pool);
    ledger.assert_each_dropped_once();
}

/// Whether dropping a [`Bomb`] panics (the thread that arms it is the only user of [`Fragile`]).
static BOMBS_ARMED: AtomicBool = AtomicBool::new(false);
static BOMBS_MADE: AtomicUsize = AtomicUsize::new(0);
static BOMBS_DROPPED: AtomicUsize = AtomicUsize::new(0);

/// A field whose drop panics while [`BOMBS_ARMED`] is set; counts how many were made and dropped.
struct Bomb;

impl Default for Bomb {
    fn default() -> Self {
        BOMBS_MADE.fetch_add(1, Ordering::SeqCst);
        Bomb
    }
}

impl Drop for Bomb {
    fn drop(&mut self) {
        BOMBS_DROPPED.fetch_add(1, Ordering::SeqCst);
        if BOMBS_ARMED.load(Ordering::SeqCst) && !std::thread::panicking() {
            panic!("a Bomb exploded");
        }
    }
}

/// Disarms the bombs however the test ends, so a failed assertion cannot turn into a panic
/// inside a later drop.
struct Disarm;

impl Drop for Disarm {
    fn drop(&mut self) {
        BOMBS_ARMED.store(false, Ordering::SeqCst);
    }
}

/// A type with a process-wide pool (and so a thread cache) that only the test below uses.
#[derive(Pooled, Default)]
#[pooled(capacity = 8, thread_cache = 4)]
struct Fragile {
    payload: Vec<u8>,
    #[pooled(skip)]
    _bomb: Bomb,
}

/// A derived type's objects idle in the calling thread's cache, one of whose drops panics
/// during `trim()`: the panic reaches the caller, and the pool stays usable with `stats()`
/// matching what the cache still holds (the runtime counts each block as freed before dropping
/// it; counting after would leave `idle` one too high for good).
#[test]
fn a_panicking_drop_in_the_thread_cache_interrupts_trim_but_not_the_pool() {
    let _disarm = Disarm;
    let pool = Fragile::pool();
    let kept = if pooling() { 3 } else { 0 };
    let held: Vec<_> = (0..3)
        .map(|_| {
            let mut obj = Fragile::take();
            obj.payload.extend_from_slice(b"used");
            obj
        })
        .collect();
    drop(held); // reset, then kept in this thread's cache (it holds 4)
    let s = pool.stats();
    assert_eq!(
        (s.outstanding, s.total_gets, s.total_puts),
        (0, 3, 3),
        "{s:?}"
    );
    assert_eq!(s.tiers[0].idle, kept, "{s:?}");
    let made = BOMBS_MADE.load(Ordering::SeqCst);
    assert_eq!(made, 3);
    // Another thread's trim frees the shared tier and its own cache only: nothing, since the
    // three sit in this thread's cache.
    assert_eq!(
        std::thread::spawn(|| Fragile::pool().trim())
            .join()
            .unwrap(),
        0
    );
    assert_eq!(pool.stats().tiers[0].idle, kept);

    BOMBS_ARMED.store(true, Ordering::SeqCst);
    let trimmed = catch_unwind(|| pool.trim());
    BOMBS_ARMED.store(false, Ordering::SeqCst);
    match trimmed {
        Err(payload) => {
            assert!(pooling(), "nothing was idle, yet trim panicked");
            assert_eq!(payload.downcast_ref::<&str>(), Some(&"a Bomb exploded"));
        }
        Ok(freed) => {
            assert!(
                !pooling(),
                "trim freed {freed} bytes without dropping a Bomb"
            );
            assert_eq!(freed, 0);
        }
    }
    // The first drop panicked and stopped the trim: one object gone, counted as freed.
    let idle = kept.saturating_sub(1);
    assert_eq!(BOMBS_DROPPED.load(Ordering::SeqCst), 3 - idle);
    let s = pool.stats();
    assert_eq!(
        s.tiers[0].idle, idle,
        "idle after the interrupted trim: {s:?}"
    );
    assert_eq!(s.idle_bytes, idle * std::mem::size_of::<Fragile>(), "{s:?}");
    assert_eq!(
        (s.outstanding, s.total_gets, s.total_puts),
        (0, 3, 3),
        "{s:?}"
    );

    // Still usable, and `idle` was the truth: that many gets hit (reset objects), the next
    // one misses and makes a new object.
    let mut again: Vec<_> = (0..idle).map(|_| Fragile::take()).collect();
    assert!(again.iter().all(|obj| obj.payload.is_empty()), "not reset");
    let s = pool.stats();
    assert_eq!(
        (s.tiers[0].hits, s.tiers[0].idle),
        (idle as u64, 0),
        "{s:?}"
    );
    again.push(Fragile::take());
    let s = pool.stats();
    assert_eq!(
        (s.tiers[0].hits, s.tiers[0].misses),
        (idle as u64, 4),
        "{s:?}"
    );
    assert_eq!(BOMBS_MADE.load(Ordering::SeqCst), made + 1);
    let count = again.len();
    drop(again);
    let s = pool.stats();
    assert_eq!(
        (s.outstanding, s.tiers[0].idle),
        (0, if pooling() { count } else { 0 }),
        "{s:?}"
    );

    // A trim that does not panic frees the rest; every object was dropped exactly once.
    assert_eq!(pool.trim(), s.idle_bytes);
    assert_eq!(pool.stats().tiers[0].idle, 0);
    assert_eq!(
        BOMBS_DROPPED.load(Ordering::SeqCst),
        BOMBS_MADE.load(Ordering::SeqCst)
    );
}

// -------------------------------------------------------------------------------------------
// Aborts, checked in a child process

/// The environment variable that tells a child which test body to run.
const CHILD: &str = "BYTEPOOL_BAD_INPUT_CHILD";

/// Runs `body` in a child process (this test binary again, running only `test_name`), and
/// returns its exit status; in the child, runs `body` and returns `None`.
fn run_in_child(test_name: &str, body: impl FnOnce()) -> Option<std::process::ExitStatus> {
    if std::env::var(CHILD).as_deref() == Ok(test_name) {
        body();
        return None;
    }
    let status = Command::new(std::env::current_exe().expect("the test binary"))
        .args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, test_name)
        .status()
        .expect("run the test binary again");
    Some(status)
}

/// Dropping a `PoolBox` while the thread unwinds from another panic must not run the user's
/// reset (a second panic would abort the process): the object is dropped, counted, and the
/// first panic continues.
#[test]
#[cfg_attr(miri, ignore)] // Miri cannot spawn processes
fn a_handle_dropped_during_unwinding_does_not_run_reset() {
    let name = "a_handle_dropped_during_unwinding_does_not_run_reset";
    let Some(status) = run_in_child(name, || {
        let ledger = Arc::new(Ledger::default());
        // Every reset panics: if one ran during unwinding, the process would abort.
        let (pool, resets) = tracked_pool(4, &ledger, 1);
        let resets_before = Cell::new(0);
        let result = catch_unwind(AssertUnwindSafe(|| {
            let _held = pool.get();
            resets_before.set(resets.load(Ordering::SeqCst));
            panic!("the first panic");
        }));
        assert!(result.is_err());
        assert_eq!(
            resets.load(Ordering::SeqCst),
            resets_before.get(),
            "reset ran while unwinding"
        );
        let s = pool.stats();
        assert_eq!((s.outstanding, s.discarded), (0, 1), "{s:?}");
        drop(pool);
        ledger.assert_each_dropped_once();
    }) else {
        return;
    };
    assert!(status.success(), "the child aborted or failed: {status}");
}

// -------------------------------------------------------------------------------------------
// Crashes found by fuzzing (`fuzz/fuzz_targets/pool_ops.rs`), kept as regressions

/// Replays a fuzz input through the same interpreter the fuzz target uses.
#[path = "../fuzz/fuzz_targets/ops.rs"]
#[allow(dead_code)]
mod ops;

#[test]
fn fuzz_regressions() {
    for input in ops::REGRESSIONS {
        ops::run(input);
    }
}

/// Runs `f`, which must panic, and returns the file its panic reports: with
/// `#[track_caller]` through the library's helpers, the caller's.
fn panic_file(f: impl FnOnce()) -> String {
    static HOOK: Mutex<()> = Mutex::new(());
    let _serial = HOOK.lock().unwrap_or_else(|e| e.into_inner());
    let file = Arc::new(Mutex::new(None));
    let seen = Arc::clone(&file);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        *seen.lock().unwrap() = info.location().map(|at| at.file().to_owned());
    }));
    let result = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    assert!(result.is_err(), "the call did not panic");
    let file = file.lock().unwrap().take();
    file.expect("the panic has a location")
}

#[test]
fn panics_point_at_the_callers_line() {
    let here = file!();
    let pool = BytePool::<Edge>::new();
    assert_eq!(panic_file(|| drop(pool.get(TOO_BIG))), here, "get");
    assert_eq!(
        panic_file(|| drop(Edge::pool().get(TOO_BIG))),
        here,
        "a process-wide get"
    );
    assert_eq!(
        panic_file(|| drop(pool.with_capacity(TOO_BIG))),
        here,
        "with_capacity"
    );
    type Grow = fn(&mut BufferMut);
    let cases: [(&str, Grow); 3] = [
        ("reserve", |buf| buf.reserve(usize::MAX)),
        ("resize", |buf| buf.resize(TOO_BIG, 0)),
        ("extend", |buf| {
            buf.extend(std::iter::repeat_n(0u8, TOO_BIG));
        }),
    ];
    for (name, grow) in cases {
        let mut buf = pool.get(5);
        assert_eq!(panic_file(|| grow(&mut buf)), here, "{name}");
    }
}
