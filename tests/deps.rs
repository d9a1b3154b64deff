//! The dependency tree is openssl-free and has no async runtime (the design card's rules),
//! checked with `cargo tree` over every feature.

use std::process::Command;

/// Crates that must not be in the normal dependency tree: native TLS stacks and async
/// runtimes.
const FORBIDDEN: &[&str] = &[
    "openssl",
    "openssl-sys",
    "native-tls",
    "aws-lc-rs",
    "aws-lc-sys",
    "aws-lc-fips-sys",
    "tokio",
    "async-std",
    "smol",
    "futures-executor",
];

#[test]
fn no_openssl_native_tls_aws_lc_or_async_runtime() {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--all-features",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("running cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    let names: Vec<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(names.contains(&"rustls"), "the tree looks wrong:\n{tree}");
    assert!(names.contains(&"ring"), "rustls should use ring:\n{tree}");
    let bad: Vec<&&str> = names
        .iter()
        .filter(|n| FORBIDDEN.contains(n) || n.starts_with("openssl") || n.starts_with("aws-lc"))
        .collect();
    assert!(bad.is_empty(), "forbidden crates in the tree: {bad:?}");
}

/// Crates whose build scripts compile C (or find C libraries): only `ring` may need them, so
/// that cross-compiling (for ARM boards, say) needs a C cross-compiler for ring and nothing
/// else.
#[test]
fn only_ring_compiles_c() {
    for tool in ["cc", "cmake", "pkg-config", "bindgen"] {
        let out = Command::new(env!("CARGO"))
            .args([
                "tree",
                "--all-features",
                "-e",
                "normal,build",
                "-i",
                tool,
                "--depth",
                "1",
                "--prefix",
                "none",
                "--format",
                "{p}",
            ])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("running cargo tree");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            // `-i` names a crate that is not in the tree at all.
            assert!(
                stderr.contains("did not match any packages"),
                "cargo tree -i {tool} failed: {stderr}"
            );
            continue;
        }
        let tree = String::from_utf8(out.stdout).unwrap();
        let users: Vec<&str> = tree
            .lines()
            .skip(1)
            .filter(|l| !l.starts_with('['))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        assert!(
            users.iter().all(|u| *u == "ring"),
            "crates other than ring build-depend on {tool}: {users:?}\n{tree}"
        );
    }
}
