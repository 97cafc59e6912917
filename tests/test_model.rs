//! Model tests, in the style of sharded-slab's: random sequences of pool operations, checked
//! after every step against a plain model of what the pool must hand out, hold and count.
//!
//! - `interleaved_instance_pool` and `interleaved_global_pool` drive one pool from two or three
//!   simulated threads interleaved on one OS thread (each simulated thread's handles in its own
//!   `Vec`; `Buffer` clones move between them). After every step they check that
//!   - every live handle still holds its own stamp (first and last 8 bytes): no buffer has two
//!     owners and no write bleeds into another handle; and live blocks have distinct addresses;
//!   - `capacity >= len`, and the capacity is the smallest tier that holds the request, or
//!     exactly the request above the largest tier;
//!   - new blocks are zeroed, and with `zero_on_release` so are reused ones;
//!   - every counter of `stats()` equals the model's: per tier gets, hits, misses, puts and
//!     idle, and `total_gets`, `total_puts`, `outstanding`, `high_water`, `oversize`,
//!     `foreign_puts`, `detached`, `discarded`, `idle_bytes`, `recent_lengths`.
//! - `real_threads` runs the same kind of operations on real threads against one instance pool
//!   and one process-wide pool, checking ownership through a shared address registry, and the
//!   counters' relations at quiescence.
//!
//! Sizes are drawn from 0, 1, every tier edge (size - 1, size, size + 1), above the largest
//! tier, and anywhere below 12 000.
//!
//! CI size: `cargo test --features proptest --test test_model` runs about 1.1 million
//! operations, each followed by the full check: 208 cases of up to 4 000 operations for each
//! interleaved test (about 400 000 each) and 40 cases of 2 or 3 threads with up to 6 000 each
//! (about 300 000); about 70 s on 2 cores in a debug build. `BYTEPOOL_MODEL_SCALE=10` runs ten
//! times more; `cargo test --features proptest --test test_model -- --test-threads=1
//! --nocapture` prints the total (from `zz_report_operation_count`, which runs last in that
//! order).

mod common;

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use bytepool::{Buffer, BufferMut, BytePool, Pool, PoolBox, PoolStats, Pooled, Stats, Tiers};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, FileFailurePersistence, RngAlgorithm};

bytepool::define_tiers! {
    /// The tiers of the instance pools (not powers of two: a comparison chain).
    pub ModelTiers = [64, 256, 1500, 9000];
    /// The same sizes for the process-wide pool the interleaved model drives; no other test
    /// uses this type, so its counters are this model's alone.
    pub GlobalModelTiers = [64, 256, 1500, 9000];
    /// The process-wide pool of the real-thread variant.
    pub ThreadedTiers = [64, 256, 1500, 9000];
}

const SIZES: [usize; 4] = [64, 256, 1500, 9000];
const LARGEST: usize = 9000;
/// The most handles one simulated thread holds (beyond it a get becomes a drop), which keeps
/// idle counts far below a process-wide pool's bounds, so the model of it stays exact.
const MAX_HELD: usize = 24;
/// A process-wide pool's tiers keep at least 1024 idle blocks; the model stops foreign puts at
/// this many idle blocks per tier so nothing is ever discarded for lack of room there.
const GLOBAL_IDLE_LIMIT: usize = 256;

/// Hashes block ids (stamps, already well mixed) as themselves: SipHash dominated the run time
/// of unoptimised builds.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// Operations executed, over every test of this binary (printed at the end of each test).
static OPS: AtomicU64 = AtomicU64::new(0);

/// Multiplies the CI size (`BYTEPOOL_MODEL_SCALE`, default 1); Miri runs a sliver.
fn scale(n: u32) -> u32 {
    let factor = std::env::var("BYTEPOOL_MODEL_SCALE")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(1);
    common::scaled(n as usize * factor as usize).min(u32::MAX as usize) as u32
}

fn config(cases: u32) -> Config {
    Config {
        cases: scale(cases),
        max_shrink_iters: 2_000,
        // ChaCha, the default, dominates the run time in unoptimised test builds.
        rng_algorithm: RngAlgorithm::XorShift,
        failure_persistence: if cfg!(miri) {
            None
        } else {
            Some(Box::new(FileFailurePersistence::WithSource(
                "proptest-regressions",
            )))
        },
        ..Config::default()
    }
}

/// Whether pools keep idle buffers (not under `--features bytepool/passthrough`, which the
/// root package's own `passthrough` feature does not see, so this asks a pool).
fn pooling() -> bool {
    let pool = BytePool::<ModelTiers>::builder()
        .max_idle_per_tier(1)
        .build();
    drop(pool.get(1));
    pool.stats().tiers[0].idle == 1
}

/// The capacity a get of `len` must have.
fn expected_capacity(len: usize) -> usize {
    match SIZES.iter().find(|&&s| s >= len) {
        _ if len == 0 => 0,
        Some(&s) => s,
        None => len,
    }
}

fn tier_of(len: usize) -> Option<usize> {
    SIZES.iter().position(|&s| s >= len)
}

fn len_strategy() -> impl Strategy<Value = usize> {
    let edges: Vec<usize> = SIZES.iter().flat_map(|&s| [s - 1, s, s + 1]).collect();
    prop_oneof![
        Just(0usize),
        Just(1usize),
        proptest::sample::select(edges),
        Just(LARGEST + 1),
        Just(3 * LARGEST),
        0usize..12_000,
    ]
}

/// One step of the interleaved model. `t` picks a simulated thread, `Index` a handle in it.
#[derive(Clone, Debug)]
enum Op {
    Get { t: usize, len: usize },
    Extend { t: usize, i: Index, add: usize },
    Truncate { t: usize, i: Index, len: Index },
    Freeze { t: usize, i: Index },
    Clone { t: usize, i: Index, to: usize },
    Drop { t: usize, i: Index },
    TryIntoMut { t: usize, i: Index },
    Detach { t: usize, i: Index },
    PutDetached { i: Index },
    PutForeign { cap: usize, len: Index },
    Trim,
    Take { t: usize },
    DropTyped { t: usize, i: Index },
    DetachTyped { t: usize, i: Index },
    Stats,
}

