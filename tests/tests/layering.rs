//! The crates are split by role (issue 15): what each kind of user compiles, read from
//! `cargo tree` on this workspace's lock file.
//!
//! - a crate that only derives `ArrayModel` (the runtime with default features) compiles
//!   no code generator, no formatter, no CLI, no C++ and no schemars (JSON Schema is
//!   feature `schema`, which `import` implies);
//! - the derive itself carries no generator;
//! - a crate with only a build.rs dependency on the generator library
//!   (`examples/build-script`) compiles no clap or indicatif.

use std::collections::BTreeSet;
use std::process::Command;

/// The package names `cargo tree -p <package>` lists for normal and build dependencies.
fn tree(package: &str, features: &[&str]) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args([
        "tree",
        "--locked",
        "--offline",
        "-e",
        "normal,build",
        "--prefix",
        "none",
    ])
    .args(["--format", "{p}", "-p", package])
    .current_dir(arraymodel_tests::repo_root());
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    let out = cmd.output().expect("running cargo tree");
    assert!(
        out.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let names: BTreeSet<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    assert!(
        names.contains(package),
        "{package} not in its own tree: {names:?}"
    );
    names
}

fn assert_none(names: &BTreeSet<String>, forbidden: &[&str], who: &str) {
    let found: Vec<&&str> = forbidden.iter().filter(|f| names.contains(**f)).collect();
    assert!(found.is_empty(), "{who} compiles {found:?}");
}

const GENERATOR: &[&str] = &[
    "arraymodel-codegen",
    "arraymodel-import-macro",
    "prettyplease",
];
const CLI: &[&str] = &[
    "clap",
    "clap_builder",
    "indicatif",
    "arraymodel-codegen-cli",
];

#[test]
fn a_derive_user_compiles_no_generator_cli_or_cpp() {
    let names = tree("arraymodel", &[]);
    assert!(names.contains("arraymodel-macros"), "{names:?}");
    assert_none(&names, GENERATOR, "arraymodel (default features)");
    assert_none(&names, CLI, "arraymodel (default features)");
    assert_none(&names, &["simdutf", "cc"], "arraymodel (default features)");
}

/// schemars and what only it brings (its derive, serde_derive_internals, dyn-clone,
/// ref-cast's derive with syn 3) are feature `schema`'s.
const SCHEMA: &[&str] = &[
    "schemars",
    "schemars_derive",
    "serde_derive_internals",
    "dyn-clone",
    "ref-cast",
];

#[test]
fn json_schema_is_the_schema_feature() {
    let names = tree("arraymodel", &[]);
    assert_none(&names, SCHEMA, "arraymodel (default features)");
    let names = tree("arraymodel", &["schema"]);
    assert!(names.contains("schemars"), "{names:?}");
    assert_none(&names, GENERATOR, "arraymodel --features schema");
    // Generated code derives `JsonSchema`: the generator's features bring schemars.
    assert!(tree("arraymodel", &["import"]).contains("schemars"));
    assert!(tree("arraymodel-example-build", &[]).contains("schemars"));
}

#[test]
fn the_derive_carries_no_generator() {
    let names = tree("arraymodel-macros", &[]);
    assert_none(&names, GENERATOR, "arraymodel-macros");
    assert_none(&names, &["serde_json"], "arraymodel-macros");
    // The runtime's path is `::arraymodel` or `#[arraymodel(crate = "...")]`: no Cargo.toml
    // lookup, no TOML parser (1.8 s of a derive user's build wall time in bench/build-time).
    assert_none(
        &names,
        &["proc-macro-crate", "toml_edit", "winnow"],
        "arraymodel-macros",
    );
}

#[test]
fn the_import_feature_brings_the_generator_but_no_cli() {
    let names = tree("arraymodel", &["import"]);
    assert!(names.contains("arraymodel-codegen"), "{names:?}");
    assert_none(&names, CLI, "arraymodel --features import");
}

#[test]
fn a_build_script_user_compiles_no_cli() {
    let names = tree("arraymodel-example-build", &[]);
    assert!(names.contains("arraymodel-codegen"), "{names:?}");
    assert_none(&names, CLI, "a build.rs user of arraymodel-codegen");
    // The check can fail: the command's own tree does hold clap.
    assert!(tree("arraymodel-codegen-cli", &[]).contains("clap"));
}
