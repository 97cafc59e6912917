//! `cargo xtask bench-report`: turns criterion's results into a report: `docs/bench.md` (a
//! table per benchmark group with each function's median and its ratios, and the project's
//! targets checked) and `docs/bench.svg` (horizontal bars of the medians on a log scale,
//! labelled with the ratios).
//!
//! ```text
//! cargo bench -p bytepool
//! cargo xtask bench-report [CRITERION_DIR [OUT_DIR [EARLIER_RUN...]]]
//! ```
//!
//! `CRITERION_DIR` defaults to `target/criterion` and `OUT_DIR` to `docs`, both under the
//! workspace root. Each `EARLIER_RUN` is a copy of `target/criterion` saved after an earlier
//! `cargo bench`: every target is then computed within each run and reported as the median of
//! those ratios, with each run's value beside it (a shared machine's noise moves single runs by
//! tens of percent). The per-group tables and the chart show the first run.
//!
//! One concern per module: [`criterion`] reads the results, [`report`] groups them, [`targets`]
//! holds the project's targets, [`markdown`] and [`svg`] write the two files,
//! [`format`](mod@format) prints times and ratios for both.

use std::fs;
use std::path::{Path, PathBuf};

mod criterion;
mod format;
mod markdown;
mod report;
mod svg;
mod targets;

use criterion::Measurement;
use report::Report;

/// Runs the task: `args` are `[CRITERION_DIR [OUT_DIR [EARLIER_RUN...]]]`, the defaults are
/// under `root` (the workspace root).
pub(crate) fn run(root: &Path, mut args: impl Iterator<Item = PathBuf>) {
    let criterion_dir = args
        .next()
        .unwrap_or_else(|| root.join("target").join("criterion"));
    let out_dir = args.next().unwrap_or_else(|| root.join("docs"));

    let mut report = Report::new(read_run(&criterion_dir));
    report.earlier = args.map(|dir| Report::new(read_run(&dir))).collect();
    if let Err(err) = fs::create_dir_all(&out_dir) {
        fail(&format!("creating {}: {err}", out_dir.display()));
    }
    for (name, text) in [("bench.md", report.markdown()), ("bench.svg", report.svg())] {
        let path = out_dir.join(name);
        if let Err(err) = fs::write(&path, text) {
            fail(&format!("writing {}: {err}", path.display()));
        }
        println!("wrote {}", path.display());
    }
}

/// Every result of one `cargo bench` run, or exits with an error.
fn read_run(criterion_dir: &Path) -> Vec<Measurement> {
    match criterion::collect(criterion_dir) {
        Ok(results) if !results.is_empty() => results,
        Ok(_) => fail(&format!(
            "no results under {} (run `cargo bench -p bytepool` first)",
            criterion_dir.display()
        )),
        Err(err) => fail(&format!("reading {}: {err}", criterion_dir.display())),
    }
}

fn fail(message: &str) -> ! {
    crate::fail(&format!("bench-report: {message}"))
}
