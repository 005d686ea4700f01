"""Real inputs for the corpus models, built from files that ship inside installed packages.

Every generator takes ``(count, seed)`` and returns ``count`` samples, the same ones for the
same arguments on any machine with the same packages: photo crops from scikit-image, text
rendered with the font the ``captcha`` package ships, captchas, synthesized speech, the bytes
of real files, sentences from the Python standard library's docstrings. Third-party imports
happen inside the functions, so importing the corpus costs nothing.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import re
from pathlib import Path

import numpy as np

COLOUR_PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "stereo_motorcycle")
PHOTOS = (*COLOUR_PHOTOS, "hubble_deep_field", "immunohistochemistry", "retina", "colorwheel",
          "camera", "brick", "grass", "gravel", "coins", "moon", "clock", "page", "text")
WORDS_PER_LINE = (1, 5)
SAMPLE_RATE = 16000


def package_dir(package: str) -> Path:
    """The folder of an installed package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(package)
    return Path(next(iter(spec.submodule_search_locations)))


@functools.lru_cache(maxsize=None)
def _photo(name: str) -> np.ndarray:
    """A scikit-image sample photo as HxWx3 uint8 (grey photos repeated to three channels)."""
    import skimage.data

    image = getattr(skimage.data, name)()
    image = image[0] if isinstance(image, tuple) else image
    image = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image[..., :3]
    image.flags.writeable = False
    return image


def photo_crops(count: int, seed: int, size: tuple[int, int],
                photos: tuple[str, ...] = PHOTOS, zoom: tuple[float, float] = (0.4, 1.0)
                ) -> np.ndarray:
    """``count`` RGB crops (NxHxWx3 uint8) of scikit-image ``photos``: a random photo, a
    random window of the output's aspect ratio spanning ``zoom`` (a share) of what fits,
    resized, mirrored half of the time."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    height, width = size
    crops = []
    for _ in range(count):
        photo = _photo(photos[rng.integers(len(photos))])
        h, w = photo.shape[:2]
        scale = rng.uniform(*zoom) * min(h / height, w / width)
        crop_h, crop_w = max(1, int(height * scale)), max(1, int(width * scale))
        top, left = rng.integers(h - crop_h + 1), rng.integers(w - crop_w + 1)
        window = Image.fromarray(photo[top:top + crop_h, left:left + crop_w])
        array = np.asarray(window.resize((width, height), Image.BILINEAR))
        crops.append(array[:, ::-1] if rng.random() < 0.5 else array)
    return np.stack(crops)


def sentences(count: int, seed: int) -> list[str]:
    """``count`` English sentences (5-40 words) from standard-library module docstrings."""
    rng = np.random.default_rng(seed)
    pool = _sentence_pool()
    return [pool[i] for i in rng.choice(len(pool), size=count, replace=count > len(pool))]


@functools.lru_cache(maxsize=1)
def _sentence_pool() -> tuple[str, ...]:
    modules = ("argparse", "json", "logging", "pathlib", "subprocess", "threading", "zipfile",
               "tarfile", "csv", "datetime", "decimal", "fractions", "statistics", "heapq",
               "bisect", "functools", "itertools", "collections", "contextlib", "dataclasses",
               "unittest", "doctest", "pickle", "shutil", "tempfile", "textwrap", "difflib")
    pool: set[str] = set()
    for name in modules:
        module = importlib.import_module(name)
        docs = [module.__doc__] + [obj.__doc__ for obj in vars(module).values()
                                   if inspect.isfunction(obj) or inspect.isclass(obj)]
        for doc in (d for d in docs if isinstance(d, str)):
            for sentence in re.split(r"(?<=[.!?])\s+", " ".join(doc.split())):
                words = sentence.split()
                if 5 <= len(words) <= 40 and sentence[0].isupper() and sentence[-1] == ".":
                    pool.add(sentence)
    return tuple(sorted(pool))


def words(count: int, seed: int) -> list[str]:
    """``count`` short text lines of 1-5 real words (from the same sentences)."""
    rng = np.random.default_rng(seed)
    vocabulary = sorted({w for s in _sentence_pool() for w in re.findall(r"[A-Za-z]+", s)})
    return [" ".join(vocabulary[i] for i in rng.choice(len(vocabulary),
                                                       rng.integers(*WORDS_PER_LINE) + 1))
            for _ in range(count)]


def _font(size: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(package_dir("captcha") / "data" / "DroidSansMono.ttf"), size)


def text_lines(count: int, seed: int, height: int) -> list[np.ndarray]:
    """``count`` images (HxWx3 uint8, varying width) of one line of dark or light text on a
    lightened or darkened photo crop, as a text detector hands them to a recognizer."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    lines = words(count, seed)
    images = []
    for index, line in enumerate(lines):
        font = _font(int(height * rng.uniform(0.6, 0.8)))
        left, top, right, bottom = font.getbbox(line)
        width = right - left + int(height * rng.uniform(0.2, 0.6))
        background = photo_crops(1, seed * 7919 + index, (height, width))[0].astype(np.float32)
        dark_text = rng.random() < 0.7
        background = background * 0.35 + (160 if dark_text else 0)
        image = Image.fromarray(background.astype(np.uint8))
        colour = tuple(int(c) for c in (rng.integers(0, 60, 3) if dark_text
                                        else rng.integers(200, 256, 3)))
        ImageDraw.Draw(image).text(((width - (right - left)) // 2 - left,
                                    (height - (bottom - top)) // 2 - top), line, font=font,
                                   fill=colour)
        images.append(np.asarray(image))
    return images


def text_scenes(count: int, seed: int, size: tuple[int, int]) -> np.ndarray:
    """``count`` photo crops (NxHxWx3 uint8) with 1-4 lines of text drawn at random places."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    scenes = []
    for index, photo in enumerate(photo_crops(count, seed, size)):
        image = Image.fromarray(photo)
        draw = ImageDraw.Draw(image)
        for line in words(int(rng.integers(1, 5)), seed * 104729 + index):
            font = _font(int(rng.integers(14, 40)))
            x, y = rng.integers(0, size[1] // 2), rng.integers(0, size[0] - 40)
            luminance = photo[y:y + 20, x:x + 60].mean()
            draw.text((x, y), line, font=font, fill=(0, 0, 0) if luminance > 110
                      else (255, 255, 255))
        scenes.append(np.asarray(image))
    return np.stack(scenes)


def captchas(count: int, seed: int, size: tuple[int, int] = (60, 160)) -> list[np.ndarray]:
    """``count`` captcha images (HxWx3 uint8, RGB) of 4-6 digits and capitals."""
    import random

    from captcha.image import ImageCaptcha

    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    rng = np.random.default_rng(seed)
    state = random.getstate()
    random.seed(seed)
    try:
        generator = ImageCaptcha(width=size[1], height=size[0])
        texts = ["".join(rng.choice(list(alphabet), int(rng.integers(4, 7))))
                 for _ in range(count)]
        return [np.asarray(generator.generate_image(text).convert("RGB")) for text in texts]
    finally:
        random.setstate(state)


def speech(seconds: float, seed: int) -> np.ndarray:
    """Speech-like audio at 16 kHz: voiced syllables (a gliding harmonic tone shaped by three
    formant resonances, amplitude-modulated at syllable rate) separated by pauses, in noise."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    t = np.arange(n) / SAMPLE_RATE
    f0 = rng.uniform(90, 240) * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(0.3, 1.5) * t))
    phase = 2 * np.pi * np.cumsum(f0) / SAMPLE_RATE
    voice = np.zeros(n)
    formants = rng.uniform((500, 1200, 2300), (900, 1900, 3000))
    for harmonic in range(1, 30):
        frequency = harmonic * f0
        gain = sum(np.exp(-((frequency - f) / 120.0) ** 2) for f in formants) + 0.05
        voice += gain * np.sin(harmonic * phase) / harmonic
    syllables = np.clip(np.sin(2 * np.pi * rng.uniform(3, 6) * t), 0, None) ** 0.5
    talking = np.zeros(n)
    position = 0
    while position < n:
        burst = int(rng.uniform(0.4, 1.5) * SAMPLE_RATE)
        talking[position:position + burst] = 1.0
        position += burst + int(rng.uniform(0.2, 0.8) * SAMPLE_RATE)
    audio = voice * syllables * talking
    audio = 0.3 * audio / (np.abs(audio).max() or 1.0)
    audio += rng.normal(0, rng.uniform(0.002, 0.02), n)
    return audio.astype(np.float32)


