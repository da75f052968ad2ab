//! Credentials across replicas: a token minted on one works on the other, and once revoked on
//! one it is refused by the other on the very next request; a browser session started on one
//! is honoured by the other (no sticky sessions needed) and ends there with its token.

use super::*;

/// `POST /login` on `url` with `token`, from the server's own origin; the session cookie
/// (`name=value`) it sets.
async fn sign_in(c: &Client, url: &str, token: &str) -> String {
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("token", token)
        .append_pair("next", "/")
        .finish();
    let r = c
        .post(format!("{url}/login"))
        .header("origin", url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in on {url}");
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// `GET /` with the session cookie, not following redirects.
async fn home(c: &Client, url: &str, cookie: &str) -> reqwest::Response {
    c.get(format!("{url}/")).header("cookie", cookie).send().await.unwrap()
}

#[tokio::test]
async fn a_token_revoked_on_one_replica_is_refused_by_the_other_on_the_next_request() {
    let r = replicas("replica-revoke").await;
    let (c, a, b) = (client(), r.a.url(), r.b.url());
    let created = c
        .post(format!("{a}/v1/tokens"))
        .bearer_auth(&r.admin)
        .json(&json!({"name": "ci", "scope": "write"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let ci = created.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();

    // Minted on A, used on B, many times over (anything B might keep of it, it now has).
    for _ in 0..20 {
        let who = get_json(&c, &format!("{b}/v1/whoami"), &ci).await;
        assert_eq!(who["name"], "ci", "{who}");
    }
    put_blob(&c, b, &ci, b"before revocation").await;
    let cookie = sign_in(&c, b, &ci).await;
    assert_eq!(home(&c, a, &cookie).await.status(), StatusCode::OK, "B's session is good on A");
    assert_eq!(home(&c, b, &cookie).await.status(), StatusCode::OK);

    let revoked = c.delete(format!("{a}/v1/tokens/ci")).bearer_auth(&r.admin).send().await.unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);

    let who = c.get(format!("{b}/v1/whoami")).bearer_auth(&ci).send().await.unwrap();
    assert_eq!(who.status(), StatusCode::UNAUTHORIZED, "B's very next request with the revoked token");
    let body: Value = who.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
    let data = b"after revocation";
    let put = c
        .put(format!("{b}/v1/blobs/{}", digest_of(data)))
        .bearer_auth(&ci)
        .body(data.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::UNAUTHORIZED, "a write through B");
    for url in [b, a] {
        let page = home(&c, url, &cookie).await;
        assert_eq!(page.status(), StatusCode::SEE_OTHER, "the session ended with its token on {url}");
        assert!(page.headers()["location"].to_str().unwrap().starts_with("/login"));
    }
    // The admin token, untouched, still works on both.
    for url in [a, b] {
        assert_eq!(get_json(&c, &format!("{url}/v1/whoami"), &r.admin).await["name"], "admin");
    }
}
