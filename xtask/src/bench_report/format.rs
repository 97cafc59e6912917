//! Times and ratios as the report prints them, in the table cells, the targets and the chart.

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
pub(super) fn format_ns(ns: f64) -> String {
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
pub(super) fn format_ratio(r: f64) -> String {
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
pub(super) fn format_decade(ns: f64) -> String {
    let (value, unit) = in_unit(ns);
    if value >= 1.0 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn significant_digits() {
        assert_eq!(
            [0.0497, 0.00204, 0.35, 2.13, 14.26, 493.2].map(format_ratio),
            ["0.0497×", "0.00204×", "0.35×", "2.13×", "14.3×", "493×"]
        );
        assert_eq!(
            [0.1, 1.0, 1e4, 1e6].map(format_decade),
            ["0.1 ns", "1 ns", "10 µs", "1 ms"]
        );
        assert_eq!(
            [0.531, 12.44, 135.2, 1520.0, 3.1e6].map(format_ns),
            ["0.53 ns", "12.4 ns", "135 ns", "1.52 µs", "3.10 ms"]
        );
    }
}
