//! Turns criterion's results into a report: `docs/bench.md` (a table per benchmark group with
//! each function's median and its ratios, and the project's targets checked) and
//! `docs/bench.svg` (horizontal bars of the medians on a log scale, labelled with the ratios).
//!
//! ```text
//! cargo bench -p bytepool
//! cargo run --release --example bench_report [-- CRITERION_DIR [OUT_DIR [EARLIER_RUN...]]]
//! ```
//!
//! `CRITERION_DIR` defaults to `target/criterion` and `OUT_DIR` to `docs`, both under the
//! workspace root. Each `EARLIER_RUN` is a copy of `target/criterion` saved after an earlier
//! `cargo bench`: every target is then computed within each run and reported as the median of
//! those ratios, with each run's value beside it (a shared machine's noise moves single runs by
//! tens of percent). The per-group tables and the chart show the first run. Each result is read from `<group>/<function>/<parameter>/new/`:
//! `benchmark.json` for the names (criterion mangles them in directory names) and
//! `estimates.json` for `median.point_estimate`, in nanoseconds per iteration. Benchmarks that
//! declare a throughput in elements are shown per element. Only std: the JSON is parsed by the
//! small parser below.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs, process};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args = env::args_os().skip(1);
    let criterion_dir = args
        .next()
        .map_or_else(|| root.join("target").join("criterion"), PathBuf::from);
    let out_dir = args.next().map_or_else(|| root.join("docs"), PathBuf::from);

    let mut report = Report::new(read_run(&criterion_dir));
    report.earlier = args
        .map(|dir| Report::new(read_run(Path::new(&dir))))
        .collect();
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
    match collect(criterion_dir) {
        Ok(results) if !results.is_empty() => results,
        Ok(_) => fail(&format!(
            "no results under {} (run `cargo bench -p bytepool` first)",
            criterion_dir.display()
        )),
        Err(err) => fail(&format!("reading {}: {err}", criterion_dir.display())),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("bench_report: {message}");
    process::exit(1);
}

// ---------------------------------------------------------------------------------------------
// Reading criterion's output
// ---------------------------------------------------------------------------------------------

/// One benchmark's result.
#[derive(Debug, Clone, PartialEq)]
struct Measurement {
    group: String,
    function: String,
    parameter: String,
    /// The median, in nanoseconds per iteration.
    median_ns: f64,
    /// Elements per iteration, when the benchmark declared them.
    elements: Option<u64>,
}

impl Measurement {
    /// The median per element (per iteration when no throughput was declared).
    fn per_unit(&self) -> f64 {
        match self.elements {
            Some(n) if n > 1 => self.median_ns / n as f64,
            _ => self.median_ns,
        }
    }
}

/// Every `new/` result under `dir`, in no particular order.
fn collect(dir: &Path) -> Result<Vec<Measurement>, String> {
    let mut found = Vec::new();
    walk(dir, dir, &mut found)?;
    Ok(found)
}

fn walk(root: &Path, dir: &Path, found: &mut Vec<Measurement>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| e.to_string())?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if !path.is_dir() {
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "new" && path.join("estimates.json").is_file() {
            let measurement =
                read_result(root, &path).map_err(|e| format!("{}: {e}", path.display()))?;
            found.push(measurement);
        } else if name != "report" && name != "base" && name != "change" {
            walk(root, &path, found)?;
        }
    }
    Ok(())
}

/// Reads one `new/` directory: names from `benchmark.json` (or, without it, from the path),
/// the median from `estimates.json`.
fn read_result(root: &Path, new_dir: &Path) -> Result<Measurement, String> {
    let estimates =
        fs::read_to_string(new_dir.join("estimates.json")).map_err(|e| e.to_string())?;
    let median_ns = median_ns(&estimates)?;
    match fs::read_to_string(new_dir.join("benchmark.json")) {
        Ok(text) => {
            let mut m = benchmark_ids(&text)?;
            m.median_ns = median_ns;
            Ok(m)
        }
        Err(_) => {
            // `<group>/<function>/<parameter>/new`, fewer levels for unparameterised ones.
            let rel = new_dir
                .parent()
                .unwrap_or(new_dir)
                .strip_prefix(root)
                .unwrap_or(new_dir);
            let parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            let part = |i: usize| parts.get(i).cloned().unwrap_or_default();
            Ok(Measurement {
                group: part(0),
                function: part(1),
                parameter: part(2),
                median_ns,
                elements: None,
            })
        }
    }
}

