//! Statistics: the documented relations between counters, recent lengths, high water,
//! per-thread counters merged at snapshot time, compiled-out stats, and the table.

mod common;

use std::thread;

use bytepool::ring::{LockedRingQueue, RingQueue};
use bytepool::{BytePool, PoolStats, Stats, TierStats, RECENT_LENGTHS};
use common::{scaled, Rng, POOLING};

bytepool::define_tiers! {
    Tiers3 = [100, 1000, 10000];
}

/// Every relation documented on `Stats`, at quiescence.
fn check_relations(s: &Stats) {
    for t in &s.tiers {
        assert_eq!(t.gets, t.hits + t.misses, "tier {}", t.size);
    }
    let tier_gets: u64 = s.tiers.iter().map(|t| t.gets).sum();
    assert_eq!(s.total_gets, tier_gets + s.oversize);
    assert!(s.total_puts >= s.tiers.iter().map(|t| t.puts).sum::<u64>());
    assert_eq!(
        s.outstanding,
        s.total_gets - s.detached - (s.total_puts - s.foreign_puts)
    );
    assert_eq!(
        s.idle_bytes,
        s.tiers.iter().map(|t| t.idle * t.size).sum::<usize>()
    );
    assert!(s.high_water >= s.outstanding);
    assert!(s.discarded >= s.oversize);
}

#[test]
fn smoke() {
    let pool = BytePool::<Tiers3>::new();
    let a = pool.get(50);
    let b = pool.get(500);
    let c = pool.get(50_000);
    drop(a);
    let s = pool.stats();
    check_relations(&s);
    assert_eq!((s.total_gets, s.total_puts, s.outstanding), (3, 1, 2));
    assert_eq!((s.oversize, s.discarded), (1, 1));
    assert_eq!(s.tiers[0].size, 100);
    assert_eq!(
        (s.tiers[0].gets, s.tiers[0].puts, s.tiers[0].misses),
        (1, 1, 1)
    );
    assert_eq!(s.recent_lengths, [50, 500, 50_000]);
    drop((b, c));
    check_relations(&pool.stats());
}

#[test]
fn relations_hold_after_a_random_workload_on_a_global_pool() {
    bytepool::define_tiers! {
        RandomTiers = [64, 512, 4096];
    }
    let pool = RandomTiers::pool();
    let mut rng = Rng(99);
    let mut held = Vec::new();
    let mut detached = Vec::new();
    for _ in 0..scaled(20_000) {
        match rng.below(10) {
            0..=4 => held.push(pool.get(rng.below(6000) as usize)),
            5..=7 if !held.is_empty() => drop(held.swap_remove(0)),
            8 if !held.is_empty() => detached.push(held.pop().unwrap().into_vec()),
            9 => match detached.pop() {
                Some(vec) => pool.put(vec),
                None => pool.put(Vec::with_capacity(rng.below(600) as usize)),
            },
            _ => {}
        }
    }
    let s = pool.stats();
    check_relations(&s);
    assert_eq!(s.outstanding, held.len() as u64);
    drop(held);
    let s = pool.stats();
    check_relations(&s);
    assert_eq!(s.outstanding, 0);
}

#[test]
fn recent_lengths_are_the_last_256_oldest_first() {
    bytepool::define_tiers! {
        RecentTiers = [1024];
    }
    for pool in [RecentTiers::pool(), &BytePool::<RecentTiers>::new()] {
        for len in 1..=300 {
            drop(pool.get(len));
        }
        let recent = pool.stats().recent_lengths;
        assert_eq!(recent.len(), RECENT_LENGTHS);
        assert_eq!(recent, (45..=300).collect::<Vec<_>>());
    }
}

#[test]
fn a_shared_ring_records_every_request_from_every_thread() {
    let per_thread = scaled(1000);
    let pool = BytePool::<Tiers3>::builder()
        .recent_lengths(RingQueue::new(10 * per_thread))
        .build();
    thread::scope(|scope| {
        for t in 0..2 {
            let pool = &pool;
            scope.spawn(move || {
                for i in 0..per_thread {
                    drop(pool.get(t * per_thread + i + 1));
                }
            });
        }
    });
    let mut recent = pool.stats().recent_lengths;
    assert_eq!(recent.len(), 2 * per_thread);
    recent.sort_unstable();
    assert_eq!(recent, (1..=2 * per_thread).collect::<Vec<_>>());

    let locked = BytePool::<Tiers3>::builder()
        .recent_lengths(LockedRingQueue::new(3))
        .build();
    for len in [5, 6, 7, 8] {
        drop(locked.get(len));
    }
    assert_eq!(locked.stats().recent_lengths, [6, 7, 8]);
}

