"""Every calibration data source yields the same samples, cut into the documented batches;
every malformed source is a one-line CalibrationError naming the culprit."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from intq.calibration import CalibrationError, count_samples, iter_batches, shard

ONE = ["x"]
TWO = ["a", "b"]


def _data(n: int = 70, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)).astype(np.float32), rng.integers(0, 9, size=(n, 2))


def _joined(batches: list[tuple[np.ndarray, ...]]) -> list[np.ndarray]:
    return [np.concatenate(column) for column in zip(*batches)]


def _sizes(batches: list[tuple[np.ndarray, ...]]) -> list[int]:
    return [len(b[0]) for b in batches]


def _error(source, names=ONE, **kwargs) -> str:
    with pytest.raises(CalibrationError) as info:
        list(iter_batches(source, names, **kwargs))
    message = str(info.value)
    assert "\n" not in message
    return message


# ---- sources ----------------------------------------------------------------------------------
def test_single_array_is_cut_into_batches_of_32_by_default():
    x, _ = _data()
    batches = list(iter_batches(x, ONE))
    assert _sizes(batches) == [32, 32, 6]
    assert all(len(b) == 1 for b in batches)
    assert np.array_equal(_joined(batches)[0], x)
    assert count_samples(x, ONE) == 70


def test_batch_size_option():
    x, _ = _data()
    assert _sizes(list(iter_batches(x, ONE, batch_size=25))) == [25, 25, 20]
    assert count_samples(x, ONE, batch_size=25) == 70
    for bad in (0, -1, 2.5, True):
        assert "batch_size" in _error(x, batch_size=bad)


def test_tuple_list_and_dict_of_arrays_per_input():
    a, b = _data()
    for source in ((a, b), [a, b], {"b": b, "a": a}):
        batches = list(iter_batches(source, TWO, batch_size=30))
        assert _sizes(batches) == [30, 30, 10]
        joined = _joined(batches)
        assert np.array_equal(joined[0], a) and np.array_equal(joined[1], b)
        assert count_samples(source, TWO, batch_size=30) == 70


def test_npy_file_is_memory_mapped_and_cut(tmp_path):
    x, _ = _data()
    np.save(tmp_path / "x.npy", x)
    batches = list(iter_batches(tmp_path / "x.npy", ONE, batch_size=50))
    assert _sizes(batches) == [50, 20]
    assert not batches[0][0].flags.owndata
    assert np.array_equal(_joined(batches)[0], x)
    assert count_samples(str(tmp_path / "x.npy"), ONE) == 70


def test_npz_by_name_positional_and_single(tmp_path):
    a, b = _data()
    np.savez(tmp_path / "named.npz", b=b, a=a)
    np.savez_compressed(tmp_path / "positional.npz", a, b)
    np.savez(tmp_path / "single.npz", anything=a)
    for name in ("named", "positional"):
        joined = _joined(list(iter_batches(tmp_path / f"{name}.npz", TWO)))
        assert np.array_equal(joined[0], a) and np.array_equal(joined[1], b)
        assert count_samples(tmp_path / f"{name}.npz", TWO) == 70
    assert np.array_equal(_joined(list(iter_batches(tmp_path / "single.npz", ONE)))[0], a)


def test_folder_of_files_one_batch_each_in_sorted_order(tmp_path):
    a, b = _data()
    np.savez(tmp_path / "b1.npz", a=a[10:], b=b[10:])
    np.savez(tmp_path / "b0.npz", a=a[:10], b=b[:10])
    (tmp_path / "README.txt").write_text("not data")
    batches = list(iter_batches(tmp_path, TWO, batch_size=4))
    assert _sizes(batches) == [10, 60]
    joined = _joined(batches)
    assert np.array_equal(joined[0], a) and np.array_equal(joined[1], b)
    assert count_samples(tmp_path, TWO) == 70


def test_iterables_of_arrays_tuples_and_dicts():
    a, b = _data()
    assert _sizes(list(iter_batches([a[:5], a[5:]], ONE))) == [5, 65]
    assert count_samples([a[:5], a[5:]], ONE) == 70
    generator = ({"a": a[i:i + 20], "b": b[i:i + 20]} for i in range(0, 70, 20))
    assert count_samples(generator, TWO) is None
    joined = _joined(list(iter_batches(generator, TWO)))
    assert np.array_equal(joined[0], a) and np.array_equal(joined[1], b)
    pairs = [(a[:7], b[:7]), [a[7:], b[7:]]]
    assert _sizes(list(iter_batches(pairs, TWO))) == [7, 63]


def test_torch_tensors_work_like_arrays():
    torch = pytest.importorskip("torch")
    a, _ = _data()
    batches = list(iter_batches(torch.from_numpy(a), ONE, batch_size=40))
    assert _sizes(batches) == [40, 30]
    assert np.array_equal(_joined(batches)[0], a)
    assert count_samples([torch.from_numpy(a)], ONE) == 70


def test_empty_batches_are_skipped():
    a, _ = _data()
    assert _sizes(list(iter_batches([a[:0], a[:3]], ONE))) == [3]


# ---- shards -----------------------------------------------------------------------------------
@pytest.mark.parametrize("world", [1, 2, 3, 5])
def test_shards_partition_the_batches(world):
    x, _ = _data(100)
    whole = list(iter_batches(x, ONE, batch_size=8))
    parts = [list(iter_batches(shard(x, rank, world), ONE, batch_size=8)) for rank in range(world)]
    for rank, part in enumerate(parts):
        assert _sizes(part) == _sizes(whole[rank::world])
        assert count_samples(shard(x, rank, world), ONE, batch_size=8) == sum(_sizes(part))
    assert sum(len(p) for p in parts) == len(whole)
    ordered = np.concatenate([_joined(p)[0] for p in parts if p])
    assert np.array_equal(np.sort(ordered, axis=0), np.sort(x, axis=0))


def test_shard_skips_other_files_without_reading_them(tmp_path):
    x, _ = _data(20)
    np.save(tmp_path / "0.npy", x[:10])
    (tmp_path / "1.npy").write_bytes(b"corrupt")
    np.save(tmp_path / "2.npy", x[10:])
    assert _sizes(list(iter_batches(shard(tmp_path, 0, 2), ONE))) == [10, 10]
    assert "1.npy" in _error(shard(tmp_path, 1, 2))


def test_a_rank_may_get_no_batches_but_the_whole_set_may_not_be_empty():
    x, _ = _data(10)
    assert list(iter_batches(shard(x, 1, 2), ONE)) == []
    assert "empty" in _error([])


def test_shard_arguments_are_checked():
    for rank, world in ((2, 2), (-1, 2), (0, 0), (0.5, 2)):
        with pytest.raises(CalibrationError, match="shard"):
            shard([], rank, world)


# ---- errors -----------------------------------------------------------------------------------
def test_empty_calibration_sets():
    x, _ = _data()
    assert "empty" in _error(x[:0])
    assert "empty" in _error(iter([]))


def test_empty_folder(tmp_path):
    assert "empty" in _error(tmp_path)


def test_missing_path(tmp_path):
    assert "nowhere.npy" in _error(tmp_path / "nowhere.npy")


def test_truncated_npy(tmp_path):
    x, _ = _data()
    np.save(tmp_path / "x.npy", x)
    data = (tmp_path / "x.npy").read_bytes()
    (tmp_path / "short.npy").write_bytes(data[:-7])
    (tmp_path / "header.npy").write_bytes(data[:40])
    for name in ("short", "header"):
        message = _error(tmp_path / f"{name}.npy")
        assert f"{name}.npy" in message and "truncated" in message
    (tmp_path / "x.npy").unlink()
    (tmp_path / "header.npy").unlink()
    message = _error(tmp_path)
    assert "short.npy" in message and "truncated" in message


def test_truncated_npz(tmp_path):
    a, b = _data()
    np.savez(tmp_path / "x.npz", a=a, b=b)
    (tmp_path / "x.npz").write_bytes((tmp_path / "x.npz").read_bytes()[:300])
    assert "x.npz" in _error(tmp_path / "x.npz", TWO)


def test_pickles_are_never_loaded(tmp_path):
    objects = np.array([1.0, "a"], dtype=object)
    np.save(tmp_path / "objects.npy", objects, allow_pickle=True)
    np.savez(tmp_path / "objects.npz", x=objects)
    (tmp_path / "pickle.npy").write_bytes(pickle.dumps([1.0, 2.0]))
    for name in ("objects.npy", "objects.npz"):
        message = _error(tmp_path / name)
        assert name in message and "object array" in message
    message = _error(tmp_path / "pickle.npy")
    assert "pickle.npy" in message and "pickled" in message


def test_object_arrays_in_memory():
    message = _error([np.array([[1.0], ["a"]], dtype=object)])
    assert "'x'" in message and "object" in message


def test_wrong_number_of_inputs(tmp_path):
    a, b = _data()
    assert "3 arrays" in _error((a, b, a), TWO)
    assert "single array" in _error(a, TWO)
    assert "single array" in _error([a], TWO)
    np.save(tmp_path / "a.npy", a)
    assert "a.npy" in _error(tmp_path / "a.npy", TWO)
    assert "missing ['b']" in _error({"a": a, "c": b}, TWO)
    assert "missing ['b']" in _error([{"a": a}], TWO)


def test_inconsistent_batch_sizes_between_inputs():
    a, b = _data()
    message = _error((a, b[:60]), TWO)
    assert "'a' 70" in message and "'b' 60" in message
    message = _error([(a[:5], b[:5]), (a[:4], b[:3])], TWO)
    assert "batch 1" in message and "'a' 4" in message and "'b' 3" in message


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_or_inf_names_input_and_batch(bad):
    a, b = _data()
    a[45, 1] = bad
    message = _error((a, b), TWO)
    assert "batch 1" in message and "'a'" in message and "NaN or Inf" in message
    message = _error([(a[40:], b[40:])], TWO)
    assert "batch 0" in message and "'a'" in message


def test_nan_names_the_file(tmp_path):
    x, _ = _data()
    x[3] = np.nan
    np.save(tmp_path / "b0.npy", x[:10])
    message = _error(tmp_path)
    assert "batch 0" in message and "b0.npy" in message and "'x'" in message


def test_scalars_and_unsupported_types():
    assert "scalar" in _error([np.float32(1.0)])
    assert "int" in _error(3)
    assert "is a str" in _error(["text"])
    assert "dtype <U" in _error([["text"]])
