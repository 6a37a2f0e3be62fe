//! `cargo xtask release --dry-run`: everything short of uploading to crates.io.
//!
//! Checks that every publishable crate has the metadata crates.io needs, shares the workspace
//! version, and names its internal dependencies with a version (a path alone cannot be
//! published); then packages and verifies them with `cargo publish --dry-run`, in dependency
//! order so that a crate is verified against the local build of the ones it needs.

use crate::workspace;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A workspace crate as `cargo metadata` describes it, reduced to what release checks need.
#[derive(Debug)]
struct Package {
    name: String,
    version: String,
    publishable: bool,
    problems: Vec<String>,
    /// Internal dependencies (path dependencies on other workspace crates), excluding dev-deps.
    internal: Vec<String>,
}

pub fn dry_run() -> Result<(), String> {
    let packages = read_packages()?;
    let publishable: Vec<&Package> = packages.iter().filter(|p| p.publishable).collect();
    let mut problems = Vec::new();
    let versions: BTreeSet<&str> = publishable.iter().map(|p| p.version.as_str()).collect();
    if versions.len() > 1 {
        problems.push(format!(
            "publishable crates disagree on the version: {versions:?}"
        ));
    }
    for package in &publishable {
        for problem in &package.problems {
            problems.push(format!("{}: {problem}", package.name));
        }
        for dependency in &package.internal {
            if !publishable.iter().any(|p| &p.name == dependency) {
                problems.push(format!(
                    "{} depends on {dependency}, which is not publishable",
                    package.name
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(format!(
            "release checks failed:\n  {}",
            problems.join("\n  ")
        ));
    }
    let order = publish_order(&publishable)?;
    eprintln!("publish order: {}", order.join(" -> "));
    let mut command = workspace::cargo();
    command.args(["publish", "--dry-run"]);
    for name in &order {
        command.args(["--package", name]);
    }
    workspace::run(command)?;
    eprintln!("release dry run passed for {} crates", order.len());
    Ok(())
}

fn read_packages() -> Result<Vec<Package>, String> {
    let output = workspace::cargo()
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .map_err(|error| format!("cannot run cargo metadata: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let metadata: Value = serde_json::from_slice(&output.stdout)
        .map_err(|error| format!("cargo metadata output: {error}"))?;
    let packages = metadata["packages"]
        .as_array()
        .ok_or("cargo metadata has no packages")?;
    let names: BTreeSet<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    Ok(packages
        .iter()
        .map(|package| describe(package, &names))
        .collect())
}

fn describe(package: &Value, workspace_names: &BTreeSet<&str>) -> Package {
    let text = |key: &str| package[key].as_str().unwrap_or_default().to_owned();
    // `publish: []` means "never"; null means "anywhere".
    let publishable = !package["publish"]
        .as_array()
        .is_some_and(|registries| registries.is_empty());
    let mut problems = Vec::new();
    for key in ["description", "license", "repository"] {
        if text(key).is_empty() {
            problems.push(format!("`{key}` is missing from Cargo.toml"));
        }
    }
    if package["readme"].is_null() {
        problems.push("`readme` is missing from Cargo.toml".into());
    }
    let mut internal = Vec::new();
    for dependency in package["dependencies"].as_array().into_iter().flatten() {
        let name = dependency["name"].as_str().unwrap_or_default();
        if !workspace_names.contains(name) {
            continue;
        }
        let is_dev = dependency["kind"].as_str() == Some("dev");
        if !is_dev && dependency["req"].as_str() == Some("*") {
            problems.push(format!(
                "dependency on {name} has no version requirement (needed to publish)"
            ));
        }
        if !is_dev {
            internal.push(name.to_owned());
        }
    }
    Package {
        name: text("name"),
        version: text("version"),
        publishable,
        problems,
        internal,
    }
}

/// Dependencies before dependents; an error names a cycle.
fn publish_order(packages: &[&Package]) -> Result<Vec<String>, String> {
    let mut remaining: BTreeMap<&str, BTreeSet<&str>> = packages
        .iter()
        .map(|p| {
            (
                p.name.as_str(),
                p.internal.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    let mut order = Vec::new();
    while !remaining.is_empty() {
        let ready: Vec<&str> = remaining
            .iter()
            .filter(|(_, deps)| deps.iter().all(|d| !remaining.contains_key(d)))
            .map(|(name, _)| *name)
            .collect();
        if ready.is_empty() {
            return Err(format!(
                "dependency cycle among {:?}",
                remaining.keys().collect::<Vec<_>>()
            ));
        }
        for name in ready {
            remaining.remove(name);
            order.push(name.to_owned());
        }
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn package(name: &str, internal: &[&str]) -> Package {
        Package {
            name: name.into(),
            version: "0.1.0".into(),
            publishable: true,
            problems: Vec::new(),
            internal: internal.iter().map(|d| d.to_string()).collect(),
        }
    }

    #[test]
    fn dependencies_are_published_before_dependents() {
        let facade = package(
            "graph-upload",
            &["graph-upload-transport", "graph-upload-ranges"],
        );
        let transport = package("graph-upload-transport", &["graph-upload-models"]);
        let models = package("graph-upload-models", &[]);
        let ranges = package("graph-upload-ranges", &[]);
        let order = publish_order(&[&facade, &transport, &models, &ranges]).unwrap_or_default();
        let position = |name: &str| order.iter().position(|n| n == name);
        assert_eq!(order.len(), 4);
        assert!(position("graph-upload-models") < position("graph-upload-transport"));
        assert!(position("graph-upload-transport") < position("graph-upload"));
        assert!(position("graph-upload-ranges") < position("graph-upload"));
    }

    #[test]
    fn a_cycle_is_reported() {
        let a = package("a", &["b"]);
        let b = package("b", &["a"]);
        assert!(publish_order(&[&a, &b]).is_err());
    }

    #[test]
    fn missing_metadata_and_versionless_path_dependency_are_problems() {
        let value = serde_json::json!({
            "name": "x", "version": "0.1.0", "publish": null,
            "description": "d", "license": null, "repository": "r", "readme": null,
            "dependencies": [{"name": "graph-upload-models", "req": "*", "kind": null}]
        });
        let names = BTreeSet::from(["x", "graph-upload-models"]);
        let described = describe(&value, &names);
        assert!(described.publishable);
        assert_eq!(described.internal, ["graph-upload-models"]);
        assert_eq!(described.problems.len(), 3, "{:?}", described.problems);
    }
}
