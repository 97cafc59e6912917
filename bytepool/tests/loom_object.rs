//! Loom models of the typed pools: a reset racing a take, the last release of a `PoolArc`
//! racing a take, and a pool dropped while its handles live on two threads.
//!
//! These use instance pools. A `#[derive(Pooled)]` type's process-wide pool runs the same
//! `Local`/`Tier` code as a `define_tiers!` pool (modelled in `loom_cache.rs`), and its thread
//! caches cannot be waited for at thread exit: typed pools record no lengths, which is how
//! `loom_cache.rs` observes a cache detaching.
#![cfg(loom)]

mod common;

use common::{run_model, POOLING};

use bytepool::{Pool, PoolStats};
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

/// A handle dropped on one thread resets its object (the reset records each call) while
/// another thread takes from the same pool: the taker gets either a new object or the reset
/// one, never one that still holds the previous user's data, and each return resets once.
#[test]
fn typed_reset_races_take() {
    run_model("typed_reset_races_take", || {
        let resets = Arc::new(AtomicUsize::new(0));
        let made = Arc::new(AtomicUsize::new(0));
        let pool = Arc::new(Pool::with_capacity(
            1,
            {
                let made = made.clone();
                move || {
                    made.fetch_add(1, Ordering::Relaxed);
                    0u64
                }
            },
            {
                let resets = resets.clone();
                move |v: &mut u64| {
                    resets.fetch_add(1, Ordering::Relaxed);
                    *v = 0;
                }
            },
        ));
        let mut obj = pool.get();
        *obj = 42;
        let returner = thread::spawn(move || drop(obj));
        let taker = {
            let pool = pool.clone();
            thread::spawn(move || {
                let got = pool.get();
                assert_eq!(*got, 0, "handed out before its reset");
                got
            })
        };
        returner.join().unwrap();
        let got = taker.join().unwrap();
        assert_eq!(resets.load(Ordering::Relaxed), 1);
        drop(got);
        assert_eq!(resets.load(Ordering::Relaxed), 2);
        let s = pool.stats();
        let t = &s.tiers[0];
        assert_eq!((s.total_gets, s.total_puts, s.outstanding), (2, 2, 0));
        assert_eq!(t.misses, made.load(Ordering::Relaxed) as u64);
        if POOLING {
            assert_eq!((t.idle, s.discarded), (1, t.misses - 1));
        }
    });
}

/// The last release of a `PoolArc` (reset, then back to the pool) races a take on another
/// thread: the taker never sees the old contents, and both objects are counted back exactly
/// once.
#[test]
fn pool_arc_last_release_races_take() {
    run_model("pool_arc_last_release_races_take", || {
        let pool = Arc::new(Pool::<u64>::with_capacity(1, || 0, |v| *v = 0));
        let mut obj = pool.get();
        *obj = 7;
        let shared = obj.into_shared();
        let theirs = shared.clone();
        let taker = {
            let pool = pool.clone();
            thread::spawn(move || {
                assert_eq!(*theirs, 7);
                drop(theirs);
                let fresh = pool.get();
                assert_eq!(*fresh, 0, "a taken object still held its last user's data");
            })
        };
        drop(shared);
        taker.join().unwrap();
        let s = pool.stats();
        assert_eq!((s.total_gets, s.total_puts, s.outstanding), (2, 2, 0));
        if POOLING {
            assert_eq!(s.tiers[0].idle, 1);
        }
    });
}

/// An instance typed pool dropped while a `PoolBox` and a `PoolArc` from it live on two other
/// threads: each handle resets and returns its object into the still-alive pool state, and the
/// last handle frees it (loom's leak check catches a leaked `Arc`).
#[test]
fn typed_pool_dropped_while_handles_live() {
    run_model("typed_pool_dropped_while_handles_live", || {
        let pool = Pool::<Vec<u8>>::with_capacity(1, Vec::new, Vec::clear);
        let mut boxed = pool.get();
        let shared = pool.get().into_shared();
        let t1 = thread::spawn(move || {
            boxed.push(1);
            drop(boxed);
        });
        let t2 = thread::spawn(move || drop(shared));
        drop(pool);
        t1.join().unwrap();
        t2.join().unwrap();
    });
}

/// Two threads return objects of an instance pool while its owner drops it: each return is
/// kept, freed with the pool, or freed on its own thread once the pool is gone, and the pool's
/// bookkeeping is freed with the last of them (loom fails a model whose `Arc`s or atomics
/// outlive it).
#[test]
fn two_threads_return_objects_while_the_pool_drops() {
    run_model("two_threads_return_objects_while_the_pool_drops", || {
        let pool = Pool::<Vec<u8>>::with_capacity(1, Vec::new, Vec::clear);
        let a = pool.get();
        let b = pool.get();
        let t1 = thread::spawn(move || drop(a));
        let t2 = thread::spawn(move || drop(b));
        drop(pool);
        t1.join().unwrap();
        t2.join().unwrap();
    });
}
