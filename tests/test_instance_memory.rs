//! An instance pool's memory, counted by a global allocator: when the last reference to a pool
//! goes (the pool and every handle from it), everything it kept is freed at once, also what
//! threads that live on still cache; handles that outlive their pool keep working and free
//! their memory where they are dropped; building and dropping many pools leaves nothing behind.
//!
//! The allocator's counters see every thread of the process, so the scenarios run one after
//! another in one test (`instance_pool_memory`): libtest would otherwise start the next test's
//! thread, which allocates as it starts, while one measures. Every thread a scenario starts has
//! finished or is parked while it measures.

mod common;

use std::sync::mpsc;
use std::thread;

use bytepool::tiers::PowerOfTwo;
use bytepool::{BytePool, Pool, PoolStats};
use common::{Counting, LIVE_BYTES, POOLING};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> i64 {
    LIVE_BYTES.load(std::sync::atomic::Ordering::SeqCst)
}

/// What a thread keeps for all instance pools, and is not a pool's: its thread index and its
/// list of exit work (one entry per pool it used, dropped as the pools go, a few at a time).
const BOOKKEEPING: i64 = 1024;

/// Asserts that the memory allocated now is `before`, give or take a thread's bookkeeping.
#[track_caller]
fn assert_back_to(before: i64, what: &str) {
    let left = live() - before;
    assert!(left.abs() <= BOOKKEEPING, "{what}: {left} bytes left");
}

/// Makes the calling thread allocate what it keeps for every pool it ever uses (its thread
/// index, its free lists of shared handles' counts), so that a test's baseline includes it.
fn warm_up() {
    let bytes = BytePool::<PowerOfTwo>::new();
    let shared = bytes.get(1).freeze();
    drop((shared.clone(), shared));
    let typed = Pool::<Vec<u8>>::new();
    drop(typed.get().into_shared());
}

/// A thread that runs the jobs it is sent and stays alive until told to stop, like a runtime's
/// worker thread.
///
/// Its channels are bounded: their buffers are allocated when they are made, while an unbounded
/// channel allocates and frees blocks of messages as it goes, which would move the count.
struct Worker {
    jobs: mpsc::SyncSender<Box<dyn FnOnce() + Send>>,
    done: mpsc::Receiver<()>,
    thread: thread::JoinHandle<()>,
}

impl Worker {
    fn start() -> Self {
        let (jobs, inbox) = mpsc::sync_channel::<Box<dyn FnOnce() + Send>>(1);
        let (finished, done) = mpsc::sync_channel(1);
        let thread = thread::spawn(move || {
            for job in inbox {
                job();
                finished.send(()).unwrap();
            }
        });
        Worker { jobs, done, thread }
    }

    /// Runs `job` on the worker and waits for it.
    fn run(&self, job: impl FnOnce() + Send + 'static) {
        self.jobs.send(Box::new(job)).unwrap();
        self.done.recv().unwrap();
    }

    fn stop(self) {
        drop(self.jobs);
        self.thread.join().unwrap();
    }
}

fn a_dropped_pool_frees_what_live_threads_cache() {
    let worker = Worker::start();
    worker.run(warm_up);
    warm_up();
    let before = live();
    let pool = std::sync::Arc::new(BytePool::<PowerOfTwo>::new());
    // The worker takes and returns buffers of several tiers: its slot caches them.
    let theirs = std::sync::Arc::clone(&pool);
    worker.run(move || {
        let held: Vec<_> = [100, 1000, 10_000, 100_000]
            .iter()
            .flat_map(|&len| (0..3).map(move |_| len))
            .map(|len| theirs.get(len))
            .collect();
        drop(held);
    });
    // So does this thread.
    drop((pool.get(100), pool.get(5000)));
    let s = pool.stats();
    assert_eq!(s.outstanding, 0, "{s:?}");
    if POOLING {
        assert!(s.idle_bytes >= 3 * (128 + 1024 + 16384 + 131072), "{s:?}");
    }
    assert!(live() > before, "the pool holds memory");
    drop(pool);
    assert_back_to(before, "everything freed, the worker's cache too");
    worker.stop();
}

fn buffers_that_outlive_their_pool_keep_working_and_free_their_memory() {
    let worker = Worker::start();
    worker.run(warm_up);
    warm_up();
    let before = live();
    let pool = BytePool::<PowerOfTwo>::new();
    drop(pool.get(300)); // an idle buffer, freed with the pool
    let mut unique = pool.get(10);
    let shared = pool.get(4000).freeze();
    let for_worker = shared.clone();
    let out_bytes = (16 + 4096) as i64;
    drop(pool);
    // The pool's idle memory is gone; what is out, and the pool's bookkeeping, remain.
    assert!(live() >= before + out_bytes);
    // The handles still work: growth moves a buffer to a plain allocation of a tier's size.
    unique.extend_from_slice(&[7; 600]);
    assert_eq!((unique.len(), unique.capacity()), (610, 1024));
    assert_eq!(shared.len(), 4000);
    worker.run(move || drop(for_worker));
    drop(shared); // the last reference to that buffer, on this thread
    worker.run(move || drop(unique)); // the last reference to the pool
    assert_back_to(before, "the pool's bookkeeping went with its last buffer");
    worker.stop();
}

fn ten_thousand_pools_built_and_dropped_on_one_thread_leave_nothing_behind() {
    warm_up();
    let before = live();
    for i in 0..common::scaled(10_000) {
        let pool = BytePool::<PowerOfTwo>::new();
        let a = pool.get(100 + i % 5000);
        drop(pool.get(64));
        drop(a);
        let typed = Pool::<Vec<u8>>::new();
        typed.get().extend_from_slice(b"payload");
        drop(typed);
        drop(pool);
    }
    assert_back_to(before, "10 000 pools");
}

fn a_dropped_typed_pool_drops_what_live_threads_cache() {
    let worker = Worker::start();
    worker.run(warm_up);
    warm_up();
    let before = live();
    let pool = std::sync::Arc::new(Pool::with(|| Vec::<u8>::with_capacity(1000), Vec::clear));
    let theirs = std::sync::Arc::clone(&pool);
    worker.run(move || {
        let held: Vec<_> = (0..5).map(|_| theirs.get()).collect();
        drop(held);
    });
    let mut out = pool.get();
    out.extend_from_slice(b"still out");
    assert!(live() > before);
    drop(pool);
    assert_eq!(&out[..], b"still out");
    drop(out);
    assert_back_to(before, "the typed pool");
    worker.stop();
}

fn buffers_released_by_threads_that_exit_come_back_to_the_pool() {
    let pool = BytePool::<PowerOfTwo>::new();
    for _ in 0..20 {
        let buf = pool.get(64);
        thread::spawn(move || drop(buf)).join().unwrap();
    }
    let s = pool.stats();
    assert_eq!(s.tiers[0].misses, if POOLING { 1 } else { 20 }, "{s:?}");
}

#[test]
fn instance_pool_memory() {
    a_dropped_pool_frees_what_live_threads_cache();
    buffers_that_outlive_their_pool_keep_working_and_free_their_memory();
    ten_thousand_pools_built_and_dropped_on_one_thread_leave_nothing_behind();
    a_dropped_typed_pool_drops_what_live_threads_cache();
    buffers_released_by_threads_that_exit_come_back_to_the_pool();
}
