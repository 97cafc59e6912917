//! A TCP echo server on tokio whose reads land in pooled buffers and whose writes share them,
//! with a load generator that checks every echoed byte.
//!
//! Each connection reads with `read_buf` into a [`BufferMut`](bytepool::BufferMut) from a
//! `define_tiers!` pool (`BufferMut` implements `bytes::BufMut`, the `bytes` feature), sizing
//! its next read from the last one: a read that filled its buffer moves up a tier, a small one
//! moves down. The filled buffer is frozen into a reference-counted `Buffer` and sent over a
//! channel to the connection's writer task, which writes it back and drops it: the memory goes
//! back to the pool without a copy. The load generator opens many connections at once, sends
//! pseudo-random payloads of 1 B to 64 KiB (sizes spread evenly over the powers of two),
//! compares every echoed byte, shows progress with `indicatif`, and ends with the throughput
//! and the pool's statistics table: after warm-up, gets are hits and `misses` stop growing.
//!
//! ```text
//! cargo run --release --features echo --example echo_server         # server + 32 clients for 3 s
//! cargo run --release --features echo --example echo_server -- --clients 8 --bytes 256MiB
//! cargo run --release --features echo --example echo_server -- --serve --addr 127.0.0.1:7000 --seconds 60
//! cargo run --release --features echo --example echo_server -- --client --addr 127.0.0.1:7000
//! ```
//!
//! `tests/test_echo.rs` includes this file as a module and drives [`server`] and [`client`]
//! with its own tier type.

fn main() {
    if let Err(err) = cli::main() {
        eprintln!("echo_server: {err}");
        std::process::exit(1);
    }
}

/// The echo server: pooled reads, shared writes.
pub mod server {
    use std::io;
    use std::time::Duration;

    use bytepool::{Buffer, BytePool, Tiers};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::{mpsc, watch};
    use tokio::task::JoinSet;

    /// Buffers a connection's reader may queue for its writer before it waits.
    const QUEUE: usize = 8;

    /// What a server did, once it has stopped.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct ServerReport {
        /// Connections accepted.
        pub connections: u64,
        /// Bytes read and written back.
        pub bytes: u64,
        /// Connections that ended with an error (each printed to stderr), and failed accepts.
        pub errors: u64,
    }

    /// Accepts connections on `listener` and echoes them with buffers from `pool` until `stop`
    /// becomes `true` (or its sender drops); then closes the open connections, waits for
    /// every connection task and returns the totals.
    pub async fn serve<T: Tiers>(
        listener: TcpListener,
        pool: &'static BytePool<T>,
        mut stop: watch::Receiver<bool>,
    ) -> ServerReport {
        let mut report = ServerReport::default();
        let mut connections = JoinSet::new();
        let connection_stop = stop.clone();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((socket, _peer)) => {
                        report.connections += 1;
                        connections.spawn(echo(socket, pool, connection_stop.clone()));
                    }
                    Err(err) => {
                        // Out of file descriptors, usually: give connections time to close.
                        eprintln!("accept: {err}");
                        report.errors += 1;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                },
                Some(done) = connections.join_next() => tally(&mut report, done),
                () = stopped(&mut stop) => break,
            }
        }
        while let Some(done) = connections.join_next().await {
            tally(&mut report, done);
        }
        report
    }

    /// Waits until `stop` is `true` or its sender is gone.
    async fn stopped(stop: &mut watch::Receiver<bool>) {
        // The guard `wait_for` returns is not `Send`: drop it here, not across an await.
        let _ = stop.wait_for(|&stop| stop).await;
    }

    fn tally(report: &mut ServerReport, done: Result<io::Result<u64>, tokio::task::JoinError>) {
        match done {
            Ok(Ok(bytes)) => report.bytes += bytes,
            Ok(Err(err)) => {
                eprintln!("connection: {err}");
                report.errors += 1;
            }
            Err(err) => {
                eprintln!("connection task: {err}");
                report.errors += 1;
            }
        }
    }

    /// Echoes one connection until the peer closes it or `stop` becomes `true`; returns the
    /// bytes echoed. The reader reads into pooled buffers and hands them, frozen, to a writer
    /// task; the writer drops each one once it is written, which returns it to the pool.
    async fn echo<T: Tiers>(
        socket: TcpStream,
        pool: &'static BytePool<T>,
        mut stop: watch::Receiver<bool>,
    ) -> io::Result<u64> {
        socket.set_nodelay(true)?;
        let (mut reader, mut writer) = socket.into_split();
        let (queue, mut queued) = mpsc::channel::<Buffer>(QUEUE);
        let writer = tokio::spawn(async move {
            while let Some(buf) = queued.recv().await {
                writer.write_all(&buf).await?;
            }
            writer.shutdown().await
        });

        let sizes = pool.tier_sizes();
        let mut tier = 0;
        let mut echoed = 0;
        let read = loop {
            let mut buf = pool.with_capacity(sizes[tier]);
            let n = tokio::select! {
                read = reader.read_buf(&mut buf) => match read {
                    Ok(0) => break Ok(()),
                    Ok(n) => n,
                    Err(err) => break Err(err),
                },
                () = stopped(&mut stop) => break Ok(()),
            };
            echoed += n as u64;
            tier = next_tier(sizes, tier, n);
            if queue.send(buf.freeze()).await.is_err() {
                break Ok(()); // the writer failed: its error is returned below
            }
        };
        drop(queue); // the writer sends what is queued, then closes its half
        let written = writer.await.map_err(io::Error::other)?;
        read.and(written).map(|()| echoed)
    }

    /// The tier for the next read after one of `n` bytes into a buffer of tier `tier`: up one
    /// when the read filled it, down one when it would have fit twice in the tier below.
    fn next_tier(sizes: &[usize], tier: usize, n: usize) -> usize {
        if n == sizes[tier] && tier + 1 < sizes.len() {
            tier + 1
        } else if tier > 0 && n <= sizes[tier - 1] / 2 {
            tier - 1
        } else {
            tier
        }
    }
}

