//! Results grouped for the report: one `Group` per criterion group, with its subject (the
//! function the project sells) and baseline, and the groups the project knows in a fixed order.

use std::collections::BTreeMap;

use super::criterion::Measurement;

/// How one group is read: the function the project sells, and the baseline every row is
/// divided by.
struct GroupSpec {
    group: &'static str,
    subject: &'static str,
    baseline: &'static str,
    about: &'static str,
    /// How the chart names a parameter: `{}` is replaced by it.
    parameter: &'static str,
}

const GROUPS: &[GroupSpec] = &[
    GroupSpec {
        group: "round_trip",
        subject: "bytepool_global",
        baseline: "Vec::with_capacity",
        about: "One thread: get N bytes, write one byte, give them back. Parameter: N.",
        parameter: "N = {} B",
    },
    GroupSpec {
        group: "two_threads",
        subject: "bytepool_global",
        baseline: "Vec::with_capacity",
        about: "Two threads doing their own round trips on one shared pool; time per round trip \
                of one thread. Parameter: N.",
        parameter: "N = {} B",
    },
    GroupSpec {
        group: "cross_thread",
        subject: "bytepool_global",
        baseline: "Vec::with_capacity",
        about: "Thread A takes, a bounded crossbeam channel carries, thread B gives back; time per buffer. \
                Parameter: N.",
        parameter: "N = {} B",
    },
    GroupSpec {
        group: "typed",
        subject: "bytepool_take",
        baseline: "Box::new",
        about: "Take a `LogEntry`, fill it, give it back. Parameter: what is filled.",
        parameter: "fill: {}",
    },
    GroupSpec {
        group: "typed_vec",
        subject: "bytepool_instance",
        baseline: "Vec::with_capacity",
        about: "Take a `Vec<u8>` of capacity N from an instance pool built with \
                `Pool::with(|| Vec::with_capacity(N), Vec::clear)`, write 64 bytes, give it back.",
        parameter: "N = {} B",
    },
    GroupSpec {
        group: "overhead_build",
        subject: "byte_pool",
        baseline: "typed_pool",
        about: "Build an instance pool and drop it: unused (`empty`), or after one get and its \
                release (`one_get`), which makes the thread's slot.",
        parameter: "{}",
    },
    GroupSpec {
        group: "overhead_stats",
        subject: "stats_on",
        baseline: "stats_off",
        about: "128 B round trip with statistics on and compiled out.",
        parameter: "N = {} B",
    },
    GroupSpec {
        group: "overhead_lookup",
        subject: "class_of",
        baseline: "binary_search",
        about: "Tier lookup of pseudo-random lengths, per lookup. Parameter: the tier list.",
        parameter: "tiers: {}",
    },
    GroupSpec {
        group: "scaling",
        subject: "bytepool_global",
        baseline: "Vec::with_capacity",
        about: "128 B round trip on every one of T threads; time per round trip of one thread. \
                Parameter: T.",
        parameter: "{} threads",
    },
];

/// One group's results: `cells[function][parameter]`.
pub(super) struct Group {
    pub(super) name: String,
    pub(super) parameter_label: &'static str,
    pub(super) subject: String,
    pub(super) baseline: String,
    pub(super) about: String,
    /// Function names, subject first, then the baseline, then the others by their first median.
    pub(super) functions: Vec<String>,
    /// Parameters, numerically when they are all numbers.
    pub(super) parameters: Vec<String>,
    pub(super) cells: BTreeMap<String, BTreeMap<String, Measurement>>,
}

impl Group {
    pub(super) fn get(&self, function: &str, parameter: &str) -> Option<f64> {
        self.cells
            .get(function)?
            .get(parameter)
            .map(Measurement::per_unit)
    }

    pub(super) fn per_element(&self) -> bool {
        self.cells
            .values()
            .flat_map(BTreeMap::values)
            .any(|m| m.elements.is_some_and(|n| n > 1))
    }
}

pub(super) struct Report {
    pub(super) groups: Vec<Group>,
    /// Earlier runs of the same benchmarks: targets are reported as medians over all runs.
    pub(super) earlier: Vec<Report>,
}

