"""CorridorKey's GreenFormer in PyTorch, built as the original builds it: timm's
`hiera_base_plus_224` with features_only=True and img_size=S, the patch embed widened to 4
input channels, two SegFormer-style decoder heads and the dilated CNN refiner. Sizes are
parameterised (GreenFormerConfig) so the tiny test networks share the exact structure.

`forward_stages` returns every intermediate the engine's parity tests compare.
"""
from __future__ import annotations

import math

import timm
import torch
import torch.nn as nn
import torch.nn.functional as F

from greenformer_spec import GreenFormerConfig

STAGE_NAMES = [
    "input", "encoder_feature_0", "encoder_feature_1", "encoder_feature_2", "encoder_feature_3",
    "alpha_logits", "fg_logits", "alpha_logits_up", "fg_logits_up", "alpha_coarse", "fg_coarse",
    "delta_logits", "alpha_final", "fg_final",
]


class Projection(nn.Module):
    """Per-pixel Linear C_in -> C_out (the `linear_c{i}.proj` of the decoder heads)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.proj = nn.Linear(c_in, c_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        return self.proj(x.flatten(2).transpose(1, 2)).transpose(1, 2).reshape(n, -1, h, w)


class DecoderHead(nn.Module):
    def __init__(self, channels: list[int], dim: int, out: int) -> None:
        super().__init__()
        self.linear_c4 = Projection(channels[3], dim)
        self.linear_c3 = Projection(channels[2], dim)
        self.linear_c2 = Projection(channels[1], dim)
        self.linear_c1 = Projection(channels[0], dim)
        self.linear_fuse = nn.Conv2d(4 * dim, dim, kernel_size=1, bias=False)
        self.bn = nn.BatchNorm2d(dim)
        self.classifier = nn.Conv2d(dim, out, kernel_size=1)

    def forward(self, feats: list[torch.Tensor]) -> torch.Tensor:
        c1, c2, c3, c4 = feats
        size = c1.shape[2:]
        up = lambda t: F.interpolate(t, size=size, mode="bilinear", align_corners=False)  # noqa: E731
        fused = torch.cat([up(self.linear_c4(c4)), up(self.linear_c3(c3)), up(self.linear_c2(c2)),
                           self.linear_c1(c1)], dim=1)
        return self.classifier(F.relu(self.bn(self.linear_fuse(fused))))  # dropout: identity in eval


class RefinerBlock(nn.Module):
    def __init__(self, c: int, groups: int, dilation: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=dilation, dilation=dilation)
        self.gn1 = nn.GroupNorm(groups, c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=dilation, dilation=dilation)
        self.gn2 = nn.GroupNorm(groups, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.gn1(self.conv1(x)))
        return F.relu(self.gn2(self.conv2(out)) + x)


class Refiner(nn.Module):
    def __init__(self, c: int, groups: int) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(7, c, 3, padding=1), nn.GroupNorm(groups, c), nn.ReLU())
        self.res1 = RefinerBlock(c, groups, 1)
        self.res2 = RefinerBlock(c, groups, 2)
        self.res3 = RefinerBlock(c, groups, 4)
        self.res4 = RefinerBlock(c, groups, 8)
        self.final = nn.Conv2d(c, 4, 1)

    def forward(self, rgb: torch.Tensor, coarse: torch.Tensor) -> torch.Tensor:
        x = self.stem(torch.cat([rgb, coarse], dim=1))
        x = self.res4(self.res3(self.res2(self.res1(x))))
        return self.final(x) * 10.0


class GreenFormer(nn.Module):
    def __init__(self, cfg: GreenFormerConfig, img_size: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.encoder = timm.create_model(
            "hiera_base_plus_224", pretrained=False, features_only=True, img_size=img_size,
            embed_dim=cfg.embed_dim, num_heads=cfg.num_heads, stages=cfg.stages)
        old = self.encoder.model.patch_embed.proj
        self.encoder.model.patch_embed.proj = nn.Conv2d(
            cfg.in_chans, old.out_channels, kernel_size=old.kernel_size, stride=old.stride, padding=old.padding)
        channels = [cfg.stage_dim(i) for i in range(4)]
        self.alpha_decoder = DecoderHead(channels, cfg.decoder_dim, 1)
        self.fg_decoder = DecoderHead(channels, cfg.decoder_dim, 3)
        self.refiner = Refiner(cfg.refiner_channels, cfg.refiner_groups)

    @torch.no_grad()
    def forward_stages(self, x: torch.Tensor, refiner_scale: float = 1.0) -> dict[str, torch.Tensor]:
        feats = self.encoder(x)
        alpha_logits = self.alpha_decoder(feats)
        fg_logits = self.fg_decoder(feats)
        size = x.shape[2:]
        alpha_up = F.interpolate(alpha_logits, size=size, mode="bilinear", align_corners=False)
        fg_up = F.interpolate(fg_logits, size=size, mode="bilinear", align_corners=False)
        alpha_coarse, fg_coarse = torch.sigmoid(alpha_up), torch.sigmoid(fg_up)
        delta = self.refiner(x[:, :3], torch.cat([alpha_coarse, fg_coarse], dim=1))
        scaled = delta * refiner_scale if refiner_scale != 1.0 else delta
        out = {"input": x}
        out.update({f"encoder_feature_{i}": f for i, f in enumerate(feats)})
        out.update(alpha_logits=alpha_logits, fg_logits=fg_logits, alpha_logits_up=alpha_up, fg_logits_up=fg_up,
                   alpha_coarse=alpha_coarse, fg_coarse=fg_coarse, delta_logits=delta,
                   alpha_final=torch.sigmoid(alpha_up + scaled[:, 0:1]),
                   fg_final=torch.sigmoid(fg_up + scaled[:, 1:4]))
        return {k: v.contiguous() for k, v in out.items()}


def canonical_state_dict(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Unwraps "state_dict", strips "_orig_mod." and drops num_batches_tracked."""
    if "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    out = {}
    for k, v in sd.items():
        if not torch.is_tensor(v):
            continue
        k = k[len("_orig_mod."):] if k.startswith("_orig_mod.") else k
        if not k.endswith("num_batches_tracked"):
            out[k] = v
    return out


def load_weights(model: GreenFormer, sd: dict[str, torch.Tensor]) -> None:
    """Loads a canonical state dict as CorridorKey's engine does: pos_embed is resized as a
    square grid with bicubic interpolation (align_corners=False) when its size differs."""
    target = model.state_dict()
    sd = dict(sd)
    pe = sd["encoder.model.pos_embed"].float()
    want = target["encoder.model.pos_embed"].shape
    if pe.shape != want:
        g_src, g_dst, c = int(math.isqrt(pe.shape[1])), int(math.isqrt(want[1])), pe.shape[2]
        grid = pe.permute(0, 2, 1).reshape(1, c, g_src, g_src)
        grid = F.interpolate(grid, size=(g_dst, g_dst), mode="bicubic", align_corners=False)
        sd["encoder.model.pos_embed"] = grid.flatten(2).transpose(1, 2)
    for k in target:
        if k.endswith("num_batches_tracked"):
            sd[k] = target[k]
    model.load_state_dict({k: v.float() for k, v in sd.items()}, strict=True)
    model.eval()
