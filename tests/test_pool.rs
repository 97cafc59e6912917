//! `BytePool`: gets across tier edges, oversize, bad sizes, `put`, `trim`, bounds, zeroing.

mod common;

use std::sync::{Arc, Barrier};

use bytepool::{BytePool, Error, PoolStats, Tiers};
use common::POOLING;

bytepool::define_tiers! {
    /// The tiers these tests use for instance pools.
    pub Packet = [64, 256, 1500, 9000];
}

#[test]
fn smoke() {
    let pool = BytePool::<Packet>::new();
    let mut buf = pool.get(100);
    assert_eq!((buf.len(), buf.capacity()), (100, 256));
    buf.copy_from_slice(&[7; 100]);
    drop(buf);
    let again = pool.get(200);
    assert_eq!(again.capacity(), 256);
    if POOLING {
        assert_eq!(
            again[..100],
            [7; 100],
            "the same buffer came back, not cleared"
        );
        assert_eq!(pool.stats().tiers[1].hits, 1);
    }
}

#[test]
fn every_tier_edge_gets_the_smallest_tier_that_fits() {
    let pool = BytePool::<Packet>::new();
    for (i, &size) in Packet::SIZES.iter().enumerate() {
        for len in [size - 1, size, size + 1] {
            let buf = pool.get(len);
            assert_eq!(buf.len(), len);
            let expected = Packet::SIZES
                .iter()
                .copied()
                .find(|&s| s >= len)
                .unwrap_or(len);
            assert_eq!(buf.capacity(), expected, "len {len} (tier {i} is {size})");
        }
    }
}

#[test]
fn get_zero_is_empty_uncounted_and_grows_into_a_tier() {
    let pool = BytePool::<Packet>::new();
    let mut buf = pool.get(0);
    assert!(buf.is_empty());
    assert_eq!(buf.capacity(), 0);
    assert_eq!(pool.stats().total_gets, 0);
    assert!(pool.stats().recent_lengths.is_empty());
    buf.extend_from_slice(b"hello");
    assert_eq!(buf.capacity(), 64);
    assert_eq!(pool.stats().total_gets, 1);
    drop(buf);
    let s = pool.stats();
    assert_eq!((s.total_puts, s.outstanding), (1, 0));
}

#[test]
fn a_get_zero_dropped_unused_is_no_put_in_either_kind_of_pool() {
    bytepool::define_tiers! {
        ZeroTiers = [64, 256];
    }
    let instance = BytePool::<ZeroTiers>::new();
    for pool in [ZeroTiers::pool(), &instance] {
        drop(pool.get(0));
        drop(pool.get(0).freeze());
        let s = pool.stats();
        assert_eq!((s.total_gets, s.total_puts, s.discarded), (0, 0, 0));
    }
}

#[test]
fn oversize_is_exact_counted_as_discarded_and_not_pooled() {
    let pool = BytePool::<Packet>::new();
    let buf = pool.get(9001);
    assert_eq!((buf.len(), buf.capacity()), (9001, 9001));
    let s = pool.stats();
    assert_eq!(
        (s.total_gets, s.oversize, s.discarded, s.outstanding),
        (1, 1, 1, 1)
    );
    drop(buf);
    let s = pool.stats();
    assert_eq!(
        (s.total_puts, s.discarded, s.outstanding, s.idle_bytes),
        (1, 1, 0, 0)
    );
    assert_eq!(pool.get(9001).capacity(), 9001);
    assert_eq!(
        pool.stats().oversize,
        2,
        "oversize buffers are never reused"
    );
}

#[test]
fn impossible_sizes_are_errors_from_try_get() {
    let pool = BytePool::<Packet>::new();
    for len in [usize::MAX, isize::MAX as usize + 1] {
        assert_eq!(pool.try_get(len).unwrap_err(), Error::CapacityOverflow);
    }
    // Nothing was handed out and the pool still works.
    assert_eq!(pool.stats().outstanding, 0);
    assert_eq!(pool.get(10).len(), 10);
}

