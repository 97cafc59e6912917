//! The optional integrations: `bytes`, `serde` and `metrics` (run with `--features full`, or
//! `--features bytes,serde,metrics`).

#[allow(unused)]
mod common;

#[cfg(feature = "bytes")]
mod bytes_feature {
    use bytepool::tiers::Stream;
    use bytepool::{BufferMut, BytePool, PoolStats};
    use bytes::{Buf, BufMut, Bytes};

    use crate::common::POOLING;

    #[test]
    fn smoke() {
        let pool = BytePool::<Stream>::new();
        let mut buf = pool.with_capacity(100);
        buf.put_u8(1);
        buf.put_u16(0x0203);
        buf.put_slice(b"abc");
        buf.put_bytes(b'z', 2);
        assert_eq!(&buf[..], b"\x01\x02\x03abczz");
        let bytes = Bytes::from(buf.freeze());
        let mut reader = bytes.clone();
        assert_eq!(reader.get_u8(), 1);
        assert_eq!(reader.get_u16(), 0x0203);
        drop((bytes, reader));
        let s = pool.stats();
        assert_eq!((s.total_gets, s.total_puts, s.outstanding), (1, 1, 0));
    }

    #[test]
    fn chunk_mut_exposes_the_spare_capacity() {
        let pool = BytePool::<Stream>::new();
        let mut buf = pool.get(10);
        assert_eq!(buf.chunk_mut().len(), 1024 - 10);
        buf.chunk_mut()[..3].copy_from_slice(b"xyz");
        // SAFETY: the first 3 bytes of the chunk were just written.
        unsafe { buf.advance_mut(3) };
        assert_eq!((buf.len(), &buf[10..]), (13, &b"xyz"[..]));
        assert_eq!(buf.remaining_mut(), isize::MAX as usize - 13);
        // SAFETY: advancing by 0 writes nothing.
        unsafe { buf.advance_mut(0) };
        assert_eq!(buf.len(), 13);
    }

    #[test]
    fn a_full_buffer_grows_through_the_tiers() {
        let pool = BytePool::<Stream>::new();
        let mut buf = pool.get(1024);
        buf[..4].copy_from_slice(b"head");
        assert_eq!(buf.capacity(), 1024);
        // Full: `chunk_mut` moves the contents to the next tier (4 KiB) first.
        let chunk = buf.chunk_mut();
        assert_eq!(chunk.len(), 4096 - 1024);
        chunk.write_byte(0, b'!');
        // SAFETY: the chunk's first byte was just written.
        unsafe { buf.advance_mut(1) };
        assert_eq!((buf.len(), buf.capacity()), (1025, 4096));
        assert_eq!((&buf[..4], buf[1024]), (&b"head"[..], b'!'));
        // `put_slice` reserves once, straight to the tier that holds the result (32 KiB).
        buf.put_slice(&[7; 20_000]);
        assert_eq!((buf.len(), buf.capacity()), (21_025, 32_768));
        let s = pool.stats();
        assert_eq!(
            [
                s.tiers[0].gets,
                s.tiers[1].gets,
                s.tiers[2].gets,
                s.tiers[3].gets
            ],
            [1, 1, 0, 1]
        );
        assert_eq!([s.tiers[0].puts, s.tiers[1].puts], [1, 1]);
        assert_eq!(s.outstanding, 1);
        drop(buf);
        assert_eq!(pool.stats().outstanding, 0);
    }

    #[test]
    fn io_write_through_the_writer_adapter() {
        use std::io::Write;

        let mut w = BufferMut::new().writer();
        write!(w, "{}-{}", 1, 2).unwrap();
        assert_eq!(&w.into_inner()[..], b"1-2");
    }

