//! Typed pools: `Pool<T>`, `PoolBox`, `PoolArc`, every `Reset` impl, the derive's attributes,
//! and panicking resets.

mod common;

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap, HashSet, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use bytepool::{Pool, PoolArc, PoolBox, PoolStats, Pooled, Reset};
use common::{scaled, POOLING};

#[derive(Debug, Default, PartialEq)]
struct Tags(Vec<&'static str>);

fn reset_tags(tags: &mut Tags) {
    tags.0.clear();
}

#[derive(Pooled, Default)]
#[pooled(capacity = 1024)]
struct LogEntry {
    timestamp: i64,
    message: Vec<u8>,
    #[pooled(max_capacity = 64)]
    fields: Vec<(String, String)>,
    #[pooled(skip)]
    origin: &'static str,
    #[pooled(reset = reset_tags)]
    tags: Tags,
}

fn assert_send_sync<T: Send + Sync + 'static>() {}
fn assert_send<T: Send + 'static>() {}

#[test]
fn smoke() {
    assert_send_sync::<PoolBox<LogEntry>>();
    assert_send_sync::<PoolArc<LogEntry>>();
    assert_send::<PoolBox<Vec<u8>>>();

    let mut e: PoolBox<LogEntry> = LogEntry::take();
    e.timestamp = 42;
    e.message.extend_from_slice(b"hello");
    e.origin = "test";
    e.tags.0.push("x");
    let shared: PoolArc<LogEntry> = e.into_shared();
    assert_eq!(shared.ref_count(), 1);
    let clone = shared.clone();
    assert_eq!(clone.message, b"hello");
    drop(shared);
    drop(clone);
    let stats = LogEntry::pool().stats();
    assert_eq!(stats.tiers[0].size, std::mem::size_of::<LogEntry>());
    assert!(stats.total_puts >= 1);
}

/// A typed pool's requests have no length: its statistics list none, from the calling
/// thread's counter block (the process-wide pool) or the shared one (an instance pool).
#[test]
fn typed_pools_record_no_lengths() {
    #[derive(Pooled, Default)]
    struct Quiet(u64);
    let instance = Pool::<Quiet>::new();
    for _ in 0..3 {
        drop(Quiet::take());
        drop(instance.get());
    }
    for s in [Quiet::pool().stats(), instance.stats()] {
        assert_eq!((s.total_gets, s.total_puts), (3, 3));
        assert_eq!(s.recent_lengths, [0usize; 0]);
    }
}

#[test]
fn derived_reset_follows_each_field_attribute() {
    let mut e = LogEntry {
        timestamp: 7,
        message: Vec::with_capacity(100),
        fields: Vec::with_capacity(10),
        origin: "kept",
        tags: Tags(vec!["a"]),
    };
    e.message.push(1);
    e.fields.push(("k".into(), "v".into()));
    let fields_cap = e.fields.capacity();
    e.reset();
    assert_eq!(e.timestamp, 0);
    assert!(
        e.message.is_empty() && e.message.capacity() >= 100,
        "cleared, capacity kept"
    );
    assert!(e.fields.is_empty() && e.fields.capacity() == fields_cap);
    assert_eq!(e.origin, "kept", "skip keeps the field");
    assert_eq!(e.tags, Tags(vec![]), "custom reset ran");

    e.fields.reserve(1000);
    e.reset();
    assert_eq!(
        e.fields.capacity(),
        0,
        "max_capacity: a grown field is replaced"
    );
}

#[test]
fn objects_come_back_clean_with_their_allocations() {
    #[derive(Pooled, Default)]
    struct Scratch {
        bytes: Vec<u8>,
        count: u32,
    }
    let mut s = Scratch::take();
    s.bytes.extend_from_slice(&[1; 500]);
    s.count = 3;
    let ptr = s.bytes.as_ptr();
    drop(s);
    let s = Scratch::take();
    assert_eq!((s.bytes.len(), s.count), (0, 0));
    if POOLING {
        assert_eq!(s.bytes.as_ptr(), ptr, "the same allocation was reused");
        let st = Scratch::pool().stats();
        assert_eq!((st.tiers[0].hits, st.tiers[0].misses), (1, 1));
    }
}

#[test]
fn tuple_and_unit_structs_and_new_path() {
    #[derive(Pooled, Default)]
    struct Pair(Vec<u8>, #[pooled(skip)] u8);
    #[derive(Pooled, Default)]
    struct Marker;

    struct NotDefault(String);
    fn make() -> NotDefault {
        NotDefault(String::with_capacity(32))
    }
    #[derive(Pooled)]
    #[pooled(new = make_wrapper, thread_cache = 0, capacity = 2)]
    struct Wrapper {
        inner: Holder,
    }
    #[derive(Pooled)]
    #[pooled(new = make_holder)]
    struct Holder {
        #[pooled(reset = clear_nd)]
        nd: NotDefault,
    }
    fn clear_nd(v: &mut NotDefault) {
        v.0.clear();
    }
    fn make_holder() -> Holder {
        Holder { nd: make() }
    }
    fn make_wrapper() -> Wrapper {
        Wrapper {
            inner: make_holder(),
        }
    }

    let mut p = Pair::take();
    p.0.push(1);
    p.1 = 9;
    drop(p);
    let p = Pair::take();
    assert!(p.0.is_empty());
    if POOLING {
        assert_eq!(p.1, 9, "skipped field kept");
    }
    drop(Marker::take());
    let mut w = Wrapper::take();
    assert!(w.inner.nd.0.capacity() >= 32);
    w.inner.nd.0.push_str("dirty");
    drop(w);
    assert!(
        Wrapper::take().inner.nd.0.is_empty(),
        "nested Pooled types reset"
    );
    let held: Vec<_> = (0..5).map(|_| Wrapper::take()).collect();
    drop(held);
    let s = Wrapper::pool().stats();
    assert_eq!(
        s.tiers[0].idle,
        if POOLING { 2 } else { 0 },
        "capacity = 2 bounds idle objects"
    );
}

/// Collections whose elements have drop glue are cleared out of line, and only when not
/// empty: the elements must still be dropped, and the allocation kept, empty or not.
#[test]
fn std_resets_drop_what_they_clear_and_keep_the_allocation() {
    let one = std::rc::Rc::new(());
    let some = |n: u8| (0..n).map(|i| (i, std::rc::Rc::clone(&one)));
    let live = || std::rc::Rc::strong_count(&one) - 1;

    let mut v: Vec<_> = some(10).collect();
    v.reset();
    assert!(v.is_empty() && v.capacity() >= 10 && live() == 0);
    v.reset();
    assert!(
        v.is_empty() && v.capacity() >= 10,
        "an empty reset keeps the allocation"
    );
    let mut d: VecDeque<_> = some(10).collect();
    d.reset();
    assert!(d.is_empty() && d.capacity() >= 10 && live() == 0);
    let mut bh: BinaryHeap<_> = some(10).collect();
    bh.reset();
    assert!(bh.is_empty() && bh.capacity() >= 10 && live() == 0);
    let mut h: HashMap<_, _> = some(10).collect();
    h.reset();
    assert!(h.is_empty() && h.capacity() >= 10 && live() == 0);
    h.reset();
    assert!(h.is_empty() && h.capacity() >= 10);
    let mut hs: HashSet<_> = some(10).collect();
    hs.reset();
    assert!(hs.is_empty() && hs.capacity() >= 10 && live() == 0);
    let mut bm: BTreeMap<_, _> = some(10).collect();
    bm.reset();
    assert!(bm.is_empty() && live() == 0);
    let mut bs: BTreeSet<_> = some(10).collect();
    bs.reset();
    assert!(bs.is_empty() && live() == 0);
}

#[test]
fn every_std_reset_impl() {
    let mut v = Vec::with_capacity(8);
    v.push(1);
    v.reset();
    assert!(v.is_empty() && v.capacity() >= 8);
    let mut s = String::from("abc");
    s.reset();
    assert!(s.is_empty() && s.capacity() >= 3);
    let mut d: VecDeque<u8> = (0..10).collect();
    d.reset();
    assert!(d.is_empty() && d.capacity() >= 10);
    let mut h: HashMap<u8, u8> = (0..10).map(|i| (i, i)).collect();
    h.reset();
    assert!(h.is_empty() && h.capacity() >= 10);
    let mut hs: HashSet<u8> = (0..10).collect();
    hs.reset();
    assert!(hs.is_empty() && hs.capacity() >= 10);
    let mut bm: BTreeMap<u8, u8> = (0..10).map(|i| (i, i)).collect();
    bm.reset();
    assert!(bm.is_empty());
    let mut bs: BTreeSet<u8> = (0..10).collect();
    bs.reset();
    assert!(bs.is_empty());
    let mut bh: BinaryHeap<u8> = (0..10).collect();
    bh.reset();
    assert!(bh.is_empty());
    let mut o = Some(String::from("x"));
    o.reset();
    assert_eq!(o, None);
    let mut b = Box::new(vec![1, 2]);
    b.reset();
    assert!(b.is_empty());
    let (mut i, mut f, mut t, mut c) = (5i32, 1.5f64, true, 'x');
    i.reset();
    f.reset();
    t.reset();
    c.reset();
    assert_eq!((i, f, t, c), (0, 0.0, false, '\0'));
    let mut arr = [vec![1], vec![2]];
    arr.reset();
    assert!(arr.iter().all(Vec::is_empty));
    let mut tuple = (1u8, String::from("a"), Some(3));
    tuple.reset();
    assert_eq!(tuple, (0, String::new(), None));
    let mut u8s = [1u8, 2, 3];
    u8s.reset();
    assert_eq!(u8s, [0; 3]);
}

#[test]
fn instance_pools_new_with_put_trim_and_bounds() {
    let pool = Pool::<Vec<u8>>::new();
    let mut a = pool.get();
    a.extend_from_slice(b"abc");
    drop(a);
    assert!(pool.get().is_empty());

    let made = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&made);
    let pool = Pool::with_capacity(
        2,
        move || {
            counter.fetch_add(1, Ordering::Relaxed);
            String::with_capacity(16)
        },
        String::clear,
    );
    let held: Vec<_> = (0..4).map(|_| pool.get()).collect();
    drop(held);
    let s = pool.stats();
    assert_eq!(made.load(Ordering::Relaxed), 4);
    assert_eq!((s.total_gets, s.total_puts, s.outstanding), (4, 4, 0));
    assert_eq!(s.tiers[0].idle, if POOLING { 2 } else { 0 });
    assert_eq!(s.discarded, if POOLING { 2 } else { 0 });
    pool.put(String::from("foreign"));
    let s = pool.stats();
    assert_eq!((s.foreign_puts, s.outstanding), (1, 0));
    let trimmed = pool.trim();
    assert_eq!(trimmed, s.tiers[0].idle * std::mem::size_of::<String>());
    assert_eq!(pool.stats().tiers[0].idle, 0);
}

#[test]
fn into_inner_detaches() {
    let pool = Pool::<Vec<u8>>::new();
    let mut v = pool.get();
    v.push(5);
    let owned = v.into_inner();
    assert_eq!(owned, [5]);
    let s = pool.stats();
    assert_eq!((s.detached, s.outstanding, s.total_puts), (1, 0, 0));
}

#[test]
fn pool_arc_get_mut_try_unwrap_and_threads() {
    let pool = Pool::<Vec<u32>>::new();
    let mut a = pool.get().into_shared();
    a.get_mut().unwrap().push(1);
    let b = a.clone();
    assert!(a.get_mut().is_none());
    let a = a.try_unwrap().unwrap_err();
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let c = b.clone();
            thread::spawn(move || c[0])
        })
        .collect();
    for w in workers {
        assert_eq!(w.join().unwrap(), 1);
    }
    drop(b);
    let mut unique = a.try_unwrap().unwrap();
    unique.push(2);
    assert_eq!(*unique, [1, 2]);
}

