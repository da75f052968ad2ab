"""The Hugging Face upload path as a user of huggingface_hub drives it (issue 11).

Run by server/tests/it/hf/upload.rs with HF_ENDPOINT=<server>/hf, HF_TOKEN, and
HF_HUB_DISABLE_XET=1 (unset for the `xet` step). argv: the step, the repository, and a work
directory. Each step asserts what the client sees and prints one JSON line of facts for the
Rust test; any failed call raises, which exits non-zero and fails the test.
"""

import json
import os
import sys

from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.lfs import UploadInfo, post_lfs_batch_info

CARD = "---\nlicense: apache-2.0\nlanguage: [en]\npipeline_tag: text-classification\ntags: [demo]\n---\n# Tiny\n"


def status_of(call):
    """The HTTP status of the error `call` raises, and the error's text."""
    try:
        call()
    except HfHubHTTPError as e:
        return e.response.status_code, str(e)
    raise AssertionError("the call was expected to fail")


def write(root, rel, data):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    step, repo, work = sys.argv[1], sys.argv[2], sys.argv[3]
    api = HfApi()
    out = {}
    if step == "publish":
        url = api.create_repo(repo, exist_ok=True)
        assert url.repo_id == repo and str(url).endswith("/hf/models/" + repo), url
        api.create_repo(repo, exist_ok=True)
        first = api.upload_file(path_or_fileobj=CARD.encode(), path_in_repo="README.md", repo_id=repo)
        out["first"] = first.oid
        assert len(first.oid) == 40, first.oid

        folder = os.path.join(work, "folder")
        write(folder, "config.json", b'{"architectures": ["BertModel"], "hidden_size": 8}')
        write(folder, "tokenizer.json", os.urandom(200_000))
        big = os.urandom(int(os.environ.get("HF_TEST_BIG_BYTES", "0")))
        if big:
            write(folder, "weights/big.bin", big)
        write(folder, "logs/run.txt", b"step 1\n")
        second = api.upload_folder(folder_path=folder, repo_id=repo, commit_message="folder")
        out["second"] = second.oid
        # Objects the token can already see come back without actions: nothing is sent again.
        known = [UploadInfo.from_path(os.path.join(folder, "tokenizer.json"))]
        if big:
            known.append(UploadInfo.from_path(os.path.join(folder, "weights/big.bin")))
        actions, errors, _ = post_lfs_batch_info(
            upload_infos=known, token=os.environ["HF_TOKEN"], repo_type="model", repo_id=repo,
            transfers=["basic", "multipart"],
        )
        assert not errors and len(actions) == len(known), (actions, errors)
        assert all("actions" not in a for a in actions), actions
        files = sorted(api.list_repo_files(repo, revision=second.oid))
        expected = ["README.md", "config.json", "logs/run.txt", "tokenizer.json"] + (["weights/big.bin"] if big else [])
        assert files == sorted(expected), files

        third = api.create_commit(
            repo,
            operations=[
                CommitOperationAdd(path_in_repo="notes.txt", path_or_fileobj=b"hello"),
                CommitOperationDelete(path_in_repo="logs/"),
                CommitOperationDelete(path_in_repo="config.json"),
            ],
            commit_message="add and delete",
            parent_commit=second.oid,
        )
        out["third"] = third.oid
        files = sorted(api.list_repo_files(repo, revision=third.oid))
        expected = ["README.md", "notes.txt", "tokenizer.json"] + (["weights/big.bin"] if big else [])
        assert files == sorted(expected), files

        # A commit based on an older commit than main's is refused.
        status, text = status_of(
            lambda: api.create_commit(
                repo,
                operations=[CommitOperationAdd(path_in_repo="late.txt", path_or_fileobj=b"late")],
                commit_message="stale",
                parent_commit=second.oid,
            )
        )
        assert status == 412, (status, text)

        # A version number publishes exactly that version; the same content again is a no-op,
        # other content a conflict.
        exact = api.upload_file(path_or_fileobj=b"pinned", path_in_repo="pin.txt", repo_id=repo, revision="5.0.0")
        again = api.upload_file(path_or_fileobj=b"pinned", path_in_repo="pin.txt", repo_id=repo, revision="5.0.0")
        assert exact.oid == again.oid, (exact.oid, again.oid)
        status, text = status_of(
            lambda: api.upload_file(path_or_fileobj=b"other", path_in_repo="pin.txt", repo_id=repo, revision="5.0.0")
        )
        assert status == 409, (status, text)
        out["exact"] = exact.oid

        # Branches are aliases: a commit to one publishes the next patch and moves it.
        api.create_branch(repo, branch="staging", revision="5.0.0")
        status, _ = status_of(lambda: api.create_branch(repo, branch="staging"))
        assert status == 409, status
        staged = api.upload_file(path_or_fileobj=b"staged", path_in_repo="stage.txt", repo_id=repo, revision="staging")
        refs = api.list_repo_refs(repo)
        branches = {b.name: b.target_commit for b in refs.branches}
        assert branches.get("staging") == staged.oid, (branches, staged.oid)
        api.delete_branch(repo, branch="staging")
        assert "staging" not in {b.name for b in api.list_repo_refs(repo).branches}
        out["staged"] = staged.oid

        # Tags are versions.
        api.create_tag(repo, tag="v9.0.0", revision=third.oid)
        tags = {t.name for t in api.list_repo_refs(repo).tags}
        assert "9.0.0" in tags or "v9.0.0" in tags, tags
    elif step == "no_licence":
        api.create_repo(repo, exist_ok=True)
        status, text = status_of(lambda: api.upload_file(path_or_fileobj=b"{}", path_in_repo="config.json", repo_id=repo))
        assert status == 422 and "license" in text, (status, text)
    elif step == "outside":
        status, text = status_of(lambda: api.create_repo(repo))
        assert status == 403, (status, text)
        status, text = status_of(lambda: api.upload_file(path_or_fileobj=CARD.encode(), path_in_repo="README.md", repo_id=repo))
        assert status in (403, 404), (status, text)
    elif step == "xet":
        folder = os.path.join(work, "xet")
        write(folder, "README.md", CARD.encode())
        write(folder, "model.bin", os.urandom(300_000))
        try:
            api.upload_folder(folder_path=folder, repo_id=repo)
        except Exception as e:  # hf_xet raises its own error types
            out["message"] = str(e)
            assert "HF_HUB_DISABLE_XET=1" in str(e), str(e)
        else:
            raise AssertionError("a Xet upload was expected to fail")
    else:
        raise SystemExit(f"unknown step {step}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
