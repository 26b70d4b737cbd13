//! PowerShell parsed with the tree-sitter grammar: syntax problems and the code with its
//! comments and string literals blanked (what is left is what would run).

use tree_sitter::{Node, Parser};

pub fn parse(script: &str) -> tree_sitter::Tree {
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_powershell::LANGUAGE.into())
        .expect("the PowerShell grammar loads");
    parser
        .parse(script, None)
        .expect("the parser returns a tree")
}

/// Every ERROR or MISSING node, with its position and the source line around it.
pub fn syntax_problems(script: &str) -> Vec<String> {
    let tree = parse(script);
    let lines: Vec<&str> = script.lines().collect();
    let mut out = Vec::new();
    let mut stack: Vec<Node> = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            let p = node.start_position();
            let what = if node.is_missing() {
                format!("MISSING {}", node.kind())
            } else {
                "ERROR".to_string()
            };
            let context: Vec<String> = (p.row.saturating_sub(1)..=(p.row + 1).min(lines.len() - 1))
                .map(|r| format!("  {:>4} | {}", r + 1, lines[r]))
                .collect();
            out.push(format!(
                "{what} at line {}, column {}:\n{}",
                p.row + 1,
                p.column + 1,
                context.join("\n")
            ));
            // The first problem inside a subtree is enough; its children repeat it.
            continue;
        }
        if node.has_error() {
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
    }
    out.sort();
    out
}

/// The script without comments and string literals, for token checks.
pub fn code_only(script: &str) -> String {
    let tree = parse(script);
    let mut spans = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        let kind = node.kind();
        if kind == "comment" || kind.contains("string_literal") {
            spans.push(node.byte_range());
            continue;
        }
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
    }
    let mut bytes = script.as_bytes().to_vec();
    for r in spans {
        for b in &mut bytes[r] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