    #[test]
    fn an_unpooled_buffer_grows_too() {
        let mut buf = BufferMut::new();
        assert_eq!(buf.capacity(), 0);
        assert!(buf.chunk_mut().len() >= 64);
        for i in 0..1000u32 {
            buf.put_u32_le(i);
        }
        assert_eq!(buf.len(), 4000);
        assert_eq!(buf[4..8], 1u32.to_le_bytes());
    }

    #[test]
    #[should_panic(
        expected = "BufferMut::advance_mut(1025) past the end of the chunk (1024 bytes)"
    )]
    fn advancing_past_the_chunk_panics() {
        let mut buf = Stream::pool().with_capacity(1);
        // SAFETY: none (the call must panic before the length moves).
        unsafe { buf.advance_mut(1025) };
    }

    #[test]
    fn bytes_return_the_memory_when_the_last_clone_drops() {
        let pool = BytePool::<Stream>::new();
        let mut buf = pool.get(0);
        buf.extend_from_slice(b"GET /index.html HTTP/1.1");
        let shared = buf.freeze();
        let bytes = Bytes::from(shared.clone());
        let path = bytes.slice(4..15);
        let clones: Vec<Bytes> = (0..3).map(|_| bytes.clone()).collect();
        assert_eq!(path, "/index.html");
        // No copy: the `Bytes` point into the pooled block.
        assert_eq!(bytes.as_ptr(), shared.as_ptr());
        drop(shared);
        drop(bytes);
        assert_eq!(pool.stats().outstanding, 1);
        let sent = std::thread::spawn(move || clones.iter().map(Bytes::len).sum::<usize>());
        assert_eq!(sent.join().unwrap(), 3 * 24);
        assert_eq!(pool.stats().outstanding, 1, "`path` still holds the block");
        drop(path);
        let s = pool.stats();
        assert_eq!((s.outstanding, s.total_puts), (0, 1));
        if POOLING {
            assert_eq!(s.tiers[0].idle, 1);
            drop(pool.get(10));
            assert_eq!(pool.stats().tiers[0].hits, 1, "the block was reused");
        }
    }

    #[test]
    fn buffer_mut_into_bytes_without_copying() {
        let pool = BytePool::<Stream>::new();
        let mut buf = pool.get(5000);
        buf[..2].copy_from_slice(b"ok");
        let ptr = buf.as_ptr();
        let bytes = Bytes::from(buf);
        assert_eq!((bytes.len(), bytes.as_ptr()), (5000, ptr));
        let tail = bytes.slice(4000..);
        drop(bytes);
        assert_eq!(pool.stats().outstanding, 1);
        drop(tail);
        assert_eq!(pool.stats().outstanding, 0);
    }
}

#[cfg(feature = "serde")]
mod serde_feature {
    use bytepool::ring::LockedRingQueue;
    use bytepool::tiers::Stream;
    use bytepool::{BytePool, PoolStats, Stats, TierStats};
    use serde_json::json;

    /// A pool with known counters: two 1 KiB gets (one reused), one 4 KiB get, one oversize.
    fn worked_pool() -> BytePool<Stream> {
        let pool = BytePool::<Stream>::builder()
            .recent_lengths(LockedRingQueue::new(8))
            .build();
        drop(pool.get(100));
        drop(pool.get(900));
        let held = pool.get(3000);
        drop(pool.get(200_000));
        drop(held.into_vec()); // detached
        pool
    }

