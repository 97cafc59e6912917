//! Reads bytes as a sequence of pool operations and checks every step against a model.
//!
//! Shared by the fuzz target `pool_ops` (this directory) and by the regression test in
//! `tests/test_bad_input.rs`, which replays [`REGRESSIONS`] (crashes the fuzzer found, and a few
//! seeds) through [`run`].
//!
//! Input format: the first byte configures the pools (bits 0-2: `max_idle_per_tier`, bit 3:
//! `zero_on_release`); every following byte is an operation (its value modulo the number of
//! operations), some of which read further bytes as operands. Running out of bytes ends the
//! run, which then drops everything and checks that the pools are back to idle.
//!
//! Checked after every operation: each live handle still holds its stamp (no buffer has two
//! owners, no write bleeds between handles), live blocks have distinct addresses,
//! `capacity >= len`, capacities are the fitting tier (exact above the largest), new or zeroed
//! blocks are all zeros, and the byte and typed pools' counters equal the model's.

use bytepool::{Buffer, BufferMut, BytePool, Error, Pool, PoolBox, PoolStats};

bytepool::define_tiers! {
    /// The fuzzed pools' tiers: a small one, an MTU, a jumbo frame.
    pub FuzzTiers = [16, 1500, 9000];
}

const SIZES: [usize; 3] = [16, 1500, 9000];
const LARGEST: usize = 9000;
/// The most live handles; a get beyond it drops one instead.
const MAX_HELD: usize = 48;

/// Inputs that once failed (none so far) and seeds that reach every operation.
pub const REGRESSIONS: &[&[u8]] = &[
    // Every operation once, on tier-edge sizes.
    &[
        3, 0, 2, 0, 5, 1, 0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
    ],
    // Oversize and impossible sizes, growth across tiers, a zeroing pool that keeps nothing.
    &[
        8, 0, 13, 0, 14, 0, 15, 1, 0, 16, 255, 255, 3, 1, 0, 6, 0, 2, 0,
    ],
    // Shared handles cloned, unwrapped and released in turn.
    &[
        1, 0, 4, 2, 0, 3, 0, 3, 0, 6, 1, 6, 0, 4, 1, 4, 0, 9, 9, 11, 12, 12, 13, 17,
    ],
];

/// Operands, read on demand; missing bytes read as zero.
struct Input<'a> {
    data: &'a [u8],
}

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&first, rest) = self.data.split_first()?;
        self.data = rest;
        Some(first)
    }

    fn operand(&mut self) -> usize {
        usize::from(self.byte().unwrap_or(0))
    }

    /// A request length: 0, 1, tier edges, above the largest tier, impossible sizes, or any
    /// 16-bit value.
    fn len(&mut self) -> usize {
        let edges = [15, 16, 17, 1499, 1500, 1501, 8999, 9000, 9001];
        match self.operand() {
            0 => 0,
            1 => 1,
            k @ 2..=10 => edges[k - 2],
            11 => 3 * LARGEST,
            12 => usize::MAX,
            13 => isize::MAX as usize + 1,
            _ => self.operand() << 8 | self.operand(),
        }
    }

    /// An index below `n` (which must be positive).
    fn index(&mut self, n: usize) -> usize {
        self.operand() % n
    }
}

enum Handle {
    Mut(BufferMut),
    Shared(Buffer),
}

impl Handle {
    fn bytes(&self) -> &[u8] {
        match self {
            Handle::Mut(b) => b,
            Handle::Shared(b) => b,
        }
    }
}

/// One live handle: the handle, its block's id, and the stamp written into it.
struct Live {
    handle: Handle,
    id: u64,
    stamp: u64,
    /// Whether the pool counts its block as handed out (not a `get(0)` that never grew).
    counted: bool,
    /// The block's capacity (a `Buffer` does not say).
    cap: usize,
}