#[test]
fn counters_of_exited_threads_are_kept() {
    bytepool::define_tiers! {
        ExitTiers = [256];
    }
    let workers: Vec<_> = (0..4)
        .map(|_| {
            thread::spawn(|| {
                for _ in 0..100 {
                    drop(ExitTiers::pool().get(10));
                }
                let _kept = ExitTiers::pool().get(10);
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let s = ExitTiers::pool().stats();
    check_relations(&s);
    assert_eq!((s.total_gets, s.total_puts, s.outstanding), (404, 404, 0));
    assert_eq!(s.recent_lengths.len(), RECENT_LENGTHS);
    if POOLING {
        // Exiting threads flushed their caches into the shared tier.
        assert!(s.tiers[0].idle >= 1);
        assert!(s.tiers[0].misses <= 4, "{s}");
    }
}

/// A thread's counter block is reused by the next thread once the first has exited: the next
/// thread starts from zero, and nothing of either thread is lost or counted twice.
#[test]
fn a_counter_block_reused_by_the_next_thread_starts_from_zero() {
    bytepool::define_tiers! {
        ReusedTiers = [256];
    }
    let pool = ReusedTiers::pool();
    let run = |lens: &'static [usize]| {
        thread::spawn(move || {
            for &len in lens {
                drop(ReusedTiers::pool().get(len));
            }
        })
        .join()
        .unwrap();
    };
    run(&[10, 11, 12]);
    run(&[20, 21]);
    let s = pool.stats();
    check_relations(&s);
    assert_eq!((s.total_gets, s.total_puts, s.outstanding), (5, 5, 0));
    assert_eq!(s.recent_lengths, [10, 11, 12, 20, 21]);
    // And a live thread's block is counted once, next to the retired ones.
    run(&[30]);
    drop(pool.get(40));
    let s = pool.stats();
    assert_eq!((s.total_gets, s.total_puts), (7, 7));
    assert_eq!(s.recent_lengths, [10, 11, 12, 20, 21, 30, 40]);
}

/// A request that fails is neither counted nor recorded, so a thread's ring of lengths stays
/// in step with its count of gets (the ring's position): the next served length is the newest
/// one listed, on a process-wide pool (per-thread blocks) as on an instance pool. (Miri reports
/// an allocation of `isize::MAX` bytes as resource exhaustion, so it skips this test.)
#[test]
#[cfg_attr(miri, ignore)]
fn a_failed_get_is_neither_counted_nor_recorded() {
    bytepool::define_tiers! {
        FailTiers = [64];
    }
    let instance = BytePool::<FailTiers>::new();
    for pool in [FailTiers::pool(), &instance] {
        drop(pool.get(10));
        // Above every tier and too large for the allocator.
        assert!(matches!(
            pool.try_get(isize::MAX as usize),
            Err(bytepool::Error::AllocFailed { .. })
        ));
        drop(pool.get(20));
        let s = pool.stats();
        check_relations(&s);
        assert_eq!((s.total_gets, s.oversize), (2, 0));
        assert_eq!(s.recent_lengths, [10, 20]);
    }
}

/// Buffers that another thread-local's destructor returns after the thread's cache has been
/// emptied (its destructor ran first) reach the shared tiers, and a get from there is served;
/// nothing is lost or counted twice.
#[test]
fn buffers_returned_after_the_thread_cache_retired_reach_the_pool() {
    bytepool::define_tiers! {
        LateTiers = [64, 128];
    }
    /// Holds buffers until the thread's locals are destroyed, then returns them and takes one.
    struct Late(Vec<bytepool::BufferMut>);
    impl Drop for Late {
        fn drop(&mut self) {
            self.0.clear();
            let again = LateTiers::pool().get(64);
            assert_eq!(again.capacity(), 64);
        }
    }
    thread_local! {
        static LATE: std::cell::RefCell<Option<Late>> = const { std::cell::RefCell::new(None) };
    }
    thread::spawn(|| {
        // Registered before the pool's thread-locals, so (destructors run last-registered
        // first) `Late` is dropped after the cache has been emptied into the shared tiers.
        LATE.with(|_| {});
        let cached: Vec<_> = (0..4).map(|_| LateTiers::pool().get(60)).collect();
        drop(cached); // into this thread's magazine
        let held = (0..3).map(|_| LateTiers::pool().get(100)).collect();
        LATE.with(|late| late.borrow_mut().replace(Late(held)));
    })
    .join()
    .unwrap();
    let s = LateTiers::pool().stats();
    check_relations(&s);
    assert_eq!(
        (s.total_gets, s.total_puts, s.outstanding),
        (8, 8, 0),
        "{s}"
    );
    assert_eq!(s.discarded, 0, "{s}");
    if POOLING {
        assert_eq!((s.tiers[0].idle, s.tiers[1].idle), (4, 3), "{s}");
        assert_eq!(
            s.tiers[0].hits, 1,
            "the late get found a flushed block: {s}"
        );
    }
}

#[test]
fn buffers_returned_on_another_thread_find_their_way_back() {
    bytepool::define_tiers! {
        CrossTiers = [4096];
    }
    const CHANNEL: usize = 16;
    // What one thread's cache keeps of a 4096-byte tier (`pool.rs`: `min(32, 1 MiB / size)`).
    const CACHE: usize = 32;
    // The producer only gets, so it misses only when its own cache and the shared tier are
    // both empty: every block then is in the channel, in the consumer's hand or in the
    // consumer's cache (a spill in progress included), or is the new one. Each miss makes a
    // block and none is freed (the shared tier keeps up to 1024 of this size), so the misses
    // never exceed that, whatever the count.
    const MOST_LIVE: usize = CHANNEL + 1 + CACHE + 1;
    // Enough gets (also under Miri) that a pool which did not recycle would miss more.
    let count = scaled(10_000).max(4 * MOST_LIVE);
    let (tx, rx) = std::sync::mpsc::sync_channel(CHANNEL);
    let consumer = thread::spawn(move || rx.into_iter().for_each(drop));
    for _ in 0..count {
        tx.send(CrossTiers::pool().get(4000)).unwrap();
    }
    drop(tx);
    consumer.join().unwrap();
    let s = CrossTiers::pool().stats();
    check_relations(&s);
    assert_eq!(s.outstanding, 0);
    assert_eq!(s.tiers[0].gets, count as u64, "{s}");
    if POOLING {
        // The consumer's cache spilled to the shared tier and the producer refilled from it.
        assert!(s.tiers[0].misses as usize <= MOST_LIVE, "{s}");
        assert_eq!(s.discarded, 0, "{s}");
        let live = s.tiers[0].misses as usize;
        assert!(s.tiers[0].idle <= live);
    }
}

#[test]
fn high_water_is_exact_for_instance_pools_and_one_thread() {
    bytepool::define_tiers! {
        PeakTiers = [64];
    }
    for pool in [PeakTiers::pool(), &BytePool::<PeakTiers>::new()] {
        let first: Vec<_> = (0..10).map(|_| pool.get(1)).collect();
        drop(first);
        let second: Vec<_> = (0..4).map(|_| pool.get(1)).collect();
        let s = pool.stats();
        assert_eq!((s.outstanding, s.high_water), (4, 10));
        drop(second);
        assert_eq!(pool.stats().high_water, 10);
    }
}

#[test]
fn stats_can_be_compiled_out() {
    bytepool::define_tiers! {
        #[tiers(stats = false)]
        Silent = [64, 128];
    }
    for pool in [Silent::pool(), &BytePool::<Silent>::new()] {
        let held = pool.get(100);
        drop(pool.get(10));
        let s = pool.stats();
        assert_eq!((s.total_gets, s.total_puts, s.outstanding), (0, 0, 0));
        assert!(s.recent_lengths.is_empty());
        assert_eq!(s.tiers.len(), 2, "sizes are still reported");
        drop(held);
    }
}

#[test]
fn display_is_a_readable_table() {
    let pool = BytePool::<Tiers3>::new();
    let held = pool.get(150);
    drop(pool.get(150));
    let text = pool.stats().to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0]
        .split_whitespace()
        .eq(["tier", "gets", "puts", "hits", "misses", "idle", "idle", "bytes"]));
    let (idle, idle_bytes) = if POOLING { ("1", "1000") } else { ("0", "0") };
    assert!(
        lines[2]
            .split_whitespace()
            .eq(["1000", "B", "2", "1", "0", "2", idle, idle_bytes, "B"]),
        "{text}"
    );
    assert!(text.contains("outstanding 1 (peak 2)"), "{text}");
    assert!(text.contains("recent lengths (2 kept): 150 150"), "{text}");
    drop(held);
}

/// A tier with every field given: `(size, gets, puts, hits, misses, idle)`.
fn tier((size, gets, puts, hits, misses, idle): (usize, u64, u64, u64, u64, usize)) -> TierStats {
    let mut t = TierStats::default();
    (t.size, t.gets, t.puts, t.hits, t.misses, t.idle) = (size, gets, puts, hits, misses, idle);
    t
}

/// Two snapshots that differ in every field, by amounts that differ from field to field, so
/// that a gauge subtracted, a counter kept whole, or a value read from the wrong field or the
/// wrong snapshot each give a different result.
fn earlier_and_later() -> (Stats, Stats) {
    let mut earlier = Stats::default();
    earlier.tiers = vec![
        tier((100, 10, 20, 3, 7, 5)),
        tier((1000, 30, 40, 11, 19, 6)),
    ];
    (earlier.total_gets, earlier.total_puts, earlier.discarded) = (45, 61, 9);
    (earlier.outstanding, earlier.high_water, earlier.idle_bytes) = (8, 50, 6500);
    (earlier.oversize, earlier.detached, earlier.foreign_puts) = (5, 4, 2);
    earlier.recent_lengths = vec![1, 2];
    let mut later = Stats::default();
    later.tiers = vec![
        tier((100, 15, 27, 6, 9, 2)),
        tier((1000, 36, 49, 15, 21, 7)),
    ];
    (later.total_gets, later.total_puts, later.discarded) = (60, 80, 12);
    (later.outstanding, later.high_water, later.idle_bytes) = (13, 51, 7200);
    (later.oversize, later.detached, later.foreign_puts) = (9, 6, 3);
    later.recent_lengths = vec![3];
    (earlier, later)
}

#[test]
fn since_subtracts_counters_and_keeps_gauges() {
    let (earlier, later) = earlier_and_later();
    let mut expected = Stats::default();
    expected.tiers = vec![tier((100, 5, 7, 3, 2, 2)), tier((1000, 6, 9, 4, 2, 7))];
    (expected.total_gets, expected.total_puts, expected.discarded) = (15, 19, 3);
    (expected.oversize, expected.detached, expected.foreign_puts) = (4, 2, 1);
    // Gauges, the peak and the recent lengths: as in the later snapshot.
    expected.outstanding = 13;
    expected.high_water = 51;
    expected.idle_bytes = 7200;
    expected.recent_lengths = vec![3];
    assert_eq!(later.since(&earlier), expected);
    assert_eq!(later.since(&earlier).allocations(), 2 + 2 + 4);
    // Since itself: every counter zero, every gauge unchanged.
    let nothing = later.since(&later);
    assert_eq!((nothing.total_gets, nothing.allocations()), (0, 0));
    assert_eq!((nothing.outstanding, nothing.tiers[1].idle), (13, 7));
}

#[test]
fn since_saturates_at_zero_when_the_snapshots_are_swapped() {
    let (earlier, later) = earlier_and_later();
    // Every counter is smaller in `earlier`: all read 0; the gauges are `earlier`'s.
    let mut expected = earlier.clone();
    for t in &mut expected.tiers {
        (t.gets, t.puts, t.hits, t.misses) = (0, 0, 0, 0);
    }
    expected.total_gets = 0;
    expected.total_puts = 0;
    expected.discarded = 0;
    expected.oversize = 0;
    expected.detached = 0;
    expected.foreign_puts = 0;
    assert_eq!(earlier.since(&later), expected);
}

#[test]
fn since_matches_tiers_by_size() {
    let (mut earlier, later) = earlier_and_later();
    // `earlier` lacks the 100-byte tier and has one that `later` lacks.
    earlier.tiers[0] = tier((50, 1000, 1000, 1000, 1000, 1000));
    earlier.tiers.reverse();
    let interval = later.since(&earlier);
    let sizes: Vec<usize> = interval.tiers.iter().map(|t| t.size).collect();
    assert_eq!(
        sizes,
        [100, 1000],
        "the later snapshot's tiers, in its order"
    );
    assert_eq!(interval.tiers[0], later.tiers[0], "counted from zero");
    assert_eq!(interval.tiers[1], tier((1000, 6, 9, 4, 2, 7)));
}

/// On a process-wide pool (per-thread counter blocks, one of them retired in between): the
/// interval's counters are exactly its own operations, and the relations between counters
/// hold for them.
#[test]
fn since_between_two_snapshots_of_a_pool_counts_the_interval() {
    bytepool::define_tiers! {
        SinceTiers = [64, 1024];
    }
    let pool = SinceTiers::pool();
    let held: Vec<_> = (0..3).map(|_| pool.get(10)).collect();
    thread::spawn(|| drop(SinceTiers::pool().get(10)))
        .join()
        .unwrap();
    let before = pool.stats();
    drop(held);
    thread::spawn(|| {
        let pool = SinceTiers::pool();
        let kept: Vec<_> = (0..2).map(|_| pool.get(500)).collect();
        drop(pool.get(5000)); // oversize
        drop(kept);
    })
    .join()
    .unwrap();
    drop(pool.get(20));
    let after = pool.stats();
    let interval = after.since(&before);
    assert_eq!(
        (interval.total_gets, interval.total_puts, interval.oversize),
        (4, 7, 1),
        "{interval}"
    );
    assert_eq!((interval.tiers[0].gets, interval.tiers[0].puts), (1, 4));
    assert_eq!((interval.tiers[1].gets, interval.tiers[1].misses), (2, 2));
    for t in &interval.tiers {
        assert_eq!(t.gets, t.hits + t.misses, "{interval}");
    }
    let tier_gets: u64 = interval.tiers.iter().map(|t| t.gets).sum();
    assert_eq!(interval.total_gets, tier_gets + interval.oversize);
    assert!(interval.discarded >= interval.oversize, "{interval}");
    // Gauges and the peak: the pool now.
    assert_eq!(
        (interval.outstanding, interval.high_water),
        (0, after.high_water)
    );
    assert!(interval.high_water >= 3);
    assert_eq!(interval.idle_bytes, after.idle_bytes);
    assert_eq!(interval.recent_lengths, after.recent_lengths);
    if POOLING {
        assert_eq!(
            interval.tiers[0].hits, 1,
            "the last get reused a block: {interval}"
        );
    }
}

#[test]
fn snapshots_while_writers_churn_never_go_negative_or_wrap() {
    bytepool::define_tiers! {
        ChurnTiers = [64, 4096];
    }
    /// Stops the writers however the snapshot loop ends (a failed assertion included), so a
    /// failure cannot hang the test.
    struct StopOnDrop<'a>(&'a std::sync::atomic::AtomicBool);
    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let done = std::sync::atomic::AtomicBool::new(false);
    thread::scope(|scope| {
        for seed in [1, 2] {
            let done = &done;
            scope.spawn(move || {
                let mut rng = Rng(seed);
                let mut held = Vec::new();
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    held.push(ChurnTiers::pool().get(1 + rng.below(5000) as usize));
                    if held.len() > 4 {
                        // Sometimes dropped on another thread's behalf, through a channel.
                        let (tx, rx) = std::sync::mpsc::channel();
                        tx.send(held.swap_remove(0)).unwrap();
                        drop(rx);
                    }
                }
            });
        }
        let _stop = StopOnDrop(&done);
        for _ in 0..scaled(2000) {
            let s = ChurnTiers::pool().stats();
            // Returns are read before gets, so every counted return has its get counted and
            // outstanding never goes negative (or wraps); it may over-count by the gets made
            // while the snapshot ran.
            assert!(s.total_puts <= s.total_gets, "{s}");
            assert!(s.outstanding <= s.total_gets, "{s}");
            assert!(s.tiers.iter().all(|t| t.idle < 1 << 20), "{s}");
        }
    });
    let s = ChurnTiers::pool().stats();
    check_relations(&s);
    assert_eq!(s.outstanding, 0);
}
