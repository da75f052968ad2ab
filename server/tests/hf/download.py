"""The Hub download path through the unmodified client (huggingface_hub 2.x or 0.36, and
transformers when installed): every read call issue 11 names, against a registry the Rust
test filled (see server/tests/it/hf/download.rs for the fixture and the spec)."""

import json
import os
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import huggingface_hub
from huggingface_hub import HfApi, file_download, hf_hub_download, snapshot_download

from common import SPEC, check, expect_error, finish, sha256_file

api = HfApi()
MODEL = SPEC["model"]
VERSIONS = SPEC["versions"]
LATEST = VERSIONS[SPEC["latest"]]
OLD = VERSIONS[SPEC["alias_version"]]
ENDPOINT = os.environ["HF_ENDPOINT"]
TOKEN = os.environ["HF_TOKEN"]
LIMITED = SPEC["limited_token"]
print("huggingface_hub", huggingface_hub.__version__, flush=True)


def files_match(folder, version, only=None):
    folder = Path(folder)
    expected = {p: f for p, f in version["files"].items() if only is None or only(p)}
    got = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and ".cache" not in p.parts)
    assert got == sorted(expected), f"{got} != {sorted(expected)}"
    for path, f in expected.items():
        assert sha256_file(folder / path) == f["sha256"], path


