//! `bench.md`: the targets table (the median over the runs when there are several), then per
//! group a table of medians with ratios to the baseline and a table of the subject's ratios.

use std::fmt::Write as _;

use super::format::{format_ns, format_ratio};
use super::report::Report;
use super::targets::Target;

impl Report {
    pub(super) fn markdown(&self) -> String {
        let mut md = String::new();
        md.push_str("# Benchmarks\n\n");
        md.push_str(
            "Written by `cargo xtask bench-report` from criterion's medians \
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

#[cfg(test)]
mod tests {
    use super::super::criterion::Measurement;
    use super::*;

    #[test]
    fn tables_and_targets() {
        let m = Measurement::new;
        let report = Report::new(vec![
            m("round_trip", "Vec::with_capacity", "128", 10.0),
            m("round_trip", "bytepool_global", "128", 3.0),
            m("round_trip", "lockfree-object-pool", "128", 6.0),
            m("round_trip", "vec![0u8;N]", "4096", 100.0),
            m("round_trip", "bytepool_global", "4096", 3.0),
        ]);
        let md = report.markdown();
        assert!(
            md.contains("| `bytepool_global` | 3.00 ns (0.30×) | 3.00 ns |"),
            "{md}"
        );
        assert!(md.contains("| 0.30× | ≤ 0.35× | yes |\n"), "{md}");
    }

    #[test]
    fn targets_over_several_runs() {
        // Two earlier runs: each target is the median of the three runs' ratios.
        let m = Measurement::new;
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
    }
}
