//! Writing a file in place: atomically, beside it then renamed.

pub use crate::format::CsvText;

/// Replace `dir/name` with `text` atomically (written beside it, then renamed).
pub fn replace_file(dir: &std::path::Path, name: &str, text: &str) -> anyhow::Result<()> {
    use anyhow::Context;
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot replace {}", path.display()))
}