fn op_strategy(threads: usize) -> impl Strategy<Value = Op> {
    let t = 0..threads;
    prop_oneof![
        6 => (t.clone(), len_strategy()).prop_map(|(t, len)| Op::Get { t, len }),
        2 => (t.clone(), any::<Index>(), prop_oneof![0usize..100, len_strategy()])
            .prop_map(|(t, i, add)| Op::Extend { t, i, add }),
        1 => (t.clone(), any::<Index>(), any::<Index>())
            .prop_map(|(t, i, len)| Op::Truncate { t, i, len }),
        2 => (t.clone(), any::<Index>()).prop_map(|(t, i)| Op::Freeze { t, i }),
        2 => (t.clone(), any::<Index>(), 0..threads).prop_map(|(t, i, to)| Op::Clone { t, i, to }),
        6 => (t.clone(), any::<Index>()).prop_map(|(t, i)| Op::Drop { t, i }),
        1 => (t.clone(), any::<Index>()).prop_map(|(t, i)| Op::TryIntoMut { t, i }),
        1 => (t.clone(), any::<Index>()).prop_map(|(t, i)| Op::Detach { t, i }),
        1 => any::<Index>().prop_map(|i| Op::PutDetached { i }),
        1 => (prop_oneof![len_strategy(), proptest::sample::select(SIZES.to_vec())], any::<Index>())
            .prop_map(|(cap, len)| Op::PutForeign { cap, len }),
        1 => Just(Op::Trim),
        2 => t.clone().prop_map(|t| Op::Take { t }),
        2 => (t.clone(), any::<Index>()).prop_map(|(t, i)| Op::DropTyped { t, i }),
        1 => (t, any::<Index>()).prop_map(|(t, i)| Op::DetachTyped { t, i }),
        1 => Just(Op::Stats),
    ]
}

fn case_strategy(max_ops: usize) -> impl Strategy<Value = (usize, Vec<Op>)> {
    (2usize..=3).prop_flat_map(move |threads| {
        (
            Just(threads),
            proptest::collection::vec(op_strategy(threads), 0..=max_ops),
        )
    })
}

// ---------------------------------------------------------------------------------------------
// The model

/// A byte handle held by a simulated thread, with the id of the block it refers to.
enum Handle {
    Mut(BufferMut, u64),
    Shared(Buffer, u64),
}

impl Handle {
    fn id(&self) -> u64 {
        match self {
            Handle::Mut(_, id) | Handle::Shared(_, id) => *id,
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Handle::Mut(b, _) => b,
            Handle::Shared(b, _) => b,
        }
    }
}

/// What the model knows about one logical block (a `get` until its last release).
#[derive(Clone, Debug)]
struct Block {
    len: usize,
    cap: usize,
    stamp: u64,
    /// Live handles: 1 for a `BufferMut`, the reference count for a `Buffer`.
    refs: usize,
    /// Whether the pool counted it as handed out (not a `get(0)` that never grew).
    counted: bool,
}

/// Expected counter values, as deltas from a baseline snapshot.
#[derive(Clone, Debug, Default)]
struct Counts {
    hits: [u64; 4],
    misses: [u64; 4],
    puts: [u64; 4],
    idle: [usize; 4],
    oversize: u64,
    untiered_puts: u64,
    discarded: u64,
    detached: u64,
    foreign_puts: u64,
    outstanding: u64,
    /// The peak of `outstanding`, counting the moment inside a growth when both the new and the
    /// old block are out (exact for an instance pool, which publishes every operation).
    high_water: u64,
    /// The peak of `outstanding` between steps, where every step takes a snapshot (a global
    /// pool's `high_water` is at least this: snapshots raise it).
    high_water_seen: u64,
}

/// Expected counters of a typed pool.
#[derive(Clone, Debug, Default)]
struct TypedCounts {
    hits: u64,
    misses: u64,
    puts: u64,
    idle: usize,
    discarded: u64,
    detached: u64,
    outstanding: u64,
}

/// The pool under test: an instance pool with a known bound, or a process-wide pool.
struct Setup<'a, T: Tiers> {
    pool: &'a BytePool<T>,
    /// `Some(n)`: each tier keeps at most `n` idle blocks (an instance pool, exact);
    /// `None`: a process-wide pool, whose bound the model never reaches.
    max_idle: Option<usize>,
    zero_on_release: bool,
    pooling: bool,
}

/// The typed pool under test.
enum TypedPool {
    Instance(Pool<Vec<u8>>, usize),
    Global,
}

/// A type with a process-wide pool, for the typed half of the global model.
#[derive(Pooled, Default)]
struct Record {
    id: u64,
    payload: Vec<u8>,
}

enum TypedHandle {
    Instance(PoolBox<Vec<u8>>, u64),
    Global(PoolBox<Record>, u64),
}

impl TypedHandle {
    fn stamp(&self) -> u64 {
        match self {
            TypedHandle::Instance(_, s) | TypedHandle::Global(_, s) => *s,
        }
    }

    fn check(&self) {
        match self {
            TypedHandle::Instance(b, s) => assert_eq!(b.as_slice(), s.to_le_bytes()),
            TypedHandle::Global(b, s) => {
                assert_eq!((b.id, b.payload.as_slice()), (*s, &s.to_le_bytes()[..]));
            }
        }
    }

    fn addr(&self) -> usize {
        match self {
            TypedHandle::Instance(b, _) => &**b as *const Vec<u8> as usize,
            TypedHandle::Global(b, _) => &**b as *const Record as usize,
        }
    }
}