/// `median.point_estimate` of an `estimates.json`.
fn median_ns(estimates: &str) -> Result<f64, String> {
    json::parse(estimates)?
        .path(&["median", "point_estimate"])
        .and_then(json::Value::as_f64)
        .ok_or_else(|| "no `median.point_estimate` number".to_owned())
}

/// The names and throughput of a `benchmark.json` (median left at 0).
fn benchmark_ids(benchmark: &str) -> Result<Measurement, String> {
    let value = json::parse(benchmark)?;
    let text = |key: &str| {
        value
            .path(&[key])
            .and_then(json::Value::as_str)
            .map(str::to_owned)
    };
    let group = text("group_id").ok_or("no `group_id` string")?;
    Ok(Measurement {
        group,
        function: text("function_id").unwrap_or_default(),
        parameter: text("value_str").unwrap_or_default(),
        median_ns: 0.0,
        elements: value
            .path(&["throughput", "Elements"])
            .and_then(json::Value::as_f64)
            .map(|n| n as u64),
    })
}

// ---------------------------------------------------------------------------------------------
// The report
// ---------------------------------------------------------------------------------------------

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
struct Group {
    name: String,
    parameter_label: &'static str,
    subject: String,
    baseline: String,
    about: String,
    /// Function names, subject first, then the baseline, then the others by their first median.
    functions: Vec<String>,
    /// Parameters, numerically when they are all numbers.
    parameters: Vec<String>,
    cells: BTreeMap<String, BTreeMap<String, Measurement>>,
}

impl Group {
    fn get(&self, function: &str, parameter: &str) -> Option<f64> {
        self.cells
            .get(function)?
            .get(parameter)
            .map(Measurement::per_unit)
    }

    fn per_element(&self) -> bool {
        self.cells
            .values()
            .flat_map(BTreeMap::values)
            .any(|m| m.elements.is_some_and(|n| n > 1))
    }
}

struct Report {
    groups: Vec<Group>,
    /// Earlier runs of the same benchmarks: targets are reported as medians over all runs.
    earlier: Vec<Report>,
}