    #[test]
    fn smoke() {
        let stats = worked_pool().stats();
        let json = serde_json::to_value(&stats).unwrap();
        let misses = if crate::common::POOLING { 1 } else { 2 };
        let idle = if crate::common::POOLING { 1 } else { 0 };
        assert_eq!(
            json,
            json!({
                "tiers": [
                    {"size": 1024, "gets": 2, "puts": 2, "hits": 2 - misses, "misses": misses, "idle": idle},
                    {"size": 4096, "gets": 1, "puts": 0, "hits": 0, "misses": 1, "idle": 0},
                    {"size": 16384, "gets": 0, "puts": 0, "hits": 0, "misses": 0, "idle": 0},
                    {"size": 32768, "gets": 0, "puts": 0, "hits": 0, "misses": 0, "idle": 0},
                    {"size": 65536, "gets": 0, "puts": 0, "hits": 0, "misses": 0, "idle": 0},
                    {"size": 131072, "gets": 0, "puts": 0, "hits": 0, "misses": 0, "idle": 0},
                ],
                "total_gets": 4,
                "total_puts": 3,
                "discarded": 1,
                "outstanding": 0,
                "high_water": 2,
                "idle_bytes": 1024 * idle,
                "recent_lengths": [100, 900, 3000, 200_000],
                "oversize": 1,
                "detached": 1,
                "foreign_puts": 0,
            })
        );
    }

    #[test]
    fn field_order_is_the_declaration_order() {
        let mut stats = Stats::default();
        stats.total_gets = 7;
        assert_eq!(
            serde_json::to_string(&stats).unwrap(),
            r#"{"tiers":[],"total_gets":7,"total_puts":0,"discarded":0,"outstanding":0,"high_water":0,"idle_bytes":0,"recent_lengths":[],"oversize":0,"detached":0,"foreign_puts":0}"#
        );
    }

    #[test]
    fn a_snapshot_read_back_from_json_is_equal() {
        let mut stats = worked_pool().stats();
        stats.foreign_puts = 5; // every field nonzero somewhere
        let json = serde_json::to_string(&stats).unwrap();
        let back: Stats = serde_json::from_str(&json).unwrap();
        assert_eq!(back, stats, "{json}");
        assert_eq!(serde_json::to_string(&back).unwrap(), json);
        let tier = &stats.tiers[1];
        let json = serde_json::to_string(tier).unwrap();
        assert_eq!(serde_json::from_str::<TierStats>(&json).unwrap(), *tier);
        // And through a `serde_json::Value`, which reads maps rather than a string.
        let value = serde_json::to_value(&stats).unwrap();
        assert_eq!(serde_json::from_value::<Stats>(value).unwrap(), stats);
    }

    #[test]
    fn a_missing_field_reads_as_zero_and_an_unknown_one_is_ignored() {
        let stats: Stats = serde_json::from_str(
            r#"{"tiers":[{"size":64,"gets":3,"colour":"red"}],"total_gets":3,"from_the_future":[1]}"#,
        )
        .unwrap();
        let mut expected = Stats::default();
        expected.tiers = vec![TierStats::default()];
        (expected.tiers[0].size, expected.tiers[0].gets) = (64, 3);
        expected.total_gets = 3;
        assert_eq!(stats, expected);
    }