struct Model<'a, T: Tiers> {
    setup: Setup<'a, T>,
    typed: TypedPool,
    /// Each simulated thread's handles.
    threads: Vec<Vec<Handle>>,
    typed_threads: Vec<Vec<TypedHandle>>,
    blocks: IdMap<Block>,
    detached: Vec<Vec<u8>>,
    counts: Counts,
    typed_counts: TypedCounts,
    recent: VecDeque<usize>,
    next_stamp: u64,
    base: Stats,
    typed_base: Stats,
}

/// Whether every byte is zero (a `memcmp` against zeros: fast in debug builds too).
fn is_zero(bytes: &[u8]) -> bool {
    static ZEROS: [u8; 4096] = [0; 4096];
    bytes.chunks(ZEROS.len()).all(|c| c == &ZEROS[..c.len()])
}

/// Writes `stamp` into the first and last 8 bytes (byte `j` gets the stamp's byte `j % 8`, so
/// the two ends agree where they overlap).
fn write_stamp(bytes: &mut [u8], stamp: u64) {
    let s = stamp.to_le_bytes();
    let len = bytes.len();
    for j in (0..len.min(8)).chain(len.saturating_sub(8)..len) {
        bytes[j] = s[j % 8];
    }
}

fn check_stamp(bytes: &[u8], stamp: u64, what: &str) {
    let s = stamp.to_le_bytes();
    let len = bytes.len();
    for j in (0..len.min(8)).chain(len.saturating_sub(8)..len) {
        assert_eq!(
            bytes[j],
            s[j % 8],
            "{what}: stamp overwritten at byte {j} of {len}"
        );
    }
}

impl<'a, T: Tiers> Model<'a, T> {
    fn new(setup: Setup<'a, T>, typed: TypedPool, threads: usize) -> Self {
        // A process-wide pool carries counts from earlier cases: start from an empty pool
        // (this thread is its only user) and compare deltas.
        setup.pool.trim();
        let base = setup.pool.stats();
        assert_eq!(base.outstanding, 0, "{base:?}");
        assert!(base.tiers.iter().all(|t| t.idle == 0), "{base:?}");
        if let TypedPool::Global = typed {
            Record::pool().trim();
        }
        let typed_base = typed_stats(&typed);
        assert_eq!((typed_base.outstanding, typed_base.tiers[0].idle), (0, 0));
        Model {
            setup,
            typed,
            threads: (0..threads).map(|_| Vec::new()).collect(),
            typed_threads: (0..threads).map(|_| Vec::new()).collect(),
            blocks: IdMap::default(),
            detached: Vec::new(),
            counts: Counts::default(),
            typed_counts: TypedCounts::default(),
            recent: VecDeque::new(),
            next_stamp: 1,
            base,
            typed_base,
        }
    }

    fn stamp(&mut self) -> u64 {
        self.next_stamp += 1;
        // Distinct in every byte position from its neighbours, never zero.
        self.next_stamp.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1
    }

    /// The pool hands out a block of tier `tier` (or above the largest tier): counts it and
    /// says whether the model expects a reused block.
    fn model_get(&mut self, len: usize) -> bool {
        self.recent.push_back(len);
        if self.recent.len() > bytepool::RECENT_LENGTHS {
            self.recent.pop_front();
        }
        self.counts.outstanding += 1;
        self.counts.high_water = self.counts.high_water.max(self.counts.outstanding);
        match tier_of(len) {
            Some(t) if self.setup.pooling && self.counts.idle[t] > 0 => {
                self.counts.idle[t] -= 1;
                self.counts.hits[t] += 1;
                true
            }
            Some(t) => {
                self.counts.misses[t] += 1;
                false
            }
            None => {
                self.counts.oversize += 1;
                self.counts.discarded += 1;
                false
            }
        }
    }

    /// A block of capacity `cap` comes back (`returned`: one the pool handed out, or a `put`).
    fn model_put(&mut self, cap: usize, returned: bool) {
        if returned {
            self.counts.outstanding -= 1;
        } else {
            self.counts.foreign_puts += 1;
        }
        match SIZES.iter().position(|&s| s == cap) {
            Some(t) => {
                self.counts.puts[t] += 1;
                let room = match self.setup.max_idle {
                    Some(max) => self.counts.idle[t] < max,
                    None => true,
                };
                if !self.setup.pooling {
                    // Passthrough frees without counting a discard.
                } else if room {
                    self.counts.idle[t] += 1;
                } else {
                    self.counts.discarded += 1;
                }
            }
            None => {
                self.counts.untiered_puts += 1;
                if !returned {
                    self.counts.discarded += 1;
                }
            }
        }
    }

    fn model_release(&mut self, id: u64) {
        let block = self.blocks.get_mut(&id).expect("known block");
        block.refs -= 1;
        if block.refs == 0 {
            let block = self.blocks.remove(&id).expect("known block");
            if block.counted {
                self.model_put(block.cap, true);
            }
        }
    }