#[test]
#[should_panic(expected = "exceeds `isize::MAX`")]
fn get_usize_max_panics_with_a_clear_message() {
    let _ = BytePool::<Packet>::new().get(usize::MAX);
}

#[test]
#[should_panic(expected = "exceeds `isize::MAX`")]
fn with_capacity_above_isize_max_panics() {
    let _ = BytePool::<Packet>::new().with_capacity(isize::MAX as usize + 1);
}

#[test]
fn with_capacity_is_empty_from_the_fitting_tier() {
    let pool = BytePool::<Packet>::new();
    let buf = pool.with_capacity(1000);
    assert_eq!((buf.len(), buf.capacity()), (0, 1500));
    assert_eq!(pool.with_capacity(0).capacity(), 0);
    assert_eq!(pool.with_capacity(10_000).capacity(), 10_000);
}

#[test]
fn put_keeps_tier_capacities_and_discards_the_rest() {
    let pool = BytePool::<Packet>::new();
    let mut kept = Vec::with_capacity(1500);
    kept.extend_from_slice(b"abc");
    pool.put(kept);
    pool.put(Vec::new()); // capacity 0: no tier
    pool.put(Vec::with_capacity(1000)); // between tiers
    pool.put(vec![0; 20_000]); // above every tier
    let s = pool.stats();
    assert_eq!((s.total_puts, s.foreign_puts, s.discarded), (4, 4, 3));
    assert_eq!(s.tiers[2].puts, 1);
    assert_eq!(
        s.outstanding, 0,
        "foreign puts never make outstanding negative"
    );
    if POOLING {
        assert_eq!(s.tiers[2].idle, 1);
        let buf = pool.get(1500);
        assert_eq!(&buf[..3], b"abc");
        assert_eq!(
            buf[3..],
            [0; 1497],
            "the vector's spare capacity was initialised"
        );
        assert_eq!(pool.stats().tiers[2].hits, 1);
    }
}

#[test]
fn into_vec_detaches_without_copying_and_put_takes_it_back() {
    let pool = BytePool::<Packet>::new();
    let mut buf = pool.get(3);
    buf.copy_from_slice(b"xyz");
    let ptr = buf.as_ptr();
    let vec = buf.into_vec();
    assert_eq!(
        (vec.as_slice(), vec.capacity(), vec.as_ptr()),
        (&b"xyz"[..], 64, ptr)
    );
    let s = pool.stats();
    assert_eq!((s.detached, s.outstanding), (1, 0));
    pool.put(vec);
    let s = pool.stats();
    assert_eq!((s.outstanding, s.foreign_puts, s.total_puts), (0, 1, 1));
    if POOLING {
        assert_eq!(s.tiers[0].idle, 1);
    }
}

#[test]
fn idle_buffers_are_bounded_per_tier() {
    let pool = BytePool::<Packet>::builder().max_idle_per_tier(3).build();
    let held: Vec<_> = (0..10).map(|_| pool.get(64)).collect();
    drop(held);
    let s = pool.stats();
    assert_eq!(s.tiers[0].idle, if POOLING { 3 } else { 0 });
    assert_eq!(s.discarded, if POOLING { 7 } else { 0 });
    assert_eq!(s.total_puts, 10);

    let none = BytePool::<Packet>::builder().max_idle_per_tier(0).build();
    drop(none.get(10));
    drop(none.get(10));
    let s = none.stats();
    assert_eq!((s.tiers[0].misses, s.tiers[0].idle), (2, 0));
}

#[test]
fn trim_frees_idle_buffers_and_reports_bytes() {
    let pool = BytePool::<Packet>::new();
    let held: Vec<_> = [10, 10, 100, 5000].iter().map(|&n| pool.get(n)).collect();
    drop(held);
    let expected = if POOLING { 64 * 2 + 256 + 9000 } else { 0 };
    assert_eq!(pool.stats().idle_bytes, expected);
    assert_eq!(pool.trim(), expected);
    assert_eq!(pool.stats().idle_bytes, 0);
    assert_eq!(pool.trim(), 0);
}