def vad_frames(audio: np.ndarray, frame: int = 512, context: int = 64) -> np.ndarray:
    """Audio cut as ``silero_vad``'s sequence runner cuts it: frames of ``frame`` samples,
    each prefixed with the last ``context`` samples of the frame before (zeros first)."""
    count = len(audio) // frame
    frames = audio[:count * frame].reshape(count, frame)
    contexts = np.concatenate([np.zeros((1, context), audio.dtype), frames[:-1, -context:]])
    return np.concatenate([contexts, frames], axis=1)


FILE_SOURCES = (("skimage", "data"), ("magika", ""), ("numpy", "lib"), ("PIL", ""),
                ("onnx", "defs"), ("tokenizers", ""), ("captcha", "data"))


def file_bytes(count: int, seed: int) -> list[bytes]:
    """The contents of ``count`` different real files from installed packages (source,
    images, JSON, text, audio, binaries): a random file extension, then a random file with
    it, so the many Python sources do not crowd out the rest. Paths are sorted, so the draw
    is reproducible."""
    rng = np.random.default_rng(seed)
    by_kind: dict[str, list[Path]] = {}
    for package, sub in FILE_SOURCES:
        try:
            root = package_dir(package) / sub
        except ModuleNotFoundError:
            continue
        for path in sorted(root.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.stat().st_size >= 16:
                by_kind.setdefault(path.suffix.lower(), []).append(path)
    kinds = sorted(by_kind)
    chosen: dict[Path, None] = {}
    while len(chosen) < count:
        files = by_kind[kinds[rng.integers(len(kinds))]]
        chosen[files[rng.integers(len(files))]] = None
    return [path.read_bytes() for path in chosen]


def magika_features(content: bytes, beg: int = 1024, end: int = 1024, block: int = 4096,
                    padding: int = 256) -> np.ndarray:
    """Magika's model input for one file (``Magika._extract_features_from_seekable``): the
    first ``block`` bytes left-stripped of whitespace, first ``beg`` kept (padded after), then
    the last ``block`` bytes right-stripped, last ``end`` kept (padded before)."""
    head = content[:block].lstrip()[:beg]
    tail = content[-block:].rstrip()[-end:] if end else b""
    features = ([*head] + [padding] * (beg - len(head))
                + [padding] * (end - len(tail)) + [*tail])
    return np.asarray(features, dtype=np.int32)
