//! The docs match the command line: every `iis-sweep …` command quoted in README.md, docs/*.md
//! and the headers of inventory/ examples parses with the real parser, so a renamed flag or
//! subcommand fails the build instead of misleading a reader.
//!
//! Quoted usage lines are read the way a person reads them: `[--limit P]` is an optional part
//! (brackets dropped), `PATH...` a placeholder value, `#` starts a comment.

use std::path::{Path, PathBuf};

use clap::Parser;

use crate::cli::Cli;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn doc_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    for dir in ["docs", "inventory", "inventory/examples"] {
        let Ok(entries) = std::fs::read_dir(root().join(dir)) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .filter(|p| {
                let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
                matches!(ext, "md" | "toml" | "ini" | "yml" | "yaml" | "json")
            })
            .collect();
        found.sort();
        files.extend(found);
    }
    files
}

/// `(line number, command text)` of every quoted `iis-sweep` command in a file.
fn commands_in(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let markdown = path.extension().is_some_and(|e| e == "md");
    let mut out = Vec::new();
    let mut fenced = false;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if markdown && trimmed.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if markdown && fenced {
            let l = trimmed.trim_start_matches("$ ");
            if l.starts_with("iis-sweep ") {
                out.push((i + 1, l.to_string()));
            }
            continue;
        }
        // Inline `iis-sweep …` spans in prose; in inventory files, comment lines.
        let prose = if markdown {
            line.to_string()
        } else if let Some(c) = trimmed
            .strip_prefix('#')
            .or_else(|| trimmed.strip_prefix(';'))
        {
            format!("`{}`", c.trim())
        } else {
            continue;
        };
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("`iis-sweep ") {
            let span = &rest[at + 1..];
            let Some(end) = span.find('`') else { break };
            out.push((i + 1, span[..end].to_string()));
            rest = &span[end..];
        }
    }
    out
}

/// The words of a quoted command as a reader means them.
fn words(command: &str) -> Vec<String> {
    let command = match command.find(" #") {
        Some(at) => &command[..at],
        None => command,
    };
    let mut words = Vec::new();
    let (mut word, mut quote, mut started) = (String::new(), None, false);
    for c in command.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, ' ') => {
                if started {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (None, '[' | ']') => {}
            (_, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    // `a | b` shell pipes and `>` redirections end the command.
    if let Some(at) = words
        .iter()
        .position(|w| matches!(w.as_str(), "|" | ">" | ">>" | "&&"))
    {
        words.truncate(at);
    }
    words
        .into_iter()
        // "…" stands for "and so on"; `snapshot|report` for a choice (take the first).
        .filter(|w| !w.is_empty() && w != "…" && w != "...")
        .map(|w| match w.split_once('|') {
            Some((first, _)) if !first.is_empty() => first.to_string(),
            _ => w,
        })
        // A one-letter capital (`--hosts N`, `--concurrency C`) is a number.
        .map(|w| {
            if w.len() == 1 && w.chars().all(|c| c.is_ascii_uppercase()) {
                "1".to_string()
            } else {
                w
            }
        })
        .collect()
}

/// Parses a quoted command. A command named without its arguments (`iis-sweep check` in prose)
/// is checked with `--help`: the subcommand must exist.
fn parses(argv: &[String]) -> Result<(), clap::Error> {
    use clap::error::ErrorKind;
    let ok =
        |e: &clap::Error| matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    match Cli::try_parse_from(argv) {
        Ok(_) => Ok(()),
        Err(e) if ok(&e) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::MissingRequiredArgument
                    | ErrorKind::MissingSubcommand
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) && argv.iter().skip(1).all(|w| !w.starts_with('-')) =>
        {
            let mut with_help = argv.to_vec();
            with_help.push("--help".to_string());
            match Cli::try_parse_from(&with_help) {
                Err(e) if ok(&e) => Ok(()),
                Ok(_) => Ok(()),
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

#[test]
fn every_documented_command_parses() {
    let mut checked = 0;
    let mut broken = Vec::new();
    for file in doc_files() {
        for (line, command) in commands_in(&file) {
            let argv = words(&command);
            checked += 1;
            if let Err(e) = parses(&argv) {
                let first = e.to_string().lines().next().unwrap_or("").to_string();
                broken.push(format!(
                    "{}:{line}: {command}\n    {first}",
                    file.strip_prefix(root()).unwrap_or(&file).display()
                ));
            }
        }
    }
    assert!(checked >= 40, "only {checked} documented commands found");
    assert!(
        broken.is_empty(),
        "documented commands that do not parse:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_check_catches_drift() {
    assert!(parses(&words("iis-sweep scan -i fleet.toml --no-such-flag")).is_err());
    assert!(parses(&words("iis-sweep sweep -i fleet.toml")).is_err());
    assert!(parses(&words("iis-sweep nosuch")).is_err());
    let argv = words("iis-sweep why PATH --site S --url /p [--substatus 401.3]   # ranked causes");
    assert!(parses(&argv).is_ok(), "{argv:?}");
    assert!(
        parses(&words("iis-sweep check")).is_ok(),
        "a command named in prose"
    );
}