#[derive(Default, Debug, Clone, PartialEq)]
struct Counts {
    hits: [u64; 3],
    misses: [u64; 3],
    puts: [u64; 3],
    idle: [usize; 3],
    oversize: u64,
    untiered_puts: u64,
    discarded: u64,
    detached: u64,
    foreign_puts: u64,
    outstanding: u64,
    high_water: u64,
}

struct Model {
    pool: BytePool<FuzzTiers>,
    typed: Pool<Vec<u8>>,
    max_idle: usize,
    zero: bool,
    pooling: bool,
    live: Vec<Live>,
    typed_live: Vec<(PoolBox<Vec<u8>>, u64)>,
    detached: Vec<Vec<u8>>,
    counts: Counts,
    typed_counts: Counts,
    next: u64,
}

fn write_stamp(bytes: &mut [u8], stamp: u64) {
    let s = stamp.to_le_bytes();
    let len = bytes.len();
    for j in (0..len.min(8)).chain(len.saturating_sub(8)..len) {
        bytes[j] = s[j % 8];
    }
}

fn check_stamp(bytes: &[u8], stamp: u64) {
    let s = stamp.to_le_bytes();
    let len = bytes.len();
    for j in (0..len.min(8)).chain(len.saturating_sub(8)..len) {
        assert_eq!(bytes[j], s[j % 8], "stamp overwritten at byte {j} of {len}");
    }
}

fn expected_capacity(len: usize) -> usize {
    match SIZES.iter().find(|&&s| s >= len) {
        _ if len == 0 => 0,
        Some(&s) => s,
        None => len,
    }
}

impl Model {
    fn stamp(&mut self) -> u64 {
        self.next += 1;
        self.next.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1
    }

    /// Counts a get of `len > 0`; says whether the model expects a reused block.
    fn get_counted(&mut self, len: usize) -> bool {
        let c = &mut self.counts;
        c.outstanding += 1;
        c.high_water = c.high_water.max(c.outstanding);
        match SIZES.iter().position(|&s| s >= len) {
            Some(t) if self.pooling && c.idle[t] > 0 => {
                c.idle[t] -= 1;
                c.hits[t] += 1;
                true
            }
            Some(t) => {
                c.misses[t] += 1;
                false
            }
            None => {
                c.oversize += 1;
                c.discarded += 1;
                false
            }
        }
    }

    fn put_counted(&mut self, cap: usize, returned: bool) {
        let c = &mut self.counts;
        if returned {
            c.outstanding -= 1;
        } else {
            c.foreign_puts += 1;
        }
        match SIZES.iter().position(|&s| s == cap) {
            Some(t) => {
                c.puts[t] += 1;
                if !self.pooling {
                } else if c.idle[t] < self.max_idle {
                    c.idle[t] += 1;
                } else {
                    c.discarded += 1;
                }
            }
            None => {
                c.untiered_puts += 1;
                c.discarded += u64::from(!returned);
            }
        }
    }

    fn adopt(&mut self, mut buf: BufferMut, counted: bool, reused: bool) {
        assert!(buf.capacity() >= buf.len());
        if !reused || self.zero {
            assert!(
                buf.iter().all(|&b| b == 0),
                "a new or zeroed block holds old bytes"
            );
        }
        let stamp = self.stamp();
        write_stamp(&mut buf, stamp);
        self.live.push(Live {
            cap: buf.capacity(),
            handle: Handle::Mut(buf),
            id: stamp,
            stamp,
            counted,
        });
    }

    /// Drops the live handle at `at`; the block returns when no other handle shares it.
    fn drop_at(&mut self, at: usize) {
        let live = self.live.swap_remove(at);
        let last = !self.live.iter().any(|l| l.id == live.id);
        let cap = live.cap;
        drop(live.handle);
        if last && live.counted {
            self.put_counted(cap, true);
        }
    }

