//! The tier advisor: which size classes would have fit this traffic best?
//!
//! An HTTP-ish workload (request headers of 200-800 bytes, bodies of 1-64 KiB with a
//! log-normal spread, and a few 1500-byte MTU packets) runs on the general-purpose
//! `PowerOfTwo` tiers. The pool records the requested lengths in a shared ring; the example
//! prints the pool's statistics table, then asks `Stats::suggest_tiers` for the tiers that
//! would have wasted the fewest bytes on those requests: first the waste for budgets of 1 to 16
//! tiers (fewer tiers waste more), then the advice for 4 tiers and for 8 tiers aligned to 16
//! bytes, each as a `define_tiers!` invocation ready to paste, with its waste next to the
//! current tiers'. Finally it measures a hand-picked tier list with `TierAdvice::waste_with`.
//!
//! Run: `cargo run --release --example tier_advisor`

use std::collections::VecDeque;

use bytepool::ring::RingQueue;
use bytepool::tiers::PowerOfTwo;
use bytepool::{BytePool, PoolStats};

const REQUESTS: usize = 20_000;
/// Buffers in flight at once, as if several connections were being served.
const IN_FLIGHT: usize = 32;
/// How many recent lengths the advice is based on.
const WINDOW: usize = 8192;

/// xorshift64*: deterministic, so every run prints the same advice.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Roughly standard normal: the sum of 12 uniforms, minus 6 (Irwin-Hall).
    fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.unit()).sum::<f64>() - 6.0
    }
}

/// One request's buffer length.
fn request_len(rng: &mut Rng) -> usize {
    let kind = rng.unit();
    if kind < 0.55 {
        // Request or response headers.
        200 + (rng.unit() * 600.0) as usize
    } else if kind < 0.95 {
        // A body: log-normal around 6 KiB, clamped to 1-64 KiB.
        let len = (8.7 + 0.9 * rng.normal()).exp();
        len.clamp(1024.0, 65536.0) as usize
    } else {
        // A full Ethernet frame's payload.
        1500
    }
}

fn main() {
    let pool = BytePool::<PowerOfTwo>::builder()
        .recent_lengths(RingQueue::new(WINDOW))
        .build();
    let mut rng = Rng(0x00c0_ffee_1234_5678);
    let mut in_flight = VecDeque::with_capacity(IN_FLIGHT);
    for _ in 0..REQUESTS {
        let len = request_len(&mut rng);
        let mut buf = pool.get(len);
        buf[0] = b'H'; // stands in for reading the request into the buffer
        if in_flight.len() == IN_FLIGHT {
            in_flight.pop_front(); // the oldest request is done: its buffer goes back
        }
        in_flight.push_back(buf);
    }
    in_flight.clear();

    let stats = pool.stats();
    println!("{REQUESTS} requests on the PowerOfTwo tiers:\n");
    println!("{stats}");

    // Fewer tiers waste more: the budget is a trade-off against idle memory per tier.
    println!("Waste of the best tiers for the last {WINDOW} requests, by budget:");
    for budget in [1, 2, 3, 4, 6, 8, 10, 12, 16] {
        let advice = stats.suggest_tiers(budget);
        println!(
            "  {budget:>2} tiers: {:>5.1}%  {:?}",
            100.0 * advice.waste_fraction(),
            advice.sizes()
        );
    }
    println!(
        "  PowerOfTwo ({} tiers, {} used): {:.1}%\n",
        stats.tiers.len(),
        stats.tiers.iter().filter(|t| t.gets > 0).count(),
        100.0
            * stats
                .suggest_tiers(1)
                .current_waste_fraction()
                .unwrap_or(0.0)
    );

    let four = stats.suggest_tiers(4).with_name("HttpTiers");
    println!("The best 4 tiers for the last {WINDOW} requests:\n\n{four}");

    let eight = stats.suggest_tiers(8).align(16).with_name("HttpTiers8");
    println!("The best 8, as multiples of 16 bytes:\n\n{eight}");

    // Any other candidate can be measured against the same requests.
    let hand_picked = [1024, 2048, 8192, 65536];
    println!(
        "For comparison, {hand_picked:?} would waste {:.1}% and PowerOfTwo wastes {:.1}%.",
        100.0 * four.waste_with(&hand_picked) as f64 / four.requested_bytes() as f64,
        100.0 * four.current_waste_fraction().unwrap_or(0.0),
    );
}