def request(path, headers=None, token=TOKEN, method="GET"):
    """A raw request to the endpoint; never follows redirects (the caller does, tokenless)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    req = urllib.request.Request(ENDPOINT + path if path.startswith("/") else path, method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        return urllib.request.build_opener(NoRedirect).open(req)
    except urllib.error.HTTPError as e:
        return e


def get_json(path):
    r = request(path)
    assert r.status == 200, (path, r.status, r.read())
    return json.loads(r.read())


def ranged(path, first, last=""):
    """GET a range of a resolve URL, following a redirect to the storage host without a token."""
    r = request(path, {"Range": f"bytes={first}-{last}"})
    if r.status == 302:
        assert r.headers["X-Linked-Etag"] and r.headers["X-Linked-Size"] and r.headers["X-Repo-Commit"]
        r = request(r.headers["Location"], {"Range": f"bytes={first}-{last}"}, token=None)
    return r


@check("hf_hub_download: a small and a large file at main")
def _():
    for name in ["config.json", SPEC["big"]]:
        path = hf_hub_download(MODEL, name)
        assert sha256_file(path) == LATEST["files"][name]["sha256"], name
        assert LATEST["commit"] in path, path


@check("hf_hub_download: missing file, unknown revision, unknown and invisible repos")
def _():
    expect_error(lambda: hf_hub_download(MODEL, "no-such-file.txt"), "EntryNotFoundError")
    expect_error(lambda: hf_hub_download(MODEL, "config.json", revision="9.9.9"), "RevisionNotFoundError")
    expect_error(lambda: hf_hub_download(MODEL, "config.json", revision="nightly"), "RevisionNotFoundError")
    expect_error(lambda: hf_hub_download("acme/no-such-model", "config.json"), "RepositoryNotFoundError")
    hidden = SPEC["hidden"]
    assert sha256_file(hf_hub_download(hidden, "config.json")), "the admin token sees the hidden repo"
    # A cache of its own: the client falls back to cached files when the Hub refuses.
    fresh = tempfile.mkdtemp()
    expect_error(
        lambda: hf_hub_download(hidden, "config.json", token=LIMITED, cache_dir=fresh), "RepositoryNotFoundError"
    )
    expect_error(lambda: api.model_info(hidden, token=LIMITED), "RepositoryNotFoundError")
    expect_error(lambda: hf_hub_download("datasets/x", "a"), "RepositoryNotFoundError", "HFValidationError")
    expect_error(lambda: api.dataset_info("acme/tiny"), "RepositoryNotFoundError")


@check("snapshot_download by main, version, v-version, alias, requirement and commit id")
def _():
    cases = {
        "main": LATEST,
        SPEC["alias_version"]: OLD,
        "v" + SPEC["alias_version"]: OLD,
        SPEC["alias"]: OLD,
        "^" + SPEC["alias_version"]: LATEST,
        "~" + SPEC["alias_version"]: OLD,
        OLD["commit"]: OLD,
    }
    for revision, version in cases.items():
        folder = snapshot_download(MODEL, revision=revision)
        assert Path(folder).name == version["commit"], (revision, folder)
        files_match(folder, version)


@check("snapshot_download with allow_patterns")
def _():
    folder = snapshot_download(MODEL, revision=SPEC["latest"], allow_patterns=["*.json"], cache_dir=tempfile.mkdtemp())
    files_match(folder, LATEST, only=lambda p: p.endswith(".json") and "/" not in p)


@check("a second snapshot_download of the same revision makes no file request")
def _():
    snapshot_download(MODEL, revision=LATEST["commit"])
    calls = []
    originals = {n: getattr(file_download, n) for n in ("_get_metadata_or_catch_error", "http_get")}

    def counting(name):
        def wrapper(*args, **kwargs):
            calls.append(name)
            return originals[name](*args, **kwargs)

        return wrapper

    for name in originals:
        setattr(file_download, name, counting(name))
    try:
        folder = snapshot_download(MODEL, revision=LATEST["commit"])
        snapshot_download(MODEL, revision="main")
    finally:
        for name, fn in originals.items():
            setattr(file_download, name, fn)
    assert calls == [], calls
    files_match(folder, LATEST)


@check("model_info and repo_info")
def _():
    info = api.model_info(MODEL, files_metadata=True)
    assert info.id == MODEL and info.sha == LATEST["commit"], (info.id, info.sha)
    assert info.private is True and info.gated is False and info.disabled is False
    assert info.created_at is not None and info.last_modified is not None
    siblings = {s.rfilename: s for s in info.siblings}
    assert set(siblings) == set(LATEST["files"]), set(siblings)
    for path, f in LATEST["files"].items():
        assert siblings[path].size == f["size"] and siblings[path].lfs.sha256 == f["sha256"], path
    card = info.card_data.to_dict() if hasattr(info.card_data, "to_dict") else dict(info.card_data)
    assert card["license"] == "apache-2.0" and card["language"] == ["en", "fr"], card
    assert card["pipeline_tag"] == "text-classification" and card["datasets"] == ["squad"], card
    assert info.pipeline_tag == "text-classification", info.pipeline_tag
    assert "tiny" in info.tags and "license:apache-2.0" in info.tags, info.tags
    assert info.safetensors.total == 4 and info.safetensors.parameters == {"F32": 4}, info.safetensors
    assert info.config["architectures"] == ["BertModel"], info.config
    old = api.repo_info(MODEL, revision=SPEC["alias"])
    assert old.sha == OLD["commit"], old.sha
    slim = api.model_info(MODEL, expand=["sha", "lastModified"])
    assert slim.sha == LATEST["commit"] and slim.siblings is None and slim.pipeline_tag is None


@check("list_repo_files and list_repo_tree, recursive or not")
def _():
    assert sorted(api.list_repo_files(MODEL)) == sorted(LATEST["files"])
    flat = {e.path: type(e).__name__ for e in api.list_repo_tree(MODEL)}
    assert flat["sub"] == "RepoFolder" and "sub/notes.txt" not in flat, flat
    deep = {e.path: e for e in api.list_repo_tree(MODEL, recursive=True)}
    assert deep["sub/notes.txt"].lfs.sha256 == LATEST["files"]["sub/notes.txt"]["sha256"]
    assert not any(getattr(e, "xet_hash", None) for e in deep.values())
    inside = [e.path for e in api.list_repo_tree(MODEL, path_in_repo="sub", revision=SPEC["alias_version"])]
    assert inside == ["sub/notes.txt"], inside
    for spelling in ["True", "TRUE", "true", "1"]:
        entries = get_json(f"/api/models/{MODEL}/tree/main?recursive={spelling}&expand=False")
        assert "sub/notes.txt" in [e["path"] for e in entries], spelling
        assert not any("xetHash" in e for e in entries)


@check("get_paths_info")
def _():
    infos = api.get_paths_info(MODEL, ["config.json", "sub", "missing.txt"], revision=SPEC["alias"])
    assert [(type(i).__name__, i.path) for i in infos] == [("RepoFile", "config.json"), ("RepoFolder", "sub")]
    assert infos[0].lfs.sha256 == OLD["files"]["config.json"]["sha256"]


@check("list_repo_refs and list_repo_commits")
def _():
    refs = api.list_repo_refs(MODEL)
    branches = {b.name: b.target_commit for b in refs.branches}
    assert branches == {"main": LATEST["commit"], SPEC["alias"]: OLD["commit"]}, branches
    tags = {t.name: t.target_commit for t in refs.tags}
    assert tags[SPEC["latest"]] == LATEST["commit"] and tags[SPEC["alias_version"]] == OLD["commit"], tags
    assert SPEC["yanked"] in tags and refs.converts == [], refs
    commits = [c.commit_id for c in api.list_repo_commits(MODEL)]
    assert commits == [LATEST["commit"], OLD["commit"], SPEC["yanked_commit"]], commits
    older = [c.commit_id for c in api.list_repo_commits(MODEL, revision=SPEC["alias"])]
    assert older == [OLD["commit"], SPEC["yanked_commit"]], older


@check("file_exists, repo_exists, revision_exists")
def _():
    assert api.file_exists(MODEL, "config.json") and not api.file_exists(MODEL, "nope.txt")
    assert api.file_exists(MODEL, "sub/notes.txt", revision=OLD["commit"])
    assert api.repo_exists(MODEL) and not api.repo_exists("acme/no-such-model")
    assert not api.repo_exists(SPEC["hidden"], token=LIMITED)
    assert api.revision_exists(MODEL, SPEC["alias"]) and api.revision_exists(MODEL, "^1")
    assert not api.revision_exists(MODEL, "7.7.7")


@check("get_safetensors_metadata reads the header with ranged requests")
def _():
    meta = api.get_safetensors_metadata(MODEL)
    assert meta.parameter_count == {"F32": 4}, meta.parameter_count
    tensor = meta.files_metadata["model.safetensors"].tensors["w"]
    assert tensor.shape == [2, 2] and tensor.dtype == "F32", tensor


@check("resolve: Range is 206 with Content-Range, past the end is 416; headers on HEAD")
def _():
    big = SPEC["big"]
    size = LATEST["files"][big]["size"]
    path = f"/{MODEL}/resolve/{LATEST['commit']}/{big}"
    r = ranged(path, 10, 19)
    assert r.status == 206 and r.headers["Content-Range"] == f"bytes 10-19/{size}", (r.status, r.headers)
    assert len(r.read()) == 10
    r = ranged(path, size + 5)
    assert r.status == 416, r.status
    head = request(path, method="HEAD")
    assert head.status in (200, 302), head.status
    assert head.headers["X-Linked-Etag"].strip('"') == LATEST["files"][big]["sha256"]
    assert int(head.headers["X-Linked-Size"]) == size and head.headers["X-Repo-Commit"] == LATEST["commit"]
    assert head.headers["X-Request-Id"], "every response carries a request id"
    assert not any(k.lower().startswith("x-xet") for k in head.headers), dict(head.headers)
    if SPEC["presign"]:
        assert head.status == 302 and "X-Amz-Signature" in head.headers["Location"], head.headers
    else:
        assert head.status == 200 and int(head.headers["Content-Length"]) == size
    sent = request(f"/{MODEL}/resolve/main/config.json", {"X-Request-Id": "trace-me.1"})
    assert sent.headers["X-Request-Id"] == "trace-me.1"
    missing = request(f"/{MODEL}/resolve/main/nope.bin", method="HEAD")
    assert missing.status == 404 and missing.headers["X-Error-Code"] == "EntryNotFound"
    assert missing.headers["X-Repo-Commit"] == LATEST["commit"], dict(missing.headers)


@check("an interrupted download resumes at the end of what was written, with a Range request")
def _():
    big = SPEC["big"]
    f = LATEST["files"][big]
    # What was written before the cut is not the file's own bytes here, so the result proves
    # that only the rest was fetched (the server answered the Range with 206).
    cut = f["size"] // 3
    prefix = b"\xab" * cut
    blobs = Path(os.environ["HF_HOME"]) / "hub" / f"models--{MODEL.replace('/', '--')}" / "blobs"
    for p in list(blobs.glob(f"{f['sha256']}*")):
        p.unlink()
    if huggingface_hub.__version__.startswith("0."):
        # 0.x resumes from `<etag>.incomplete` left in the cache by a cut connection.
        blobs.mkdir(parents=True, exist_ok=True)
        (blobs / f"{f['sha256']}.incomplete").write_bytes(prefix)
        data = Path(hf_hub_download(MODEL, big, revision=LATEST["commit"])).read_bytes()
    else:
        # 2.x resumes within the call: after a cut, http_get goes on from resume_size.
        url = huggingface_hub.hf_hub_url(MODEL, big, revision=LATEST["commit"])
        meta = huggingface_hub.get_hf_file_metadata(url)
        headers = {} if meta.location != url else {"authorization": f"Bearer {TOKEN}"}
        with tempfile.TemporaryFile() as out:
            out.write(prefix)
            file_download.http_get(meta.location, out, resume_size=cut, headers=headers, expected_size=f["size"])
            out.seek(0)
            data = out.read()
    assert len(data) == f["size"] and data[:cut] == prefix, "the download did not resume"
    assert data[cut:] == ranged(f"/{MODEL}/resolve/{LATEST['commit']}/{big}", cut).read()
    path = hf_hub_download(MODEL, big, revision=LATEST["commit"], force_download=True)
    assert sha256_file(path) == f["sha256"]


@check("list_models: filters, full, cardData, visibility and Link paging")
def _():
    ids = lambda **kw: sorted(m.id for m in api.list_models(**kw))  # noqa: E731
    assert MODEL in ids(author="acme")
    assert ids(author="acme", filter="license:apache-2.0") == [MODEL]
    assert ids(author="acme", filter="license:mit") == []
    assert ids(author="acme", filter=["text-classification", "language:fr"]) == [MODEL]
    assert ids(author="acme", pipeline_tag="text-classification") == [MODEL]
    assert ids(author="acme", filter="region:us") == [MODEL], "unknown filters are ignored"
    try:
        assert ids(author="acme", num_parameters="min:1,max:10") == [MODEL]
        assert ids(author="acme", num_parameters="min:1B") == []
    except TypeError:  # 0.36 has no num_parameters argument: the same request by hand
        rows = get_json("/api/models?author=acme&num_parameters=min%3A1%2Cmax%3A10")
        assert [r["id"] for r in rows] == [MODEL], rows
        assert get_json("/api/models?author=acme&num_parameters=min%3A1B") == []
    assert ids(search="tiny") == [MODEL]
    assert SPEC["hidden"] not in ids(token=LIMITED) and SPEC["hidden"] in ids()
    pager = [f"{SPEC['pager']}/m{i}" for i in range(SPEC["pager_count"])]
    assert ids(author=SPEC["pager"], sort="downloads") == pager
    assert len(list(api.list_models(author=SPEC["pager"], limit=2))) == 2
    full = next(iter(api.list_models(author="acme", search="tiny", full=True, cardData=True)))
    assert full.sha == LATEST["commit"] and {s.rfilename for s in full.siblings} == set(LATEST["files"])
    assert full.card_data["license"] == "apache-2.0"
    # The client's own paging (what list_models runs) over several pages of two.
    from huggingface_hub.utils import build_hf_headers
    from huggingface_hub.utils._pagination import paginate

    rows = list(paginate(f"{ENDPOINT}/api/models", params={"author": SPEC["pager"], "limit": 2},
                         headers=build_hf_headers(token=TOKEN)))
    assert sorted(r["id"] for r in rows) == pager, rows
    pages, url = 0, f"/api/models?author={SPEC['pager']}&limit=2"
    while url:
        r = request(url)
        assert r.status == 200
        pages += 1
        link = r.headers.get("Link")
        url = link.split(";")[0].strip("<> ") if link else None
    assert pages == (SPEC["pager_count"] + 1) // 2, pages


@check("whoami and auth_check")
def _():
    me = api.whoami()
    assert me["name"] == SPEC["token_name"] and me["auth"]["accessToken"]["role"] == "admin", me
    limited = api.whoami(token=LIMITED)
    assert [o["name"] for o in limited["orgs"]] == ["acme"], limited
    if hasattr(api, "auth_check"):
        api.auth_check(MODEL)
        expect_error(lambda: api.auth_check(SPEC["hidden"], token=LIMITED), "RepositoryNotFoundError")


@check("the hf download command")
def _():
    out = Path(os.environ["HF_HOME"]) / "cli-download"
    subprocess.run(
        [SPEC["hf_cli"], "download", MODEL, "--revision", SPEC["alias"], "--local-dir", str(out)],
        check=True, capture_output=True, text=True,
    )
    files_match(out, OLD)


if SPEC["transformers"]:

    @check("transformers AutoConfig and AutoTokenizer at a version, an alias and a requirement")
    def _():
        from transformers import AutoConfig, AutoTokenizer

        for revision in [SPEC["alias_version"], SPEC["alias"], "^" + SPEC["alias_version"]]:
            config = AutoConfig.from_pretrained(MODEL, revision=revision)
            assert config.model_type == "bert" and config.vocab_size == 5, config
            tokenizer = AutoTokenizer.from_pretrained(MODEL, revision=revision)
            assert tokenizer("hello world")["input_ids"] == [1, 2], tokenizer("hello world")

finish()
