//! Medians, ranges and the verdicts printed beside the ratios.

/// Median (mean of the two middle values for an even count), min and max.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Summary {
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Self {
            median,
            min: v[0],
            max: v[n - 1],
            n,
        })
    }

    /// `median (min–max)` with `decimals`.
    pub fn show(&self, decimals: usize) -> String {
        format!(
            "{:.d$} ({:.d$}–{:.d$})",
            self.median,
            self.min,
            self.max,
            d = decimals
        )
    }
}

/// `1.04× (≤ 1.10×: ok)`, or `OVER` past the target.
pub fn verdict(ratio: f64, target: f64) -> String {
    let mark = if ratio <= target { "ok" } else { "OVER" };
    format!("{ratio:.2}× (≤ {target:.2}×: {mark})")
}

pub(crate) fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}
