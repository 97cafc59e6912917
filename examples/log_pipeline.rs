//! A multi-threaded log pipeline on a `#[derive(Pooled)]` type.
//!
//! A parser stage takes `LogEntry` objects from the type's own pool (`LogEntry::take()`),
//! fills them from raw lines and shares each one as a `PoolArc<LogEntry>` with two stages at
//! once: an indexer that counts fields and a sink that sums message bytes. Whichever stage
//! drops an entry last resets it (vectors cleared, capacity kept; oversized field lists
//! replaced) and returns it to the pool, so after warm-up the pipeline allocates almost
//! nothing. It ends by printing the pool's statistics.
//!
//! Run: `cargo run --release --example log_pipeline`

use std::sync::mpsc;
use std::thread;

use bytepool::{PoolArc, PoolStats, Pooled};

#[derive(Debug, Default)]
struct Tags(Vec<&'static str>);

fn reset_tags(tags: &mut Tags) {
    tags.0.clear();
}

#[derive(Pooled, Default)]
#[pooled(capacity = 1024)]
struct LogEntry {
    timestamp: i64,
    message: Vec<u8>,
    #[pooled(max_capacity = 64)]
    fields: Vec<(String, String)>,
    #[pooled(skip)]
    origin: &'static str,
    #[pooled(reset = reset_tags)]
    tags: Tags,
}

const LINES: usize = 200_000;

fn raw_line(i: usize) -> String {
    format!(
        "ts={} level={} user=u{} msg=request {} served in {}ms",
        1_700_000_000 + i,
        ["info", "warn", "debug"][i % 3],
        i % 97,
        i,
        i % 250
    )
}

/// Parses `line` into a pooled entry, reusing its buffers.
fn parse(line: &str, entry: &mut LogEntry) {
    for pair in line.split(' ') {
        match pair.split_once('=') {
            Some(("ts", ts)) => entry.timestamp = ts.parse().unwrap_or_default(),
            Some(("msg", msg)) => entry.message.extend_from_slice(msg.as_bytes()),
            Some((k, v)) => entry.fields.push((k.to_owned(), v.to_owned())),
            None => {
                entry.message.push(b' ');
                entry.message.extend_from_slice(pair.as_bytes());
            }
        }
    }
    entry.origin = "stdin";
    entry.tags.0.push(if entry.timestamp % 2 == 0 {
        "even"
    } else {
        "odd"
    });
}

fn main() {
    // Figures since this snapshot are the pipeline's alone, whatever else the type's pool
    // served before (nothing, in this program).
    let before = LogEntry::pool().stats();
    let (to_indexer, indexer_rx) = mpsc::sync_channel::<PoolArc<LogEntry>>(256);
    let (to_sink, sink_rx) = mpsc::sync_channel::<PoolArc<LogEntry>>(256);

    let indexer = thread::spawn(move || indexer_rx.iter().map(|e| e.fields.len()).sum::<usize>());
    let sink = thread::spawn(move || sink_rx.iter().map(|e| e.message.len()).sum::<usize>());

    let parser = thread::spawn(move || {
        for i in 0..LINES {
            let mut entry = LogEntry::take();
            parse(&raw_line(i), &mut entry);
            let entry = entry.into_shared();
            to_indexer.send(entry.clone()).unwrap();
            to_sink.send(entry).unwrap();
        }
    });
    parser.join().unwrap();
    let fields = indexer.join().unwrap();
    let bytes = sink.join().unwrap();

    println!("parsed {LINES} lines: {fields} fields indexed, {bytes} message bytes stored");
    let stats = LogEntry::pool().stats().since(&before);
    println!("\n{stats}");
    println!(
        "{} entries handed out, {} allocated ({:.2}%)",
        stats.total_gets,
        stats.allocations(),
        100.0 * stats.allocations() as f64 / stats.total_gets as f64
    );
    assert_eq!(stats.outstanding, 0, "every entry came back");
}