    fn handle_index(&self, t: usize, i: &Index) -> Option<usize> {
        let n = self.threads[t].len();
        (n > 0).then(|| i.index(n))
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Get { t, len } => {
                if self.threads[t].len() >= MAX_HELD {
                    return self.drop_at(t, 0);
                }
                let buf = self.setup.pool.get(len);
                assert_eq!(buf.len(), len);
                assert_eq!(buf.capacity(), expected_capacity(len), "get({len})");
                let reused = len > 0 && self.model_get(len);
                self.check_fresh(&buf, reused);
                self.adopt(t, buf, len > 0);
            }
            Op::Extend { t, ref i, add } => {
                let Some(at) = self.handle_index(t, i) else {
                    return;
                };
                let Handle::Mut(buf, id) = &mut self.threads[t][at] else {
                    return;
                };
                let id = *id;
                let (len, cap) = (buf.len(), buf.capacity());
                let needed = len + add;
                let fill = vec![0xA5; add];
                let old_head: Vec<u8> = buf[..len.min(8)].to_vec();
                buf.extend_from_slice(&fill);
                let new_cap = buf.capacity();
                assert_eq!(buf.len(), needed);
                assert_eq!(&buf[..len.min(8)], &old_head[..], "moved bytes kept");
                assert!(new_cap >= needed);
                let stamp = self.blocks[&id].stamp;
                if needed > cap {
                    // Moved to the tier that holds `needed`, or above the largest tier to at
                    // least `needed` (geometric growth).
                    let target = if needed > LARGEST { new_cap } else { needed };
                    if needed <= LARGEST {
                        assert_eq!(new_cap, expected_capacity(needed));
                    } else {
                        assert!(new_cap >= needed.max(cap * 2).min(isize::MAX as usize));
                    }
                    self.model_get(target);
                    let block = self.blocks.get_mut(&id).expect("known block");
                    let was_counted = block.counted;
                    block.counted = true;
                    block.cap = new_cap;
                    if was_counted {
                        self.model_put(cap, true);
                    }
                } else {
                    assert_eq!(new_cap, cap, "no move while it fits");
                }
                let Handle::Mut(buf, _) = &mut self.threads[t][at] else {
                    unreachable!()
                };
                write_stamp(buf, stamp);
                self.blocks.get_mut(&id).expect("known block").len = needed;
            }
            Op::Truncate { t, ref i, ref len } => {
                let Some(at) = self.handle_index(t, i) else {
                    return;
                };
                let Handle::Mut(buf, id) = &mut self.threads[t][at] else {
                    return;
                };
                let id = *id;
                let new_len = len.index(buf.len() + 1);
                let cap = buf.capacity();
                buf.truncate(new_len);
                assert_eq!((buf.len(), buf.capacity()), (new_len, cap));
                let stamp = self.blocks[&id].stamp;
                write_stamp(buf, stamp);
                self.blocks.get_mut(&id).expect("known block").len = new_len;
            }
            Op::Freeze { t, ref i } => {
                let Some(at) = self.handle_index(t, i) else {
                    return;
                };
                if !matches!(self.threads[t][at], Handle::Mut(..)) {
                    return;
                }
                let Handle::Mut(buf, id) = self.threads[t].swap_remove(at) else {
                    unreachable!()
                };
                let shared = buf.freeze();
                assert_eq!(shared.ref_count(), 1);
                self.threads[t].push(Handle::Shared(shared, id));
            }
            Op::Clone { t, ref i, to } => {
                let Some(at) = self.handle_index(t, i) else {
                    return;
                };
                if self.threads[to].len() >= MAX_HELD {
                    return;
                }
                let Handle::Shared(buf, id) = &self.threads[t][at] else {
                    return;
                };
                let (copy, id) = (buf.clone(), *id);
                let block = self.blocks.get_mut(&id).expect("known block");
                block.refs += 1;
                assert_eq!(copy.ref_count(), block.refs);
                self.threads[to].push(Handle::Shared(copy, id));
            }
            Op::Drop { t, ref i } => {
                if let Some(at) = self.handle_index(t, i) {
                    self.drop_at(t, at);
                }
            }
            Op::TryIntoMut { t, ref i } => {
                let Some(at) = self.handle_index(t, i) else {
                    return;
                };
                if !matches!(self.threads[t][at], Handle::Shared(..)) {
                    return;
                }
                let Handle::Shared(buf, id) = self.threads[t].swap_remove(at) else {
                    unreachable!()
                };
                let refs = self.blocks[&id].refs;
                match buf.try_into_mut() {
                    Ok(unique) => {
                        assert_eq!(refs, 1, "unique while shared");
                        self.threads[t].push(Handle::Mut(unique, id));
                    }
                    Err(shared) => {
                        assert!(refs > 1, "refused while unique");
                        self.threads[t].push(Handle::Shared(shared, id));
                    }
                }
            }
            Op::Detach { t, ref i } => {
                let Some(at) = self.handle_index(t, i) else {
                    return;
                };
                if !matches!(self.threads[t][at], Handle::Mut(..)) {
                    return;
                }
                let Handle::Mut(buf, id) = self.threads[t].swap_remove(at) else {
                    unreachable!()
                };
                let (len, cap) = (buf.len(), buf.capacity());
                let vec = buf.into_vec();
                assert_eq!((vec.len(), vec.capacity()), (len, cap));
                let block = self.blocks.remove(&id).expect("known block");
                check_stamp(&vec, block.stamp, "detached");
                if block.counted {
                    self.counts.detached += 1;
                    self.counts.outstanding -= 1;
                }
                if self.detached.len() < MAX_HELD {
                    self.detached.push(vec);
                }
            }
            Op::PutDetached { ref i } => {
                if self.detached.is_empty() {
                    return;
                }
                let vec = self.detached.swap_remove(i.index(self.detached.len()));
                self.put(vec);
            }
            Op::PutForeign { cap, ref len } => {
                let mut vec = Vec::with_capacity(cap);
                vec.resize(len.index(vec.capacity() + 1), 0x5A);
                self.put(vec);
            }
            Op::Trim => {
                self.setup.pool.trim();
                self.counts.idle = [0; 4];
                match &self.typed {
                    TypedPool::Instance(pool, _) => pool.trim(),
                    TypedPool::Global => Record::pool().trim(),
                };
                self.typed_counts.idle = 0;
            }
            Op::Take { t } => {
                if self.typed_threads[t].len() >= MAX_HELD {
                    return self.drop_typed_at(t, 0);
                }
                let stamp = self.stamp();
                let handle = match &self.typed {
                    TypedPool::Instance(pool, _) => {
                        let mut v = pool.get();
                        assert!(v.is_empty(), "reset before reuse");
                        v.extend_from_slice(&stamp.to_le_bytes());
                        TypedHandle::Instance(v, stamp)
                    }
                    TypedPool::Global => {
                        let mut r = Record::take();
                        assert!(r.id == 0 && r.payload.is_empty(), "reset before reuse");
                        r.id = stamp;
                        r.payload.extend_from_slice(&stamp.to_le_bytes());
                        TypedHandle::Global(r, stamp)
                    }
                };
                let c = &mut self.typed_counts;
                if self.setup.pooling && c.idle > 0 {
                    c.idle -= 1;
                    c.hits += 1;
                } else {
                    c.misses += 1;
                }
                c.outstanding += 1;
                self.typed_threads[t].push(handle);
            }
            Op::DropTyped { t, ref i } => {
                let n = self.typed_threads[t].len();
                if n > 0 {
                    self.drop_typed_at(t, i.index(n));
                }
            }
            Op::DetachTyped { t, ref i } => {
                let n = self.typed_threads[t].len();
                if n == 0 {
                    return;
                }
                let stamp = match self.typed_threads[t].swap_remove(i.index(n)) {
                    TypedHandle::Instance(b, _) => {
                        u64::from_le_bytes(b.into_inner().try_into().expect("8 bytes"))
                    }
                    TypedHandle::Global(b, _) => b.into_inner().id,
                };
                assert_ne!(stamp, 0);
                self.typed_counts.detached += 1;
                self.typed_counts.outstanding -= 1;
            }
            Op::Stats => {
                let s = self.setup.pool.stats();
                assert!(format!("{s}").contains("outstanding"));
            }
        }
    }

    fn drop_at(&mut self, t: usize, at: usize) {
        let handle = self.threads[t].swap_remove(at);
        let id = handle.id();
        drop(handle);
        self.model_release(id);
    }

    fn drop_typed_at(&mut self, t: usize, at: usize) {
        drop(self.typed_threads[t].swap_remove(at));
        let bound = match self.typed {
            TypedPool::Instance(_, cap) => cap,
            TypedPool::Global => usize::MAX,
        };
        let c = &mut self.typed_counts;
        c.puts += 1;
        c.outstanding -= 1;
        if !self.setup.pooling {
            // Passthrough frees without counting a discard.
        } else if c.idle < bound {
            c.idle += 1;
        } else {
            c.discarded += 1;
        }
    }

    fn put(&mut self, vec: Vec<u8>) {
        let cap = vec.capacity();
        if let (None, Some(t)) = (self.setup.max_idle, SIZES.iter().position(|&s| s == cap)) {
            if self.counts.idle[t] >= GLOBAL_IDLE_LIMIT {
                return;
            }
        }
        self.setup.pool.put(vec);
        self.model_put(cap, false);
    }

    /// A handle the pool just made: zeroed when new, zeroed when reused by a zeroing pool.
    fn check_fresh(&self, buf: &BufferMut, reused: bool) {
        if !reused || self.setup.zero_on_release {
            assert!(is_zero(buf), "new or zeroed block holds old bytes");
        }
    }

    fn adopt(&mut self, t: usize, mut buf: BufferMut, counted: bool) {
        let stamp = self.stamp();
        if !buf.is_empty() {
            write_stamp(&mut buf, stamp);
        }
        let id = stamp;
        self.blocks.insert(
            id,
            Block {
                len: buf.len(),
                cap: buf.capacity(),
                stamp,
                refs: 1,
                counted,
            },
        );
        self.threads[t].push(Handle::Mut(buf, id));
    }

    /// Every invariant, after every step.
    fn check(&self) {
        let mut seen: IdMap<usize> = IdMap::default();
        let mut addrs: Vec<(usize, u64)> = Vec::new();
        for handle in self.threads.iter().flatten() {
            let id = handle.id();
            let block = &self.blocks[&id];
            let bytes = handle.bytes();
            assert_eq!(bytes.len(), block.len);
            if let Handle::Mut(b, _) = handle {
                assert!(b.capacity() >= b.len());
                assert_eq!(b.capacity(), block.cap);
            }
            check_stamp(bytes, block.stamp, "live handle");
            *seen.entry(id).or_default() += 1;
            if block.cap > 0 {
                addrs.push((bytes.as_ptr() as usize, id));
            }
        }
        addrs.sort_unstable();
        addrs.dedup();
        for pair in addrs.windows(2) {
            assert_ne!(pair[0].0, pair[1].0, "two live blocks share an address");
        }
        for (id, n) in &seen {
            assert_eq!(self.blocks[id].refs, *n, "reference count of block {id}");
        }
        assert_eq!(seen.len(), self.blocks.len(), "a block without handles");

        let mut typed_addrs = Vec::new();
        for handle in self.typed_threads.iter().flatten() {
            handle.check();
            typed_addrs.push(handle.addr());
            assert_ne!(handle.stamp(), 0);
        }
        typed_addrs.sort_unstable();
        assert!(
            typed_addrs.windows(2).all(|w| w[0] != w[1]),
            "two live objects share a slot"
        );

        self.check_stats();
    }

    fn check_stats(&self) {
        let s = self.setup.pool.stats();
        let (b, c) = (&self.base, &self.counts);
        for (t, tier) in s.tiers.iter().enumerate() {
            let bt = &b.tiers[t];
            assert_eq!(tier.size, SIZES[t]);
            assert_eq!(tier.hits - bt.hits, c.hits[t], "tier {t} hits: {s:?}");
            assert_eq!(
                tier.misses - bt.misses,
                c.misses[t],
                "tier {t} misses: {s:?}"
            );
            assert_eq!(tier.gets, tier.hits + tier.misses);
            assert_eq!(tier.puts - bt.puts, c.puts[t], "tier {t} puts: {s:?}");
            assert_eq!(tier.idle, c.idle[t], "tier {t} idle: {s:?}");
        }
        let gets: u64 = c.hits.iter().chain(&c.misses).sum::<u64>() + c.oversize;
        let puts: u64 = c.puts.iter().sum::<u64>() + c.untiered_puts;
        assert_eq!(s.total_gets - b.total_gets, gets, "total_gets: {s:?}");
        assert_eq!(s.total_puts - b.total_puts, puts, "total_puts: {s:?}");
        assert_eq!(s.oversize - b.oversize, c.oversize, "oversize: {s:?}");
        assert_eq!(s.discarded - b.discarded, c.discarded, "discarded: {s:?}");
        assert_eq!(s.detached - b.detached, c.detached, "detached: {s:?}");
        assert_eq!(
            s.foreign_puts - b.foreign_puts,
            c.foreign_puts,
            "foreign: {s:?}"
        );
        assert_eq!(s.outstanding, c.outstanding, "outstanding: {s:?}");
        // Every pool counts per thread and samples `outstanding` at slow paths and snapshots,
        // so a peak reached and left between two of those may go unseen.
        let seen = b.high_water.max(c.high_water_seen.max(c.outstanding));
        assert!(
            (seen..=b.high_water.max(c.high_water)).contains(&s.high_water),
            "high_water {} not in {seen}..={}: {s:?}",
            s.high_water,
            b.high_water.max(c.high_water)
        );
        let idle_bytes: usize = c.idle.iter().zip(SIZES).map(|(n, s)| n * s).sum();
        assert_eq!(s.idle_bytes, idle_bytes);
        let n = self.recent.len().min(s.recent_lengths.len());
        assert_eq!(n, self.recent.len().min(bytepool::RECENT_LENGTHS));
        assert!(
            s.recent_lengths[s.recent_lengths.len() - n..]
                .iter()
                .eq(self.recent.iter().skip(self.recent.len() - n)),
            "recent lengths: {:?}",
            s.recent_lengths
        );

        let s = typed_stats(&self.typed);
        let (b, c) = (&self.typed_base, &self.typed_counts);
        let t = &s.tiers[0];
        assert_eq!(t.hits - b.tiers[0].hits, c.hits, "typed hits: {s:?}");
        assert_eq!(
            t.misses - b.tiers[0].misses,
            c.misses,
            "typed misses: {s:?}"
        );
        assert_eq!(t.puts - b.tiers[0].puts, c.puts, "typed puts: {s:?}");
        assert_eq!(t.idle, c.idle, "typed idle: {s:?}");
        assert_eq!(
            s.discarded - b.discarded,
            c.discarded,
            "typed discarded: {s:?}"
        );
        assert_eq!(s.detached - b.detached, c.detached, "typed detached: {s:?}");
        assert_eq!(s.outstanding, c.outstanding, "typed outstanding: {s:?}");
    }

    /// Drops everything still held and checks the pool is back to its baseline.
    fn finish(mut self) {
        for t in 0..self.threads.len() {
            while !self.threads[t].is_empty() {
                self.drop_at(t, 0);
            }
            while !self.typed_threads[t].is_empty() {
                self.drop_typed_at(t, 0);
            }
        }
        self.check();
        let s = self.setup.pool.stats();
        assert_eq!(s.outstanding, 0);
        self.apply(&Op::Trim);
        self.check();
    }
}

