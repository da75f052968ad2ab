//! The credentials file: where it lives, its modes, one login per registry, and which token
//! wins.

use super::*;

fn url(s: &str) -> Url {
    s.parse().unwrap()
}

fn login(token: &str) -> StoredLogin {
    StoredLogin { token: token.into(), name: Some("ci".into()) }
}

#[test]
fn the_file_lives_under_xdg_config_home_or_home_dot_config() {
    let path = credentials_path(Some("/xdg".into()), Some("/home/me".into()));
    assert_eq!(path.unwrap(), Path::new("/xdg/modelreg/credentials.toml"));
    let path = credentials_path(None, Some("/home/me".into()));
    assert_eq!(path.unwrap(), Path::new("/home/me/.config/modelreg/credentials.toml"));
    // The XDG spec says to ignore a relative XDG_CONFIG_HOME.
    let path = credentials_path(Some("relative".into()), Some("/home/me".into()));
    assert_eq!(path.unwrap(), Path::new("/home/me/.config/modelreg/credentials.toml"));
    assert_eq!(credentials_path(None, None), None);
    assert_eq!(credentials_path(Some("".into()), Some("".into())), None);
}

#[cfg(unix)]
#[test]
fn the_file_is_created_private_in_a_private_directory() {
    use std::os::unix::fs::PermissionsExt;

    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("config/modelreg/credentials.toml");
    let mut creds = Credentials::default();
    creds.set(&url("http://127.0.0.1:8080"), login("secret-1"));
    creds.save(&path).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);

    // Rewriting keeps the mode, and leaves no temporary file behind.
    creds.set(&url("https://models.example.com"), login("secret-2"));
    creds.save(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    let names: Vec<_> =
        std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["credentials.toml"]);
}

#[test]
fn logins_are_kept_per_registry_and_survive_a_round_trip() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("modelreg/credentials.toml");
    assert_eq!(Credentials::load(&path).unwrap(), Credentials::default(), "a missing file is empty");

    let mut creds = Credentials::default();
    creds.set(&url("http://127.0.0.1:8080"), login("local"));
    creds.set(&url("https://models.example.com/registry/"), login("remote"));
    creds.save(&path).unwrap();

    let loaded = Credentials::load(&path).unwrap();
    assert_eq!(loaded, creds);
    assert_eq!(loaded.get(&url("http://127.0.0.1:8080/")).unwrap().token, "local");
    assert_eq!(loaded.get(&url("https://models.example.com/registry")).unwrap().token, "remote");
    assert!(loaded.get(&url("https://models.example.com")).is_none(), "another path is another registry");
    assert!(loaded.get(&url("http://127.0.0.1:9090")).is_none());

    let mut loaded = loaded;
    assert!(loaded.remove(&url("http://127.0.0.1:8080")));
    assert!(!loaded.remove(&url("http://127.0.0.1:8080")));
    loaded.save(&path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("local") && text.contains("remote"), "{text}");

    assert!(loaded.remove(&url("https://models.example.com/registry")));
    loaded.save(&path).unwrap();
    assert!(!path.exists(), "the last logout removes the file");
}

#[test]
fn registry_keys_ignore_a_trailing_slash_query_and_fragment() {
    assert_eq!(registry_key(&url("http://127.0.0.1:8080")), "http://127.0.0.1:8080");
    assert_eq!(
        registry_key(&url("HTTPS://Models.Example.com:443/reg/?x=1#y")),
        "https://models.example.com/reg"
    );
}

#[test]
fn a_broken_file_names_its_path_and_never_quotes_a_token() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("credentials.toml");
    std::fs::write(&path, "[registry.\"http://x\"]\ntoken = \"s3cr3t\"\nextra = 1\n").unwrap();
    let err = Credentials::load(&path).unwrap_err().to_string();
    assert!(err.contains("credentials.toml") && err.contains("delete it"), "{err}");
    assert!(!err.contains("s3cr3t"), "{err}");
}

#[test]
fn a_given_token_wins_over_the_stored_login() {
    type R = Result<Option<String>, ClientError>;
    let stored = || -> R { Ok(Some("stored".to_owned())) };
    assert_eq!(pick_token(Some("flag"), stored).unwrap(), (Some("flag".into()), TokenOrigin::Given));
    assert_eq!(
        pick_token(Some("  "), stored).unwrap(),
        (Some("stored".into()), TokenOrigin::Stored),
        "empty = unset"
    );
    assert_eq!(pick_token(None, stored).unwrap(), (Some("stored".into()), TokenOrigin::Stored));
    assert_eq!(pick_token(None, || -> R { Ok(None) }).unwrap(), (None, TokenOrigin::None));
    // A broken credentials file only matters when it is needed.
    let broken = || -> R { Err(ClientError::Invalid("broken".into())) };
    assert!(pick_token(None, broken).is_err());
    assert_eq!(pick_token(Some("flag"), broken).unwrap().1, TokenOrigin::Given);
}

#[test]
fn tokens_never_show_in_debug_output() {
    let mut creds = Credentials::default();
    creds.set(&url("http://x"), login("s3cr3t"));
    let shown = format!("{creds:?}");
    assert!(!shown.contains("s3cr3t") && shown.contains("redacted"), "{shown}");
}
