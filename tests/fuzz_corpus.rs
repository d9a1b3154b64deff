//! Replays the fuzz seeds (`fuzz/seeds/<target>/`, which include every input that once
//! crashed a target) through the same entry points the fuzz targets call
//! (`takwire::fuzzing`), so that a plain `cargo test` on the stable toolchain checks them.
//! Also checks that the targets, their seed directories and `fuzz/` agree.

use std::path::{Path, PathBuf};

use takwire::fuzzing::{TARGETS, target};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

fn seeds(name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = fuzz_dir().join("seeds").join(name);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            (path, data)
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_seed_passes_its_target() {
    let mut total = 0;
    let mut failures = Vec::new();
    for t in TARGETS {
        let seeds = seeds(t.name);
        assert!(!seeds.is_empty(), "no seeds for fuzz target {}", t.name);
        for (path, data) in seeds {
            if let Err(panic) = std::panic::catch_unwind(|| (t.run)(&data)) {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{} on {}: {why}", t.name, path.display()));
            }
            total += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} seeds fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn targets_seed_directories_and_fuzz_crate_agree() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for t in TARGETS {
        let file = fuzz_dir()
            .join("fuzz_targets")
            .join(format!("{}.rs", t.name));
        let src =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            src.contains(&format!("takwire::fuzzing::{}(data)", t.name)),
            "{} does not call takwire::fuzzing::{}",
            file.display(),
            t.name
        );
        assert!(
            manifest.contains(&format!("name = \"{}\"", t.name)),
            "fuzz/Cargo.toml has no [[bin]] for {}",
            t.name
        );
    }
    for entry in std::fs::read_dir(fuzz_dir().join("seeds")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            target(&name).is_some(),
            "fuzz/seeds/{name} belongs to no fuzz target"
        );
    }
    for entry in std::fs::read_dir(fuzz_dir().join("fuzz_targets")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let stem = name.trim_end_matches(".rs");
        assert!(
            target(stem).is_some(),
            "fuzz/fuzz_targets/{name} is not in takwire::fuzzing::TARGETS"
        );
    }
}