fn typed_stats(typed: &TypedPool) -> Stats {
    match typed {
        TypedPool::Instance(pool, _) => pool.stats(),
        TypedPool::Global => Record::pool().stats(),
    }
}

fn run_ops<T: Tiers>(mut model: Model<'_, T>, ops: &[Op]) {
    for op in ops {
        model.apply(op);
        model.check();
        model.counts.high_water_seen = model.counts.high_water_seen.max(model.counts.outstanding);
    }
    OPS.fetch_add(ops.len() as u64, Ordering::Relaxed);
    model.finish();
}

/// Ops per case, at most (about 2 000 on average).
const MAX_OPS: usize = if cfg!(miri) { 40 } else { 4_000 };
/// Ops per real thread, at most.
const MAX_THREAD_OPS: usize = if cfg!(miri) { 40 } else { 6_000 };

proptest! {
    #![proptest_config(config(208))]

    #[test]
    fn interleaved_instance_pool(
        (threads, ops) in case_strategy(MAX_OPS),
        max_idle in prop_oneof![0usize..=3, Just(64)],
        zero_on_release in any::<bool>(),
        typed_capacity in 0usize..=3,
    ) {
        let pool = BytePool::<ModelTiers>::builder()
            .max_idle_per_tier(max_idle)
            .zero_on_release(zero_on_release)
            .build();
        let setup = Setup { pool: &pool, max_idle: Some(max_idle), zero_on_release, pooling: pooling() };
        let typed = TypedPool::Instance(
            Pool::with_capacity(typed_capacity, Vec::new, Vec::clear),
            typed_capacity,
        );
        run_ops(Model::new(setup, typed, threads), &ops);
    }

    #[test]
    fn interleaved_global_pool((threads, ops) in case_strategy(MAX_OPS)) {
        let setup = Setup {
            pool: GlobalModelTiers::pool(),
            max_idle: None,
            zero_on_release: false,
            pooling: pooling(),
        };
        run_ops(Model::new(setup, TypedPool::Global, threads), &ops);
    }
}