impl Report {
    fn new(results: Vec<Measurement>) -> Self {
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

    fn find(&self, group: &str) -> Option<&Group> {
        self.groups.iter().find(|g| g.name == group)
    }

    /// A value of one benchmark, per element where declared.
    fn value(&self, group: &str, function: &str, parameter: &str) -> Option<f64> {
        self.find(group)?.get(function, parameter)
    }

    /// The project's performance targets, measured.
    fn targets(&self) -> Vec<Target> {
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
        for n in ["128", "65536"] {
            t.push(Target::at_most(
                format!("cross-thread, {n} B: bytepool ÷ sharded-slab"),
                ratio(
                    v("cross_thread", g, n),
                    v("cross_thread", "sharded-slab", n),
                ),
                0.8,
            ));
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

    fn markdown(&self) -> String {
        let mut md = String::new();
        md.push_str("# Benchmarks\n\n");
        md.push_str(
            "Written by `cargo run --release --example bench_report` from criterion's medians \
             (`target/criterion/**/new/estimates.json`) after `cargo bench -p bytepool`. \
             Ratios are medians divided; below 1 the first named is faster. Numbers from a \
             shared 2-core machine are rough: compare ratios, not nanoseconds.\n\n",
        );
        let runs: Vec<Vec<Target>> = std::iter::once(self)
            .chain(&self.earlier)
            .map(Report::targets)
            .collect();
        if runs.len() > 1 {
            let _ = write!(
                md,
                "## Targets\n\nThe median over {} runs of `cargo bench`, each ratio taken \
                 within one run; then each run's value, this one first.\n\n\
                 | target | measured | goal | met | runs |\n|---|---|---|---|---|\n",
                runs.len()
            );
        } else {
            md.push_str("## Targets\n\n| target | measured | goal | met |\n|---|---|---|---|\n");
        }
        for (i, first) in runs[0].iter().enumerate() {
            let values: Vec<f64> = runs.iter().filter_map(|run| run.get(i)?.value).collect();
            let t = Target {
                value: median(&values),
                ..first.clone()
            };
            let _ = write!(
                md,
                "| {} | {} | {} | {} |",
                t.label,
                t.value.map_or_else(|| "—".to_owned(), |v| t.unit.show(v)),
                t.goal.show(t.unit),
                match t.met() {
                    Some(true) => "yes",
                    Some(false) => "**no**",
                    None => "not run",
                }
            );
            if runs.len() > 1 {
                let each: Vec<String> = values.iter().map(|&v| t.unit.show(v)).collect();
                let _ = write!(md, " {} |", each.join(", "));
            }
            md.push('\n');
        }
        for g in &self.groups {
            let unit = if g.per_element() {
                "per element"
            } else {
                "per iteration"
            };
            let _ = write!(md, "\n## {}\n\n", g.name);
            if !g.about.is_empty() {
                let _ = write!(md, "{} ", g.about);
            }
            let _ = writeln!(
                md,
                "Median {unit}, and in brackets ÷ the baseline `{}`.\n",
                g.baseline
            );
            table_header(&mut md, &g.parameters);
            for f in &g.functions {
                let cells = g.parameters.iter().map(|p| match g.get(f, p) {
                    Some(ns) => match g.get(&g.baseline, p) {
                        Some(base) if f != &g.baseline => {
                            format!("{} ({})", format_ns(ns), format_ratio(ns / base))
                        }
                        _ => format_ns(ns),
                    },
                    None => "—".to_owned(),
                });
                table_row(&mut md, &format!("`{f}`"), cells);
            }
            let _ = writeln!(md, "\n`{}` ÷ each function:\n", g.subject);
            table_header(&mut md, &g.parameters);
            for f in g.functions.iter().filter(|f| **f != g.subject) {
                let cells =
                    g.parameters
                        .iter()
                        .map(|p| match (g.get(&g.subject, p), g.get(f, p)) {
                            (Some(s), Some(o)) => format_ratio(s / o),
                            _ => "—".to_owned(),
                        });
                table_row(&mut md, &format!("`{f}`"), cells);
            }
        }
        md
    }

    fn svg(&self) -> String {
        const WIDTH: f64 = 960.0;
        const LABEL_W: f64 = 210.0;
        const BAR_W: f64 = 520.0;
        const ROW_H: f64 = 18.0;
        const TOP: f64 = 56.0;

        let all: Vec<f64> = self
            .groups
            .iter()
            .flat_map(|g| g.cells.values().flat_map(BTreeMap::values))
            .map(Measurement::per_unit)
            .filter(|v| *v > 0.0)
            .collect();
        let lo = 10f64.powf(
            all.iter()
                .copied()
                .fold(f64::INFINITY, f64::min)
                .log10()
                .floor(),
        );
        let hi = 10f64.powf(all.iter().copied().fold(0.0, f64::max).log10().ceil());
        let (lo, hi) = if lo.is_finite() && hi > lo {
            (lo, hi)
        } else {
            (1.0, 10.0)
        };
        let x_of = |v: f64| LABEL_W + BAR_W * ((v.max(lo) / lo).log10() / (hi / lo).log10());

        let mut body = String::new();
        let mut y = TOP;
        for g in &self.groups {
            y += 10.0;
            let _ = writeln!(
                body,
                r#"<text x="8" y="{:.1}" class="group">{} <tspan class="note">(bars: median, log scale; label: ÷ {})</tspan></text>"#,
                y + 14.0,
                esc(&g.name),
                esc(&g.baseline)
            );
            y += 22.0;
            for p in &g.parameters {
                let _ = writeln!(
                    body,
                    r#"<text x="16" y="{:.1}" class="param">{}</text>"#,
                    y + 12.0,
                    esc(&if p.is_empty() {
                        "(no parameter)".to_owned()
                    } else {
                        g.parameter_label.replace("{}", p)
                    })
                );
                y += ROW_H;
                for f in &g.functions {
                    let Some(v) = g.get(f, p) else { continue };
                    let class = if *f == g.subject {
                        "subject"
                    } else if *f == g.baseline {
                        "baseline"
                    } else {
                        "peer"
                    };
                    let x_end = x_of(v);
                    let ratio = g
                        .get(&g.baseline, p)
                        .filter(|_| *f != g.baseline)
                        .map(|b| format!(" · {}", format_ratio(v / b)))
                        .unwrap_or_default();
                    let _ = writeln!(
                        body,
                        r#"<text x="{:.1}" y="{:.1}" class="label" text-anchor="end">{}</text>"#,
                        LABEL_W - 6.0,
                        y + 12.5,
                        esc(f)
                    );
                    let _ = writeln!(
                        body,
                        r#"<rect x="{LABEL_W:.1}" y="{:.1}" width="{:.1}" height="{:.1}" class="{class}"/>"#,
                        y + 2.0,
                        (x_end - LABEL_W).max(1.0),
                        ROW_H - 4.0
                    );
                    let _ = writeln!(
                        body,
                        r#"<text x="{:.1}" y="{:.1}" class="value">{}{}</text>"#,
                        x_end + 6.0,
                        y + 12.5,
                        esc(&format_ns(v)),
                        esc(&ratio)
                    );
                    y += ROW_H;
                }
            }
        }
        let height = y + 16.0;

        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH:.0}" height="{height:.0}" viewBox="0 0 {WIDTH:.0} {height:.0}" font-family="sans-serif" font-size="12">"#
        );
        svg.push_str(
            "<style>\n\
             .title { font-size: 16px; font-weight: bold; }\n\
             .group { font-size: 14px; font-weight: bold; }\n\
             .note { font-size: 11px; font-weight: normal; fill: #555; }\n\
             .param { font-size: 12px; font-style: italic; fill: #333; }\n\
             .label, .value { font-size: 11px; }\n\
             .axis { font-size: 10px; fill: #555; }\n\
             .grid { stroke: #ddd; stroke-width: 1; }\n\
             .subject { fill: #d95f02; }\n\
             .baseline { fill: #999999; }\n\
             .peer { fill: #1f78b4; }\n\
             </style>\n",
        );
        let _ = writeln!(
            svg,
            r##"<rect x="0" y="0" width="{WIDTH:.0}" height="{height:.0}" fill="#ffffff"/>"##
        );
        svg.push_str(
            r#"<text x="8" y="20" class="title">bytepool benchmarks: criterion medians</text>"#,
        );
        svg.push('\n');
        let mut decade = lo;
        while decade <= hi * 1.000_001 {
            let x = x_of(decade);
            let _ = writeln!(
                svg,
                r#"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" class="grid"/>"#,
                TOP - 6.0,
                height - 8.0
            );
            let _ = writeln!(
                svg,
                r#"<text x="{x:.1}" y="{:.1}" class="axis" text-anchor="middle">{}</text>"#,
                TOP - 10.0,
                esc(&format_decade(decade))
            );
            decade *= 10.0;
        }
        svg.push_str(&body);
        svg.push_str("</svg>\n");
        svg
    }
}

/// The median of `values` (the mean of the middle two for an even count); `None` when empty.
fn median(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    match sorted.len() {
        0 => None,
        n if n % 2 == 1 => Some(sorted[mid]),
        _ => Some((sorted[mid - 1] + sorted[mid]) / 2.0),
    }
}

fn table_header(md: &mut String, parameters: &[String]) {
    md.push_str("| function |");
    for p in parameters {
        let _ = write!(md, " {} |", if p.is_empty() { "—" } else { p });
    }
    md.push_str("\n|---|");
    for _ in parameters {
        md.push_str("---:|");
    }
    md.push('\n');
}

fn table_row(md: &mut String, first: &str, cells: impl Iterator<Item = String>) {
    let _ = write!(md, "| {first} |");
    for c in cells {
        let _ = write!(md, " {c} |");
    }
    md.push('\n');
}

/// A checked performance target.
#[derive(Clone)]
struct Target {
    label: String,
    value: Option<f64>,
    goal: Goal,
    unit: Unit,
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