#[test]
fn global_pool_trim_empties_the_calling_threads_cache() {
    bytepool::define_tiers! {
        TrimTiers = [128, 4096];
    }
    let pool = TrimTiers::pool();
    let held: Vec<_> = (0..5).map(|_| pool.get(100)).collect();
    drop(held);
    let idle = pool.stats().idle_bytes;
    assert_eq!(idle, if POOLING { 5 * 128 } else { 0 });
    assert_eq!(pool.trim(), idle);
    assert_eq!(pool.stats().idle_bytes, 0);
}

#[test]
fn a_threads_cache_keeps_a_mebibyte_of_a_large_tier() {
    bytepool::define_tiers! {
        LargeTiers = [64KiB, 1MiB];
    }
    // `pool.rs`: a thread's cache keeps `min(32, 1 MiB / size)` of a tier.
    const KEPT: usize = 16;
    let pool = LargeTiers::pool();
    let (kept, exit) = (Arc::new(Barrier::new(2)), Arc::new(Barrier::new(2)));
    let other = {
        let (kept, exit) = (kept.clone(), exit.clone());
        std::thread::spawn(move || {
            let held: Vec<_> = (0..KEPT).map(|_| LargeTiers::pool().get(65536)).collect();
            drop(held);
            kept.wait();
            exit.wait();
        })
    };
    kept.wait();
    // The shared tier is empty: every buffer sits in the other thread's cache.
    assert_eq!(pool.trim(), 0);
    assert_eq!(pool.stats().tiers[0].idle, if POOLING { KEPT } else { 0 });
    exit.wait();
    // `join` returns after the thread's locals are destroyed, its cache flushed.
    other.join().expect("the other thread panicked");
    assert_eq!(pool.trim(), if POOLING { KEPT * 65536 } else { 0 });
}

#[test]
fn zero_on_release_clears_before_reuse() {
    let pool = BytePool::<Packet>::builder().zero_on_release(true).build();
    let mut secret = pool.get(64);
    secret.fill(0xAA);
    drop(secret);
    let again = pool.get(64);
    assert_eq!(again[..], [0; 64]);
    if POOLING {
        assert_eq!(pool.stats().tiers[0].hits, 1);
    }
    // Also through a foreign `put`.
    pool.put(vec![0xBB; 256]);
    assert_eq!(pool.get(256)[..], [0; 256]);
}

#[test]
fn new_buffers_are_zeroed() {
    let pool = BytePool::<Packet>::new();
    assert!(pool.get(9000).iter().all(|&b| b == 0));
    assert!(pool.get(20_000).iter().all(|&b| b == 0));
}

#[test]
fn prewarm_fills_every_shared_tier_up_to_its_bound() {
    // Of 4 idle buffers per tier, the threads' caches may claim half: the shared tier keeps 2.
    let pool = BytePool::<Packet>::builder()
        .max_idle_per_tier(4)
        .prewarm(10)
        .build();
    let s = pool.stats();
    for t in &s.tiers {
        assert_eq!(t.idle, if POOLING { 2 } else { 0 }, "tier {}", t.size);
    }
    drop(pool.get(1));
    assert_eq!(pool.stats().tiers[0].misses, u64::from(!POOLING));
}

#[test]
fn tier_sizes_and_max_size() {
    let pool = Packet::pool();
    assert_eq!(pool.tier_sizes(), [64, 256, 1500, 9000]);
    assert_eq!(pool.max_size(), 9000);
    assert_eq!(bytepool::tiers::PowerOfTwo::pool().tier_sizes().len(), 15);
    assert_eq!(
        bytepool::tiers::Stream::SIZES,
        [1024, 4096, 16384, 32768, 65536, 131072]
    );
}

#[test]
fn pool_and_handles_debug() {
    let pool = BytePool::<Packet>::new();
    let text = format!("{pool:?}");
    assert!(text.contains("BytePool") && text.contains("9000"), "{text}");
    let buf = pool.get(5);
    assert_eq!(
        format!("{buf:?}"),
        "BufferMut { len: 5, capacity: 64, pooled: true }"
    );
    let shared = buf.freeze();
    assert_eq!(format!("{shared:?}"), "Buffer { len: 5, ref_count: 1 }");
}

