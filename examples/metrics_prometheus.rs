//! Serving a pool's statistics to Prometheus: the `metrics` feature with
//! `metrics-exporter-prometheus`.
//!
//! A relay thread takes packet buffers from a `define_tiers!` pool while a small HTTP server on
//! 127.0.0.1 answers `GET /metrics`: each scrape publishes a fresh snapshot of the pool with
//! `bytepool::metrics::publish` and renders the Prometheus text format: per-tier
//! `bytepool_gets_total{pool="relay",tier="1500"}` and friends, `bytepool_idle_bytes{…}`,
//! `bytepool_outstanding_buffers{pool="relay"}`, … (every pool shares the names; the `pool`
//! label tells them apart). The server is plain `std::net` (the exporter is used without its
//! own HTTP listener).
//!
//! By default the example scrapes itself once, prints the page and exits. With `--serve`, it
//! keeps serving on 127.0.0.1:9898 until stopped:
//!
//! ```text
//! cargo run --example metrics_prometheus --features metrics
//! cargo run --example metrics_prometheus --features metrics -- --serve
//! curl http://127.0.0.1:9898/metrics
//! ```

fn main() -> std::io::Result<()> {
    prometheus::main()
}

mod prometheus {
    use std::io::{self, BufRead, BufReader, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::thread;
    use std::time::Duration;

    use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

    bytepool::define_tiers! {
        /// Size classes for a UDP relay.
        pub PacketTiers = [64, 256, 1500, 9000];
    }

    /// The pool's `pool` label.
    const POOL: &str = "relay";

    pub(crate) fn main() -> io::Result<()> {
        let serve = std::env::args().any(|arg| arg == "--serve");
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder).expect("the only recorder");
        bytepool::metrics::describe();

        // Some traffic: a relay that keeps a few packets in flight.
        let done = AtomicBool::new(false);
        thread::scope(|scope| {
            scope.spawn(|| relay(&done));
            let listener = TcpListener::bind(if serve {
                "127.0.0.1:9898"
            } else {
                "127.0.0.1:0"
            })?;
            let addr = listener.local_addr()?;
            if serve {
                eprintln!("serving http://{addr}/metrics (Ctrl-C to stop)");
                for stream in listener.incoming() {
                    if let Err(err) = answer(stream?, &handle) {
                        eprintln!("scrape failed: {err}");
                    }
                }
            } else {
                thread::sleep(Duration::from_millis(100)); // let the relay run a little
                let server = scope.spawn(move || answer(listener.accept()?.0, &handle));
                let page = scrape(&addr.to_string())?;
                server.join().expect("the server thread")?;
                print!("{page}");
            }
            done.store(true, Ordering::Relaxed);
            Ok(())
        })
    }

    /// Relays packets of assorted sizes until `done`.
    fn relay(done: &AtomicBool) {
        let pool = PacketTiers::pool();
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut in_flight = Vec::new();
        while !done.load(Ordering::Relaxed) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = match seed % 100 {
                0..=59 => 20 + (seed >> 32) as usize % 200,
                60..=97 => 500 + (seed >> 32) as usize % 1000,
                _ => 9000 + (seed >> 32) as usize % 3000, // some above the largest tier
            };
            in_flight.push(pool.get(len));
            if in_flight.len() > 16 {
                drop(in_flight.swap_remove((seed >> 40) as usize % in_flight.len()));
            }
            thread::yield_now();
        }
    }

    /// Answers one HTTP request: `GET /metrics` publishes a fresh snapshot and renders it.
    fn answer(stream: TcpStream, handle: &PrometheusHandle) -> io::Result<()> {
        let mut reader = BufReader::new(stream.try_clone()?);
        let mut request_line = String::new();
        reader.read_line(&mut request_line)?;
        // Skip the headers.
        let mut line = String::new();
        while reader.read_line(&mut line)? > 2 {
            line.clear();
        }
        let (status, body) = if request_line.starts_with("GET /metrics ") {
            bytepool::metrics::publish(POOL, PacketTiers::pool());
            ("200 OK", handle.render())
        } else {
            ("404 Not Found", "try /metrics\n".to_owned())
        };
        let mut stream = stream;
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        stream.flush()
    }

    /// What Prometheus does: fetches `/metrics` and returns the body.
    fn scrape(addr: &str) -> io::Result<String> {
        let mut stream = TcpStream::connect(addr)?;
        write!(
            stream,
            "GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        Ok(body.to_owned())
    }
}
