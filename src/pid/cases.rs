//! Reading pmf cases in the format of `pid_reference.json`: an object with `cases`, each with a
//! `name` and `pmf_dense[x1][x2][y]`; other keys are ignored.

use super::pmf::{Pmf, PmfError};
use serde::Deserialize;

#[derive(Deserialize)]
struct RawFile {
    cases: Vec<RawCase>,
}

#[derive(Deserialize)]
struct RawCase {
    name: String,
    // Kept as JSON so one malformed case does not sink the others.
    pmf_dense: serde_json::Value,
}

/// One case: its name and either a valid pmf or why it is not one.
pub struct Case {
    pub name: String,
    pub pmf: Result<Pmf, PmfError>,
}

/// Parse a cases file. A malformed file is an error; a malformed case is reported per case.
pub fn parse_cases(text: &str) -> Result<Vec<Case>, String> {
    let raw: RawFile = serde_json::from_str(text).map_err(|e| {
        format!("not a pmf cases file ({e}); expected {{\"cases\": [{{\"name\", \"pmf_dense\"}}]}}")
    })?;
    Ok(raw
        .cases
        .into_iter()
        .map(|c| {
            let pmf = parse_dense(&c.pmf_dense).and_then(|d| Pmf::from_dense(&d));
            Case { name: c.name, pmf }
        })
        .collect())
}

fn parse_dense(v: &serde_json::Value) -> Result<Vec<Vec<Vec<f64>>>, PmfError> {
    let ragged = |m: &str| PmfError::Ragged(m.to_string());
    let arr = |v: &serde_json::Value| {
        v.as_array()
            .cloned()
            .ok_or_else(|| ragged("expected nested arrays of numbers"))
    };
    arr(v)?
        .iter()
        .map(|row| {
            arr(row)?
                .iter()
                .map(|ys| {
                    arr(ys)?
                        .iter()
                        .map(|p| match p {
                            serde_json::Value::Number(n) => {
                                n.as_f64().ok_or_else(|| ragged("number out of range"))
                            }
                            serde_json::Value::Array(_) => Err(ragged(
                                "nested deeper than [x1][x2][y]: a pmf of two sources and a target is 3-D",
                            )),
                            // JSON has no NaN; "NaN"/null entries are reported as non-finite.
                            _ => Ok(f64::NAN),
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_four_dimensional_pmf_is_a_shape_error() {
        let c = parse_cases(r#"{"cases":[{"name":"a","pmf_dense":[[[[0.5,0.5]]]]}]}"#).unwrap();
        let e = c[0].pmf.as_ref().err().unwrap().to_string();
        assert!(e.contains("3-D") && !e.contains("finite"), "{e}");
        let c = parse_cases(r#"{"cases":[{"name":"b","pmf_dense":[[[0.5,null]]]}]}"#).unwrap();
        assert!(
            c[0].pmf
                .as_ref()
                .err()
                .unwrap()
                .to_string()
                .contains("non-finite")
        );
    }
}
