//! `takwire dp tak://...`: enroll and write the certificate files and ATAK / iTAK
//! connection data packages, without connecting for CoT (PyTAK's `pytak dp`).
//!
//! Layout (as PyTAK's): `DIR/STEM/certs/STEM.p12` (key, certificate, CA chain),
//! `STEM.pem`, `STEM-key.pem`, `STEM-ca.pem`, `STEM-trust.p12`, and
//! `DIR/STEM/STEM-atak-connection.zip`, `STEM-itak-connection.zip`.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use takwire::enroll::{Enrolled, Target, enroll, random_passphrase};
use takwire::package::{Layout, PackageBuilder};

use super::{Common, Exit, configure};

/// Options of `takwire dp`.
#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  takwire dp 'tak://com.atakmap.app/enroll?host=takserver.example&username=alice&token=secret'
  takwire dp 'tak://...' -o ./packages --package-stem tablet-3

Prints where each file went and the passphrase of the PKCS#12 files.")]
pub struct DpArgs {
    /// The enrollment link (tak://com.atakmap.app/enroll?host=...&username=...&token=...).
    #[arg(value_name = "TAK_URL")]
    pub url: String,

    /// Parent directory; STEM/ is made in it with certs/ and the packages.
    #[arg(
        short = 'o',
        long = "output-dir",
        value_name = "DIR",
        default_value = "data-packages"
    )]
    pub output_dir: PathBuf,

    /// Subdirectory and file base name (default: the user name, made safe).
    #[arg(long, value_name = "NAME")]
    pub package_stem: Option<String>,

    /// Host in the packages' connect string (default: the link's host).
    #[arg(long, value_name = "HOST")]
    pub streaming_host: Option<String>,

    /// Port in the packages' connect string (TAK's TLS streaming port by default).
    #[arg(long, value_name = "PORT", default_value_t = 8089)]
    pub streaming_port: u16,

    /// Passphrase of the PKCS#12 files (default: PYTAK_TLS_CERT_ENROLLMENT_PASSPHRASE,
    /// else a random one).
    #[arg(long, value_name = "PASSPHRASE")]
    pub passphrase: Option<String>,

    #[command(flatten)]
    pub common: Common,
}

/// A file-name-safe version of `name` (PyTAK's `sanitize_package_stem`).
fn safe_stem(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let s = s.trim_matches(|c| c == '.' || c == '_').to_string();
    if s.is_empty() { "enrollment".into() } else { s }
}

fn write_file(path: &Path, data: &[u8], private: bool) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = options
        .open(path)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    f.write_all(data)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

pub fn run(args: DpArgs) -> Exit {
    if !args.url.trim().to_ascii_lowercase().starts_with("tak://") {
        eprintln!(
            "takwire dp: {:?} is not a tak:// enrollment link",
            takwire::url::redact_tak_url(&args.url)
        );
        return Exit::Usage;
    }
    let config = match configure(&args.common, Some(&args.url)) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let Some(target) = Target::from_config(&config) else {
        eprintln!("takwire dp: the link names no server to enroll with");
        return Exit::Usage;
    };
    let passphrase = args
        .passphrase
        .clone()
        .or_else(|| config.tls.enrollment_passphrase.clone())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(random_passphrase);
    let stem = args
        .package_stem
        .as_deref()
        .map(safe_stem)
        .unwrap_or_else(|| safe_stem(&target.username));
    eprintln!(
        "takwire: enrolling {} with {} ...",
        target.username, target.host
    );
    let enrolled = match enroll(&target.request(&config))
        .and_then(|(signed, key)| Enrolled::new(signed, key, passphrase, &stem))
    {
        Ok(e) => e,
        Err(e) => {
            eprintln!("takwire: {e}");
            return Exit::Failure;
        }
    };
    match write_all(&args, &target, &stem, &enrolled) {
        Ok(lines) => {
            for l in lines {
                println!("{l}");
            }
            Exit::Ok
        }
        Err(e) => {
            eprintln!("takwire dp: {e}");
            Exit::Failure
        }
    }
}

fn write_all(
    args: &DpArgs,
    target: &Target,
    stem: &str,
    enrolled: &Enrolled,
) -> Result<Vec<String>, String> {
    let root = args.output_dir.join(stem);
    let certs = root.join("certs");
    std::fs::create_dir_all(&certs)
        .map_err(|e| format!("cannot create {}: {e}", certs.display()))?;
    let p12 = certs.join(format!("{stem}.p12"));
    let cert_pem = certs.join(format!("{stem}.pem"));
    let key_pem = certs.join(format!("{stem}-key.pem"));
    let ca_pem = certs.join(format!("{stem}-ca.pem"));
    let trust = certs.join(format!("{stem}-trust.p12"));
    write_file(&p12, &enrolled.p12, true)?;
    write_file(&cert_pem, enrolled.cert_pem().as_bytes(), false)?;
    write_file(&key_pem, enrolled.key_pem().as_bytes(), true)?;
    if enrolled.ca.is_empty() {
        return Err(
            "the server returned no CA chain: ATAK and iTAK packages need a truststore".into(),
        );
    }
    write_file(&ca_pem, enrolled.ca_pem().as_bytes(), false)?;
    let trust_p12 = enrolled.truststore_p12().map_err(|e| e.to_string())?;
    write_file(&trust, &trust_p12, true)?;

    let host = args
        .streaming_host
        .clone()
        .unwrap_or_else(|| target.host.clone());
    let builder = PackageBuilder::new(host.clone(), args.streaming_port)
        .name(stem)
        .description(format!("{} @ TAK Server", target.username))
        .client_pkcs12(&enrolled.p12, &enrolled.passphrase)
        .and_then(|b| b.ca_pem(enrolled.ca_pem().as_bytes()))
        .map_err(|e| e.to_string())?
        .password(enrolled.passphrase.clone());
    let atak = root.join(format!("{stem}-atak-connection.zip"));
    let itak = root.join(format!("{stem}-itak-connection.zip"));
    builder
        .write(Layout::Atak, &atak)
        .map_err(|e| e.to_string())?;
    builder
        .write(Layout::Itak, &itak)
        .map_err(|e| e.to_string())?;
    Ok(vec![
        format!("package_dir={}", root.display()),
        format!("atak_zip={}", atak.display()),
        format!("itak_zip={}", itak.display()),
        format!("p12={}", p12.display()),
        format!("cert_pem={}", cert_pem.display()),
        format!("key_pem={}", key_pem.display()),
        format!("ca_pem={}", ca_pem.display()),
        format!("trust_p12={}", trust.display()),
        format!("connect_string={host}:{}:ssl", args.streaming_port),
        format!("passphrase={}", enrolled.passphrase),
    ])
}
