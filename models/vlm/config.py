"""One composite Hugging Face config for the ViT-MLP-LLM, so `from_pretrained` restores all three."""

from __future__ import annotations

from typing import Any

from transformers import LlamaConfig, PretrainedConfig


class VisionConfig(PretrainedConfig):
    """InternViT-style encoder sizes (InternViT-6B: 3200 hidden, 45 layers, 448 px, patch 14)."""

    model_type = "chemvlm_vision"

    def __init__(
        self,
        image_size: int = 448,
        patch_size: int = 14,
        hidden_size: int = 1024,
        intermediate_size: int = 4096,
        num_hidden_layers: int = 24,
        num_attention_heads: int = 16,
        layer_norm_eps: float = 1e-6,
        initializer_factor: float = 0.1,
        **kwargs: Any,
    ) -> None:
        self.image_size = image_size
        self.patch_size = patch_size
        self.hidden_size = hidden_size
        self.intermediate_size = intermediate_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.layer_norm_eps = layer_norm_eps
        self.initializer_factor = initializer_factor
        super().__init__(**kwargs)


class ChemVLMConfig(PretrainedConfig):
    """Encoder + projector + LLM, with the tiling and image-token settings of ChemVLM."""

    model_type = "chemvlm"
    sub_configs = {"vision_config": VisionConfig, "llm_config": LlamaConfig}

    def __init__(
        self,
        vision_config: dict[str, Any] | VisionConfig | None = None,
        llm_config: dict[str, Any] | LlamaConfig | None = None,
        projector: str = "mlp2x_gelu",
        downsample_ratio: float = 0.5,
        select_layer: int = -1,
        max_tiles: int = 12,
        use_thumbnail: bool = True,
        image_token: str = "<IMG_CONTEXT>",
        image_start: str = "<img>",
        image_end: str = "</img>",
        **kwargs: Any,
    ) -> None:
        if isinstance(vision_config, dict):
            vision_config = VisionConfig(**vision_config)
        if isinstance(llm_config, dict):
            llm_config = LlamaConfig(**llm_config)
        self.vision_config = vision_config or VisionConfig()
        self.llm_config = llm_config or LlamaConfig()
        self.projector = projector
        self.downsample_ratio = downsample_ratio
        self.select_layer = select_layer
        self.max_tiles = max_tiles
        self.use_thumbnail = use_thumbnail
        self.image_token = image_token
        self.image_start = image_start
        self.image_end = image_end
        super().__init__(**kwargs)

    @property
    def tokens_per_tile(self) -> int:
        """Image tokens each 448-px tile becomes after pixel shuffle (256 for ChemVLM)."""
        side = self.vision_config.image_size // self.vision_config.patch_size
        return int(side * side * self.downsample_ratio**2)