/// The load generator: concurrent connections, pseudo-random payloads, every byte checked.
pub mod client {
    use std::io;
    use std::net::SocketAddr;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use indicatif::ProgressBar;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;
    use tokio::task::JoinSet;

    /// When the load stops.
    #[derive(Clone, Copy, Debug)]
    pub enum Limit {
        /// After this long (requests in flight finish).
        Time(Duration),
        /// After this many bytes, in total over all connections, have been echoed.
        Bytes(u64),
    }

    /// A load to generate.
    #[derive(Clone, Debug)]
    pub struct Load {
        /// The echo server.
        pub addr: SocketAddr,
        /// Connections, each with one request in flight at a time.
        pub clients: usize,
        /// When to stop.
        pub limit: Limit,
        /// The largest payload; sizes are spread evenly over the powers of two up to it.
        pub max_payload: usize,
        /// Seeds the payload sizes and contents (each connection gets its own stream).
        pub seed: u64,
    }

    /// What a load did.
    #[derive(Clone, Copy, Debug, Default)]
    pub struct LoadReport {
        /// Payloads sent and echoed back intact.
        pub requests: u64,
        /// Bytes sent (and as many received and checked).
        pub bytes: u64,
        /// From the first connect to the last connection closed.
        pub elapsed: Duration,
    }

    impl LoadReport {
        /// Echoed mebibytes per second (one direction).
        pub fn mib_per_sec(&self) -> f64 {
            self.bytes as f64 / (1 << 20) as f64 / self.elapsed.as_secs_f64()
        }
    }

