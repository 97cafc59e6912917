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
    use bytepool::tiers::Stream;
    use bytepool::{BytePool, LockedRingQueue, PoolStats, Stats};
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

    /// `(kind, name, tier label)` → value, from everything the recorder saw.
    type Seen = HashMap<(MetricKind, String, Option<String>), f64>;

    fn record(f: impl FnOnce()) -> (Seen, HashMap<String, (Option<Unit>, SharedString)>) {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, f);
        let mut seen = HashMap::new();
        let mut described = HashMap::new();
        for (key, unit, description, value) in snapshotter.snapshot().into_vec() {
            let (kind, key) = key.into_parts();
            let tier = key
                .labels()
                .find(|l| l.key() == "tier")
                .map(|l| l.value().to_owned());
            assert!(key.labels().all(|l| l.key() == "tier"));
            let value = match value {
                DebugValue::Counter(v) => v as f64,
                DebugValue::Gauge(v) => v.0,
                DebugValue::Histogram(_) => unreachable!("no histograms are published"),
            };
            let name = key.name().to_owned();
            if let Some(description) = description {
                described.insert(name.clone(), (unit, description));
            }
            seen.insert((kind, name, tier), value);
        }
        (seen, described)
    }

    fn counter(seen: &Seen, name: &str, tier: Option<&str>) -> f64 {
        seen[&(
            MetricKind::Counter,
            name.to_owned(),
            tier.map(str::to_owned),
        )]
    }

    fn gauge(seen: &Seen, name: &str, tier: Option<&str>) -> f64 {
        seen[&(MetricKind::Gauge, name.to_owned(), tier.map(str::to_owned))]
    }

    #[test]
    fn smoke() {
        let pool = BytePool::<Stream>::new();
        let a = pool.get(100);
        drop(pool.get(100));
        drop(pool.get(2000));
        drop(pool.get(1 << 20)); // oversize
        let (seen, _) = record(|| bytepool::metrics::publish("pool", &pool));
        let reused = if crate::common::POOLING { 1.0 } else { 0.0 };
        assert_eq!(counter(&seen, "pool_gets_total", Some("1024")), 2.0);
        assert_eq!(counter(&seen, "pool_puts_total", Some("1024")), 1.0);
        assert_eq!(counter(&seen, "pool_hits_total", Some("1024")), 0.0);
        assert_eq!(counter(&seen, "pool_misses_total", Some("1024")), 2.0);
        assert_eq!(counter(&seen, "pool_gets_total", Some("4096")), 1.0);
        assert_eq!(counter(&seen, "pool_gets_total", Some("131072")), 0.0);
        assert_eq!(gauge(&seen, "pool_idle", Some("1024")), reused);
        assert_eq!(gauge(&seen, "pool_idle", Some("4096")), reused);
        assert_eq!(gauge(&seen, "pool_outstanding", None), 1.0);
        assert_eq!(gauge(&seen, "pool_high_water", None), 2.0);
        assert_eq!(gauge(&seen, "pool_idle_bytes", None), reused * 5120.0);
        assert_eq!(counter(&seen, "pool_discarded_total", None), 1.0);
        assert_eq!(counter(&seen, "pool_oversize_total", None), 1.0);
        assert_eq!(counter(&seen, "pool_detached_total", None), 0.0);
        // 5 per tier (6 tiers) and 6 for the pool.
        assert_eq!(seen.len(), 5 * 6 + 6);
        drop(a);
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
        assert_eq!(counter(&seen, "p_gets_total", Some("1024")), 2.0);
        assert_eq!(counter(&seen, "p_puts_total", Some("1024")), 2.0);
        if crate::common::POOLING {
            assert_eq!(counter(&seen, "p_hits_total", Some("1024")), 1.0);
        }
    }

    #[test]
    fn a_typed_pool_and_a_dyn_pool_publish_too() {
        let stats: &dyn PoolStats = Stream::pool();
        let (seen, _) = record(|| bytepool::metrics::publish("dyn", stats));
        assert!(seen.contains_key(&(MetricKind::Gauge, "dyn_outstanding".into(), None)));
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
                    bytepool::metrics::describe("scraped");
                    bytepool::metrics::publish("scraped", &pool);
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
            "# TYPE scraped_gets_total counter",
            "scraped_gets_total{tier=\"1024\"} 1",
            "scraped_gets_total{tier=\"4096\"} 1",
            "scraped_gets_total{tier=\"16384\"} 0",
            "scraped_puts_total{tier=\"4096\"} 1",
            "scraped_misses_total{tier=\"1024\"} 1",
            "# TYPE scraped_idle gauge",
            "# TYPE scraped_outstanding gauge",
            "scraped_outstanding 1",
            "scraped_high_water 2",
            "scraped_discarded_total 0",
            "# HELP scraped_idle_bytes Bytes held in idle buffers.",
        ] {
            assert!(lines.contains(&expected), "no `{expected}` in\n{body}");
        }
        drop(held);
    }

    #[test]
    fn describe_sets_units_and_help() {
        let (_, described) = record(|| {
            bytepool::metrics::describe("d");
            bytepool::metrics::publish("d", &BytePool::<Stream>::new());
        });
        assert_eq!(described.len(), 11, "{described:?}");
        assert_eq!(described["d_idle_bytes"].0, Some(Unit::Bytes));
        assert_eq!(described["d_gets_total"].0, Some(Unit::Count));
        assert!(described["d_outstanding"].1.contains("not yet back"));
    }
}
