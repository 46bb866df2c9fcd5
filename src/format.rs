//! Numbers as the reports print them (CSV tables, findings, claims, chart labels).

/// Numbers in CSV and Markdown: whole numbers plainly, others to at most 4 decimals.
pub fn num(v: f64) -> String {
    let mut s = String::new();
    push_num(&mut s, v);
    s
}

/// `num`, appended to `out` (no allocation: tables write a million of these).
pub fn push_num(out: &mut String, v: f64) {
    use std::fmt::Write;
    if v.is_nan() {
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "inf" } else { "-inf" });
    } else if (v - v.round()).abs() < 1e-9 && v.abs() < 1e15 {
        let _ = write!(out, "{}", v.round() as i64);
    } else {
        let start = out.len();
        let _ = write!(out, "{v:.4}");
        let kept = out[start..]
            .trim_end_matches('0')
            .trim_end_matches('.')
            .len();
        out.truncate(start + kept);
    }
}

/// A number for prose and chart titles: three significant figures (CSV files keep `num`).
pub fn approx(v: f64) -> String {
    if !v.is_finite() || v == 0.0 {
        return num(v);
    }
    let digits = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{v:.digits$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

pub fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

pub fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {:.3}", p)
    }
}

pub fn ci(i: (f64, f64)) -> String {
    format!("{} to {}", approx(i.0), approx(i.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_plainly() {
        assert_eq!(num(3.0), "3");
        assert_eq!(num(2.5), "2.5");
        assert_eq!(num(1.0 / 3.0), "0.3333");
        assert_eq!(num(f64::INFINITY), "inf");
        assert_eq!(num(f64::NAN), "");
        assert_eq!(approx(31.392), "31.4");
        assert_eq!(approx(103.4091), "103");
        assert_eq!(approx(0.46153), "0.462");
        assert_eq!(approx(4.0), "4");
        assert_eq!(approx(-0.1299), "-0.13");
    }
}
