//! The distributable CLI that scripts/dist builds, used the way a CI job uses it: the wheel
//! installed by pip into a fresh virtualenv and the static musl binary run as it is, both
//! against the real `modelreg-server`. scripts/test builds them (scripts/test.d/dist.sh) and
//! says where they are; without them these tests fail, they never skip.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use modelreg_testkit::{ServerProcess, ServerSetup};
use tempfile::TempDir;

use super::{json_of, ok, write};
use crate::support::{stderr, stdout};

/// Where the artifacts of scripts/dist are, from the `MODELREG_TEST_DIST_*` variables.
pub struct Dist {
    pub wheel: PathBuf,
    pub static_bin: PathBuf,
    /// The python3 that makes the virtualenvs.
    pub python: PathBuf,
}

pub fn dist() -> Dist {
    let var = |key: &str| {
        std::env::var_os(key).filter(|v| !v.is_empty()).map(PathBuf::from).unwrap_or_else(|| {
            panic!(
                "{key} is not set: these tests need the wheel and the static binary that \
                 scripts/dist builds. Run the suite with ./scripts/test (scripts/test.d/dist.sh \
                 builds them), or run scripts/dist and set MODELREG_TEST_DIST_WHEEL, \
                 MODELREG_TEST_DIST_STATIC and MODELREG_TEST_DIST_PYTHON."
            )
        })
    };
    let dist = Dist {
        wheel: var("MODELREG_TEST_DIST_WHEEL"),
        static_bin: var("MODELREG_TEST_DIST_STATIC"),
        python: var("MODELREG_TEST_DIST_PYTHON"),
    };
    for path in [&dist.wheel, &dist.static_bin] {
        assert!(path.is_file(), "{} does not exist: run scripts/dist", path.display());
    }
    dist
}

/// `python3 -m venv DIR` and `pip install WHEEL` into it, offline; returns the venv's bin/.
pub fn install_wheel(dist: &Dist, venv: &Path) -> PathBuf {
    ok(Command::new(&dist.python).arg("-m").arg("venv").arg(venv).output().expect("python3 runs"));
    let pip = ok(Command::new(venv.join("bin/python"))
        .args(["-m", "pip", "install", "--no-index", "--no-deps", "--disable-pip-version-check", "--quiet"])
        .arg(&dist.wheel)
        .output()
        .expect("pip runs"));
    assert!(stderr(&pip).is_empty() || !stderr(&pip).contains("ERROR"), "{}", stderr(&pip));
    venv.join("bin")
}

/// `program ARGS` against `url` with `token`, from `cwd`, nothing of the caller's
/// MODELREG_* settings or saved login leaking in.
fn run(program: &Path, url: &str, token: &str, cwd: &Path, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(cwd)
        .env("MODELREG_URL", url)
        .env("MODELREG_TOKEN", token)
        .env("XDG_CONFIG_HOME", cwd.join("config"))
        .env("MODELREG_CACHE_DIR", cwd.join("cache"))
        .env_remove("MODELREG_NO_CACHE")
        .stdin(Stdio::null())
        .output()
        .expect("modelreg runs")
}

/// True when the ELF file has no program interpreter (PT_INTERP): the kernel runs it as
/// it is, with no dynamic loader and so no shared library, glibc or musl, from the host.
fn has_no_interpreter(elf: &[u8]) -> bool {
    assert_eq!(&elf[..5], b"\x7fELF\x02", "a 64-bit ELF file");
    let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    const PT_INTERP: u32 = 3;
    (0..phnum).all(|i| {
        let at = phoff + i * phentsize;
        u32::from_le_bytes(elf[at..at + 4].try_into().unwrap()) != PT_INTERP
    })
}

#[test]
fn the_interpreter_check_tells_a_dynamic_executable_from_a_static_one() {
    let this_test = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    assert!(!has_no_interpreter(&this_test), "the test executable itself is dynamically linked");
}

#[tokio::test]
async fn the_pip_installed_wheel_and_the_static_binary_push_and_pull_against_the_real_server() {
    let dist = dist();
    let version_line = format!("modelreg {}\n", env!("CARGO_PKG_VERSION"));

    let static_bin = &dist.static_bin;
    assert!(
        has_no_interpreter(&std::fs::read(static_bin).unwrap()),
        "{} is not static",
        static_bin.display()
    );
    assert_eq!(stdout(&ok(Command::new(static_bin).arg("--version").output().unwrap())), version_line);

    // pip puts the native CLI and the CI script on the virtualenv's PATH.
    let venv = TempDir::new().unwrap();
    let bin = install_wheel(&dist, &venv.path().join("venv"));
    let wheel_bin = bin.join("modelreg");
    assert_eq!(std::fs::read(&wheel_bin).unwrap(), std::fs::read(static_bin).unwrap(), "one binary for both");
    assert_eq!(stdout(&ok(Command::new(&wheel_bin).arg("--version").output().unwrap())), version_line);
    let script = std::fs::read_to_string(bin.join("modelreg-ci")).unwrap();
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/../ci/modelreg-ci");
    assert_eq!(script, std::fs::read_to_string(source).unwrap());

    let setup = ServerSetup::embedded();
    let server = ServerProcess::start(&setup).await;
    let token = setup.create_token("ci", "write");
    let work = TempDir::new().unwrap();
    let model = TempDir::new().unwrap();
    write(model.path(), "model.safetensors", "weights ".repeat(40_000).as_bytes());
    write(model.path(), "tokenizer/vocab.json", br#"{"a": 1}"#);
    write(model.path(), "modelreg.toml", b"license = \"MIT\"\n");

    // Push through the pip-installed binary.
    let dir = model.path().to_str().unwrap();
    let push_args = ["push", dir, "--model", "acme/dist", "--version", "1.0.0", "--json"];
    let pushed = json_of(&ok(run(&wheel_bin, server.url(), &token, work.path(), &push_args)));
    assert_eq!(pushed["created"], true, "{pushed}");

    // Pull it back with the static binary, by range, verified.
    let out = work.path().join("out");
    let pull_args = ["pull", "acme/dist@^1", "-o", out.to_str().unwrap(), "--json"];
    let pulled = json_of(&ok(run(static_bin, server.url(), &token, work.path(), &pull_args)));
    assert_eq!((&pulled["version"], &pulled["digest"]), (&pushed["version"], &pushed["digest"]));
    for file in ["model.safetensors", "tokenizer/vocab.json"] {
        assert_eq!(std::fs::read(out.join(file)).unwrap(), std::fs::read(model.path().join(file)).unwrap());
    }

    // And the other way round: the static binary re-pushes (a no-op), the wheel pulls.
    let again = json_of(&ok(run(static_bin, server.url(), &token, work.path(), &push_args)));
    assert_eq!((again["created"].as_bool(), again["bytes_uploaded"].as_u64()), (Some(false), Some(0)));
    let out2 = work.path().join("out2");
    let pull_args = ["pull", "acme/dist@1.0.0", "-o", out2.to_str().unwrap(), "--json"];
    ok(run(&wheel_bin, server.url(), &token, work.path(), &pull_args));
    assert_eq!(std::fs::read(out2.join("model.safetensors")).unwrap().len(), 8 * 40_000);
}