#[test]
fn the_last_release_resets_and_returns_exactly_once() {
    let resets = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&resets);
    let pool = Pool::with(Vec::<u8>::new, move |v| {
        counter.fetch_add(1, Ordering::Relaxed);
        v.clear();
    });
    let rounds = scaled(1000);
    for _ in 0..rounds {
        let shared = pool.get().into_shared();
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let c = shared.clone();
                thread::spawn(move || drop(c))
            })
            .collect();
        drop(shared);
        threads.into_iter().for_each(|t| t.join().unwrap());
    }
    assert_eq!(resets.load(Ordering::Relaxed), rounds);
    let s = pool.stats();
    assert_eq!(
        (s.total_gets, s.total_puts, s.outstanding),
        (rounds as u64, rounds as u64, 0)
    );
}

#[test]
fn both_handles_cross_threads() {
    let e = LogEntry::take();
    let e = thread::spawn(move || {
        let mut e = e;
        e.timestamp = 1;
        e
    })
    .join()
    .unwrap();
    let shared = e.into_shared();
    let seen: Vec<i64> = (0..3)
        .map(|_| {
            let s = shared.clone();
            thread::spawn(move || s.timestamp)
        })
        .map(|t| t.join().unwrap())
        .collect();
    assert_eq!(seen, [1; 3]);
}

