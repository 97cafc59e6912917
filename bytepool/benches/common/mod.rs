//! What every benchmark file shares.

use std::time::Duration;

use criterion::Criterion;

/// Criterion with a short warm-up, `measure` of measurement and `samples` samples per function:
/// the whole `cargo bench` fits in a few minutes on a 2-core machine.
pub fn config(measure: Duration, samples: usize) -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(measure)
        .sample_size(samples)
}
