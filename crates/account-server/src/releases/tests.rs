use super::*;

/// A throwaway key pair in the Tauri format (base64 of minisign's key and signature files).
struct Signer {
    pk: String,
    sk: minisign::SecretKey,
}

impl Signer {
    fn new() -> Self {
        let pair = minisign::KeyPair::generate_unencrypted_keypair().expect("key pair");
        let pk = pair.pk.to_box().expect("public key box").to_string();
        Self {
            pk: base64::engine::general_purpose::STANDARD.encode(pk),
            sk: pair.sk,
        }
    }

    fn key(&self) -> PublicKey {
        PublicKey::read(&self.pk).expect("the key parses")
    }

    fn sign(&self, bytes: &[u8]) -> String {
        let signature = minisign::sign(None, &self.sk, std::io::Cursor::new(bytes), None, None)
            .expect("signing");
        base64::engine::general_purpose::STANDARD.encode(signature.to_string())
    }
}

fn bundle(dir: &Path, name: &str, bytes: &[u8], signature: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("bundle");
    std::fs::write(format!("{}.sig", path.display()), signature).expect("signature");
    path
}

fn version(v: &str) -> semver::Version {
    semver::Version::parse(v).expect("version")
}

const DATE: &str = "2026-12-02T08:00:00Z";

#[test]
fn a_release_is_published_with_its_signed_bundles_and_found_by_older_apps() {
    let (work, releases) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let signer = Signer::new();
    let deb = bundle(
        work.path(),
        "app_0.2.0_amd64.deb",
        b"deb bytes",
        &signer.sign(b"deb bytes"),
    );
    let exe = bundle(
        work.path(),
        "app_0.2.0_x64-setup.exe",
        b"exe",
        &signer.sign(b"exe"),
    );
    let added = add(
        releases.path(),
        &version("0.2.0"),
        "  Faster tray.\n",
        DATE,
        &signer.key(),
        &[
            BundleArg {
                platform: "linux-x86_64-deb".parse().expect("p"),
                path: deb,
            },
            BundleArg {
                platform: "windows-x86_64-nsis".parse().expect("p"),
                path: exe,
            },
        ],
    )
    .expect("published");
    assert_eq!(added.notes, "Faster tray.");
    let folder = releases.path().join("0.2.0");
    assert_eq!(
        std::fs::read(folder.join("app_0.2.0_amd64.deb")).expect("copied"),
        b"deb bytes"
    );
    let listed = list(releases.path()).expect("listed");
    assert_eq!(listed, vec![added]);

    let (found, bundles) =
        newest_for(&listed, Os::Linux, Arch::X86_64, &version("0.1.0")).expect("an update");
    assert_eq!(found.version, version("0.2.0"));
    assert_eq!(
        bundles.len(),
        1,
        "only this OS and architecture: {bundles:?}"
    );
    assert_eq!(bundles[0].0.to_string(), "linux-x86_64-deb");
    assert!(newest_for(&listed, Os::Linux, Arch::X86_64, &version("0.2.0")).is_none());
    assert!(newest_for(&listed, Os::Linux, Arch::Aarch64, &version("0.1.0")).is_none());
    assert!(newest_for(&listed, Os::Darwin, Arch::X86_64, &version("0.1.0")).is_none());
}

#[test]
fn the_newest_release_for_the_platform_wins() {
    let (work, releases) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let signer = Signer::new();
    for (v, platform) in [
        ("0.2.0", "linux-x86_64-deb"),
        ("0.3.0", "windows-x86_64-msi"),
        ("0.2.5", "linux-x86_64-rpm"),
    ] {
        let path = bundle(
            work.path(),
            &format!("b{v}"),
            v.as_bytes(),
            &signer.sign(v.as_bytes()),
        );
        add(
            releases.path(),
            &version(v),
            "",
            DATE,
            &signer.key(),
            &[BundleArg {
                platform: platform.parse().expect("p"),
                path,
            }],
        )
        .expect("published");
    }
    let listed = list(releases.path()).expect("listed");
    let versions: Vec<String> = listed.iter().map(|r| r.version.to_string()).collect();
    assert_eq!(versions, ["0.2.0", "0.2.5", "0.3.0"]);
    let (linux, _) =
        newest_for(&listed, Os::Linux, Arch::X86_64, &version("0.1.0")).expect("linux");
    assert_eq!(linux.version, version("0.2.5"), "0.3.0 has no Linux bundle");
}

