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
