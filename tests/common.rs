// Shared by the integration tests (`mod common;`).
#![allow(dead_code)]

/// Whether buffers are really reused (off under `--features passthrough`, where every get
/// allocates): assertions about hits and idle buffers are gated on it.
pub const POOLING: bool = !cfg!(feature = "passthrough");

/// Scales an iteration count down under Miri.
pub const fn scaled(n: usize) -> usize {
    if cfg!(miri) {
        n / 100 + 1
    } else {
        n
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}