// ---------------------------------------------------------------------------------------------
// Real threads

/// Addresses of blocks some thread owns right now: a second owner shows up as a duplicate.
static OWNED: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

fn claim(addr: usize) {
    let mut owned = OWNED.lock().unwrap_or_else(|e| e.into_inner());
    let fresh = owned.get_or_insert_with(HashSet::new).insert(addr);
    assert!(fresh, "block {addr:#x} handed to a second owner");
}

fn unclaim(addr: usize) {
    let mut owned = OWNED.lock().unwrap_or_else(|e| e.into_inner());
    assert!(owned.get_or_insert_with(HashSet::new).remove(&addr));
}

/// The claim on a block's address, released (before the block) when the last holder drops.
struct Claim(usize);

impl Drop for Claim {
    fn drop(&mut self) {
        if self.0 != 0 {
            unclaim(self.0);
        }
    }
}

/// A handle held by a real thread. Field order matters: the claim is released before the
/// buffer returns its block, so another thread may claim it right after.
enum Held {
    Mut {
        claim: Claim,
        buf: BufferMut,
        stamp: u64,
    },
    Shared {
        claim: Arc<Claim>,
        buf: Buffer,
        stamp: u64,
    },
}

impl Held {
    fn check(&self) {
        match self {
            Held::Mut { buf, stamp, .. } => check_stamp(buf, *stamp, "thread handle"),
            Held::Shared { buf, stamp, .. } => check_stamp(buf, *stamp, "thread handle"),
        }
    }
}