    fn met(&self) -> Option<bool> {
        let v = self.value?;
        Some(match self.goal {
            Goal::AtMost(g) => v <= g,
            Goal::AtLeast(g) => v >= g,
        })
    }
}

#[derive(Clone, Copy)]
enum Goal {
    AtMost(f64),
    AtLeast(f64),
}

impl Goal {
    fn show(self, unit: Unit) -> String {
        match self {
            Goal::AtMost(g) => format!("≤ {}", unit.show(g)),
            Goal::AtLeast(g) => format!("≥ {}", unit.show(g)),
        }
    }
}

#[derive(Clone, Copy)]
enum Unit {
    Ratio,
    Ns,
}

impl Unit {
    fn show(self, v: f64) -> String {
        match self {
            Unit::Ratio => format_ratio(v),
            Unit::Ns => format_ns(v),
        }
    }
}

/// `ns` in the largest of ns, µs and ms that keeps it at least 1.
fn in_unit(ns: f64) -> (f64, &'static str) {
    if ns >= 1e6 {
        (ns / 1e6, "ms")
    } else if ns >= 1e3 {
        (ns / 1e3, "µs")
    } else {
        (ns, "ns")
    }
}

/// `0.53 ns`, `12.4 ns`, `135 ns`, `1.52 µs`, `3.10 ms`.
fn format_ns(ns: f64) -> String {
    let (value, unit) = in_unit(ns);
    if value >= 100.0 {
        format!("{value:.0} {unit}")
    } else if value >= 10.0 {
        format!("{value:.1} {unit}")
    } else {
        format!("{value:.2} {unit}")
    }
}

/// `0.0042×`, `0.35×`, `2.1×`, `140×`: three significant digits at most.
fn format_ratio(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}×")
    } else if r >= 10.0 {
        format!("{r:.1}×")
    } else if r >= 0.1 || r <= 0.0 || !r.is_finite() {
        format!("{r:.2}×")
    } else {
        // Enough decimals for three significant digits: 0.0497, 0.00204.
        let decimals = (2 - r.log10().floor() as i32).clamp(2, 12) as usize;
        format!("{r:.decimals$}×")
    }
}