    fn step(&mut self, op: u8, input: &mut Input<'_>) {
        match op % 18 {
            // get
            0 => {
                let len = input.len();
                if self.live.len() >= MAX_HELD {
                    return self.drop_at(0);
                }
                match self.pool.try_get(len) {
                    Ok(buf) => {
                        assert_eq!((buf.len(), buf.capacity()), (len, expected_capacity(len)));
                        let reused = len > 0 && self.get_counted(len);
                        self.adopt(buf, len > 0, reused);
                    }
                    Err(err) => {
                        assert!(len > isize::MAX as usize, "try_get({len}): {err}");
                        assert_eq!(err, Error::CapacityOverflow);
                    }
                }
            }
            // extend (growth across tiers, or a failed reservation)
            1 => {
                let add = input.len();
                if self.live.is_empty() {
                    return;
                }
                let at = input.index(self.live.len());
                let Handle::Mut(buf) = &mut self.live[at].handle else {
                    return;
                };
                let (len, cap) = (buf.len(), buf.capacity());
                if add > 1 << 20 {
                    // Impossible (or absurd) growth: an error, nothing changes.
                    if add > isize::MAX as usize - len {
                        assert_eq!(buf.try_reserve(add), Err(Error::CapacityOverflow));
                        assert_eq!((buf.len(), buf.capacity()), (len, cap));
                    }
                    return;
                }
                buf.extend_from_slice(&vec![0xA5; add]);
                let new_cap = buf.capacity();
                let needed = len + add;
                assert_eq!(buf.len(), needed);
                assert!(new_cap >= needed);
                let stamp = self.live[at].stamp;
                if needed > cap {
                    if needed <= LARGEST {
                        assert_eq!(new_cap, expected_capacity(needed));
                    } else {
                        assert!(new_cap >= needed.max(2 * cap));
                    }
                    self.get_counted(if needed > LARGEST { new_cap } else { needed });
                    if self.live[at].counted {
                        self.put_counted(cap, true);
                    }
                    self.live[at].counted = true;
                    self.live[at].cap = new_cap;
                } else {
                    assert_eq!(new_cap, cap);
                }
                let Handle::Mut(buf) = &mut self.live[at].handle else {
                    unreachable!()
                };
                write_stamp(buf, stamp);
            }
            // truncate
            2 => {
                if self.live.is_empty() {
                    return;
                }
                let at = input.index(self.live.len());
                let to = input.operand() * 64;
                let stamp = self.live[at].stamp;
                if let Handle::Mut(buf) = &mut self.live[at].handle {
                    buf.truncate(to);
                    write_stamp(buf, stamp);
                }
            }
            // freeze
            3 => {
                if self.live.is_empty() {
                    return;
                }
                let at = input.index(self.live.len());
                if let Handle::Mut(_) = self.live[at].handle {
                    let live = self.live.swap_remove(at);
                    let Handle::Mut(buf) = live.handle else {
                        unreachable!()
                    };
                    let shared = buf.freeze();
                    assert_eq!(shared.ref_count(), 1);
                    self.live.push(Live {
                        handle: Handle::Shared(shared),
                        ..live
                    });
                }
            }
            // clone
            4 => {
                if self.live.is_empty() || self.live.len() >= MAX_HELD {
                    return;
                }
                let at = input.index(self.live.len());
                if let Handle::Shared(buf) = &self.live[at].handle {
                    let copy = buf.clone();
                    let Live {
                        id,
                        stamp,
                        counted,
                        cap,
                        ..
                    } = self.live[at];
                    let refs = self.live.iter().filter(|l| l.id == id).count() + 1;
                    assert_eq!(copy.ref_count(), refs);
                    self.live.push(Live {
                        handle: Handle::Shared(copy),
                        id,
                        stamp,
                        counted,
                        cap,
                    });
                }
            }
            // drop
            5 | 6 => {
                if !self.live.is_empty() {
                    let at = input.index(self.live.len());
                    self.drop_at(at);
                }
            }
            // try_into_mut
            7 => {
                if self.live.is_empty() {
                    return;
                }
                let at = input.index(self.live.len());
                if let Handle::Shared(_) = self.live[at].handle {
                    let live = self.live.swap_remove(at);
                    let others = self.live.iter().filter(|l| l.id == live.id).count();
                    let Handle::Shared(buf) = live.handle else {
                        unreachable!()
                    };
                    let handle = match buf.try_into_mut() {
                        Ok(unique) => {
                            assert_eq!(others, 0, "unique while shared");
                            assert_eq!(unique.capacity(), live.cap);
                            Handle::Mut(unique)
                        }
                        Err(shared) => {
                            assert!(others > 0, "refused while unique");
                            Handle::Shared(shared)
                        }
                    };
                    self.live.push(Live { handle, ..live });
                }
            }
            // detach
            8 => {
                if self.live.is_empty() {
                    return;
                }
                let at = input.index(self.live.len());
                if let Handle::Mut(_) = self.live[at].handle {
                    let live = self.live.swap_remove(at);
                    let Handle::Mut(buf) = live.handle else {
                        unreachable!()
                    };
                    let (len, cap) = (buf.len(), buf.capacity());
                    let vec = buf.into_vec();
                    assert_eq!((vec.len(), vec.capacity()), (len, cap));
                    check_stamp(&vec, live.stamp);
                    if live.counted {
                        self.counts.detached += 1;
                        self.counts.outstanding -= 1;
                    }
                    if self.detached.len() < MAX_HELD {
                        self.detached.push(vec);
                    }
                }
            }
            // put a detached vector back
            9 => {
                if let Some(vec) = self.detached.pop() {
                    let cap = vec.capacity();
                    self.pool.put(vec);
                    self.put_counted(cap, false);
                }
            }
            // put a foreign vector
            10 => {
                let cap = input.len();
                if cap > 1 << 20 {
                    return;
                }
                let mut vec = Vec::with_capacity(cap);
                vec.resize(vec.capacity().min(input.operand()), 7);
                let cap = vec.capacity();
                self.pool.put(vec);
                self.put_counted(cap, false);
            }
            // trim
            11 => {
                self.pool.trim();
                self.typed.trim();
                self.counts.idle = [0; 3];
                self.typed_counts.idle[0] = 0;
            }
            // typed take
            12 | 13 => {
                if self.typed_live.len() >= MAX_HELD {
                    return self.drop_typed(0);
                }
                let mut obj = self.typed.get();
                assert!(obj.is_empty(), "a typed object came back without its reset");
                let stamp = self.stamp();
                obj.extend_from_slice(&stamp.to_le_bytes());
                let c = &mut self.typed_counts;
                if self.pooling && c.idle[0] > 0 {
                    c.idle[0] -= 1;
                    c.hits[0] += 1;
                } else {
                    c.misses[0] += 1;
                }
                c.outstanding += 1;
                self.typed_live.push((obj, stamp));
            }
            // typed drop
            14 | 15 => {
                if !self.typed_live.is_empty() {
                    let at = input.index(self.typed_live.len());
                    self.drop_typed(at);
                }
            }
            // typed detach
            16 => {
                if !self.typed_live.is_empty() {
                    let at = input.index(self.typed_live.len());
                    let (obj, stamp) = self.typed_live.swap_remove(at);
                    assert_eq!(obj.into_inner(), stamp.to_le_bytes());
                    self.typed_counts.detached += 1;
                    self.typed_counts.outstanding -= 1;
                }
            }
            // a snapshot, printed
            _ => {
                let s = self.pool.stats();
                assert!(!format!("{s}").is_empty());
            }
        }
    }

