# shellcheck shell=bash
# Sourced by scripts/test: the Hugging Face Hub clients the /hf tests drive, each in a
# virtualenv of its own, pinned by version and hash (scripts/requirements/hf2.txt and
# hf036.txt hold the full transitive closure):
#   .venv-hf2    huggingface_hub 2.4.0 + hf_xet + transformers
#   .venv-hf036  huggingface_hub 0.36.x
# Exports MODELREG_TEST_HF_PYTHON_2 and MODELREG_TEST_HF_PYTHON_036 (the venvs' pythons);
# the tests fail, never skip, without them. A venv is rebuilt when its requirements change.

hf_venv() {
    local name=$1 requirements="$repo/scripts/requirements/$1.txt" venv="$repo/.venv-$1"
    local stamp="$venv/.requirements.sha256" want
    want=$(sha256sum "$requirements" | cut -d' ' -f1)
    if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
        return
    fi
    say "installing the Hugging Face clients of $requirements into .venv-$name/"
    rm -rf "$venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (install python3-venv)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        --require-hashes --only-binary=:all: -r "$requirements" ||
        die "installing $requirements failed (the pinned wheels are for CPython 3.11 on x86_64 Linux)"
    echo "$want" >"$stamp"
}

hf_venv hf2
hf_venv hf036
export MODELREG_TEST_HF_PYTHON_2="$repo/.venv-hf2/bin/python"
export MODELREG_TEST_HF_PYTHON_036="$repo/.venv-hf036/bin/python"
say "Hugging Face clients: $("$MODELREG_TEST_HF_PYTHON_2" -c 'import huggingface_hub as h, transformers as t; print("hub", h.__version__, "transformers", t.__version__)'), $("$MODELREG_TEST_HF_PYTHON_036" -c 'import huggingface_hub as h; print("hub", h.__version__)')"