#[test]
fn dropping_an_instance_pool_with_handles_outstanding_is_safe() {
    let pool = BytePool::<Packet>::new();
    let a = pool.get(100);
    let b = pool.get(5000).freeze();
    let b2 = b.clone();
    drop(pool);
    let t = std::thread::spawn(move || {
        drop(b2);
        a.len()
    });
    assert_eq!(t.join().unwrap(), 100);
    assert_eq!(b.len(), 5000);
}

#[test]
fn a_hand_written_tiers_impl_that_lies_cannot_corrupt_memory() {
    use bytepool::__private::Vtable;
    struct Liar;
    impl Tiers for Liar {
        const SIZES: &'static [usize] = &[16, 32];
        const __VTABLES: &'static [Vtable] =
            &[Vtable::tier::<Self, 0>(), Vtable::tier::<Self, 1>()];
        fn class_of(_: usize) -> Option<usize> {
            Some(0) // wrong for len > 16
        }
        fn __global() -> &'static BytePool<Self> {
            unimplemented_global()
        }
        type __Length = bytepool::__private::Counted;
        fn __with_cache<R, F: FnOnce(&bytepool::__private::ByteCache) -> R>(_: F) -> Option<R> {
            None
        }
    }
    fn unimplemented_global() -> &'static BytePool<Liar> {
        panic!("no global pool")
    }
    let pool = BytePool::<Liar>::new();
    assert_eq!(pool.get(10).capacity(), 16);
    let result = std::panic::catch_unwind(|| pool.get(20).len());
    let message = *result.unwrap_err().downcast::<String>().unwrap();
    assert!(message.contains("does not hold 20 bytes"), "{message}");
}

/// A hand-written `Tiers` of sizes [16, 32] with the given `__VTABLES` (otherwise correct,
/// and without a process-wide pool); `Liar` above spells such an implementation out.
macro_rules! tiers_with_vtables {
    ($name:ident, $vtables:expr) => {
        struct $name;
        impl Tiers for $name {
            const SIZES: &'static [usize] = &[16, 32];
            const __VTABLES: &'static [bytepool::__private::Vtable] = $vtables;
            fn class_of(len: usize) -> Option<usize> {
                Self::SIZES.iter().position(|&size| size >= len)
            }
            fn __global() -> &'static BytePool<Self> {
                panic!("no global pool")
            }
            type __Length = bytepool::__private::Counted;
            fn __with_cache<R, F: FnOnce(&bytepool::__private::ByteCache) -> R>(_: F) -> Option<R> {
                None
            }
        }
    };
}

#[test]
#[should_panic(
    expected = "`Tiers::__VTABLES` must list `Vtable::tier::<Self, t>()` for each of the 2 tiers"
)]
fn a_hand_written_tiers_impl_with_misordered_vtables_is_refused() {
    use bytepool::__private::Vtable;
    // Tier 1's vtable first: its blocks would be filed under the other tier.
    tiers_with_vtables!(
        Swapped,
        &[Vtable::tier::<Self, 1>(), Vtable::tier::<Self, 0>()]
    );
    drop(BytePool::<Swapped>::new());
}

#[test]
#[should_panic(
    expected = "`Tiers::__VTABLES` must list `Vtable::tier::<Self, t>()` for each of the 2 tiers"
)]
fn a_hand_written_tiers_impl_with_another_tier_sets_vtables_is_refused() {
    use bytepool::__private::Vtable;
    // `PowerOfTwo`'s tiers 0 and 1 (128 and 256 bytes): its blocks would go to that pool.
    tiers_with_vtables!(
        Foreign,
        &[
            Vtable::tier::<bytepool::tiers::PowerOfTwo, 0>(),
            Vtable::tier::<bytepool::tiers::PowerOfTwo, 1>(),
        ]
    );
    drop(BytePool::<Foreign>::new());
}
