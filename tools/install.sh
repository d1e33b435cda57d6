#!/usr/bin/env bash
# Install mmebv and the OpenMMLab stack it is tested with into the active Python environment.
#
#   bash tools/install.sh
#
# What it does, each step skipped when what it installs is already there and working:
#   1. torch 2.13.0 (CPU wheel) -- only when no torch is installed; a user's torch is kept.
#   2. setuptools <81 (mmcv, mmengine and openmim import pkg_resources), wheel, ninja.
#   3. mmengine 0.10.7.
#   4. mmcv 2.1.0 with compiled ops -- kept when `mmcv.ops` already works; otherwise built once from
#      source against the installed torch and cached under $MMEBV_CACHE, keyed on the torch version.
#   5. mmdet 3.3.0, mmsegmentation 1.2.2, mmpretrain 1.2.0 (+ ftfy, regex, which mmseg imports).
#   6. torchvision matching torch; where its compiled ops cannot load beside a CPU torch, two
#      unguarded fake-op registrations that break its import are guarded (transforms still work).
#   7. Fashion-MNIST from Debian's dataset-fashion-mnist, uncompressed into data/fashion_mnist/.
#   8. mmebv itself, editable (or, with MMEBV_INSTALL=regular, as a regular package: what
#      `mim train/test mmebv` need, since mim looks for tools/ inside the installed package), without
#      touching torch or mmcv.
#   9. what the tests and the lint step need (requirements/tests.txt: pytest, ruff, matplotlib), the
#      documentation's build (requirements/docs.txt: sphinx, myst-parser, furo), and
#      openmim (without its opendatalab dependency, which pins setuptools) with requirements/mim.txt.
#
# The stack's versions (steps 1-6) come from mmebv/compatibility.py (TESTED), the one place they are written;
# the tools' of step 9 from requirements/ and openmim's pin below.
# Environment: PYTHON (interpreter, default python3), MMEBV_CACHE (default ~/.cache/mmebv),
# MMEBV_SKIP_DATA=1 (skip step 7), MMEBV_INSTALL=editable|regular (step 8, default editable),
# MAX_JOBS (parallel compile jobs for mmcv, default: cores).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-python3}
CACHE=${MMEBV_CACHE:-$HOME/.cache/mmebv}
# TORCH_VERSION, TORCHVISION_VERSION, MMENGINE_VERSION, MMCV_VERSION, MMDET_VERSION,
# MMSEGMENTATION_VERSION, MMPRETRAIN_VERSION from mmebv/compatibility.py (stdlib only: runs before any install)
eval "$("$PY" - "$ROOT/mmebv/compatibility.py" <<'EOF'
import runpy, sys
for name, version in runpy.run_path(sys.argv[1])['TESTED'].items():
    print(f'{name.upper()}_VERSION={version}')
EOF
)"
FMNIST_SRC=/usr/share/datasets/fashion-mnist
FMNIST_DST=$ROOT/data/fashion_mnist

say() { printf '\033[1m[mmebv install]\033[0m %s\n' "$*"; }
die() { printf '[mmebv install] ERROR: %s\n' "$*" >&2; exit 1; }
pip_install() { "$PY" -m pip install --disable-pip-version-check "$@"; }
# Prints the installed version of a distribution, or nothing.
version_of() {
  "$PY" -c "import importlib.metadata as m, sys
try: print(m.version(sys.argv[1]))
except m.PackageNotFoundError: pass" "$1"
}
# Installs NAME==VERSION unless exactly that version is installed.
ensure_version() {
  local name=$1 want=$2 have
  have=$(version_of "$name")
  if [ "$have" = "$want" ]; then say "$name $have already installed"; return; fi
  say "installing $name==$want${have:+ (replacing $have)}"
  pip_install "$name==$want"
}

"$PY" -c 'import sys; assert sys.version_info >= (3, 8)' || die "$PY is not Python >= 3.8"
say "Python: $("$PY" -c 'import sys; print(sys.executable)')"
START=$(date +%s)

