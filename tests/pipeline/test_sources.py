"""Reading what a config names: module:function references, calibration and evaluation sets."""

import numpy as np
import pytest

from intq.calibration.data import iter_batches
from intq.pipeline.config import DataConfig, EvaluateConfig, ModelConfig
from intq.pipeline.errors import DataError
from intq.pipeline.sources import (calibration_data, call, evaluation_set, load_model,
                                   resolve)

X = np.arange(40, dtype=np.float32).reshape(10, 4)
Y = np.arange(10)


def evalset(tmp_path, data, names=("x",), **options):
    return evaluation_set(EvaluateConfig(data=data, **options), DataConfig(source=""),
                          names, tmp_path)


def test_npz_by_input_name_or_position(tmp_path):
    np.savez(tmp_path / "named.npz", x=X, labels=Y)
    np.savez(tmp_path / "plain.npz", X, labels=Y)
    for name in ("named.npz", "plain.npz"):
        got = evalset(tmp_path, str(tmp_path / name), num_samples=4)
        assert got.inputs[0].tolist() == X[:4].tolist() and got.labels.tolist() == [0, 1, 2, 3]


def test_function_returning_inputs_and_labels(tmp_path):
    (tmp_path / "evaldata.py").write_text(
        "import numpy as np\n\ndef pair(n):\n    return np.ones((n, 2)), np.zeros(n)\n"
        "def bad(n):\n    return np.ones((n, 2)), np.zeros(n + 1)\n"
        "def boom(n):\n    raise RuntimeError('disk on fire\\nsecond line')\n")
    got = evaluation_set(EvaluateConfig(data="evaldata:pair", args={"n": 3}),
                         DataConfig(source=""), ["x"], tmp_path)
    assert len(got) == 3 and got.labels.shape == (3,)
    with pytest.raises(DataError, match="same non-zero number of samples"):
        evaluation_set(EvaluateConfig(data="evaldata:bad", args={"n": 3}),
                       DataConfig(source=""), ["x"], tmp_path)
    with pytest.raises(DataError, match="raised RuntimeError: disk on fire$") as caught:
        evaluation_set(EvaluateConfig(data="evaldata:boom", args={"n": 3}),
                       DataConfig(source=""), ["x"], tmp_path)
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_wrong_input_count(tmp_path):
    np.savez(tmp_path / "d.npz", a=X, b=X, c=X)
    with pytest.raises(DataError, match="one per model input"):
        evalset(tmp_path, str(tmp_path / "d.npz"), names=("x", "y"))


def test_no_evaluation_data_uses_the_calibration_set(tmp_path):
    np.save(tmp_path / "calib.npy", X)
    got = evaluation_set(EvaluateConfig(num_samples=6),
                         DataConfig(source=str(tmp_path / "calib.npy")), ["x"], tmp_path)
    assert got.labels is None and got.inputs[0].tolist() == X[:6].tolist()


def test_calibration_limit(tmp_path):
    np.save(tmp_path / "calib.npy", X)
    sliced = calibration_data(DataConfig(source=str(tmp_path / "calib.npy"), num_samples=7),
                              ["x"], tmp_path)
    assert [len(b[0]) for b in iter_batches(sliced, ["x"], batch_size=3)] == [3, 3, 1]
    np.savez(tmp_path / "calib.npz", x=X)
    lazy = calibration_data(DataConfig(source=str(tmp_path / "calib.npz"), num_samples=7),
                            ["x"], tmp_path, batch_size=3)
    assert [len(b[0]) for b in iter_batches(lazy, ["x"])] == [3, 3, 1]
    (tmp_path / "calibdata.py").write_text(
        "import numpy as np\n\ndef arrays():\n    return np.ones((50, 4), np.float32)\n")
    limited = calibration_data(DataConfig(source="calibdata:arrays", num_samples=5), ["x"],
                               tmp_path)
    assert limited.shape == (5, 4)


@pytest.mark.parametrize("reference, match", [
    ("no_such_module:f", "cannot import module 'no_such_module'"),
    ("math:no_such_function", "has no function 'no_such_function'"),
])
def test_bad_references(tmp_path, reference, match):
    with pytest.raises(DataError, match=match):
        resolve(reference, tmp_path, "data.source")


def test_call_passes_arguments(tmp_path):
    assert call("math:hypot", "k", tmp_path, 3, 4) == 5.0


def test_load_model_from_function_and_file(tmp_path):
    import intq

    example = intq.__file__.replace("__init__.py", "examples/digits_cnn.onnx")
    (tmp_path / "models.py").write_text(
        f"import intq\n\ndef digits():\n    return intq.load_onnx({example!r}).graph\n"
        f"def path():\n    return {example!r}\n")
    for source in ("models:digits", "models:path", example):
        assert load_model(ModelConfig(path=source), tmp_path).input_names == ["input"]
    with pytest.raises(DataError, match="does not exist"):
        load_model(ModelConfig(path=str(tmp_path / "none.onnx")), tmp_path)