    /// Runs `load` against its server, advancing `progress` by every byte echoed.
    ///
    /// # Errors
    /// The first error of any connection (the others run to the limit): a connect or I/O
    /// failure, or `InvalidData` when an echoed byte differs from the byte sent or the server
    /// sends more than it received.
    pub async fn run(load: &Load, progress: &ProgressBar) -> io::Result<LoadReport> {
        assert!(load.max_payload > 0, "payloads need at least one byte");
        let start = Instant::now();
        let budget = Arc::new(Budget::new(load.limit, start));
        let requests = Arc::new(AtomicU64::new(0));
        let mut clients = JoinSet::new();
        for id in 0..load.clients {
            let rng = Rng::new(load.seed ^ (id as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let (budget, requests) = (Arc::clone(&budget), Arc::clone(&requests));
            let progress = progress.clone();
            let (addr, max_payload) = (load.addr, load.max_payload);
            clients.spawn(async move {
                connection(addr, id, rng, max_payload, &budget, &progress, &requests).await
            });
        }

        let mut report = LoadReport::default();
        let mut first_error = None;
        let mut ticker = tokio::time::interval(Duration::from_millis(200));
        loop {
            tokio::select! {
                done = clients.join_next() => match done {
                    None => break,
                    Some(Ok(Ok((done_requests, done_bytes)))) => {
                        report.requests += done_requests;
                        report.bytes += done_bytes;
                    }
                    Some(Ok(Err(err))) => {
                        first_error.get_or_insert(err);
                    }
                    Some(Err(err)) => {
                        first_error.get_or_insert(io::Error::other(err));
                    }
                },
                _ = ticker.tick() => {
                    progress.set_message(format!("{} requests", requests.load(Ordering::Relaxed)));
                }
            }
        }
        report.elapsed = start.elapsed();
        progress.set_message(format!("{} requests", report.requests));
        first_error.map_or(Ok(report), Err)
    }

    /// One connection: request after request until the budget runs out; returns the requests
    /// and bytes echoed.
    async fn connection(
        addr: SocketAddr,
        id: usize,
        mut rng: Rng,
        max_payload: usize,
        budget: &Budget,
        progress: &ProgressBar,
        requests: &AtomicU64,
    ) -> io::Result<(u64, u64)> {
        let mut stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (mut reader, mut writer) = stream.split();
        let mut sent = Vec::with_capacity(max_payload);
        let mut echo = vec![0; max_payload];
        let (mut done_requests, mut done_bytes) = (0, 0);
        loop {
            let len = budget.take(rng.payload_len(max_payload));
            if len == 0 {
                break;
            }
            sent.resize(len, 0);
            rng.fill(&mut sent);
            let echo = &mut echo[..len];
            // Read while writing: the server echoes as it reads, and a payload larger than the
            // sockets' buffers would otherwise deadlock.
            tokio::try_join!(writer.write_all(&sent), reader.read_exact(echo))?;
            if sent != *echo {
                let at = sent.iter().zip(echo.iter()).position(|(a, b)| a != b);
                let at = at.unwrap_or_default();
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "connection {id}: byte {at} of a {len}-byte payload came back as {:#04x}, \
                         sent {:#04x}",
                        echo[at], sent[at]
                    ),
                ));
            }
            done_requests += 1;
            done_bytes += len as u64;
            progress.inc(len as u64);
            requests.fetch_add(1, Ordering::Relaxed);
        }
        // Close our half; the server closes its half once it has echoed everything, and
        // nothing more may arrive before that.
        writer.shutdown().await?;
        let extra = reader.read(&mut echo).await?;
        if extra > 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("connection {id}: {extra} bytes more than were sent came back"),
            ));
        }
        Ok((done_requests, done_bytes))
    }

    /// The load's remaining time or bytes, shared by its connections.
    struct Budget {
        deadline: Option<Instant>,
        bytes_left: Option<AtomicU64>,
    }

    impl Budget {
        fn new(limit: Limit, start: Instant) -> Self {
            match limit {
                Limit::Time(duration) => Budget {
                    deadline: Some(start + duration),
                    bytes_left: None,
                },
                Limit::Bytes(bytes) => Budget {
                    deadline: None,
                    bytes_left: Some(AtomicU64::new(bytes)),
                },
            }
        }

        /// How many bytes the next payload may have, at most `want`; 0 when the load is over.
        fn take(&self, want: usize) -> usize {
            if self
                .deadline
                .is_some_and(|deadline| Instant::now() >= deadline)
            {
                return 0;
            }
            let Some(left) = &self.bytes_left else {
                return want;
            };
            let want = want as u64;
            let (Ok(before) | Err(before)) =
                left.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                    Some(left - left.min(want))
                });
            before.min(want) as usize
        }
    }

    /// xorshift64*: fast, deterministic, plenty for payloads.
    #[derive(Clone, Debug)]
    struct Rng(u64);

    impl Rng {
        fn new(seed: u64) -> Self {
            Rng(seed | 1) // never the all-zero state
        }

        fn next_u64(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next_u64() % n
        }

        /// A length in `1..=max`: a power of two picked uniformly, then a length uniformly in
        /// its octave.
        fn payload_len(&mut self, max: usize) -> usize {
            let octave = self.below(u64::from(max.ilog2()) + 1);
            let low = 1 << octave;
            (low + self.below(low)).min(max as u64) as usize
        }

        fn fill(&mut self, bytes: &mut [u8]) {
            for chunk in bytes.chunks_mut(8) {
                chunk.copy_from_slice(&self.next_u64().to_le_bytes()[..chunk.len()]);
            }
        }
    }
}