    fn drop_typed(&mut self, at: usize) {
        drop(self.typed_live.swap_remove(at));
        let c = &mut self.typed_counts;
        c.puts[0] += 1;
        c.outstanding -= 1;
        if !self.pooling {
        } else if c.idle[0] < self.max_idle {
            c.idle[0] += 1;
        } else {
            c.discarded += 1;
        }
    }

    fn check(&self) {
        let mut addrs = Vec::new();
        for live in &self.live {
            let bytes = live.handle.bytes();
            check_stamp(bytes, live.stamp);
            if let Handle::Mut(b) = &live.handle {
                assert!(b.capacity() >= b.len());
            }
            if let Handle::Mut(b) = &live.handle {
                assert_eq!(b.capacity(), live.cap);
            }
            if live.cap > 0 {
                addrs.push((bytes.as_ptr() as usize, live.id));
            }
        }
        addrs.sort_unstable();
        addrs.dedup();
        assert!(
            addrs.windows(2).all(|w| w[0].0 != w[1].0),
            "two live blocks share an address"
        );
        let mut objs: Vec<usize> = self
            .typed_live
            .iter()
            .map(|(o, _)| &**o as *const Vec<u8> as usize)
            .collect();
        for (obj, stamp) in &self.typed_live {
            assert_eq!(obj.as_slice(), stamp.to_le_bytes());
        }
        objs.sort_unstable();
        assert!(
            objs.windows(2).all(|w| w[0] != w[1]),
            "two live objects share a slot"
        );

        let s = self.pool.stats();
        assert_eq!(observed(&s), self.counts, "{s:?}");
        let s = self.typed.stats();
        let c = &self.typed_counts;
        let t = &s.tiers[0];
        assert_eq!(
            (
                t.hits,
                t.misses,
                t.puts,
                t.idle,
                s.discarded,
                s.detached,
                s.outstanding
            ),
            (
                c.hits[0],
                c.misses[0],
                c.puts[0],
                c.idle[0],
                c.discarded,
                c.detached,
                c.outstanding
            ),
            "typed: {s:?}"
        );
    }
}

