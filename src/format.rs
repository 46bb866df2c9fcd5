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

/// A number for prose and chart titles: three significant figures (CSV files keep `num`);
/// an undefined figure (NaN) says so rather than printing nothing.
pub fn approx(v: f64) -> String {
    if v.is_nan() {
        return "undefined".into();
    }
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
    if x.is_nan() {
        return "undefined".into();
    }
    format!("{:.1}%", 100.0 * x)
}

/// `part` of `whole` as a percentage ("8.2%"); 0% of nothing.
pub fn share(part: usize, whole: usize) -> String {
    pct(part as f64 / whole.max(1) as f64)
}

/// A figure to `decimals` places for prose and titles; "undefined" for NaN (e.g. a rank
/// correlation when every score is equal).
pub fn fixed(v: f64, decimals: usize) -> String {
    if v.is_nan() {
        "undefined".into()
    } else {
        format!("{v:.decimals$}")
    }
}

pub fn p_text(p: f64) -> String {
    if p.is_nan() {
        "p undefined".into()
    } else if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {:.3}", p)
    }
}

/// An interval for prose; "undefined" when either end is (e.g. ratios with a zero denominator
/// in some resamples).
pub fn ci(i: (f64, f64)) -> String {
    if i.0.is_nan() || i.1.is_nan() {
        return "undefined".into();
    }
    format!("{} to {}", approx(i.0), approx(i.1))
}

/// A ratio for prose: "4x", "31.4x"; "infinite" (zero denominator) or "undefined" (0/0).
pub fn times(v: f64) -> String {
    if v.is_nan() {
        "undefined".into()
    } else if v.is_infinite() {
        "infinite".into()
    } else {
        format!("{}x", approx(v))
    }
}

/// CSV text as every output and `reconstruct` writes it: RFC 4180 quoting, `\n` line ends.
/// Build CSV text row by row.
pub struct CsvText(csv::Writer<Vec<u8>>);

impl CsvText {
    pub fn new<I, S>(header: I) -> anyhow::Result<CsvText>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        let mut w = CsvText::headless();
        w.row(header)?;
        Ok(w)
    }

    /// CSV text without a header (the caller's first row is its header).
    pub fn headless() -> CsvText {
        CsvText(
            csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(vec![]),
        )
    }

    pub fn row<I, S>(&mut self, fields: I) -> anyhow::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<[u8]>,
    {
        Ok(self.0.write_record(fields)?)
    }

    pub fn finish(self) -> anyhow::Result<String> {
        Ok(String::from_utf8(self.0.into_inner()?)?)
    }
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
        assert_eq!(approx(f64::NAN), "undefined");
        assert_eq!(ci((6.0, f64::NAN)), "undefined");
        assert_eq!(ci((2.5, 7.5)), "2.5 to 7.5");
        assert_eq!(times(31.392), "31.4x");
        assert_eq!(times(f64::INFINITY), "infinite");
        assert_eq!(times(f64::NAN), "undefined");
        assert_eq!(p_text(f64::NAN), "p undefined");
        assert_eq!(pct(f64::NAN), "undefined");
        assert_eq!(pct(0.796), "79.6%");
        assert_eq!((share(5, 61), share(0, 0)), ("8.2%".into(), "0.0%".into()));
        assert_eq!(
            (fixed(-0.1294, 2), fixed(f64::NAN, 3)),
            ("-0.13".into(), "undefined".into())
        );
        assert_eq!(p_text(0.0004), "p < 0.001");
    }
}