/// The command line: the demo (server and load in one process), `--serve` or `--client`.
mod cli {
    use std::error::Error;
    use std::net::{Ipv4Addr, SocketAddr};
    use std::time::Duration;

    use bytepool::PoolStats;
    use indicatif::{ProgressBar, ProgressStyle};
    use tokio::net::TcpListener;
    use tokio::sync::watch;

    use super::client::{self, Limit, Load, LoadReport};
    use super::server::{self, ServerReport};

    bytepool::define_tiers! {
        /// Read buffers: a connection starts at 4 KiB and moves up while its reads fill them.
        EchoTiers = [4KiB, 16KiB, 64KiB];
    }

    const USAGE: &str = "\
usage: echo_server [--serve | --client] [--addr ADDR] [--clients N]
                   [--seconds S | --bytes N[KiB|MiB|GiB]] [--max-payload N[KiB|MiB]]
  (default)  a server on --addr (127.0.0.1:0) and --clients (32) connections to it, for 3 s
  --serve    only the server; it stops after --seconds if given, else when killed
  --client   only the load generator, against the server at --addr";

    enum Mode {
        Demo,
        Serve,
        Client,
    }

    struct Args {
        mode: Mode,
        addr: Option<SocketAddr>,
        clients: usize,
        limit: Option<Limit>,
        max_payload: usize,
    }

    pub(super) fn main() -> Result<(), Box<dyn Error>> {
        let args = parse_args()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(run(args))
    }

    async fn run(args: Args) -> Result<(), Box<dyn Error>> {
        let limit = args.limit.unwrap_or(Limit::Time(Duration::from_secs(3)));
        let load = |addr| Load {
            addr,
            clients: args.clients,
            limit,
            max_payload: args.max_payload,
            seed: 0x5eed,
        };
        if let Mode::Client = args.mode {
            let addr = args.addr.ok_or("`--client` needs the server's `--addr`")?;
            return generate(&load(addr)).await;
        }

        let pool = EchoTiers::pool();
        let listener =
            TcpListener::bind(args.addr.unwrap_or((Ipv4Addr::LOCALHOST, 0).into())).await?;
        let addr = listener.local_addr()?;
        println!("echo server listening on {addr}");
        let (stop, stopped) = watch::channel(false);
        let server = tokio::spawn(server::serve(listener, pool, stopped));
        let generated = match args.mode {
            Mode::Serve => {
                match args.limit {
                    Some(Limit::Time(duration)) => tokio::time::sleep(duration).await,
                    _ => std::future::pending().await,
                }
                Ok(())
            }
            _ => generate(&load(addr)).await,
        };
        stop.send_replace(true);
        print_server(&server.await?);
        println!("{}", pool.stats());
        generated
    }

