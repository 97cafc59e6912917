//! `bench.svg`: horizontal bars of every median on one log scale, labelled with the time and
//! the ratio to the group's baseline.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::criterion::Measurement;
use super::format::{format_decade, format_ns, format_ratio};
use super::report::Report;

impl Report {
    pub(super) fn svg(&self) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_escaping() {
        let m = Measurement::new;
        let report = Report::new(vec![
            m("round_trip", "Vec::with_capacity", "128", 10.0),
            m("round_trip", "bytepool_global", "128", 3.0),
            m("round_trip", "vec![0u8;N]", "4096", 100.0),
        ]);
        let svg = report.svg();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("vec![0u8;N]") && !svg.contains("<0"));
        assert_eq!(esc(r#"<a & "b">"#), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
