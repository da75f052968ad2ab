use std::collections::HashMap;

use super::*;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    move |k| map.get(k).cloned()
}

fn write(text: &str) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), text).unwrap();
    f
}

#[test]
fn no_config_means_sqlite_and_a_local_folder_on_loopback() {
    let c = Config::load(None, env(&[]), &Overrides::default()).unwrap();
    assert_eq!(c.server.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database_url(), "sqlite://./modelreg-data/modelreg.db");
    assert_eq!(c.blobs_url(), "file://./modelreg-data");
    assert!(!c.auth.anonymous_read);
}

#[test]
fn layers_apply_file_then_env_then_flags() {
    let f =
        write("[server]\nbind = \"127.0.0.1:9000\"\ndata_dir = \"/srv/a\"\n[auth]\nanonymous_read = true\n");
    let c = Config::load(Some(f.path()), env(&[]), &Overrides::default()).unwrap();
    assert_eq!(c.server.bind.port(), 9000);
    assert!(c.auth.anonymous_read);

    let e = env(&[("MODELREG_BIND", "127.0.0.1:9001"), ("MODELREG_DATA_DIR", "/srv/b")]);
    let c = Config::load(Some(f.path()), &e, &Overrides::default()).unwrap();
    assert_eq!(c.server.bind.port(), 9001);
    assert_eq!(c.server.data_dir, PathBuf::from("/srv/b"));

    let o = Overrides { bind: Some("127.0.0.1:0".parse().unwrap()), ..Default::default() };
    let c = Config::load(Some(f.path()), &e, &o).unwrap();
    assert_eq!(c.server.bind.port(), 0);
}

#[test]
fn unknown_keys_fail_naming_the_key() {
    let f = write("[server]\nbnd = \"127.0.0.1:9000\"\n");
    let err = Config::load(Some(f.path()), env(&[]), &Overrides::default()).unwrap_err().to_string();
    assert!(err.contains("bnd"), "{err}");
}

#[test]
fn bad_env_values_fail_naming_the_variable() {
    let err = Config::load(None, env(&[("MODELREG_ANONYMOUS_READ", "maybe")]), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("MODELREG_ANONYMOUS_READ"), "{err}");
    let err = Config::load(None, env(&[("MODELREG_BLOBS_URL", "ftp://x")]), &Overrides::default())
        .unwrap_err()
        .to_string();
    assert!(err.contains("blobs.url"), "{err}");
}

#[test]
fn the_open_session_cap_per_token_is_set_by_its_variable_and_checked() {
    let c = Config::load(None, env(&[("MODELREG_MAX_OPEN_SESSIONS_PER_TOKEN", "5")]), &Overrides::default())
        .unwrap();
    assert_eq!(c.uploads.max_open_sessions_per_token, 5);
    let err =
        Config::load(None, env(&[("MODELREG_MAX_OPEN_SESSIONS_PER_TOKEN", "many")]), &Overrides::default())
            .unwrap_err()
            .to_string();
    assert!(err.contains("MODELREG_MAX_OPEN_SESSIONS_PER_TOKEN"), "{err}");
    let err =
        Config::load(None, env(&[("MODELREG_MAX_OPEN_SESSIONS_PER_TOKEN", "0")]), &Overrides::default())
            .unwrap_err()
            .to_string();
    assert!(err.contains("uploads.max_open_sessions_per_token"), "{err}");
}

#[test]
fn the_ui_section_is_set_by_its_variables_and_checked() {
    let vars =
        [("MODELREG_UI_SESSION_LIFETIME_SECS", "3600"), ("MODELREG_PUBLIC_URL", "https://models.example")];
    let c = Config::load(None, env(&vars), &Overrides::default()).unwrap();
    assert_eq!(c.ui.session_lifetime_secs, 3600);
    assert_eq!(c.ui.public_url.as_deref(), Some("https://models.example"));
    for (var, value, key) in [
        ("MODELREG_UI_SESSION_LIFETIME_SECS", "59", "ui.session_lifetime_secs"),
        ("MODELREG_UI_SESSION_LIFETIME_SECS", "2592001", "ui.session_lifetime_secs"),
        ("MODELREG_UI_SESSION_LIFETIME_SECS", "soon", "MODELREG_UI_SESSION_LIFETIME_SECS"),
        ("MODELREG_PUBLIC_URL", "models.example", "ui.public_url"),
        ("MODELREG_PUBLIC_URL", "ftp://models.example", "ui.public_url"),
    ] {
        let err = Config::load(None, env(&[(var, value)]), &Overrides::default()).unwrap_err().to_string();
        assert!(err.contains(key), "{var}={value}: {err}");
    }
}

#[test]
fn aws_variables_fill_the_s3_section() {
    let e = env(&[
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:8333"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "AKID"),
        ("AWS_SECRET_ACCESS_KEY", "s3cr3t"),
        ("AWS_ALLOW_HTTP", "true"),
    ]);
    let c = Config::load(None, e, &Overrides::default()).unwrap();
    assert_eq!(c.blobs.s3.endpoint.as_deref(), Some("http://127.0.0.1:8333"));
    assert!(c.blobs.s3.allow_http);
}

#[test]
fn secrets_never_show_in_debug_or_config_show() {
    let e = env(&[
        ("MODELREG_DATABASE_URL", "postgres://u:hunter2@db/modelreg"),
        ("AWS_SECRET_ACCESS_KEY", "s3cr3t"),
    ]);
    let c = Config::load(None, e, &Overrides::default()).unwrap();
    for shown in [format!("{c:?}"), c.to_redacted_toml()] {
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }
    assert!(c.to_redacted_toml().contains("<redacted>"));
}

#[test]
fn the_example_config_parses_to_the_defaults() {
    let f = write(&example_toml());
    let c = Config::load(Some(f.path()), env(&[]), &Overrides::default()).unwrap();
    assert_eq!(c, Config::default());
}

#[test]
fn out_of_range_counts_fail_at_load_naming_the_key() {
    let cases = [
        ("[server]\nworkers = 100000\n", "server.workers"),
        ("[database]\nmax_connections = 0\n", "database.max_connections"),
        ("[limits]\nmax_json_bytes = 100\n", "limits.max_json_bytes"),
        ("[limits]\nmax_json_bytes = 1099511627776\n", "limits.max_json_bytes"),
        ("[limits]\nmax_blob_bytes = 0\n", "limits.max_blob_bytes"),
        ("[uploads]\nsession_ttl_secs = 18446744073709551615\n", "uploads.session_ttl_secs"),
    ];
    for (text, key) in cases {
        let f = write(text);
        let err = Config::load(Some(f.path()), env(&[]), &Overrides::default()).unwrap_err().to_string();
        assert!(err.contains(key), "{text}: {err}");
    }
    let f = write("[server]\nworkers = 1024\n[database]\nmax_connections = 1000\n");
    assert!(Config::load(Some(f.path()), env(&[]), &Overrides::default()).is_ok());
}
