//! Loom models of the byte-buffer handles on instance pools: `Buffer` clone/drop across
//! threads, the last release racing a get of the same tier, a full tier overflowing, the pool
//! dropped while handles live on other threads, and the reference count's
//! clone/`try_unwrap`/release interleavings.
//!
//! Run with `.ci/loom`, or:
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test -p bytepool --release --test 'loom_*' --target-dir target/loom`
//!
//! Every model runs inside `loom::model`, which also fails when a loom `Arc` or atomic outlives
//! the execution (a leaked pool or slot).
#![cfg(loom)]

mod common;

use common::{run_model, POOLING};

use bytepool::{BytePool, PoolStats};
use loom::thread;

bytepool::define_tiers! {
    /// Two small tiers keep the models' memory traffic tiny.
    Small = [8, 64];
}

/// A `Buffer` cloned onto two threads while the original is dropped on a third: every clone
/// sees the bytes, and the block returns to the pool exactly once.
#[test]
fn buffer_clone_drop_on_three_threads() {
    run_model("buffer_clone_drop_on_three_threads", || {
        let pool = BytePool::<Small>::builder().max_idle_per_tier(2).build();
        let mut buf = pool.get(1);
        buf[0] = 0xAA;
        let shared = buf.freeze();
        let threads: Vec<_> = (0..2)
            .map(|_| {
                let mine = shared.clone();
                thread::spawn(move || {
                    assert_eq!(mine[0], 0xAA);
                    drop(mine);
                })
            })
            .collect();
        drop(shared);
        for t in threads {
            t.join().unwrap();
        }
        let s = pool.stats();
        assert_eq!((s.total_gets, s.total_puts, s.outstanding), (1, 1, 0));
        assert_eq!(s.tiers[0].puts, 1);
        if POOLING {
            assert_eq!((s.tiers[0].idle, s.discarded), (1, 0));
        }
    });
}

/// The last release of a shared buffer returns its block while another thread gets from the
/// same tier: the getter either allocates or receives the block after every reader is done
/// (a reader never sees the getter's write), and the counts balance.
#[test]
fn last_release_races_get_of_same_tier() {
    run_model("last_release_races_get_of_same_tier", || {
        let pool = loom::sync::Arc::new(BytePool::<Small>::builder().max_idle_per_tier(1).build());
        let mut buf = pool.get(3);
        buf[0] = 0xAA;
        let shared = buf.freeze();
        let reader = {
            let mine = shared.clone();
            thread::spawn(move || {
                assert_eq!(mine[0], 0xAA, "the block was handed out while still shared");
                drop(mine);
            })
        };
        let getter = {
            let pool = pool.clone();
            thread::spawn(move || {
                let mut got = pool.get(5);
                assert_eq!(got.capacity(), 8);
                got[0] = 0xBB;
                got
            })
        };
        drop(shared);
        reader.join().unwrap();
        let got = getter.join().unwrap();
        assert_eq!(got[0], 0xBB);
        drop(got);
        let s = pool.stats();
        assert_eq!((s.total_gets, s.total_puts, s.outstanding), (2, 2, 0));
        let t = &s.tiers[0];
        assert_eq!((t.gets, t.puts), (2, 2));
        assert_eq!(t.hits + t.misses, 2);
        if POOLING {
            // One block or two were made; the tier keeps one, the other (if any) is discarded.
            assert_eq!(t.idle, 1);
            assert_eq!(s.discarded, t.misses - 1);
        }
    });
}

/// Two threads return buffers to a tier with room for one at the same time: exactly one is
/// kept and one is discarded, whatever the interleaving.
#[test]
fn full_tier_keeps_one_and_discards_one() {
    run_model("full_tier_keeps_one_and_discards_one", || {
        let pool = BytePool::<Small>::builder().max_idle_per_tier(1).build();
        let (a, b) = (pool.get(8), pool.get(1));
        let ta = thread::spawn(move || drop(a));
        let tb = thread::spawn(move || drop(b));
        ta.join().unwrap();
        tb.join().unwrap();
        let s = pool.stats();
        assert_eq!((s.total_gets, s.total_puts, s.outstanding), (2, 2, 0));
        if POOLING {
            assert_eq!((s.tiers[0].idle, s.discarded), (1, 1));
        } else {
            assert_eq!((s.tiers[0].idle, s.discarded), (0, 2));
        }
    });
}

/// An instance pool dropped while an owned `BufferMut` and a shared `Buffer` live on two other
/// threads: the handles keep the pool's state alive, return their blocks into it, and the last
/// of the three frees it (loom's leak check fails the model if nobody does, and a use after free
/// of the loom `Arc` would panic).
#[test]
fn pool_dropped_while_handles_live_on_two_threads() {
    run_model("pool_dropped_while_handles_live_on_two_threads", || {
        let pool = BytePool::<Small>::builder().max_idle_per_tier(1).build();
        let mut owned = pool.get(2);
        let shared = pool.get(40).freeze();
        let other = shared.clone();
        let t1 = thread::spawn(move || {
            owned[1] = 7;
            // Grows from the 8-byte tier into the 64-byte one: a get and a return on a pool
            // whose owner may be gone.
            owned.extend_from_slice(&[1; 10]);
            assert_eq!((owned.len(), owned.capacity(), owned[1]), (12, 64, 7));
            drop(owned);
        });
        let t2 = thread::spawn(move || drop(other));
        drop(pool);
        drop(shared);
        t1.join().unwrap();
        t2.join().unwrap();
    });
}

/// The reference count's three operations interleaved: one thread clones and releases twice
/// while the owner tries to take the buffer back with `try_into_mut`. The owner succeeds only
/// when it holds the last reference, and the block returns to the pool exactly once.
///
/// Why there is no ABA here (or anywhere in the crate): the free lists are
/// `crossbeam_queue::ArrayQueue`s (per-slot sequence stamps; under loom a mutex stand-in), not a
/// hand-rolled CAS stack, so no compare-and-swap ever compares a pointer that could have been
/// recycled. The only hand-written atomic protocol is `RawArc`'s count, which is a plain
/// counter: `clone` increments from an existing reference (so the count never goes from 0 back
/// to 1: a released slot cannot be revived), `release` decrements, and `try_unwrap` succeeds
/// only on a count of 1 that the caller itself holds, which no other thread can raise (raising
/// it needs a reference). A slot is reused (by the next `freeze`) only after it reached zero and
/// was passed by value to `last_release`, so no stale `RawArc` can observe the reuse.
#[test]
fn raw_arc_clone_try_unwrap_release() {
    run_model("raw_arc_clone_try_unwrap_release", || {
        let pool = BytePool::<Small>::builder().max_idle_per_tier(1).build();
        let mut buf = pool.get(1);
        buf[0] = 1;
        let shared = buf.freeze();
        let held = shared.clone();
        let t = thread::spawn(move || {
            let again = held.clone();
            drop(held);
            assert_eq!(again[0], 1);
            drop(again);
        });
        let unique = match shared.try_into_mut() {
            Ok(mut unique) => {
                // We hold the only reference: the other thread is done with the bytes.
                unique[0] = 2;
                Some(unique)
            }
            Err(shared) => {
                assert!(shared.ref_count() >= 1);
                drop(shared);
                None
            }
        };
        t.join().unwrap();
        let s = pool.stats();
        assert_eq!(s.total_puts, u64::from(unique.is_none()));
        drop(unique);
        let s = pool.stats();
        assert_eq!((s.total_gets, s.total_puts, s.outstanding), (1, 1, 0));
    });
}

/// Both holders of a `Buffer` call `try_into_mut` at once: at most one gets the unique buffer,
/// and whoever fails drops its reference, so the block returns exactly once.
#[test]
fn concurrent_try_into_mut_yields_at_most_one_owner() {
    run_model("concurrent_try_into_mut_yields_at_most_one_owner", || {
        let pool = BytePool::<Small>::builder().max_idle_per_tier(1).build();
        let shared = pool.get(1).freeze();
        let other = shared.clone();
        let t = thread::spawn(move || other.try_into_mut().ok().map(drop).is_some());
        let mine = shared.try_into_mut().ok().map(drop).is_some();
        let theirs = t.join().unwrap();
        // Both can fail (each sees the other's reference); both cannot succeed.
        assert!(!(mine && theirs));
        let s = pool.stats();
        assert_eq!((s.total_gets, s.total_puts, s.outstanding), (1, 1, 0));
    });
}