impl Report {
    pub(super) fn new(results: Vec<Measurement>) -> Self {
        let mut by_group: BTreeMap<String, Vec<Measurement>> = BTreeMap::new();
        for m in results {
            by_group.entry(m.group.clone()).or_default().push(m);
        }
        let mut groups: Vec<Group> = by_group
            .into_iter()
            .map(|(name, results)| Self::group(name, results))
            .collect();
        // Known groups in the order of `GROUPS`, then the others by name.
        groups.sort_by_key(|g| {
            GROUPS
                .iter()
                .position(|s| s.group == g.name)
                .unwrap_or(GROUPS.len())
        });
        Report {
            groups,
            earlier: Vec::new(),
        }
    }

    fn group(name: String, results: Vec<Measurement>) -> Group {
        let mut cells: BTreeMap<String, BTreeMap<String, Measurement>> = BTreeMap::new();
        let mut parameters: Vec<String> = Vec::new();
        for m in results {
            if !parameters.contains(&m.parameter) {
                parameters.push(m.parameter.clone());
            }
            cells
                .entry(m.function.clone())
                .or_default()
                .insert(m.parameter.clone(), m);
        }
        if parameters.iter().all(|p| p.parse::<f64>().is_ok()) {
            parameters.sort_by(|a, b| {
                let (a, b) = (
                    a.parse::<f64>().unwrap_or(0.0),
                    b.parse::<f64>().unwrap_or(0.0),
                );
                a.total_cmp(&b)
            });
        } else {
            parameters.sort();
        }
        let spec = GROUPS.iter().find(|s| s.group == name);
        let subject = spec.map_or_else(
            || {
                cells
                    .keys()
                    .find(|f| f.starts_with("bytepool"))
                    .or_else(|| cells.keys().next())
                    .cloned()
                    .unwrap_or_default()
            },
            |s| s.subject.to_owned(),
        );
        let baseline = spec.map_or_else(
            || {
                ["Vec::with_capacity", "Box::new"]
                    .into_iter()
                    .find(|b| cells.contains_key(*b))
                    .map_or_else(|| subject.clone(), str::to_owned)
            },
            |s| s.baseline.to_owned(),
        );
        let first = |f: &String| {
            parameters
                .iter()
                .find_map(|p| cells[f].get(p))
                .map_or(f64::INFINITY, Measurement::per_unit)
        };
        let mut functions: Vec<String> = cells.keys().cloned().collect();
        functions.sort_by(|a, b| {
            let rank = |f: &String| match f {
                f if *f == subject => 0,
                f if *f == baseline => 1,
                _ => 2,
            };
            rank(a).cmp(&rank(b)).then(first(a).total_cmp(&first(b)))
        });
        Group {
            about: spec.map_or_else(String::new, |s| s.about.to_owned()),
            parameter_label: spec.map_or("{}", |s| s.parameter),
            name,
            subject,
            baseline,
            functions,
            parameters,
            cells,
        }
    }

    pub(super) fn find(&self, group: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == group)
    }

    /// A value of one benchmark, per element where declared.
    pub(super) fn value(&self, group: &str, function: &str, parameter: &str) -> Option<f64> {
        self.find(group)?.get(function, parameter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_first_then_baseline_then_peers() {
        let m = Measurement::new;
        let report = Report::new(vec![
            m("round_trip", "Vec::with_capacity", "4096", 10.0),
            m("round_trip", "lockfree-object-pool", "128", 6.0),
            m("round_trip", "bytepool_global", "128", 3.0),
            m("round_trip", "Vec::with_capacity", "128", 10.0),
            m("zz_other", "a", "x", 1.0),
            m("typed", "Box::new", "message", 1.0),
        ]);
        let names: Vec<&str> = report.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["round_trip", "typed", "zz_other"]);
        let g = report.find("round_trip").unwrap();
        assert_eq!(
            g.functions,
            [
                "bytepool_global",
                "Vec::with_capacity",
                "lockfree-object-pool"
            ]
        );
        assert_eq!(g.parameters, ["128", "4096"]);
        assert_eq!(
            report.value("round_trip", "bytepool_global", "128"),
            Some(3.0)
        );
        assert_eq!(report.value("round_trip", "bytepool_global", "4096"), None);
    }
}