/// An axis label for a power of ten: `1 ns`, `10 ns`, `100 µs`, `1 ms`.
fn format_decade(ns: f64) -> String {
    let (value, unit) = in_unit(ns);
    if value >= 1.0 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value} {unit}")
    }
}

/// Escapes text for SVG (XML) content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// A small JSON parser (RFC 8259; numbers as f64), enough for criterion's files.
// ---------------------------------------------------------------------------------------------

mod json {
    /// A parsed JSON value; objects keep their keys in order.
    #[derive(Debug, Clone, PartialEq)]
    pub enum Value {
        Null,
        Bool(bool),
        Number(f64),
        String(String),
        Array(Vec<Value>),
        Object(Vec<(String, Value)>),
    }

    impl Value {
        /// The value at `keys`, one object key per level.
        pub fn path(&self, keys: &[&str]) -> Option<&Value> {
            keys.iter().try_fold(self, |value, key| match value {
                Value::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
                _ => None,
            })
        }

        pub fn as_f64(&self) -> Option<f64> {
            match self {
                Value::Number(n) => Some(*n),
                _ => None,
            }
        }

        pub fn as_str(&self) -> Option<&str> {
            match self {
                Value::String(s) => Some(s),
                _ => None,
            }
        }
    }

    /// Parses one JSON document (surrounding whitespace allowed).
    pub fn parse(text: &str) -> Result<Value, String> {
        let mut p = Parser {
            bytes: text.as_bytes(),
            at: 0,
        };
        let value = p.value(0)?;
        p.skip_ws();
        if p.at != p.bytes.len() {
            return Err(p.error("trailing characters"));
        }
        Ok(value)
    }

