//! Hygiene rules checked on the source as text.
//!
//! Long functions: every `fn` under src/ (test code in `mod tests` included) whose span, from
//! the line of `fn` to its closing brace, is more than `MAX_FN_LINES` lines carries a reason on
//! the line directly above it, or above its attributes and doc comment:
//! `// Long because: <reason>`. Files under tests/ are exempt (whole-run scenarios read best in
//! one piece).

mod common;

use std::path::Path;

/// The longest span, in lines from `fn` to its closing brace, a function may have without a
/// `// Long because:` reason.
const MAX_FN_LINES: usize = 80;

/// The comment that explains a long function.
const LONG_BECAUSE: &str = "// Long because:";

/// One function: where it starts, its name and its span in lines.
#[derive(Debug, Clone, PartialEq)]
struct Function {
    /// 1-based line of the `fn` keyword.
    line: usize,
    name: String,
    /// Lines from the `fn` line to the closing brace's line, both included.
    span: usize,
    /// Whether a `// Long because:` reason stands above it.
    has_reason: bool,
}

/// For each character of `src`, whether it is code (not inside a comment, a string literal or
/// a character literal). Lifetimes (`'a`) are code.
fn code_mask(src: &[char]) -> Vec<bool> {
    let n = src.len();
    let mut mask = vec![true; n];
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut i = 0;
    while i < n {
        let c = src[i];
        let next = src.get(i + 1).copied();
        let start = i;
        if c == '/' && next == Some('/') {
            while i < n && src[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            // Block comments nest in Rust.
            let mut depth = 0;
            while i < n {
                if src[i] == '/' && src.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if src[i] == '*' && src.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if (c == 'r' || c == 'b') && (i == 0 || !ident(src[i - 1])) && raw_string_at(src, i)
        {
            // r"…", r#"…"#, br"…": no escapes; ends at a quote followed by as many hashes.
            let mut j = i + 1;
            if src[j] == 'r' {
                j += 1;
            }
            let mut hashes = 0;
            while src[j] == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1; // the opening quote
            while j < n {
                if src[j] == '"' && (1..=hashes).all(|k| src.get(j + k) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            i = j;
        } else if c == '"' {
            i += 1;
            while i < n && src[i] != '"' {
                i += if src[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{7b}'), or else a lifetime or label ('a).
            if next == Some('\\') {
                // Past the backslash and the escaped character (which may be a quote).
                i += 3;
                while i < n && src[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if src.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
                continue;
            }
        } else {
            i += 1;
            continue;
        }
        for m in &mut mask[start..i.min(n)] {
            *m = false;
        }
    }
    mask
}

/// Whether a raw string literal (`r"`, `r#"`, `br"`, `br#"`) starts at `i`.
fn raw_string_at(src: &[char], i: usize) -> bool {
    let mut j = i;
    if src[j] == 'b' {
        j += 1;
    }
    if src.get(j) != Some(&'r') {
        return false;
    }
    j += 1;
    while src.get(j) == Some(&'#') {
        j += 1;
    }
    src.get(j) == Some(&'"')
}

/// Every function with a body in `source`, with its span and whether a reason stands above it.
fn functions(source: &str) -> Vec<Function> {
    let src: Vec<char> = source.chars().collect();
    let mask = code_mask(&src);
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut line_of = Vec::with_capacity(src.len());
    let mut line = 1;
    for &c in &src {
        line_of.push(line);
        if c == '\n' {
            line += 1;
        }
    }
    let lines: Vec<&str> = source.lines().collect();
    let mut out = vec![];
    for i in 0..src.len() {
        // The keyword `fn` followed by a name (not a `fn(…)` pointer type).
        let keyword = mask[i]
            && src[i] == 'f'
            && src.get(i + 1) == Some(&'n')
            && (i == 0 || !ident(src[i - 1]))
            && src.get(i + 2).is_some_and(|c| c.is_whitespace());
        if !keyword {
            continue;
        }
        let mut j = i + 2;
        while j < src.len() && src[j].is_whitespace() {
            j += 1;
        }
        let name: String = src[j..].iter().take_while(|&&c| ident(c)).collect();
        if name.is_empty() {
            continue;
        }
        // The body's opening brace: the first `{` outside brackets, unless a `;` ends a
        // declaration first (`[f64; 4]` in a signature is inside brackets).
        let mut depth = 0i32;
        let mut open = None;
        while j < src.len() {
            if mask[j] {
                match src[j] {
                    '(' | '[' => depth += 1,
                    ')' | ']' => depth -= 1,
                    '{' if depth == 0 => {
                        open = Some(j);
                        break;
                    }
                    ';' if depth == 0 => break,
                    _ => {}
                }
            }
            j += 1;
        }
        let Some(open) = open else { continue };
        let mut braces = 0;
        let mut close = None;
        for (k, &c) in src.iter().enumerate().skip(open) {
            if !mask[k] {
                continue;
            }
            if c == '{' {
                braces += 1;
            } else if c == '}' {
                braces -= 1;
                if braces == 0 {
                    close = Some(k);
                    break;
                }
            }
        }
        let close =
            close.unwrap_or_else(|| panic!("fn {name} at line {}: no closing brace", line_of[i]));
        out.push(Function {
            line: line_of[i],
            name,
            span: line_of[close] - line_of[i] + 1,
            has_reason: reason_above(&lines, line_of[i]),
        });
    }
    out
}

/// Whether `// Long because: <reason>` stands directly above line `fn_line` (1-based), or above
/// the attributes and doc comments directly above it.
fn reason_above(lines: &[&str], fn_line: usize) -> bool {
    let mut in_attribute = false;
    for l in lines[..fn_line - 1].iter().rev() {
        let l = l.trim();
        if let Some(reason) = l.strip_prefix(LONG_BECAUSE) {
            return !reason.trim().is_empty();
        }
        if in_attribute {
            in_attribute = !l.starts_with("#[");
        } else if l.starts_with("///") || l.starts_with("#[") {
        } else if l.ends_with(']') {
            // The last line of an attribute written over several lines.
            in_attribute = true;
        } else {
            return false;
        }
    }
    false
}

/// Functions longer than the limit without a reason.
fn unexplained(source: &str) -> Vec<Function> {
    functions(source)
        .into_iter()
        .filter(|f| f.span > MAX_FN_LINES && !f.has_reason)
        .collect()
}

#[test]
fn long_functions_say_why() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut offenders = vec![];
    for (rel, path) in common::files_under(&root.join("src")) {
        if !rel.ends_with(".rs") {
            continue;
        }
        let file = format!("src/{rel}");
        let source = std::fs::read_to_string(&path).unwrap();
        for f in unexplained(&source) {
            offenders.push(format!(
                "{file}:{} fn {} spans {} lines",
                f.line, f.name, f.span
            ));
        }
    }
    assert!(
        offenders.is_empty(),
        "functions over {MAX_FN_LINES} lines need splitting or a `{LONG_BECAUSE} <reason>` \
         line above them:\n{}",
        offenders.join("\n")
    );
}

/// A function `name` whose span from `fn` to its closing brace is `span` lines, with tricky
/// braces in strings, characters and comments that the counter must skip.
fn function_of_span(name: &str, span: usize) -> String {
    let tricky = [
        "    let s = \"}}\\\"}\"; // }",
        "    let c = '{'; let d = '\\''; let e = '}';",
        "    let r = r#\"}\" }\"#; /* { /* nested } */ { */",
        "    fn inner<'a>(x: &'a [u8; 2]) -> &'a u8 { &x[0] }",
    ];
    let mut lines = vec![format!("fn {name}() {{")];
    for k in 0..span - 2 {
        lines.push(
            tricky
                .get(k)
                .map_or("    let x = 1;".to_string(), |t| t.to_string()),
        );
    }
    lines.push("}".into());
    lines.join("\n")
}

#[test]
fn the_counter_flags_long_functions_without_a_reason() {
    let long = function_of_span("long", 81);
    let found = functions(&long);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(
        found[0],
        Function {
            line: 1,
            name: "long".into(),
            span: 81,
            has_reason: false
        }
    );
    assert_eq!(found[1].name, "inner");
    assert_eq!(found[1].span, 1);
    assert_eq!(unexplained(&long).len(), 1);

    // 80 lines is within the limit.
    assert!(unexplained(&function_of_span("just_fits", 80)).is_empty());

    // A reason above the function, or above its doc comment and attributes, excuses it.
    let with_reason = format!("// Long because: one table in order.\n{long}");
    assert!(unexplained(&with_reason).is_empty());
    let above_docs = format!(
        "// Long because: one table in order.\n/// Docs.\n#[allow(\n    dead_code\n)]\n#[inline]\n{long}"
    );
    assert!(unexplained(&above_docs).is_empty());
    // …but not an empty reason, a reason elsewhere, or a plain comment.
    for before in [
        "// Long because:",
        "// Long because: far away.\nconst X: u8 = 1;",
        "// Long, because the table is long.",
    ] {
        let s = format!("{before}\n{long}");
        assert_eq!(unexplained(&s).len(), 1, "{before}");
    }

    // Declarations without a body and `fn` pointer types are not functions; a `fn` in a string
    // is not either.
    let no_bodies = "trait T { fn f(&self) -> [u8; 2]; }\nconst F: fn(u8) -> u8 = id;\nconst S: &str = \"fn g() {\";";
    assert_eq!(functions(no_bodies), vec![]);
}