#[test]
fn a_bundle_whose_signature_is_not_the_apps_key_is_refused_and_nothing_is_published() {
    let (work, releases) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let (apps, other) = (Signer::new(), Signer::new());
    let good = bundle(work.path(), "good.deb", b"good", &apps.sign(b"good"));
    let foreign = bundle(work.path(), "foreign.rpm", b"rpm", &other.sign(b"rpm"));
    let tampered = bundle(
        work.path(),
        "tampered.deb",
        b"changed",
        &apps.sign(b"original"),
    );
    for (bad, platform) in [
        (foreign, "linux-x86_64-rpm"),
        (tampered, "linux-aarch64-deb"),
    ] {
        let error = add(
            releases.path(),
            &version("0.2.0"),
            "",
            DATE,
            &apps.key(),
            &[
                BundleArg {
                    platform: "linux-x86_64-deb".parse().expect("p"),
                    path: good.clone(),
                },
                BundleArg {
                    platform: platform.parse().expect("p"),
                    path: bad.clone(),
                },
            ],
        )
        .expect_err("refused");
        let message = error.to_string();
        assert!(
            message.contains("does not match the public key"),
            "{message}"
        );
        assert!(message.contains(&bad.display().to_string()), "{message}");
    }
    assert!(list(releases.path()).expect("listed").is_empty());
    assert_eq!(
        std::fs::read_dir(releases.path()).expect("dir").count(),
        0,
        "no leftovers"
    );
}

#[test]
fn a_published_version_is_never_replaced() {
    let (work, releases) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let signer = Signer::new();
    let path = bundle(work.path(), "a.deb", b"a", &signer.sign(b"a"));
    let arg = [BundleArg {
        platform: "linux-x86_64-deb".parse().expect("p"),
        path,
    }];
    add(
        releases.path(),
        &version("0.2.0"),
        "",
        DATE,
        &signer.key(),
        &arg,
    )
    .expect("first");
    let error = add(
        releases.path(),
        &version("0.2.0"),
        "",
        DATE,
        &signer.key(),
        &arg,
    )
    .expect_err("second");
    assert!(error.to_string().contains("exists already"), "{error}");
}

#[test]
fn bad_names_get_specific_errors() {
    for (input, expected) in [
        ("linux-x86_64", "<os>-<arch>-<installer>"),
        (
            "beos-x86_64-deb",
            "the OS \"beos\" is not one of linux, windows, darwin",
        ),
        ("linux-sparc-deb", "the architecture \"sparc\""),
        ("linux-x86_64-zip", "the installer \"zip\""),
        (
            "windows-x86_64-deb",
            "windows does not install a deb bundle",
        ),
    ] {
        let error = input.parse::<Platform>().expect_err(input);
        assert!(error.contains(expected), "{input}: {error}");
    }
    assert!("linux-x86_64-deb".parse::<BundleArg>().is_err(), "no file");
    assert!(
        "linux-x86_64-deb="
            .parse::<BundleArg>()
            .expect_err("no file after =")
            .contains("missing")
    );
    assert!(PublicKey::read("not base64!").is_err());
    let signer = Signer::new();
    let error = signer
        .key()
        .verify(b"x", "bm90IGEgc2lnbmF0dXJl")
        .expect_err("not minisign");
    assert!(error.contains("not a minisign signature"), "{error}");
}

#[test]
fn a_damaged_description_is_named() {
    let releases = tempfile::tempdir().expect("dir");
    let folder = releases.path().join("0.2.0");
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::write(folder.join(RELEASE_FILE), "{").expect("write");
    std::fs::create_dir_all(releases.path().join(".incoming-0.3.0-1")).expect("staging");
    let error = list(releases.path()).expect_err("damaged");
    let named = folder.join(RELEASE_FILE).display().to_string();
    assert!(error.to_string().contains(&named), "{error}");
}
