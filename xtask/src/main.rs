//! The project's tools, kept out of the published crates and of `examples/`. Run through the
//! alias in `.cargo/config.toml`:
//!
//! ```text
//! cargo xtask bench-report [CRITERION_DIR [OUT_DIR [EARLIER_RUN...]]]
//! ```
//!
//! - `bench-report`: criterion's results into `docs/bench.md` and `docs/bench.svg` (see
//!   [`bench_report`]).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::{env, process};

mod bench_report;

const USAGE: &str = "\
usage: cargo xtask <task> [ARGS...]

tasks:
  bench-report [CRITERION_DIR [OUT_DIR [EARLIER_RUN...]]]
      criterion's results into OUT_DIR/bench.md and OUT_DIR/bench.svg;
      CRITERION_DIR defaults to target/criterion and OUT_DIR to docs (workspace root)";

fn main() {
    let mut args = env::args_os().skip(1);
    let task = args.next();
    match task.as_deref().map(OsStr::to_string_lossy).as_deref() {
        Some("bench-report") => bench_report::run(&workspace_root(), args.map(PathBuf::from)),
        Some("help" | "-h" | "--help") => println!("{USAGE}"),
        Some(other) => usage_error(&format!("unknown task `{other}`")),
        None => usage_error("no task given"),
    }
}

/// Exits with the status of a usage error, as clap does.
fn usage_error(message: &str) -> ! {
    eprintln!("xtask: {message}\n\n{USAGE}");
    process::exit(2);
}

/// The directory of the workspace's `Cargo.toml`: this package sits one level below it.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// Prints `message` and exits with an error.
fn fail(message: &str) -> ! {
    eprintln!("xtask: {message}");
    process::exit(1);
}
