//! Reading criterion's output. Each result is read from `<group>/<function>/<parameter>/new/`:
//! `benchmark.json` for the names (criterion mangles them in directory names) and
//! `estimates.json` for `median.point_estimate`, in nanoseconds per iteration. Benchmarks that
//! declare a throughput in elements are shown per element. Only std: the JSON is parsed by
//! the small parser in `json.rs`.

use std::fs;
use std::path::Path;

use super::json;

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
}
