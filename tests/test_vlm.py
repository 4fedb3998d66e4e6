"""The ChemVLM architecture on a tiny model: tiling, token merge, save/load, images matter,
training reaches every part, and the agent consults it for images."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from models.vlm.projector import pixel_shuffle
from models.vlm.tiling import IMAGENET_MEAN, IMAGENET_STD, best_grid, pixel_values, tile


@pytest.mark.parametrize(
    ("size", "grid"),
    [
        ((448, 448), (1, 1)),
        ((700, 360), (2, 1)),  # aspect 1.94: two tiles across
        ((1344, 448), (3, 1)),
        ((360, 1400), (1, 4)),  # aspect 0.257: closest ratio 1/4
        ((4000, 200), (12, 1)),  # as wide as 12 tiles allow
    ],
)
def test_grid_follows_the_aspect_ratio(size, grid):
    assert best_grid(*size, size=448, max_tiles=12) == grid


def test_tiles_and_thumbnail():
    img = Image.new("RGB", (700, 360), "white")
    tiles = tile(img, size=448, max_tiles=12)
    assert len(tiles) == 3 and all(t.size == (448, 448) for t in tiles)  # 2 tiles + thumbnail
    assert len(tile(Image.new("RGB", (448, 448)), 448, 12)) == 1  # no thumbnail for one tile
    px = pixel_values(tiles)
    assert px.shape == (3, 3, 448, 448)
    np.testing.assert_allclose(px[0, :, 0, 0], (1 - IMAGENET_MEAN) / IMAGENET_STD, rtol=1e-5)


def test_pixel_shuffle_merges_2x2_patch_neighbourhoods():
    side, c = 4, 2
    x = torch.arange(side * side, dtype=torch.float32).repeat_interleave(c).view(1, side * side, c)
    out = pixel_shuffle(x, 0.5)
    assert out.shape == (1, 4, 8)
    # the first merged token carries the features of patches (0,0), (0,1), (1,0), (1,1)
    assert set(out[0, 0].tolist()) == {0.0, 1.0, 4.0, 5.0}


@pytest.fixture(scope="module")
def tiny_vlm(tmp_path_factory):
    from models.tiny import build_tiny_vlm

    return build_tiny_vlm(tmp_path_factory.mktemp("vlm"))


def _load(path):
    from transformers import AutoTokenizer

    from models.vlm.modeling import ChemVLMForConditionalGeneration

    model = ChemVLMForConditionalGeneration.from_pretrained(path)
    tok = AutoTokenizer.from_pretrained(path)
    model.image_token_id = tok.convert_tokens_to_ids(model.config.image_token)
    return model.eval(), tok


def _inputs(model, tok, image):
    from models.vlm.modeling import image_prompt

    cfg = model.config
    tiles = tile(image, cfg.vision_config.image_size, cfg.max_tiles)
    ids = tok(image_prompt(cfg, len(tiles)) + "\nSMILES?", return_tensors="pt")
    return ids["input_ids"], torch.from_numpy(pixel_values(tiles))


def test_save_and_load_give_the_same_model(tiny_vlm, tmp_path):
    model, tok = _load(tiny_vlm)
    ids, px = _inputs(model, tok, Image.new("RGB", (100, 60), "white"))
    from models.vlm.modeling import ChemVLMForConditionalGeneration

    model.save_pretrained(tmp_path / "copy")
    again = ChemVLMForConditionalGeneration.from_pretrained(tmp_path / "copy").eval()
    again.image_token_id = model.image_token_id
    with torch.no_grad():
        torch.testing.assert_close(model(ids, px).logits, again(ids, px).logits)


def test_the_image_changes_what_the_model_sees(tiny_vlm):
    model, tok = _load(tiny_vlm)
    ids, white = _inputs(model, tok, Image.new("RGB", (100, 60), "white"))
    _, black = _inputs(model, tok, Image.new("RGB", (100, 60), "black"))
    with torch.no_grad():
        assert not torch.allclose(model(ids, white).logits, model(ids, black).logits)
    with pytest.raises(ValueError, match="image tokens"):
        model(ids, white[:1])  # fewer tiles than the prompt has placeholders


def test_a_training_step_reaches_encoder_projector_and_llm(tiny_vlm):
    model, tok = _load(tiny_vlm)
    model.train()
    ids, px = _inputs(model, tok, Image.new("RGB", (100, 60), "gray"))
    model(ids, px, labels=ids).loss.backward()
    for part in (model.vision_model, model.mlp1, model.language_model):
        grads = [p.grad for p in part.parameters() if p.requires_grad]
        assert grads and all(g is not None and g.abs().sum() > 0 for g in grads[:4])


def test_agent_consults_the_vlm_for_images(tiny_vlm):
    from agent import Assistant
    from tests.test_vision import uob

    path, _ = uob(1)[0]
    settings = {"vlm": {"path": str(tiny_vlm), "preset": "tiny-test-vlm", "max_tokens": 24}}
    with Assistant(settings) as a:
        ans = a.ask("What is the molecular weight of this?", images=[path])
        step = ans.steps[0]
    assert step.tool == "recognize_structure" and step.ok
    # OSRA's reading is used; the random VLM's words are no SMILES, and the tool says so
    assert "(OSRA)" in step.summary
    assert any("molecular weight" in line for line in ans.text.splitlines())


def test_a_model_passed_in_is_the_callers_and_the_vlm_still_loads(tiny_vlm):
    from agent import Assistant
    from tests.test_llm_planner import Scripted

    llm = Scripted([])
    settings = {"vlm": {"path": str(tiny_vlm), "preset": "tiny-test-vlm"}}
    with Assistant(settings, llm=llm) as a:
        assert a.deps.planner.model is llm  # the LLM planner uses the model given
        owned = a.deps.models
    assert len(owned) == 1 and owned[0] is not llm  # only the VLM it loaded is closed by it
    assert owned[0].model is None  # closed with the assistant
