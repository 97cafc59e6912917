//! The project's performance targets: which ratios it promises, and how a measured one is
//! shown and judged.

use super::format::{format_ns, format_ratio};
use super::report::Report;

impl Report {
    /// The project's performance targets, measured.
    pub(super) fn targets(&self) -> Vec<Target> {
        let v = |g: &str, f: &str, p: &str| self.value(g, f, p);
        let ratio = |a: Option<f64>, b: Option<f64>| Some(a? / b?);
        let mut t = Vec::new();
        let g = "bytepool_global";
        t.push(Target::at_most(
            "1 thread, 128 B: bytepool ÷ Vec::with_capacity",
            ratio(
                v("round_trip", g, "128"),
                v("round_trip", "Vec::with_capacity", "128"),
            ),
            0.35,
        ));
        t.push(Target::at_most(
            "1 thread, 128 B: bytepool ÷ lockfree-object-pool",
            ratio(
                v("round_trip", g, "128"),
                v("round_trip", "lockfree-object-pool", "128"),
            ),
            0.7,
        ));
        let inst = "bytepool_instance";
        t.push(Target::at_most(
            "1 thread, 128 B: instance pool ÷ process-wide pool",
            ratio(v("round_trip", inst, "128"), v("round_trip", g, "128")),
            1.5,
        ));
        t.push(Target::at_most(
            "1 thread, 128 B: instance pool ÷ Vec::with_capacity",
            ratio(
                v("round_trip", inst, "128"),
                v("round_trip", "Vec::with_capacity", "128"),
            ),
            0.5,
        ));
        for (n, label) in [("65536", "64 KiB"), ("1048576", "1 MiB")] {
            t.push(Target::at_most(
                format!("1 thread, {label}: bytepool ÷ vec![0u8;N]"),
                ratio(v("round_trip", g, n), v("round_trip", "vec![0u8;N]", n)),
                0.01,
            ));
            t.push(Target::at_most(
                format!("1 thread, {label} ÷ 128 B, bytepool (independent of N)"),
                ratio(v("round_trip", g, n), v("round_trip", g, "128")),
                1.5,
            ));
        }
        for n in ["128", "4096", "65536", "1048576"] {
            t.push(Target::at_most(
                format!("refcounted ÷ plain round trip, {n} B"),
                ratio(
                    v("round_trip", "bytepool_refcounted", n),
                    v("round_trip", g, n),
                ),
                2.5,
            ));
        }
        for n in ["128", "65536"] {
            let own = ratio(v("two_threads", g, n), v("round_trip", g, n));
            t.push(Target::at_most(
                format!("2 threads ÷ 1 thread, per thread, bytepool, {n} B"),
                own,
                1.3,
            ));
            // On a machine shared with other work, a second thread also loses time to the
            // other processes: the allocator's own slowdown measures that.
            let base = "Vec::with_capacity";
            t.push(Target::at_most(
                format!("… the same, divided by `{base}`'s own 2 ÷ 1 thread ratio, {n} B"),
                ratio(
                    own,
                    ratio(v("two_threads", base, n), v("round_trip", base, n)),
                ),
                1.3,
            ));
        }
        for (who, f) in [("bytepool", g), ("instance pool", inst)] {
            for n in ["128", "65536"] {
                t.push(Target::at_most(
                    format!("cross-thread, {n} B: {who} ÷ sharded-slab"),
                    ratio(
                        v("cross_thread", f, n),
                        v("cross_thread", "sharded-slab", n),
                    ),
                    0.8,
                ));
            }
        }
        for p in ["timestamp", "message"] {
            t.push(Target::at_most(
                format!("typed pool ({p}): bytepool ÷ lockfree-object-pool"),
                ratio(
                    v("typed", "bytepool_take", p),
                    v("typed", "lockfree-object-pool", p),
                ),
                0.9,
            ));
        }
        t.push(Target::at_most(
            "typed instance pool, Vec<u8> of 1 KiB: Pool::with ÷ lockfree-object-pool",
            ratio(
                v("typed_vec", inst, "1024"),
                v("typed_vec", "lockfree-object-pool", "1024"),
            ),
            0.9,
        ));
        for kind in ["byte_pool", "typed_pool"] {
            t.push(Target {
                label: format!("build + drop an empty instance pool ({kind})"),
                value: v("overhead_build", kind, "empty"),
                goal: Goal::AtMost(2000.0),
                unit: Unit::Ns,
            });
        }
        t.push(Target {
            label: "stats overhead per 128 B round trip (on − off)".to_owned(),
            value: v("overhead_stats", "stats_on", "128")
                .zip(v("overhead_stats", "stats_off", "128"))
                .map(|(on, off)| on - off),
            goal: Goal::AtMost(1.0),
            unit: Unit::Ns,
        });
        for p in ["PowerOfTwo", "Irregular8"] {
            t.push(Target {
                label: format!("tier lookup ({p}): binary search ÷ class_of"),
                value: ratio(
                    v("overhead_lookup", "binary_search", p),
                    v("overhead_lookup", "class_of", p),
                ),
                goal: Goal::AtLeast(2.0),
                unit: Unit::Ratio,
            });
        }
        t
    }
}

/// A checked performance target.
#[derive(Clone)]
pub(super) struct Target {
    pub(super) label: String,
    pub(super) value: Option<f64>,
    pub(super) goal: Goal,
    pub(super) unit: Unit,
}

impl Target {
    fn at_most(label: impl Into<String>, value: Option<f64>, goal: f64) -> Self {
        Target {
            label: label.into(),
            value,
            goal: Goal::AtMost(goal),
            unit: Unit::Ratio,
        }
    }

    pub(super) fn met(&self) -> Option<bool> {
        let v = self.value?;
        Some(match self.goal {
            Goal::AtMost(g) => v <= g,
            Goal::AtLeast(g) => v >= g,
        })
    }
}

#[derive(Clone, Copy)]
pub(super) enum Goal {
    AtMost(f64),
    AtLeast(f64),
}

impl Goal {
    pub(super) fn show(self, unit: Unit) -> String {
        match self {
            Goal::AtMost(g) => format!("≤ {}", unit.show(g)),
            Goal::AtLeast(g) => format!("≥ {}", unit.show(g)),
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum Unit {
    Ratio,
    Ns,
}

impl Unit {
    pub(super) fn show(self, v: f64) -> String {
        match self {
            Unit::Ratio => format_ratio(v),
            Unit::Ns => format_ns(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::criterion::Measurement;
    use super::*;

    #[test]
    fn ratios_within_one_run() {
        let m = Measurement::new;
        let report = Report::new(vec![
            m("round_trip", "Vec::with_capacity", "128", 10.0),
            m("round_trip", "bytepool_global", "128", 3.0),
            m("round_trip", "lockfree-object-pool", "128", 6.0),
            m("round_trip", "vec![0u8;N]", "4096", 100.0),
            m("round_trip", "bytepool_global", "4096", 3.0),
        ]);
        let targets = report.targets();
        assert_eq!(targets[0].value, Some(0.3));
        assert_eq!(targets[0].met(), Some(true));
        assert_eq!(targets[1].value, Some(0.5));
        assert_eq!(targets[2].value, None);
        assert_eq!(targets[2].met(), None);
    }
}
