"""Quantizing real models end to end: a CNN trained on shipped digits, and the model zoo."""

import numpy as np
import pytest

import intq

from .graphs import float_values_inside

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from intq import zoo  # noqa: E402
from intq.zoo.datasets import digits  # noqa: E402
from intq.zoo.train import accuracy, train_classifier  # noqa: E402


@pytest.fixture(scope="module")
def one_thread():
    """Torch training is deterministic per thread count, and far faster on one thread here."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def digits_cnn(one_thread):
    data = digits()
    module = train_classifier(zoo.build("lenet", image_size=8), data, epochs=20,
                              batch_size=32, lr=5e-3, seed=0, progress=False)
    model = intq.from_torch(module, (torch.from_numpy(data.x_train[:2]),))
    return data, model


def test_int8_lenet_on_digits_keeps_float_accuracy(digits_cnn):
    data, model = digits_cnn
    float_acc = accuracy(model.run(data.x_test)[0], data.y_test)
    int8 = intq.quantize(model, data.x_train[:256], progress=False)
    int8_acc = accuracy(int8.run(data.x_test)[0], data.y_test)
    w4a8 = intq.quantize(model, data.x_train[:256], {"weight_bits": 4}, progress=False)
    w4a8_acc = accuracy(w4a8.run(data.x_test)[0], data.y_test)
    print(f"\ndigits LeNet top-1: float {float_acc:.2f}%, int8 {int8_acc:.2f}%, "
          f"W4A8 {w4a8_acc:.2f}%")
    assert float_acc > 95
    assert int8.exact and float_values_inside(int8) == []
    assert abs(int8_acc - float_acc) <= 0.5
    assert float_acc - w4a8_acc <= 2.0


def test_lenet_outputs_are_bit_identical_across_batches_paths_runs_and_files(digits_cnn,
                                                                             tmp_path):
    data, model = digits_cnn
    quantized = intq.quantize(model, data.x_train[:256], progress=False)
    x = data.x_test[:224]
    want = quantized.run(x, fast=False)[0]
    for fast in (False, True):
        for batch in (1, 7, 32):
            got = np.concatenate([quantized.run(x[i:i + batch], fast=fast)[0]
                                  for i in range(0, len(x), batch)])
            assert got.tobytes() == want.tobytes()
    assert quantized.run(x)[0].tobytes() == want.tobytes()
    raw = quantized.run_int(quantized.quantize_inputs(x)[0])[0]
    quantized.save(tmp_path / "digits.intq")
    loaded = intq.load(tmp_path / "digits.intq")
    assert loaded.run(x)[0].tobytes() == want.tobytes()
    assert loaded.run_int(loaded.quantize_inputs(x)[0])[0].tobytes() == raw.tobytes()


ZOO = {
    "transformer": (0.99, {"input_shapes": {"input": ["N", 8]}}),
    "vit": (0.99, {}),
    "mlp": (0.99, {}),
    "resnet": (0.99, {}),
    "mobilenetv2": (0.97, {}),
    "efficientnet_lite": (0.99, {}),
}


@pytest.mark.parametrize("name", list(ZOO))
def test_zoo_models_run_integer_only_close_to_float(name, one_thread):
    bound, config = ZOO[name]
    module = zoo.build(name)
    model = intq.from_torch(module, module.example_inputs(), dynamic_axes=module.dynamic_axes())
    calib = np.concatenate([module.example_inputs(32, seed=s)[0].numpy() for s in (1, 2)])
    quantized = intq.quantize(model, calib, config, progress=False)
    assert quantized.exact and float_values_inside(quantized) == []
    x = module.example_inputs(16, seed=3)[0].numpy()
    want, got = model.run(x)[0], quantized.run(x)[0]
    assert quantized.run(x, fast=False)[0].tobytes() == got.tobytes()
    assert quantized.run(x[5:6])[0].tobytes() == got[5:6].tobytes()
    cosine = float((want * got).sum() / np.linalg.norm(want) / np.linalg.norm(got))
    print(f"\n{name}: cosine(int8, float) = {cosine:.5f}")
    assert cosine > bound