    /// Runs a load with a progress bar and prints its throughput.
    async fn generate(load: &Load) -> Result<(), Box<dyn Error>> {
        let progress = progress_bar(load.limit);
        let report = client::run(load, &progress).await;
        progress.finish_and_clear();
        print_load(load, &report?);
        Ok(())
    }

    fn progress_bar(limit: Limit) -> ProgressBar {
        let (bar, template) = match limit {
            Limit::Bytes(total) => (
                ProgressBar::new(total),
                "{bar:20} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {msg}",
            ),
            Limit::Time(_) => (
                ProgressBar::new_spinner(),
                "{spinner} {elapsed} {binary_bytes} echoed, {binary_bytes_per_sec} {msg}",
            ),
        };
        bar.set_style(ProgressStyle::with_template(template).expect("a valid template"));
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }

    fn print_load(load: &Load, report: &LoadReport) {
        let seconds = report.elapsed.as_secs_f64();
        println!(
            "echoed {:.1} MiB in {seconds:.2} s over {} connections: {:.1} MiB/s, {} requests \
             ({:.0}/s), every byte checked",
            report.bytes as f64 / (1 << 20) as f64,
            load.clients,
            report.mib_per_sec(),
            report.requests,
            report.requests as f64 / seconds,
        );
    }

    fn print_server(report: &ServerReport) {
        println!(
            "server: {} connections, {:.1} MiB echoed, {} errors",
            report.connections,
            report.bytes as f64 / (1 << 20) as f64,
            report.errors
        );
    }

    fn parse_args() -> Result<Args, String> {
        let mut args = Args {
            mode: Mode::Demo,
            addr: None,
            clients: 32,
            limit: None,
            max_payload: 64 << 10,
        };
        let mut argv = std::env::args().skip(1);
        while let Some(flag) = argv.next() {
            let mut value = || {
                argv.next()
                    .ok_or(format!("`{flag}` needs a value\n{USAGE}"))
            };
            match flag.as_str() {
                "--serve" => args.mode = Mode::Serve,
                "--client" => args.mode = Mode::Client,
                "--addr" => args.addr = Some(parse(&flag, &value()?)?),
                "--clients" => args.clients = parse(&flag, &value()?)?,
                "--seconds" => {
                    let seconds = Duration::try_from_secs_f64(parse(&flag, &value()?)?);
                    let seconds = seconds.map_err(|err| format!("`--seconds`: {err}"))?;
                    args.limit = Some(Limit::Time(seconds));
                }
                "--bytes" => args.limit = Some(Limit::Bytes(parse_size(&flag, &value()?)?)),
                "--max-payload" => {
                    let max = parse_size(&flag, &value()?)?;
                    args.max_payload = usize::try_from(max)
                        .ok()
                        .filter(|&max| max > 0)
                        .ok_or("`--max-payload` must be at least 1")?;
                }
                "-h" | "--help" => {
                    println!("{USAGE}");
                    std::process::exit(0);
                }
                _ => return Err(format!("unknown argument `{flag}`\n{USAGE}")),
            }
        }
        if let (Mode::Serve, Some(Limit::Bytes(_))) = (&args.mode, args.limit) {
            return Err("`--serve` stops after `--seconds`, not `--bytes`".into());
        }
        Ok(args)
    }

    fn parse<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String>
    where
        T::Err: std::fmt::Display,
    {
        value
            .parse()
            .map_err(|err| format!("`{flag} {value}`: {err}"))
    }

    /// A byte count with an optional `KiB`, `MiB` or `GiB` suffix.
    fn parse_size(flag: &str, value: &str) -> Result<u64, String> {
        let units = [
            ("GiB", 1 << 30),
            ("MiB", 1 << 20),
            ("KiB", 1 << 10),
            ("", 1),
        ];
        let (number, unit) = units
            .iter()
            .find_map(|&(suffix, unit)| Some((value.strip_suffix(suffix)?, unit)))
            .unwrap_or((value, 1));
        let number: u64 = parse(flag, number)?;
        number
            .checked_mul(unit)
            .ok_or_else(|| format!("`{flag} {value}`: too large"))
    }
}