# 1. torch: keep the user's; otherwise the CPU build that lies on this machine's disk.
if "$PY" -c 'import torch' 2>/dev/null; then
  say "torch $("$PY" -c 'import torch; print(torch.__version__)') already installed: kept"
else
  say "installing torch==$TORCH_VERSION"
  pip_install "torch==$TORCH_VERSION"
fi
TORCH_TAG=$("$PY" -c 'import torch; print(torch.__version__.split("+")[0] + ("-cu" + torch.version.cuda.replace(".", "") if torch.version.cuda else "-cpu"))')
HAS_CUDA=$("$PY" -c 'import torch; print(int(torch.version.cuda is not None))')

# 2. build tools. pkg_resources went away in setuptools 81; torch 2.13 needs >= 77.0.3.
pip_install -q "setuptools>=77.0.3,<81" wheel ninja

# 3. mmengine
ensure_version mmengine "$MMENGINE_VERSION"

# 4. mmcv with compiled ops.
mmcv_ops_work() {
  "$PY" - <<'EOF' 2>/dev/null
import torch
from mmcv.ops import nms
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
_, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
assert keep.tolist() == [0, 2], keep
EOF
}
MMCV_HAVE=$(version_of mmcv)
if [ -n "$MMCV_HAVE" ] && mmcv_ops_work; then
  say "mmcv $MMCV_HAVE with working compiled ops already installed: kept"
else
  WHEEL_DIR=$CACHE/wheels/mmcv-$MMCV_VERSION-torch$TORCH_TAG
  if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
    say "building mmcv==$MMCV_VERSION with compiled ops against torch $TORCH_TAG (5-20 minutes on 2 cores)"
    mkdir -p "$WHEEL_DIR"
    # No build isolation: an isolated build cannot see torch and yields an mmcv without ops.
    # -g0 and an explicit -O3: debug info makes the build 2.5x slower, and CXXFLAGS replaces
    # Python's default flags instead of adding to them.
    MMCV_WITH_OPS=1 FORCE_CUDA=$HAS_CUDA MAX_JOBS=${MAX_JOBS:-$(nproc)} \
      CFLAGS="-O3 -g0 -DNDEBUG -fwrapv" CXXFLAGS="-O3 -g0 -DNDEBUG -fwrapv" \
      "$PY" -m pip wheel --disable-pip-version-check --no-build-isolation --no-deps --no-cache-dir \
      -w "$WHEEL_DIR" "mmcv==$MMCV_VERSION"
  else
    say "using the mmcv wheel built earlier for torch $TORCH_TAG: $WHEEL_DIR"
  fi
  pip_install --no-deps --force-reinstall "$WHEEL_DIR"/mmcv-*.whl
  # mmcv's own requirements, without letting them touch torch.
  pip_install -q addict packaging Pillow pyyaml yapf opencv-python
  mmcv_ops_work || die "mmcv $MMCV_VERSION installed but mmcv.ops does not work; remove $WHEEL_DIR and run again"
  say "mmcv $MMCV_VERSION with compiled ops installed"
fi

# 5. the OpenMMLab task libraries.
ensure_version mmdet "$MMDET_VERSION"
ensure_version mmsegmentation "$MMSEGMENTATION_VERSION"
ensure_version mmpretrain "$MMPRETRAIN_VERSION"
pip_install -q ftfy regex

# 6. torchvision matching torch.
if ! "$PY" -c 'import torchvision' 2>/dev/null; then
  case "$TORCH_TAG" in
    "$TORCH_VERSION"*) TV=$TORCHVISION_VERSION ;; 2.14.*) TV=0.29.1 ;; 2.9.*) TV=0.24.1 ;;
    *) die "no known torchvision for torch $TORCH_TAG: install the torchvision that matches it, then run again" ;;
  esac
  if [ -z "$(version_of torchvision)" ]; then
    say "installing torchvision==$TV (no deps: torch stays as it is)"
    pip_install --no-deps "torchvision==$TV"
  fi
fi
if ! "$PY" -c 'import torchvision' 2>/dev/null; then
  "$PY" "$ROOT/tools/misc/guard_torchvision_meta.py" || die "torchvision does not import; see the message above"