    /// Nesting deeper than this is refused rather than risking the stack.
    const MAX_DEPTH: usize = 128;

    struct Parser<'a> {
        bytes: &'a [u8],
        at: usize,
    }

    impl Parser<'_> {
        fn error(&self, what: &str) -> String {
            format!("invalid JSON at byte {}: {what}", self.at)
        }

        fn skip_ws(&mut self) {
            while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
                self.at += 1;
            }
        }

        fn peek(&self) -> Option<u8> {
            self.bytes.get(self.at).copied()
        }

        fn expect(&mut self, byte: u8) -> Result<(), String> {
            if self.peek() == Some(byte) {
                self.at += 1;
                Ok(())
            } else {
                Err(self.error(&format!("expected `{}`", byte as char)))
            }
        }

        fn literal(&mut self, word: &str, value: Value) -> Result<Value, String> {
            if self.bytes[self.at..].starts_with(word.as_bytes()) {
                self.at += word.len();
                Ok(value)
            } else {
                Err(self.error("unknown literal"))
            }
        }

        fn value(&mut self, depth: usize) -> Result<Value, String> {
            if depth > MAX_DEPTH {
                return Err(self.error("nested too deeply"));
            }
            self.skip_ws();
            match self.peek() {
                Some(b'{') => self.object(depth),
                Some(b'[') => self.array(depth),
                Some(b'"') => self.string().map(Value::String),
                Some(b't') => self.literal("true", Value::Bool(true)),
                Some(b'f') => self.literal("false", Value::Bool(false)),
                Some(b'n') => self.literal("null", Value::Null),
                Some(b'-' | b'0'..=b'9') => self.number(),
                Some(_) => Err(self.error("unexpected character")),
                None => Err(self.error("unexpected end")),
            }
        }

        fn object(&mut self, depth: usize) -> Result<Value, String> {
            self.expect(b'{')?;
            let mut fields = Vec::new();
            self.skip_ws();
            if self.peek() == Some(b'}') {
                self.at += 1;
                return Ok(Value::Object(fields));
            }
            loop {
                self.skip_ws();
                let key = self.string()?;
                self.skip_ws();
                self.expect(b':')?;
                fields.push((key, self.value(depth + 1)?));
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b'}') => {
                        self.at += 1;
                        return Ok(Value::Object(fields));
                    }
                    _ => return Err(self.error("expected `,` or `}`")),
                }
            }
        }

        fn array(&mut self, depth: usize) -> Result<Value, String> {
            self.expect(b'[')?;
            let mut items = Vec::new();
            self.skip_ws();
            if self.peek() == Some(b']') {
                self.at += 1;
                return Ok(Value::Array(items));
            }
            loop {
                items.push(self.value(depth + 1)?);
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.at += 1,
                    Some(b']') => {
                        self.at += 1;
                        return Ok(Value::Array(items));
                    }
                    _ => return Err(self.error("expected `,` or `]`")),
                }
            }
        }

        fn number(&mut self) -> Result<Value, String> {
            let start = self.at;
            while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.peek() {
                self.at += 1;
            }
            let text = std::str::from_utf8(&self.bytes[start..self.at])
                .map_err(|_| self.error("bad number"))?;
            // `f64::from_str` also takes `inf`/`NaN`, which cannot reach here: only the bytes
            // above are consumed.
            text.parse::<f64>()
                .map(Value::Number)
                .map_err(|_| self.error("bad number"))
        }

        fn hex4(&mut self) -> Result<u32, String> {
            let digits = self
                .bytes
                .get(self.at..self.at + 4)
                .and_then(|d| std::str::from_utf8(d).ok())
                .and_then(|d| u32::from_str_radix(d, 16).ok())
                .ok_or_else(|| self.error("bad `\\u` escape"))?;
            self.at += 4;
            Ok(digits)
        }

        fn string(&mut self) -> Result<String, String> {
            self.expect(b'"')?;
            let mut out = Vec::new();
            loop {
                let Some(byte) = self.peek() else {
                    return Err(self.error("unterminated string"));
                };
                self.at += 1;
                match byte {
                    b'"' => break,
                    b'\\' => {
                        let Some(escape) = self.peek() else {
                            return Err(self.error("unterminated escape"));
                        };
                        self.at += 1;
                        let c = match escape {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            b'u' => {
                                let first = self.hex4()?;
                                let code = if (0xD800..0xDC00).contains(&first)
                                    && self.bytes[self.at..].starts_with(b"\\u")
                                {
                                    self.at += 2;
                                    let second = self.hex4()?;
                                    if !(0xDC00..0xE000).contains(&second) {
                                        return Err(self.error("bad surrogate pair"));
                                    }
                                    0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                                } else {
                                    first
                                };
                                // A lone surrogate becomes U+FFFD rather than an error.
                                char::from_u32(code).unwrap_or('\u{FFFD}')
                            }
                            _ => return Err(self.error("unknown escape")),
                        };
                        let mut buf = [0; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                    }
                    0x00..=0x1F => return Err(self.error("control character in string")),
                    _ => out.push(byte),
                }
            }
            // The input is a `str` and escapes were pushed as UTF-8, so this cannot fail.
            String::from_utf8(out).map_err(|_| self.error("invalid UTF-8"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ESTIMATES: &str = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":15.17,"upper_bound":16.82},"point_estimate":15.97,"standard_error":0.42},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":14.23,"upper_bound":16.32},"point_estimate":15.169719530900188,"standard_error":0.466},"median_abs_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":0.96,"upper_bound":3.51},"point_estimate":2.06,"standard_error":0.6},"slope":null,"std_dev":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.77,"upper_bound":2.66},"point_estimate":2.33,"standard_error":0.22}}"#;

    #[test]
    fn median_from_estimates() {
        assert_eq!(median_ns(ESTIMATES), Ok(15.169719530900188));
        // Whitespace and key order do not matter; a missing median is an error.
        let pretty =
            "{\n  \"median\" : { \"standard_error\": 1e-3, \"point_estimate\": 2.5E+1 }\n}\n";
        assert_eq!(median_ns(pretty), Ok(25.0));
        assert!(median_ns(r#"{"mean":{"point_estimate":1}}"#).is_err());
        assert!(median_ns(r#"{"median":{"point_estimate":"1"}}"#).is_err());
    }

    #[test]
    fn ids_from_benchmark() {
        let text = r#"{"group_id":"round_trip","function_id":"Vec::with_capacity","value_str":"128","throughput":null,"full_id":"round_trip/Vec::with_capacity/128","directory_name":"round_trip/Vec__with_capacity/128","title":"round_trip/Vec::with_capacity/128"}"#;
        let m = benchmark_ids(text).unwrap();
        assert_eq!(
            (m.group.as_str(), m.function.as_str(), m.parameter.as_str()),
            ("round_trip", "Vec::with_capacity", "128")
        );
        assert_eq!(m.elements, None);

        let text = r#"{"group_id":"overhead_lookup","function_id":"class_of","value_str":"PowerOfTwo","throughput":{"Elements":1024}}"#;
        let mut m = benchmark_ids(text).unwrap();
        assert_eq!(m.elements, Some(1024));
        m.median_ns = 2048.0;
        assert_eq!(m.per_unit(), 2.0);
    }

    #[test]
    fn json_edge_cases() {
        use json::{parse, Value};
        assert_eq!(
            parse(r#" ["a\"b\\c\/\n", "\u00e9\ud83d\ude00", -0.5e1, true, false, null, {}, []] "#),
            Ok(Value::Array(vec![
                Value::String("a\"b\\c/\n".to_owned()),
                Value::String("é😀".to_owned()),
                Value::Number(-5.0),
                Value::Bool(true),
                Value::Bool(false),
                Value::Null,
                Value::Object(vec![]),
                Value::Array(vec![]),
            ]))
        );
        for bad in [
            "",
            "{",
            r#"{"a"}"#,
            "[1,]",
            "[1] 2",
            "\"unterminated",
            "tru",
            "{\"a\":1,}",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
        assert!(parse(&"[".repeat(1000)).is_err());
    }

    #[test]
    fn report_ratios_and_svg() {
        let m = |group: &str, function: &str, parameter: &str, median_ns: f64| Measurement {
            group: group.to_owned(),
            function: function.to_owned(),
            parameter: parameter.to_owned(),
            median_ns,
            elements: None,
        };
        let report = Report::new(vec![
            m("round_trip", "Vec::with_capacity", "128", 10.0),
            m("round_trip", "bytepool_global", "128", 3.0),
            m("round_trip", "lockfree-object-pool", "128", 6.0),
            m("round_trip", "vec![0u8;N]", "4096", 100.0),
            m("round_trip", "bytepool_global", "4096", 3.0),
        ]);
        let g = report.find("round_trip").unwrap();
        assert_eq!(g.functions[0], "bytepool_global");
        assert_eq!(g.functions[1], "Vec::with_capacity");
        assert_eq!(g.parameters, ["128", "4096"]);
        let targets = report.targets();
        assert_eq!(targets[0].value, Some(0.3));
        assert_eq!(targets[0].met(), Some(true));
        assert_eq!(targets[1].value, Some(0.5));
        let md = report.markdown();
        assert!(
            md.contains("| `bytepool_global` | 3.00 ns (0.30×) | 3.00 ns |"),
            "{md}"
        );
        assert!(md.contains("| 0.30× | ≤ 0.35× | yes |\n"), "{md}");

        // Two earlier runs: each target is the median of the three runs' ratios.
        let mut runs = Report::new(vec![
            m("round_trip", "Vec::with_capacity", "128", 10.0),
            m("round_trip", "bytepool_global", "128", 3.0),
        ]);
        runs.earlier = [5.0, 4.0]
            .map(|ns| {
                Report::new(vec![
                    m("round_trip", "Vec::with_capacity", "128", 10.0),
                    m("round_trip", "bytepool_global", "128", ns),
                ])
            })
            .into();
        let md = runs.markdown();
        assert!(
            md.contains("| 0.40× | ≤ 0.35× | **no** | 0.30×, 0.50×, 0.40× |"),
            "{md}"
        );
        assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), Some(2.5));
        assert_eq!(median(&[]), None);

        let svg = report.svg();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("vec![0u8;N]") && !svg.contains("<0"));
        assert_eq!(esc(r#"<a & "b">"#), "&lt;a &amp; &quot;b&quot;&gt;");
        assert_eq!(
            [0.0497, 0.00204, 0.35, 2.13, 14.26, 493.2].map(format_ratio),
            ["0.0497×", "0.00204×", "0.35×", "2.13×", "14.3×", "493×"]
        );
        assert_eq!(
            [0.1, 1.0, 1e4, 1e6].map(format_decade),
            ["0.1 ns", "1 ns", "10 µs", "1 ms"]
        );
    }
}
