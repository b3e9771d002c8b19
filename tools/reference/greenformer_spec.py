"""The GreenFormer configuration and checkpoint tensor list (mirrors src/model/weight_spec.cpp)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class GreenFormerConfig:
    embed_dim: int = 112
    num_heads: int = 2
    stages: tuple[int, int, int, int] = (2, 3, 16, 3)
    in_chans: int = 4
    mlp_ratio: int = 4
    decoder_dim: int = 256
    refiner_channels: int = 64
    refiner_groups: int = 8

    @staticmethod
    def base_plus() -> "GreenFormerConfig":
        return GreenFormerConfig()

    @staticmethod
    def tiny() -> "GreenFormerConfig":
        return GreenFormerConfig(embed_dim=8, num_heads=1, stages=(1, 2, 3, 2), decoder_dim=32,
                                 refiner_channels=16)

    def stage_dim(self, s: int) -> int:
        return self.embed_dim << s

    def stage_ends(self) -> list[int]:
        ends, acc = [], 0
        for n in self.stages:
            acc += n
            ends.append(acc - 1)
        return ends

    def block_stage(self, b: int) -> int:
        return next(s for s, e in enumerate(self.stage_ends()) if b <= e)

    def is_pooling_block(self, b: int) -> bool:
        return b in [e + 1 for e in self.stage_ends()[:3]]

    @property
    def depth(self) -> int:
        return sum(self.stages)


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int, ...]
    role: str


def weight_spec(cfg: GreenFormerConfig, pos_grid: int) -> list[TensorSpec]:
    s: list[TensorSpec] = []

    def linear(p, out, inp):
        s.append(TensorSpec(f"{p}.weight", (out, inp), "dense_weight"))
        s.append(TensorSpec(f"{p}.bias", (out,), "dense_bias"))

    def conv(p, out, inp, k, bias=True):
        s.append(TensorSpec(f"{p}.weight", (out, inp, k, k), "dense_weight"))
        if bias:
            s.append(TensorSpec(f"{p}.bias", (out,), "dense_bias"))

    def norm(p, c):
        s.append(TensorSpec(f"{p}.weight", (c,), "norm_weight"))
        s.append(TensorSpec(f"{p}.bias", (c,), "norm_bias"))

    enc = "encoder.model."
    s.append(TensorSpec(enc + "pos_embed", (1, pos_grid * pos_grid, cfg.embed_dim), "pos_embed"))
    conv(enc + "patch_embed.proj", cfg.embed_dim, cfg.in_chans, 7)
    for b in range(cfg.depth):
        p = f"{enc}blocks.{b}."
        stage = cfg.block_stage(b)
        dim_out = cfg.stage_dim(stage)
        dim_in = cfg.stage_dim(stage - 1) if cfg.is_pooling_block(b) else dim_out
        norm(p + "norm1", dim_in)
        if dim_in != dim_out:
            linear(p + "proj", dim_out, dim_in)
        linear(p + "attn.qkv", 3 * dim_out, dim_in)
        linear(p + "attn.proj", dim_out, dim_out)
        norm(p + "norm2", dim_out)
        linear(p + "mlp.fc1", cfg.mlp_ratio * dim_out, dim_out)
        linear(p + "mlp.fc2", dim_out, cfg.mlp_ratio * dim_out)
    d = cfg.decoder_dim
    for head, out in (("alpha_decoder", 1), ("fg_decoder", 3)):
        for i in range(4):
            linear(f"{head}.linear_c{i + 1}.proj", d, cfg.stage_dim(i))
        conv(f"{head}.linear_fuse", d, 4 * d, 1, bias=False)
        norm(f"{head}.bn", d)
        s.append(TensorSpec(f"{head}.bn.running_mean", (d,), "bn_mean"))
        s.append(TensorSpec(f"{head}.bn.running_var", (d,), "bn_var"))
        conv(f"{head}.classifier", out, d, 1)
    r = cfg.refiner_channels
    conv("refiner.stem.0", r, 7, 3)
    norm("refiner.stem.1", r)
    for i in range(1, 5):
        conv(f"refiner.res{i}.conv1", r, r, 3)
        norm(f"refiner.res{i}.gn1", r)
        conv(f"refiner.res{i}.conv2", r, r, 3)
        norm(f"refiner.res{i}.gn2", r)
    conv("refiner.final", 4, r, 1)
    return s