fi
"$PY" -c 'import torchvision, torchvision.transforms' || die "torchvision still fails to import"

# 7. Fashion-MNIST.
if [ "${MMEBV_SKIP_DATA:-0}" != 1 ]; then
  if [ ! -d "$FMNIST_SRC" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      say "installing Debian's dataset-fashion-mnist"
      if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist; then
        apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q dataset-fashion-mnist
      fi
    elif command -v apt-get >/dev/null; then
      say "not root: unpacking dataset-fashion-mnist under $CACHE/debs"
      mkdir -p "$CACHE/debs" && (cd "$CACHE/debs" && apt-get download dataset-fashion-mnist && dpkg -x dataset-fashion-mnist_*.deb root)
      FMNIST_SRC=$CACHE/debs/root/usr/share/datasets/fashion-mnist
    else
      die "Fashion-MNIST not found at $FMNIST_SRC and no apt-get here: put the four IDX files into $FMNIST_DST"
    fi
  fi
  mkdir -p "$FMNIST_DST"
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    if [ ! -s "$FMNIST_DST/$f" ]; then
      if [ -f "$FMNIST_SRC/$f.gz" ]; then gzip -dc "$FMNIST_SRC/$f.gz" > "$FMNIST_DST/$f.tmp"
      elif [ -f "$FMNIST_SRC/$f" ]; then cp "$FMNIST_SRC/$f" "$FMNIST_DST/$f.tmp"
      else die "$FMNIST_SRC has no $f(.gz)"; fi
      mv "$FMNIST_DST/$f.tmp" "$FMNIST_DST/$f"
    fi
  done
  say "Fashion-MNIST ready in $FMNIST_DST"
fi

# 8. mmebv itself; its install_requires leave torch and mmcv alone.
case "${MMEBV_INSTALL:-editable}" in
  editable)
    say "installing mmebv (editable)"
    pip_install -q --no-build-isolation -e "$ROOT" ;;
  regular)
    # built from a copy: building a wheel in the checkout would replace the editable install's
    # mmebv/.mim symlinks there with copies
    say "installing mmebv (regular package, tools/ and configs/ copied into mmebv/.mim for mim)"
    SRC=$(mktemp -d)
    (cd "$ROOT" && tar --exclude=./data --exclude=./work_dirs --exclude=./.venv --exclude=./mmebv/.mim \
      --exclude=./.git -cf - .) | tar -xf - -C "$SRC"
    pip_install -q --no-build-isolation "$SRC"
    rm -rf "$SRC" ;;
  *) die "MMEBV_INSTALL must be editable or regular, not '$MMEBV_INSTALL'" ;;
esac

# 9. test and lint requirements (the README's test command needs pytest in this environment).
say "installing the test and docs requirements (requirements/tests.txt, docs.txt) and openmim (requirements/mim.txt)"
pip_install -q -r "$ROOT/requirements/tests.txt" -r "$ROOT/requirements/mim.txt" -r "$ROOT/requirements/docs.txt"
pip_install -q --no-deps openmim==0.3.9

"$PY" - <<'EOF'
import importlib.metadata as m
import mmcv.ops, mmdet.models, mmseg.models, mmpretrain.models, mmebv, mim, pytest  # noqa: F401
names = ['torch', 'torchvision', 'mmengine', 'mmcv', 'mmdet', 'mmsegmentation', 'mmpretrain', 'mmebv']
print('[mmebv install] done: ' + ', '.join(f'{n} {m.version(n)}' for n in names))
EOF
say "took $(( $(date +%s) - START )) s"
if [ "${MMEBV_INSTALL:-editable}" = editable ]; then
  # mim finds tools/ and configs/ under site-packages/mmebv/.mim, which an editable install lacks:
  # `mim train mmebv ...` would end in mim's own traceback ("can not find the config file")
  say "mmebv is installed editable: run python tools/train.py / tools/test.py from this checkout. For" \
    "\`mim train/test mmebv\`, install it as a regular package: MMEBV_INSTALL=regular bash tools/install.sh"
fi
