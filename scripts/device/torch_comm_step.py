#!/usr/bin/env python3
"""One CoMM training step of the reference model in PyTorch (REFERENCE §4-§6), timed.

The comparison point for `cargo bench --bench train_step -- 'comm/paper$'` and for the same bench
on a GPU (`RUSBENCH_DEVICE=wgpu`). Batch 64, two strong views per modality given as random
tensors (no augmentation cost, as the bench), forward + backward + AdamW; the fusion transformer
runs three times per view. Usage:

    python3 scripts/device/torch_comm_step.py [--device cpu|cuda] [--scale paper|small|tiny]
        [--fusion-dim D] [--px PX] [--steps 10] [--threads N]

`--scale tiny|small` builds rusbench's 64 px models with its widths (`CommConfig::tiny/small`,
`AlexNetConfig::tiny/small`): the comparison point for `train_step -- comm/tiny` (and
`comm/tiny-f128` with `--fusion-dim 128`, the cpu preset's model) and `comm/small`.
Prints one CSV line: device,scale,px,batch,steps,ms_per_step,params,threads.
"""
import argparse
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# Per scale: trunk channels, first kernel, stride, padding, canvas; fusion width, heads.
SCALES = {
    "paper": ([64, 192, 384, 256, 256], 11, 4, 2, 224, 512, 8),
    "small": ([32, 96, 192, 128, 128], 5, 2, 2, 64, 128, 4),
    "tiny": ([16, 48, 96, 64, 64], 5, 2, 2, 64, 64, 4),
}


def alexnet_features(c, k, s, p):
    # torchvision AlexNet `features` (REFERENCE §4.1) at widths c: 224 px -> 256 x 6 x 6 at the
    # paper scale; rusbench's 64 px trunks take a 5 x 5 stride-2 first layer.
    return nn.Sequential(
        nn.Conv2d(3, c[0], k, s, p), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Conv2d(c[0], c[1], 5, padding=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Conv2d(c[1], c[2], 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(c[2], c[3], 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(c[3], c[4], 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
    )


def sincos_2d(grid, dim):
    # MoCo-v3 2-D sin-cos table (REFERENCE §4.2): [sin(y w), cos(y w), sin(x w), cos(x w)].
    k = dim // 4
    omega = 1.0 / (10000 ** (torch.arange(k, dtype=torch.float32) / k))
    ys, xs = torch.meshgrid(torch.arange(grid, dtype=torch.float32),
                            torch.arange(grid, dtype=torch.float32), indexing="ij")
    y = ys.flatten()[:, None] * omega[None]
    x = xs.flatten()[:, None] * omega[None]
    return torch.cat([y.sin(), y.cos(), x.sin(), x.cos()], dim=1)[None]  # [1, g*g, dim]


class Adapter(nn.Module):
    def __init__(self, c, dim, grid):
        super().__init__()
        self.proj = nn.Conv2d(c, dim, 1)
        self.register_buffer("pos", sincos_2d(grid, dim))

    def forward(self, f):
        return self.proj(f).flatten(2).transpose(1, 2) + self.pos  # [B, g*g, dim]


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class Fusion(nn.Module):
    def __init__(self, dim=512, heads=8, mlp=2048):
        super().__init__()
        self.cls = nn.Parameter(torch.randn(1, 1, dim))
        self.ln1, self.ln2, self.ln_f = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, dropout=0.0, batch_first=True)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp), QuickGELU(), nn.Linear(mlp, dim))
        nn.init.normal_(self.attn.in_proj_weight, std=dim ** -0.5)
        nn.init.normal_(self.attn.out_proj.weight, std=dim ** -0.5 * 2 ** -0.5)
        nn.init.normal_(self.mlp[0].weight, std=(2 * dim) ** -0.5)
        nn.init.normal_(self.mlp[2].weight, std=(2 * dim) ** -0.5)

    def forward(self, tokens):
        x = torch.cat([self.cls.expand(tokens[0].shape[0], -1, -1), *tokens], dim=1)
        h = self.ln1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        x = x + self.mlp(self.ln2(x))
        return self.ln_f(x)[:, 0]


def head(d, hidden, out):
    return nn.Sequential(nn.Linear(d, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
                         nn.Linear(hidden, out))


def nt_xent(a, b, tau=0.1):
    # SimCLR NT-Xent with 2N-2 negatives (REFERENCE §5), symmetric.
    a, b = F.normalize(a, dim=1), F.normalize(b, dim=1)
    n = a.shape[0]
    z = torch.cat([a, b])
    sim = z @ z.t() / tau
    sim = sim - 1e8 * torch.eye(2 * n, device=a.device)
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(a.device)
    return F.cross_entropy(sim, target)


class Comm(nn.Module):
    def __init__(self, scale, px, dim=None):
        super().__init__()
        c, k, s, p, _, width, heads = SCALES[scale]
        d = dim or width
        self.enc1, self.enc2 = alexnet_features(c, k, s, p), alexnet_features(c, k, s, p)
        grid = self.enc1(torch.zeros(1, 3, px, px)).shape[-1]
        self.ad1, self.ad2 = Adapter(c[4], d, grid), Adapter(c[4], d, grid)
        # Every size tied to the width as in rusbench's `CommConfig::with_width`.
        self.fusion = Fusion(d, heads, 4 * d)
        self.head = head(d, d, d // 2)

    def embed(self, x1, x2):
        t1, t2 = self.ad1(self.enc1(x1)), self.ad2(self.enc2(x2))
        return [self.head(self.fusion(t)) for t in ([t1], [t2], [t1, t2])]

    def loss(self, v1, v2):
        a1, a2, a = self.embed(*v1)
        b1, b2, b = self.embed(*v2)
        return (0.5 * (nt_xent(a1, b) + nt_xent(b1, a)) + 0.5 * (nt_xent(a2, b) + nt_xent(b2, a))
                + nt_xent(a, b)) / 3


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--scale", choices=sorted(SCALES), default="paper")
    p.add_argument("--fusion-dim", type=int, default=None)
    p.add_argument("--px", type=int, default=None, help="canvas [default: the scale's]")
    p.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--steps", type=int, default=10)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    px = args.px or SCALES[args.scale][4]
    torch.manual_seed(0)
    dev = torch.device(args.device)
    model = Comm(args.scale, px, args.fusion_dim).to(dev)
    decay = [q for n, q in model.named_parameters() if q.ndim >= 2]
    rest = [q for n, q in model.named_parameters() if q.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 1e-4},
                             {"params": rest, "weight_decay": 0.0}],
                            lr=3e-4, betas=(0.9, 0.999), eps=1e-8)
    views = [torch.randn(args.batch, 3, px, px, device=dev) for _ in range(4)]

    def step():
        loss = model.loss((views[0], views[1]), (views[2], views[3]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()  # a host read, as rusbench's training loop does every step

    for _ in range(2):  # warm-up (cuDNN autotune, allocator)
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    ms = (time.perf_counter() - t0) / args.steps * 1e3
    used = sum(q.numel() for q in model.parameters())
    print(f"torch-{args.device},{args.scale},{px},{args.batch},{args.steps},{ms:.1f},{used},"
          f"{torch.get_num_threads()}")
    assert math.isfinite(step())


if __name__ == "__main__":
    main()
