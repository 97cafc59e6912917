//! Reading criterion's output. Each result is read from `<group>/<function>/<parameter>/new/`:
//! `benchmark.json` for the names (criterion mangles them in directory names) and
//! `estimates.json` for `median.point_estimate`, in nanoseconds per iteration. Benchmarks that
//! declare a throughput in elements are shown per element.

use std::fs;
use std::path::Path;

use serde::Deserialize;

/// One benchmark's result.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Measurement {
    pub(super) group: String,
    pub(super) function: String,
    pub(super) parameter: String,
    /// The median, in nanoseconds per iteration.
    pub(super) median_ns: f64,
    /// Elements per iteration, when the benchmark declared them.
    pub(super) elements: Option<u64>,
}

impl Measurement {
    /// A result without throughput, for tests.
    #[cfg(test)]
    pub(super) fn new(group: &str, function: &str, parameter: &str, median_ns: f64) -> Self {
        Measurement {
            group: group.to_owned(),
            function: function.to_owned(),
            parameter: parameter.to_owned(),
            median_ns,
            elements: None,
        }
    }

    /// The median per element (per iteration when no throughput was declared).
    pub(super) fn per_unit(&self) -> f64 {
        match self.elements {
            Some(n) if n > 1 => self.median_ns / n as f64,
            _ => self.median_ns,
        }
    }
}

/// The part of an `estimates.json` the report reads; serde skips the other statistics.
#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
}

/// The part of a `benchmark.json` the report reads. Criterion writes `null` for a missing
/// function or parameter, which reads as an empty name.
#[derive(Deserialize)]
struct BenchmarkId {
    group_id: String,
    function_id: Option<String>,
    value_str: Option<String>,
    throughput: Option<Throughput>,
}

/// Criterion's `Throughput` enum, externally tagged (`{"Elements": 1024}`). Only elements change
/// the report; the other variants (`Bytes`, ...) leave this field empty.
#[derive(Deserialize)]
struct Throughput {
    #[serde(rename = "Elements")]
    elements: Option<u64>,
}

/// Every `new/` result under `dir`, in no particular order.
pub(super) fn collect(dir: &Path) -> Result<Vec<Measurement>, String> {
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
    serde_json::from_str::<Estimates>(estimates)
        .map(|e| e.median.point_estimate)
        .map_err(|e| format!("estimates.json: {e}"))
}

/// The names and throughput of a `benchmark.json` (median left at 0).
fn benchmark_ids(benchmark: &str) -> Result<Measurement, String> {
    let id: BenchmarkId =
        serde_json::from_str(benchmark).map_err(|e| format!("benchmark.json: {e}"))?;
    Ok(Measurement {
        group: id.group_id,
        function: id.function_id.unwrap_or_default(),
        parameter: id.value_str.unwrap_or_default(),
        median_ns: 0.0,
        elements: id.throughput.and_then(|t| t.elements),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::PathBuf;

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
        assert!(median_ns(r#"{"median":{"point_estimate":1}} 2"#).is_err());
    }

    #[test]
    fn medians_read_exactly_as_written() {
        // Criterion writes the shortest text that reads back to its f64; the report must get
        // that same f64, as `str::parse` does, or a ratio on a rounding edge could print
        // differently.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..10_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Positive, from about 1e-3 to 1e12 ns: a random mantissa and binary exponent.
            let exponent = 1013 + (x >> 58) % 50;
            let value = f64::from_bits(exponent << 52 | x & ((1 << 52) - 1));
            let text = format!(r#"{{"median":{{"point_estimate":{value:?}}}}}"#);
            assert_eq!(median_ns(&text), Ok(value), "{text}");
        }
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

        // Bytes are not elements; null names are empty; the group is required.
        let text =
            r#"{"group_id":"g","function_id":null,"value_str":null,"throughput":{"Bytes":64}}"#;
        let m = benchmark_ids(text).unwrap();
        assert_eq!((m.function.as_str(), m.parameter.as_str()), ("", ""));
        assert_eq!(m.elements, None);
        assert!(benchmark_ids(r#"{"function_id":"f"}"#).is_err());
    }

    /// A criterion directory in the system's temporary directory, removed on drop.
    struct Fixture(PathBuf);

    impl Fixture {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Fixture(dir)
        }

        fn write(&self, rel: &str, text: &str) {
            let path = self.0.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn collect_reads_new_results_only() {
        let dir = Fixture::new("collect");
        let estimates = |ns: f64| format!(r#"{{"median":{{"point_estimate":{ns:?}}}}}"#);
        // Mangled directory names; the real ones come from `benchmark.json`.
        dir.write(
            "round_trip/Vec__with_capacity/128/new/benchmark.json",
            r#"{"group_id":"round_trip","function_id":"Vec::with_capacity","value_str":"128","throughput":null}"#,
        );
        dir.write(
            "round_trip/Vec__with_capacity/128/new/estimates.json",
            &estimates(13.5),
        );
        // Earlier results and criterion's own report are not this run.
        dir.write(
            "round_trip/Vec__with_capacity/128/base/estimates.json",
            &estimates(99.0),
        );
        dir.write("report/new/estimates.json", &estimates(99.0));
        // Without `benchmark.json`, the names come from the path.
        dir.write("scaling/pool/4/new/estimates.json", &estimates(4.25));
        // A `new/` directory without estimates is skipped.
        dir.write("typed/bytepool_take/message/new/benchmark.json", "{}");

        let mut found = collect(&dir.0).unwrap();
        found.sort_by(|a, b| a.group.cmp(&b.group));
        let m = Measurement::new;
        assert_eq!(
            found,
            [
                m("round_trip", "Vec::with_capacity", "128", 13.5),
                m("scaling", "pool", "4", 4.25),
            ]
        );

        // A broken file is an error naming its directory.
        dir.write("broken/f/1/new/estimates.json", r#"{"median":{}}"#);
        let err = collect(&dir.0).unwrap_err();
        assert!(
            err.contains("broken") && err.contains("point_estimate"),
            "{err}"
        );
    }
}