/// The counters of a snapshot, in the model's shape.
fn observed(s: &bytepool::Stats) -> Counts {
    let mut c = Counts {
        oversize: s.oversize,
        discarded: s.discarded,
        detached: s.detached,
        foreign_puts: s.foreign_puts,
        outstanding: s.outstanding,
        high_water: s.high_water,
        ..Counts::default()
    };
    for (t, tier) in s.tiers.iter().enumerate() {
        assert_eq!(tier.gets, tier.hits + tier.misses);
        c.hits[t] = tier.hits;
        c.misses[t] = tier.misses;
        c.puts[t] = tier.puts;
        c.idle[t] = tier.idle;
    }
    let tier_gets: u64 = s.tiers.iter().map(|t| t.gets).sum();
    assert_eq!(s.total_gets, tier_gets + s.oversize);
    c.untiered_puts = s.total_puts - s.tiers.iter().map(|t| t.puts).sum::<u64>();
    let idle_bytes: usize = s.tiers.iter().map(|t| t.idle * t.size).sum();
    assert_eq!(s.idle_bytes, idle_bytes);
    c
}

/// Whether pools keep idle buffers (not under the `passthrough` feature).
fn pooling() -> bool {
    let pool = BytePool::<FuzzTiers>::builder()
        .max_idle_per_tier(1)
        .build();
    drop(pool.get(1));
    pool.stats().tiers[0].idle == 1
}

/// Runs the operations `data` encodes, checking every step; panics on any discrepancy.
pub fn run(data: &[u8]) {
    let mut input = Input { data };
    let Some(config) = input.byte() else { return };
    let max_idle = usize::from(config & 7);
    let zero = config & 8 != 0;
    let mut model = Model {
        pool: BytePool::builder()
            .max_idle_per_tier(max_idle)
            .zero_on_release(zero)
            .build(),
        typed: Pool::with_capacity(max_idle, Vec::new, Vec::clear),
        max_idle,
        zero,
        pooling: pooling(),
        live: Vec::new(),
        typed_live: Vec::new(),
        detached: Vec::new(),
        counts: Counts::default(),
        typed_counts: Counts::default(),
        next: 0,
    };
    while let Some(op) = input.byte() {
        model.step(op, &mut input);
        model.check();
    }
    while !model.live.is_empty() {
        model.drop_at(0);
    }
    while !model.typed_live.is_empty() {
        model.drop_typed(0);
    }
    model.check();
    assert_eq!(model.pool.stats().outstanding, 0);
    model.step(11, &mut input);
    model.check();
    assert_eq!(model.pool.stats().idle_bytes, 0);
}
