//! The main demo: a small packet-relay workload on a `define_tiers!` pool.
//!
//! Four receiver threads take buffers sized like UDP datagrams from the process-wide pool,
//! fill them, freeze them into shared `Buffer`s and fan each one out to two consumer threads
//! (a "forwarder" and a "logger"); the last consumer to drop a buffer returns it to the pool.
//! At the end it prints the pool's statistics table: per-tier hits and misses show how well
//! the tiers fit the traffic, and `outstanding 0` shows nothing leaked.
//!
//! Run: `cargo run --release --example demo`

use std::sync::mpsc;
use std::thread;
use std::time::Instant;

use bytepool::{Buffer, PoolStats};

bytepool::define_tiers! {
    /// Size classes for a UDP relay: small control packets, typical MTUs, jumbo frames.
    pub PacketTiers = [64, 256, 1500, 9000];
}

const RECEIVERS: usize = 4;
const PACKETS_PER_RECEIVER: usize = 50_000;

/// A cheap deterministic packet-size distribution: mostly small, some MTU-sized, a few jumbo
/// frames and the odd oversize datagram.
fn packet_len(seed: &mut u64) -> usize {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    match *seed % 100 {
        0..=49 => 20 + (*seed % 44) as usize,
        50..=84 => 200 + (*seed % 1300) as usize,
        85..=98 => 1500 + (*seed % 7500) as usize,
        _ => 9001 + (*seed % 20_000) as usize,
    }
}

fn main() {
    let pool = PacketTiers::pool();
    // Figures since this snapshot are the relay's alone, whatever else the process-wide pool
    // served before (nothing, in this program) and how long it has been up.
    let before = pool.stats();
    let started = Instant::now();

    let (to_forwarder, forwarder_rx) = mpsc::sync_channel::<Buffer>(1024);
    let (to_logger, logger_rx) = mpsc::sync_channel::<Buffer>(1024);
    let forwarder = thread::spawn(move || forwarder_rx.iter().map(|p| p.len()).sum::<usize>());
    let logger = thread::spawn(move || logger_rx.iter().filter(|p| p[0] == 0x45).count());

    let receivers: Vec<_> = (0..RECEIVERS)
        .map(|r| {
            let (to_forwarder, to_logger) = (to_forwarder.clone(), to_logger.clone());
            thread::spawn(move || {
                let mut seed = 0x9E37_79B9_7F4A_7C15 ^ r as u64;
                for _ in 0..PACKETS_PER_RECEIVER {
                    let mut packet = pool.get(packet_len(&mut seed));
                    packet[0] = 0x45; // an IPv4 header's first byte
                    let packet = packet.freeze();
                    to_logger.send(packet.retain()).unwrap();
                    to_forwarder.send(packet).unwrap();
                }
            })
        })
        .collect();
    drop((to_forwarder, to_logger));
    for r in receivers {
        r.join().unwrap();
    }
    let bytes = forwarder.join().unwrap();
    let logged = logger.join().unwrap();
    let elapsed = started.elapsed();

    let packets = RECEIVERS * PACKETS_PER_RECEIVER;
    println!(
        "relayed {packets} packets ({:.1} MiB) to 2 consumers in {elapsed:.2?}; logged {logged}",
        bytes as f64 / (1 << 20) as f64
    );
    let stats = pool.stats().since(&before);
    println!("\n{stats}");
    let allocations = stats.allocations();
    println!(
        "the pool called the allocator {allocations} times for {} buffers ({:.2}%), \
         {:.1} M gets/s",
        stats.total_gets,
        100.0 * allocations as f64 / stats.total_gets as f64,
        stats.total_gets as f64 / elapsed.as_secs_f64() / 1e6
    );
    assert_eq!(stats.outstanding, 0, "every buffer came back");
}
