//! What every loom model file shares: the pooling switch and the model runner.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Whether blocks are kept idle at all (off under `--features passthrough`).
#[allow(dead_code)] // not every model file asks
pub const POOLING: bool = !cfg!(feature = "passthrough");

/// Runs `f` under every interleaving loom explores, with a preemption bound of 2 unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise, and prints how many executions that took and how long.
pub fn run_model(name: &'static str, f: impl Fn() + Sync + Send + 'static) {
    let start = Instant::now();
    let executions = Arc::new(AtomicUsize::new(0));
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(2);
    }
    let counter = Arc::clone(&executions);
    builder.check(move || {
        counter.fetch_add(1, Ordering::Relaxed);
        f();
    });
    let n = executions.load(Ordering::Relaxed);
    eprintln!(
        "loom model {name}: {n} executions in {:.2?}",
        start.elapsed()
    );
}