#[derive(Clone, Debug)]
enum ThreadOp {
    Get { len: usize, global: bool },
    Freeze(Index),
    Send { i: Index, to: usize },
    Drop(Index),
    Extend { i: Index, add: usize },
    Detach(Index),
    PutForeign { cap: usize, global: bool },
    Take,
    DropTyped(Index),
}

fn thread_op_strategy(threads: usize) -> impl Strategy<Value = ThreadOp> {
    prop_oneof![
        6 => (len_strategy(), any::<bool>()).prop_map(|(len, global)| ThreadOp::Get { len, global }),
        2 => any::<Index>().prop_map(ThreadOp::Freeze),
        2 => (any::<Index>(), 0..threads).prop_map(|(i, to)| ThreadOp::Send { i, to }),
        6 => any::<Index>().prop_map(ThreadOp::Drop),
        1 => (any::<Index>(), 0usize..3000).prop_map(|(i, add)| ThreadOp::Extend { i, add }),
        1 => any::<Index>().prop_map(ThreadOp::Detach),
        1 => (proptest::sample::select(SIZES.to_vec()), any::<bool>())
            .prop_map(|(cap, global)| ThreadOp::PutForeign { cap, global }),
        2 => Just(ThreadOp::Take),
        2 => any::<Index>().prop_map(ThreadOp::DropTyped),
    ]
}

/// What one thread did, for the relations checked at quiescence.
#[derive(Default, Debug)]
struct Tally {
    gets: [u64; 2],
    detached: [u64; 2],
    foreign: [u64; 2],
    takes: u64,
}

/// Either pool, for one real thread.
struct Pools {
    instance: Arc<BytePool<ModelTiers>>,
    typed: Arc<Pool<Vec<u8>>>,
}

fn thread_body(
    pools: &Pools,
    ops: &[ThreadOp],
    inbox: &mpsc::Receiver<Held>,
    outboxes: &[mpsc::Sender<Held>],
    seed: u64,
) -> Tally {
    let mut held: Vec<(Held, bool)> = Vec::new();
    let mut typed: Vec<PoolBox<Vec<u8>>> = Vec::new();
    let mut tally = Tally::default();
    let mut stamp = seed << 40;
    let pick = |i: &Index, n: usize| (n > 0).then(|| i.index(n));
    for op in ops {
        held.extend(inbox.try_iter().map(|h| {
            h.check();
            (h, false)
        }));
        // `(handle, global)`: which pool a handle belongs to does not matter for returns; it
        // is kept for detaching counts.
        match *op {
            ThreadOp::Get { len, global } => {
                if held.len() >= MAX_HELD {
                    held.swap_remove(0);
                    continue;
                }
                let mut buf = if global {
                    ThreadedTiers::pool().get(len)
                } else {
                    pools.instance.get(len)
                };
                assert_eq!(buf.capacity(), expected_capacity(len));
                if len > 0 {
                    tally.gets[usize::from(global)] += 1;
                }
                stamp += 1;
                let addr = if buf.capacity() > 0 {
                    buf.as_ptr() as usize
                } else {
                    0
                };
                if addr != 0 {
                    claim(addr);
                    write_stamp(&mut buf, stamp);
                }
                held.push((
                    Held::Mut {
                        claim: Claim(addr),
                        buf,
                        stamp,
                    },
                    global,
                ));
            }
            ThreadOp::Freeze(ref i) => {
                let Some(at) = pick(i, held.len()) else {
                    continue;
                };
                if let (Held::Mut { .. }, _) = &held[at] {
                    let (Held::Mut { claim, buf, stamp }, global) = held.swap_remove(at) else {
                        unreachable!()
                    };
                    let buf = buf.freeze();
                    held.push((
                        Held::Shared {
                            claim: Arc::new(claim),
                            buf,
                            stamp,
                        },
                        global,
                    ));
                }
            }
            ThreadOp::Send { ref i, to } => {
                let Some(at) = pick(i, held.len()) else {
                    continue;
                };
                if let (Held::Shared { claim, buf, stamp }, _) = &held[at] {
                    let copy = Held::Shared {
                        claim: Arc::clone(claim),
                        buf: buf.clone(),
                        stamp: *stamp,
                    };
                    // A thread that already finished has dropped its inbox: keep it then.
                    if let Err(mpsc::SendError(copy)) = outboxes[to].send(copy) {
                        drop(copy);
                    }
                }
            }
            ThreadOp::Drop(ref i) => {
                if let Some(at) = pick(i, held.len()) {
                    held.swap_remove(at).0.check();
                }
            }
            ThreadOp::Extend { ref i, add } => {
                let Some(at) = pick(i, held.len()) else {
                    continue;
                };
                if let (
                    Held::Mut {
                        claim: mine,
                        buf,
                        stamp,
                    },
                    global,
                ) = &mut held[at]
                {
                    let needed = buf.len() + add;
                    let moves = needed > buf.capacity();
                    if moves {
                        // Give up the claim before the old block goes back.
                        drop(std::mem::replace(mine, Claim(0)));
                        tally.gets[usize::from(*global)] += 1;
                    }
                    buf.extend_from_slice(&vec![0x3C; add]);
                    assert!(buf.capacity() >= needed);
                    if moves {
                        mine.0 = buf.as_ptr() as usize;
                        claim(mine.0);
                    }
                    write_stamp(buf, *stamp);
                }
            }
            ThreadOp::Detach(ref i) => {
                let Some(at) = pick(i, held.len()) else {
                    continue;
                };
                if let (Held::Mut { .. }, _) = &held[at] {
                    let (Held::Mut { claim, buf, stamp }, global) = held.swap_remove(at) else {
                        unreachable!()
                    };
                    let counted = buf.capacity() > 0;
                    drop(claim);
                    let vec = buf.into_vec();
                    check_stamp(&vec, stamp, "detached");
                    if counted {
                        tally.detached[usize::from(global)] += 1;
                    }
                }
            }
            ThreadOp::PutForeign { cap, global } => {
                let vec = Vec::with_capacity(cap);
                if global {
                    ThreadedTiers::pool().put(vec);
                } else {
                    pools.instance.put(vec);
                }
                tally.foreign[usize::from(global)] += 1;
            }
            ThreadOp::Take => {
                let mut v = pools.typed.get();
                assert!(v.is_empty());
                stamp += 1;
                v.extend_from_slice(&stamp.to_le_bytes());
                typed.push(v);
                tally.takes += 1;
            }
            ThreadOp::DropTyped(ref i) => {
                if let Some(at) = pick(i, typed.len()) {
                    let v = typed.swap_remove(at);
                    assert_eq!(v.len(), 8);
                }
            }
        }
        for (h, _) in &held {
            h.check();
        }
    }
    OPS.fetch_add(ops.len() as u64, Ordering::Relaxed);
    tally
}