/// Counts drops, to prove every object is dropped exactly once.
struct Tracked {
    drops: Arc<AtomicUsize>,
    poisoned: bool,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn a_panicking_reset_drops_the_object_once_and_leaves_the_pool_usable() {
    let drops = Arc::new(AtomicUsize::new(0));
    let made = Arc::new(AtomicUsize::new(0));
    let (d, m) = (Arc::clone(&drops), Arc::clone(&made));
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    let pool = Pool::with(
        move || {
            m.fetch_add(1, Ordering::Relaxed);
            Tracked {
                drops: Arc::clone(&d),
                poisoned: false,
            }
        },
        move |t: &mut Tracked| {
            // Every third reset panics.
            if c.fetch_add(1, Ordering::Relaxed) % 3 == 2 {
                panic!("reset failed");
            }
            t.poisoned = false;
        },
    );
    let mut panics = 0;
    for _ in 0..30 {
        let mut t = pool.get();
        t.poisoned = true;
        if catch_unwind(AssertUnwindSafe(|| drop(t))).is_err() {
            panics += 1;
        }
    }
    assert_eq!(panics, 10);
    let s = pool.stats();
    assert_eq!((s.total_gets, s.outstanding), (30, 0), "{s}");
    assert_eq!(
        s.discarded, 10,
        "each object whose reset panicked is counted"
    );
    // Every object ever made was dropped exactly once, except those still idle.
    drop(pool);
    assert_eq!(drops.load(Ordering::Relaxed), made.load(Ordering::Relaxed));
}

#[test]
fn a_panicking_drop_in_a_full_pool_does_not_drop_twice() {
    struct Bomb(Arc<AtomicUsize>);
    impl Drop for Bomb {
        fn drop(&mut self) {
            let n = self.0.fetch_add(1, Ordering::Relaxed);
            if n < 10 && n.is_multiple_of(2) {
                panic!("drop failed");
            }
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let d = Arc::clone(&drops);
    let pool = Pool::with_capacity(0, move || Bomb(Arc::clone(&d)), |_| {});
    for i in 0..10 {
        let b = pool.get();
        let result = catch_unwind(AssertUnwindSafe(|| drop(b)));
        assert_eq!(result.is_err(), i % 2 == 0);
    }
    assert_eq!(drops.load(Ordering::Relaxed), 10);
    let s = pool.stats();
    let discarded = if POOLING { 10 } else { 0 }; // passthrough frees without discarding
    assert_eq!(
        (s.outstanding, s.discarded, s.total_puts),
        (0, discarded, 10)
    );
    drop(pool.get()); // still usable
    assert_eq!(pool.stats().total_puts, 11);
}

#[test]
fn resets_in_line_says_when_a_reset_has_drop_glue_to_run() {
    let names = |n: usize| vec![String::from("x"); n];
    assert!(Vec::<String>::new().__resets_in_line());
    assert!(!names(1).__resets_in_line());
    assert!(
        vec![1u8].__resets_in_line(),
        "no drop glue: cleared in line"
    );
    assert!(!Some(String::new()).__resets_in_line());
    assert!(None::<String>.__resets_in_line());
    assert!(Some(3u8).__resets_in_line());
    assert!(!Box::new(names(1)).__resets_in_line());
    assert!(![names(0), names(1)].__resets_in_line());
    assert!([names(0), names(0)].__resets_in_line());
    assert!(!(1u8, names(1)).__resets_in_line());
    assert!(!HashMap::from([(1, String::new())]).__resets_in_line());

    // The derive asks each field it resets with `Reset`, `max_capacity` ones included; a
    // skipped field and one with its own reset function are not asked.
    let mut entry = LogEntry::default();
    assert!(entry.__resets_in_line());
    entry.message.push(1);
    entry.origin = "kept";
    entry.tags.0.push("tag");
    assert!(entry.__resets_in_line());
    entry.fields.push((String::from("k"), String::from("v")));
    assert!(!entry.__resets_in_line());
    entry.reset();
    assert!(entry.__resets_in_line());
}

/// A process-wide pool resets an object whose reset has drop glue to run in a function of its
/// own (`__resets_in_line` is false): the object comes back reset, keeps its allocations, and
/// a panic there leaves the pool usable, as in the other one.
#[test]
fn objects_reset_out_of_line_come_back_reset_and_survive_a_panicking_drop() {
    struct Fuse(bool);
    impl Drop for Fuse {
        fn drop(&mut self) {
            if self.0 {
                panic!("element drop failed");
            }
        }
    }
    #[derive(Pooled, Default)]
    struct Batch {
        names: Vec<String>,
        fuses: Vec<Fuse>,
    }

    let mut batch = Batch::take();
    batch.names.push(String::from("a"));
    batch.names.reserve(100);
    let capacity = batch.names.capacity();
    drop(batch);
    let again = Batch::take();
    assert!(again.names.is_empty());
    if POOLING {
        assert_eq!(again.names.capacity(), capacity, "the same object, cleared");
    }
    drop(again);

    let before = Batch::pool().stats();
    let mut batch = Batch::take();
    batch.fuses.push(Fuse(true));
    assert!(catch_unwind(AssertUnwindSafe(|| drop(batch))).is_err());
    let after = Batch::pool().stats();
    assert_eq!(after.outstanding, before.outstanding, "{after}");
    assert_eq!(after.total_puts, before.total_puts + 1, "{after}");
    let mut fresh = Batch::take();
    assert!(fresh.fuses.is_empty() && fresh.names.is_empty());
    fresh.names.push(String::from("b"));
    drop(fresh);
    assert!(Batch::take().names.is_empty(), "still usable");
}

#[test]
fn generic_structs_use_instance_pools() {
    #[derive(Pooled, Default)]
    struct G<T> {
        items: Vec<T>,
    }
    let pool = Pool::<G<u8>>::new();
    let mut g = pool.get();
    g.items.push(1);
    drop(g);
    assert!(pool.get().items.is_empty());
}

#[test]
fn instance_pools_of_non_send_types_stay_on_their_thread() {
    let pool = Pool::<std::rc::Rc<Cell<u8>>>::with(Default::default, |c| c.set(0));
    let v = pool.get();
    v.set(3);
    drop(v);
    assert_eq!(pool.get().get(), 0);
}

thread_local! {
    /// Whether dropping an [`Echo`] re-enters its pool (this test's thread only).
    static ECHO_ARMED: Cell<bool> = const { Cell::new(false) };
    /// Echoes made and dropped on this thread.
    static ECHOES: Cell<(usize, usize)> = const { Cell::new((0, 0)) };
    /// Pool operations made from inside an `Echo`'s drop.
    static REENTERED: Cell<usize> = const { Cell::new(0) };
}

/// A field whose drop, while armed, takes and returns a [`Chain`]: a pool operation from user
/// code the pool runs (when it discards or trims an idle `Chain`).
struct Echo;

impl Default for Echo {
    fn default() -> Self {
        ECHOES.with(|c| c.set((c.get().0 + 1, c.get().1)));
        Echo
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        ECHOES.with(|c| c.set((c.get().0, c.get().1 + 1)));
        if ECHO_ARMED.with(|armed| armed.replace(false)) {
            REENTERED.with(|n| n.set(n.get() + 1));
            let mut inner = Chain::take();
            inner.payload.push(1);
            drop(inner);
            ECHO_ARMED.with(|armed| armed.set(true));
        }
    }
}

/// Used by `pool_operations_from_a_drop_the_pool_runs_use_the_same_cache` only.
#[derive(Pooled, Default)]
#[pooled(capacity = 2, thread_cache = 4)]
struct Chain {
    payload: Vec<u8>,
    #[pooled(skip)]
    _echo: Echo,
}

/// Discards (a full shared tier) and `trim` drop idle objects; an object's `Drop` that uses
/// the same pool again runs while the pool is spilling or trimming this thread's cache. The
/// cache holds no borrow across that user code, so the nested operations succeed, and the
/// counts stay exact: every object ever made is either idle in the pool or dropped.
#[test]
fn pool_operations_from_a_drop_the_pool_runs_use_the_same_cache() {
    let pool = Chain::pool();
    ECHO_ARMED.with(|armed| armed.set(true));
    let held: Vec<_> = (0..12).map(|_| Chain::take()).collect();
    drop(held); // 4 stay in this thread's cache, 2 in the shared tier, the rest are discarded
    let s = pool.stats();
    let reentered_by_discards = REENTERED.with(Cell::get);
    assert_eq!(s.outstanding, 0, "{s:?}");
    assert_eq!(s.total_gets, s.total_puts, "{s:?}");
    if POOLING {
        assert!(reentered_by_discards > 0, "no discard ran a Drop: {s:?}");
        assert!(s.discarded > 0, "{s:?}");
    }
    let (made, dropped) = ECHOES.with(Cell::get);
    assert_eq!(made - dropped, s.tiers[0].idle, "{s:?}");

    pool.trim();
    ECHO_ARMED.with(|armed| armed.set(false));
    let s = pool.stats();
    if POOLING {
        assert!(
            REENTERED.with(Cell::get) > reentered_by_discards,
            "trim ran no Drop"
        );
    }
    assert_eq!(s.outstanding, 0, "{s:?}");
    assert_eq!(s.total_gets, s.total_puts, "{s:?}");
    let (made, dropped) = ECHOES.with(Cell::get);
    assert_eq!(made - dropped, s.tiers[0].idle, "{s:?}");
    // Still a working pool: a take after all this hands out a clean object.
    assert!(Chain::take().payload.is_empty());
}

#[test]
fn idle_objects_do_not_keep_an_instance_pool_alive() {
    let drops = Arc::new(AtomicUsize::new(0));
    let pool = {
        let drops = Arc::clone(&drops);
        Pool::with(
            move || Tracked {
                drops: Arc::clone(&drops),
                poisoned: false,
            },
            |_| {},
        )
    };
    let (idle, out) = (pool.get(), pool.get());
    drop(idle); // idle in the pool (dropped at once under `passthrough`)
    drop(pool); // the idle object goes with the pool...
    assert_eq!(drops.load(Ordering::Relaxed), 1);
    drop(out); // ...and the one still out when it comes back, with the pool's bookkeeping
    assert_eq!(drops.load(Ordering::Relaxed), 2);
}
