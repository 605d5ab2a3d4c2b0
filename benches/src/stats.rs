//! Repeated measurements and the markdown table they are printed as.

/// One row of the table: a measurement repeated over several runs.
pub struct Row {
    pub name: String,
    pub unit: &'static str,
    pub runs: Vec<f64>,
    /// Client and server CPU microseconds per unit of work, per run.
    pub cpu: Vec<(f64, f64)>,
    /// The row this one is compared with, and the goal for the ratio, if any.
    pub baseline: Option<(String, Option<f64>)>,
}

impl Row {
    pub fn new(name: impl Into<String>, unit: &'static str) -> Self {
        Self {
            name: name.into(),
            unit,
            runs: Vec::new(),
            cpu: Vec::new(),
            baseline: None,
        }
    }

    pub fn against(mut self, baseline: &str, goal: Option<f64>) -> Self {
        self.baseline = Some((baseline.to_owned(), goal));
        self
    }

    pub fn median(&self) -> f64 {
        median(self.runs.clone())
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// A markdown table: runs, median, and the ratio of the median to its baseline's median.
pub fn table(rows: &[Row]) -> String {
    let runs = rows.iter().map(|r| r.runs.len()).max().unwrap_or(0);
    let mut out = String::from("| measurement | unit |");
    for i in 1..=runs {
        out.push_str(&format!(" run {i} |"));
    }
    out.push_str(" median | ratio | goal | CPU µs per unit, client + server |\n|---|---|");
    out.push_str(&"---:|".repeat(runs + 4));
    out.push('\n');
    for r in rows {
        out.push_str(&format!("| {} | {} |", r.name, r.unit));
        for i in 0..runs {
            match r.runs.get(i) {
                Some(v) => out.push_str(&format!(" {} |", thousands(*v))),
                None => out.push_str(" |"),
            }
        }
        out.push_str(&format!(" **{}** |", thousands(r.median())));
        match &r.baseline {
            Some((name, goal)) => {
                let base = rows.iter().find(|b| &b.name == name).map(Row::median);
                let ratio = base.map(|b| r.median() / b).unwrap_or(f64::NAN);
                out.push_str(&format!(" {:.0}% of {name} |", ratio * 100.0));
                match goal {
                    Some(g) if ratio >= *g => out.push_str(&format!(" ≥ {:.0}% ✔ |", g * 100.0)),
                    Some(g) => out.push_str(&format!(" ≥ {:.0}% ✘ |", g * 100.0)),
                    None => out.push_str(" |"),
                }
            }
            None => out.push_str(" | |"),
        }
        if r.cpu.is_empty() {
            out.push_str(" |");
        } else {
            let client = median(r.cpu.iter().map(|c| c.0).collect());
            let server = median(r.cpu.iter().map(|c| c.1).collect());
            out.push_str(&format!(" {client:.0} + {server:.0} |"));
        }
        out.push('\n');
    }
    out
}

fn thousands(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let digits = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_ratios_and_formatting() {
        let mut base = Row::new("base", "tx/s");
        base.runs = vec![100.0, 300.0, 200.0];
        let mut r = Row::new("store", "events/s").against("base", Some(0.7));
        r.runs = vec![150.0, 160.0, 170.0];
        assert_eq!(base.median(), 200.0);
        let t = table(&[base, r]);
        assert!(
            t.contains("| store | events/s | 150 | 160 | 170 | **160** | 80% of base | ≥ 70% ✔ |"),
            "{t}"
        );
        assert_eq!(thousands(1234567.4), "1,234,567");
    }
}