    #[test]
    fn a_malformed_snapshot_is_an_error() {
        for bad in [
            r#"{"total_gets":-1}"#,
            r#"{"tiers":{"64":{}}}"#,
            r#"{"recent_lengths":"100"}"#,
            "7",
        ] {
            assert!(serde_json::from_str::<Stats>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn expvar_has_the_go_shape_byte_for_byte() {
        let stats = worked_pool().stats();
        // Go's encoding/json sorts keys as strings: "1024" < "131072" < "16384" < ...
        assert_eq!(
            serde_json::to_string(&stats.expvar()).unwrap(),
            concat!(
                r#"{"discarded":1,"pools":{"#,
                r#""1024":{"get":2,"put":2},"131072":{"get":0,"put":0},"#,
                r#""16384":{"get":0,"put":0},"32768":{"get":0,"put":0},"#,
                r#""4096":{"get":1,"put":0},"65536":{"get":0,"put":0}},"#,
                r#""recent_lengths":[100,900,3000,200000],"total_get":3,"total_put":2}"#
            )
        );
    }

    #[test]
    fn expvar_of_an_empty_snapshot() {
        assert_eq!(
            serde_json::to_string(&Stats::default().expvar()).unwrap(),
            r#"{"discarded":0,"pools":{},"recent_lengths":[],"total_get":0,"total_put":0}"#
        );
    }

    #[test]
    fn expvar_pretty_printed_is_what_go_serves() {
        let stats = BytePool::<Stream>::new().stats();
        let pretty = serde_json::to_string_pretty(&stats.expvar()).unwrap();
        assert!(pretty.starts_with("{\n  \"discarded\": 0,\n  \"pools\": {\n    \"1024\": {"));
    }
}

#[cfg(feature = "metrics")]
mod metrics_feature {
    use std::collections::HashMap;

    use bytepool::tiers::Stream;
    use bytepool::{BytePool, PoolStats};
    use metrics::{SharedString, Unit};
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    use metrics_util::MetricKind;

    /// `(kind, name, pool label, tier label)` → value, from everything the recorder saw.
    type Seen = HashMap<(MetricKind, String, String, Option<String>), f64>;

    fn record(f: impl FnOnce()) -> (Seen, HashMap<String, (Option<Unit>, SharedString)>) {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, f);
        let mut seen = HashMap::new();
        let mut described = HashMap::new();
        for (key, unit, description, value) in snapshotter.snapshot().into_vec() {
            let (kind, key) = key.into_parts();
            let label = |name| {
                key.labels()
                    .find(|l| l.key() == name)
                    .map(|l| l.value().to_owned())
            };
            let (pool, tier) = (
                label("pool").expect("every metric has a pool"),
                label("tier"),
            );
            assert!(key.labels().all(|l| ["pool", "tier"].contains(&l.key())));
            let value = match value {
                DebugValue::Counter(v) => v as f64,
                DebugValue::Gauge(v) => v.0,
                DebugValue::Histogram(_) => unreachable!("no histograms are published"),
            };
            let name = key.name().to_owned();
            assert!(name.starts_with("bytepool_"), "{name}");
            if let Some(description) = description {
                described.insert(name.clone(), (unit, description));
            }
            seen.insert((kind, name, pool, tier), value);
        }
        (seen, described)
    }

    fn counter(seen: &Seen, name: &str, pool: &str, tier: Option<&str>) -> f64 {
        let key = (
            MetricKind::Counter,
            name.into(),
            pool.into(),
            tier.map(Into::into),
        );
        seen[&key]
    }

    fn gauge(seen: &Seen, name: &str, pool: &str, tier: Option<&str>) -> f64 {
        let key = (
            MetricKind::Gauge,
            name.into(),
            pool.into(),
            tier.map(Into::into),
        );
        seen[&key]
    }

    #[test]
    fn smoke() {
        let pool = BytePool::<Stream>::new();
        let a = pool.get(100);
        drop(pool.get(100));
        drop(pool.get(2000));
        drop(pool.get(1 << 20)); // oversize
        let (seen, _) = record(|| bytepool::metrics::publish("p", &pool));
        let reused = if crate::common::POOLING { 1.0 } else { 0.0 };
        let tier_counter = |name: &str, tier| counter(&seen, name, "p", Some(tier));
        let tier_gauge = |name: &str, tier| gauge(&seen, name, "p", Some(tier));
        assert_eq!(tier_counter("bytepool_gets_total", "1024"), 2.0);
        assert_eq!(tier_counter("bytepool_puts_total", "1024"), 1.0);
        assert_eq!(tier_counter("bytepool_hits_total", "1024"), 0.0);
        assert_eq!(tier_counter("bytepool_misses_total", "1024"), 2.0);
        assert_eq!(tier_counter("bytepool_gets_total", "4096"), 1.0);
        assert_eq!(tier_counter("bytepool_gets_total", "131072"), 0.0);
        assert_eq!(tier_gauge("bytepool_idle_buffers", "1024"), reused);
        assert_eq!(tier_gauge("bytepool_idle_buffers", "4096"), reused);
        assert_eq!(tier_gauge("bytepool_idle_bytes", "1024"), reused * 1024.0);
        assert_eq!(tier_gauge("bytepool_idle_bytes", "4096"), reused * 4096.0);
        assert_eq!(tier_gauge("bytepool_idle_bytes", "16384"), 0.0);
        assert_eq!(gauge(&seen, "bytepool_outstanding_buffers", "p", None), 1.0);
        assert_eq!(gauge(&seen, "bytepool_high_water_buffers", "p", None), 2.0);
        assert_eq!(counter(&seen, "bytepool_discarded_total", "p", None), 1.0);
        assert_eq!(counter(&seen, "bytepool_oversize_total", "p", None), 1.0);
        assert_eq!(counter(&seen, "bytepool_detached_total", "p", None), 0.0);
        // 6 per tier (6 tiers) and 5 for the pool.
        assert_eq!(seen.len(), 6 * 6 + 5);
        drop(a);
    }

    /// Two pools publish under the same names, told apart by their `pool` label, and their
    /// per-tier idle bytes sum to each pool's `idle_bytes`: what PromQL's `sum by (pool)` does.
    #[test]
    fn pools_share_the_names_and_differ_in_the_pool_label() {
        let (small, large) = (BytePool::<Stream>::new(), BytePool::<Stream>::new());
        drop(small.get(10));
        let held = large.get(3000);
        drop(large.get(20_000));
        drop(large.get(100));
        let (seen, _) = record(|| {
            bytepool::metrics::publish("small", &small);
            bytepool::metrics::publish("large", &large);
        });
        assert_eq!(seen.len(), 2 * (6 * 6 + 5));
        let gets = |pool, tier| counter(&seen, "bytepool_gets_total", pool, Some(tier));
        assert_eq!((gets("small", "1024"), gets("large", "1024")), (1.0, 1.0));
        assert_eq!((gets("small", "4096"), gets("large", "4096")), (0.0, 1.0));
        assert_eq!((gets("small", "32768"), gets("large", "32768")), (0.0, 1.0));
        let outstanding = |pool| gauge(&seen, "bytepool_outstanding_buffers", pool, None);
        assert_eq!((outstanding("small"), outstanding("large")), (0.0, 1.0));
        for (name, pool) in [("small", &small), ("large", &large)] {
            let idle_bytes: f64 = seen
                .iter()
                .filter(|((_, metric, p, _), _)| metric == "bytepool_idle_bytes" && p == name)
                .map(|(_, value)| value)
                .sum();
            assert_eq!(idle_bytes, pool.stats().idle_bytes as f64, "{name}");
        }
        drop(held);
    }

    #[test]
    fn counters_are_absolute_so_publishing_twice_does_not_double_count() {
        let pool = BytePool::<Stream>::new();
        drop(pool.get(10));
        let (seen, _) = record(|| {
            bytepool::metrics::publish("p", &pool);
            bytepool::metrics::publish("p", &pool);
            drop(pool.get(10));
            bytepool::metrics::publish("p", &pool);
        });
        assert_eq!(
            counter(&seen, "bytepool_gets_total", "p", Some("1024")),
            2.0
        );
        assert_eq!(
            counter(&seen, "bytepool_puts_total", "p", Some("1024")),
            2.0
        );
        if crate::common::POOLING {
            assert_eq!(
                counter(&seen, "bytepool_hits_total", "p", Some("1024")),
                1.0
            );
        }
    }

    #[test]
    fn a_typed_pool_and_a_dyn_pool_publish_too() {
        let stats: &dyn PoolStats = Stream::pool();
        let (seen, _) = record(|| bytepool::metrics::publish("dyn", stats));
        // The process-wide pool, which other tests use at the same time: any value will do.
        let outstanding = "bytepool_outstanding_buffers".to_owned();
        assert!(seen.contains_key(&(MetricKind::Gauge, outstanding, "dyn".into(), None)));
    }

    /// The Prometheus text format over HTTP on 127.0.0.1, as `examples/metrics_prometheus.rs`
    /// serves it: a scrape publishes a fresh snapshot and renders it.
    #[test]
    #[cfg_attr(miri, ignore)] // sockets
    fn prometheus_scrape_over_loopback() {
        use std::io::{BufRead, BufReader, Read, Write};
        use std::net::{TcpListener, TcpStream};

        use metrics_exporter_prometheus::PrometheusBuilder;

        let pool = BytePool::<Stream>::new();
        let held = pool.get(100);
        drop(pool.get(3000));
        let other = BytePool::<Stream>::new();
        drop(other.get(10));
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let body = std::thread::scope(|scope| {
            scope.spawn(|| {
                let (stream, _) = listener.accept().unwrap();
                let mut request = String::new();
                let mut reader = BufReader::new(&stream);
                while reader.read_line(&mut request).unwrap() > 2 {}
                assert!(
                    request.starts_with("GET /metrics HTTP/1.1\r\n"),
                    "{request}"
                );
                metrics::with_local_recorder(&recorder, || {
                    bytepool::metrics::describe();
                    bytepool::metrics::publish("scraped", &pool);
                    bytepool::metrics::publish("other", &other);
                });
                let body = handle.render();
                write!(
                    &stream,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .unwrap();
            });
            let mut client = TcpStream::connect(addr).unwrap();
            client
                .set_read_timeout(Some(std::time::Duration::from_secs(30)))
                .unwrap();
            write!(client, "GET /metrics HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
            let mut response = String::new();
            client.read_to_string(&mut response).unwrap();
            let (head, body) = response.split_once("\r\n\r\n").unwrap();
            assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
            body.to_owned()
        });
        let lines: Vec<&str> = body.lines().collect();
        for expected in [
            "# TYPE bytepool_gets_total counter",
            "bytepool_gets_total{pool=\"scraped\",tier=\"1024\"} 1",
            "bytepool_gets_total{pool=\"scraped\",tier=\"4096\"} 1",
            "bytepool_gets_total{pool=\"scraped\",tier=\"16384\"} 0",
            "bytepool_gets_total{pool=\"other\",tier=\"1024\"} 1",
            "bytepool_puts_total{pool=\"scraped\",tier=\"4096\"} 1",
            "bytepool_misses_total{pool=\"scraped\",tier=\"1024\"} 1",
            "# TYPE bytepool_idle_buffers gauge",
            "# TYPE bytepool_idle_bytes gauge",
            "# HELP bytepool_idle_bytes Bytes held in the tier's idle buffers.",
            "# TYPE bytepool_outstanding_buffers gauge",
            "bytepool_outstanding_buffers{pool=\"scraped\"} 1",
            "bytepool_outstanding_buffers{pool=\"other\"} 0",
            "bytepool_high_water_buffers{pool=\"scraped\"} 2",
            "bytepool_discarded_total{pool=\"scraped\"} 0",
        ] {
            assert!(lines.contains(&expected), "no `{expected}` in\n{body}");
        }
        // One `# TYPE` line a name, however many pools: Prometheus rejects a repeated one.
        let types = lines.iter().filter(|l| l.starts_with("# TYPE ")).count();
        assert_eq!(types, 11, "{body}");
        drop(held);
    }

    #[test]
    fn describe_sets_units_and_help() {
        let (_, described) = record(|| {
            bytepool::metrics::describe();
            bytepool::metrics::publish("d", &BytePool::<Stream>::new());
        });
        assert_eq!(described.len(), 11, "{described:?}");
        assert_eq!(described["bytepool_idle_bytes"].0, Some(Unit::Bytes));
        assert_eq!(described["bytepool_idle_buffers"].0, Some(Unit::Count));
        assert_eq!(described["bytepool_gets_total"].0, Some(Unit::Count));
        assert!(described["bytepool_outstanding_buffers"]
            .1
            .contains("not yet back"));
    }
}
