//! The layer table in docs/ARCHITECTURE.md is the rule for `use crate::…`: a module may use
//! only modules of lower layers (and itself). The table is read from the document, so the
//! document and this check cannot disagree.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `| 3 | `config` | …` rows under "## Layers": module name -> layer.
fn layer_table() -> BTreeMap<String, u32> {
    let doc = std::fs::read_to_string(root().join("docs/ARCHITECTURE.md")).unwrap();
    let section = doc.split("\n## Layers").nth(1).expect("docs/ARCHITECTURE.md has a ## Layers section");
    let section = section.split("\n## ").next().unwrap();
    let mut table = BTreeMap::new();
    for line in section.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let Some(layer) = cells.get(1).and_then(|c| c.parse::<u32>().ok()) else { continue };
        for module in cells[2].split(',') {
            let module = module.trim().trim_matches('`');
            assert!(table.insert(module.to_string(), layer).is_none(), "{module} is in two layers");
        }
    }
    assert!(!table.is_empty(), "the ## Layers table has no rows");
    table
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`src/ops/dns.rs` -> `ops`); `None` for the
/// crate roots.
fn module_of(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root().join("src")).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(name, "lib" | "main")).then(|| name.to_string())
}

/// Every top-level module named after `crate::`, including each item of a `crate::{a, b::c}`
/// group. Line comments are skipped; doc links are not code.
fn crate_imports(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // A group may span lines: take it from the whole text.
                let start = text.lines().take(n).map(|l| l.len() + 1).sum::<usize>() + (code.len() - rest.len()) + 1;
                let mut depth = 1;
                let mut item = String::new();
                let mut items = Vec::new();
                for c in text[start..].chars() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        break;
                    }
                    if depth == 1 && c == ',' {
                        items.push(std::mem::take(&mut item));
                    } else {
                        item.push(c);
                    }
                }
                items.push(item);
                for item in items {
                    let name: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if !name.is_empty() {
                        out.push((n + 1, name));
                    }
                }
                rest = group;
            } else {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                out.push((n + 1, name));
            }
        }
    }
    out
}

#[test]
fn every_module_has_a_layer() {
    let table = layer_table();
    let mut files = Vec::new();
    sources(&root().join("src"), &mut files);
    let mut missing: Vec<String> =
        files.iter().filter_map(|f| module_of(f)).filter(|m| !table.contains_key(m)).collect();
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "modules missing from the ## Layers table of docs/ARCHITECTURE.md: {missing:?}");
    for module in table.keys() {
        assert!(
            root().join("src").join(format!("{module}.rs")).exists() || root().join("src").join(module).is_dir(),
            "the ## Layers table names {module}, which is not a module of src/"
        );
    }
}

#[test]
fn every_crate_import_goes_down_the_layers() {
    let table = layer_table();
    let mut files = Vec::new();
    sources(&root().join("src"), &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for file in &files {
        let Some(module) = module_of(file) else { continue };
        let Some(&layer) = table.get(&module) else { continue };
        let text = std::fs::read_to_string(file).unwrap();
        for (line, used) in crate_imports(&text) {
            if used == module || matches!(used.as_str(), "self" | "super") {
                continue;
            }
            match table.get(&used) {
                Some(&l) if l < layer => {}
                Some(&l) => wrong.push(format!(
                    "{}:{line}: {module} (layer {layer}) uses crate::{used} (layer {l})",
                    file.strip_prefix(root()).unwrap().display()
                )),
                None => wrong.push(format!(
                    "{}:{line}: crate::{used} has no layer",
                    file.strip_prefix(root()).unwrap().display()
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layer table:\n{}", wrong.join("\n"));
}

#[test]
fn the_import_reader_sees_groups_and_paths() {
    let text = "use crate::a::X;\nuse crate::{b::Y, c,\n  d::{e, f}};\nfn g() { crate::h::i(); } // crate::zz\n";
    let found: Vec<String> = crate_imports(text).into_iter().map(|(_, m)| m).collect();
    assert_eq!(found, ["a", "b", "c", "d", "h"]);
}