/// Lets every thread drain its inbox until all are done, then drops what arrives late.
fn run_threads(plans: Vec<Vec<ThreadOp>>, max_idle: usize) {
    let pools = Arc::new(Pools {
        instance: Arc::new(
            BytePool::<ModelTiers>::builder()
                .max_idle_per_tier(max_idle)
                .build(),
        ),
        typed: Arc::new(Pool::with_capacity(max_idle, Vec::new, Vec::clear)),
    });
    let global_base = ThreadedTiers::pool().stats();
    let n = plans.len();
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..n).map(|_| mpsc::channel::<Held>()).unzip();
    let handles: Vec<_> = plans
        .into_iter()
        .zip(rxs)
        .enumerate()
        .map(|(k, (plan, rx))| {
            let pools = Arc::clone(&pools);
            let txs = txs.clone();
            std::thread::spawn(move || {
                let tally = thread_body(&pools, &plan, &rx, &txs, k as u64 + 1);
                drop(txs);
                // Whatever other threads still send is dropped on this thread, checked.
                (tally, rx)
            })
        })
        .collect();
    drop(txs);
    let mut tallies = Vec::new();
    let mut inboxes = Vec::new();
    for h in handles {
        let (tally, rx) = h.join().expect("a model thread panicked");
        tallies.push(tally);
        inboxes.push(rx);
    }
    for rx in inboxes {
        for late in rx.try_iter() {
            late.check();
        }
    }
    let sum = |f: &dyn Fn(&Tally) -> u64| tallies.iter().map(f).sum::<u64>();

    // The instance pool: exact relations at quiescence.
    let s = pools.instance.stats();
    assert_eq!(s.outstanding, 0, "{s:?}");
    assert_eq!(s.total_gets, sum(&|t| t.gets[0]), "{s:?}");
    assert_eq!(s.detached, sum(&|t| t.detached[0]), "{s:?}");
    assert_eq!(s.foreign_puts, sum(&|t| t.foreign[0]), "{s:?}");
    assert_eq!(
        s.total_puts,
        s.total_gets - s.detached + s.foreign_puts,
        "{s:?}"
    );
    for t in &s.tiers {
        assert_eq!(t.gets, t.hits + t.misses);
        assert!(t.idle <= max_idle, "{s:?}");
    }
    pools.instance.trim();
    assert_eq!(pools.instance.stats().idle_bytes, 0);

    // The typed pool.
    let s = pools.typed.stats();
    assert_eq!(
        (s.outstanding, s.total_gets),
        (0, sum(&|t| t.takes)),
        "{s:?}"
    );
    assert!(s.tiers[0].idle <= max_idle);

    // The process-wide pool: the threads have exited, so their caches are flushed.
    let s = ThreadedTiers::pool().stats();
    let b = &global_base;
    assert_eq!(s.outstanding, 0, "{s:?}");
    assert_eq!(s.total_gets - b.total_gets, sum(&|t| t.gets[1]), "{s:?}");
    assert_eq!(s.detached - b.detached, sum(&|t| t.detached[1]), "{s:?}");
    assert_eq!(
        s.foreign_puts - b.foreign_puts,
        sum(&|t| t.foreign[1]),
        "{s:?}"
    );
    assert_eq!(
        s.total_puts,
        s.total_gets - s.detached + s.foreign_puts,
        "{s:?}"
    );
    ThreadedTiers::pool().trim();
    assert_eq!(ThreadedTiers::pool().stats().idle_bytes, 0);
    assert!(OWNED.lock().unwrap().as_ref().is_none_or(HashSet::is_empty));
}

proptest! {
    #![proptest_config(config(40))]

    #[test]
    fn real_threads(
        plans in (2usize..=3).prop_flat_map(|n| {
            proptest::collection::vec(proptest::collection::vec(thread_op_strategy(n), 0..=MAX_THREAD_OPS), n)
        }),
        max_idle in prop_oneof![0usize..=2, Just(64)],
    ) {
        run_threads(plans, max_idle);
    }
}

/// Prints the operations run so far (all tests of this binary) with `--nocapture`.
#[test]
fn zz_report_operation_count() {
    eprintln!(
        "test_model: {} operations so far",
        OPS.load(Ordering::Relaxed)
    );
}
