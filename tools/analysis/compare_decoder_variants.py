"""Where should the diffusion run? Cost of decoder variants per DDIM step, random weights.

For a model config (default: DeiT-III large) and a list of decoder variants, the script builds
each variant's head on the config's encoder sizes and measures, all in one process:

- FLOPs of one decoder call for K hypotheses of one image (``FlopCounterMode``, with the CPU
  attention formulas of ``benchmark_inference.py``), of the decoder's image part (once per
  image) and of the encoder;
- CPU time (``time.thread_time``, one torch thread) of the same calls, in interleaved rounds
  (round r times every variant once, then round r+1 ...), so that load from other jobs falls
  on all variants alike; the fastest round is kept;
- the fixed upsampling's error when the signal is a coarse subset: mean / max vertex distance
  (mm) of the rebuilt mesh on 200 posed, shaped open hands (random global rotations);
- the predicted 10 x K / 1 x 1 ratio of a whole ``predict``, in FLOPs and in CPU time:
  ``(E + C + steps * D_K) / (E + C + D_1)`` with E the encoder, C the image part and D_K one
  decoder call for K hypotheses (the camera and the selection cost well under 1 %);
- with ``--train-batch N``: CPU time of one training step of the whole model (encoder, head
  losses, backward, AdamW) on N random images with labels of the open hand, interleaved like
  the rest (what decides how far a variant gets in a fixed training time).

No training: this says what a variant costs, not how well it learns (docs/learning_curves.md).

Example:
    python tools/analysis/compare_decoder_variants.py --rounds 3 --out docs/benchmarks.md
"""
import argparse
import time
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.config import Config

from diffhand_mm.utils.cli import rerun_command
from diffhand_mm.utils.markdown import replace_markdown_section

SECTION_TITLE = '## Where the diffusion runs: decoder variants'
BEGIN_MARK = '<!-- compare_decoder_variants.py output: begin -->'
END_MARK = '<!-- compare_decoder_variants.py output: end -->'

_PAPER = dict(type='CrossModalityDecoder', dim=256, num_blocks=3, num_heads=8, ffn_ratio=4)
_COARSE = dict(type='CoarseCrossModalityDecoder', signal_rate=4, num_blocks=3, ffn_ratio=4)
#: name -> decoder config; the first is the reference.
VARIANTS: Dict[str, dict] = {
    'paper: 778 points, width 256': _PAPER,
    '778 points, width 128': dict(_PAPER, dim=128, num_heads=4),
    '195 points, width 256': dict(_COARSE, dim=256, num_heads=8),
    '195 points, width 128': dict(_COARSE, dim=128, num_heads=4),
    '195 points, width 128, FFN x2': dict(_COARSE, dim=128, num_heads=4, ffn_ratio=2),
    '195 points, width 128, 2 blocks': dict(_COARSE, dim=128, num_heads=4, num_blocks=2),
    '195 points, width 96': dict(_COARSE, dim=96, num_heads=4),
    '98 points, width 128': dict(_COARSE, dim=128, num_heads=4, signal_rate=8),
    '49 points, width 128': dict(_COARSE, dim=128, num_heads=4, signal_rate=16,
                                 num_levels=1),
    # the tiny configs' sizes (width 64, FFN x2)
    'paper tiny: 778 points, width 64, FFN x2': dict(_PAPER, dim=64, num_heads=4, ffn_ratio=2),
    '195 points, width 64, FFN x2': dict(_COARSE, dim=64, num_heads=4, ffn_ratio=2),
    '195 points, width 96, FFN x2': dict(_COARSE, dim=96, num_heads=4, ffn_ratio=2),
    '195 points, width 128, FFN x2, 1 level': dict(_COARSE, dim=128, num_heads=4, ffn_ratio=2,
                                                   num_levels=1),
    '195 points, width 128, FFN x2, 2 blocks': dict(_COARSE, dim=128, num_heads=4, ffn_ratio=2,
                                                    num_blocks=2),
}
COLUMNS = ('decoder', 'signal points', 'params M', 'upsampling error mean / max mm',
           'GFLOPs / call, K=1', 'GFLOPs / call, K=8', 'CPU ms / call, K=1',
           'CPU ms / call, K=8', 'CPU ms, 8 calls of K=1', '10x8 / 1x1 FLOPs',
           '10x8 / 1x1 CPU time', 'CPU ms / training step')


def build_head(model_cfg, decoder_cfg: dict, in_channels: int, embed_dim: int):
    from diffhand_mm.registry import MODELS
    head_cfg = dict(model_cfg.head, decoder=decoder_cfg, in_channels=in_channels,
                    embed_dim=embed_dim)
    return MODELS.build(head_cfg).eval()


def upsampling_error(head, num_hands: int = 200, seed: int = 0) -> str:
    """Mean / max mm of rebuilding posed open hands from the head's signal points."""
    decoder = head.decoder
    if decoder.num_points == head.num_vertices:
        return '0 / 0'
    from diffhand_mm.hand import OpenHandModel
    from diffhand_mm.hand.pose_sampler import HandPoseSampler
    hand = OpenHandModel()
    pose = HandPoseSampler(hand)(num_hands, seed=seed, global_orient=True)
    betas = torch.randn(num_hands, hand.num_betas,
                        generator=torch.Generator().manual_seed(seed)).clamp(-2.5, 2.5)
    with torch.no_grad():
        meshes = hand(pose=pose, betas=betas).vertices
        rebuilt = decoder.vertices_from_signal(decoder.signal_from_vertices(meshes))
    error = (rebuilt - meshes).norm(dim=-1) * 1e3
    return f'{error.mean():.2f} / {error.max():.1f}'


def decoder_call(head, context, hypotheses: int):
    """One DDIM step for ``hypotheses`` samples of one image, as the sampler makes it."""
    repeated = context.repeat_interleave(hypotheses)
    x_t = torch.randn(hypotheses, head.decoder.num_points, 3)
    t = torch.full((hypotheses,), 500, dtype=torch.long)
    return lambda: head.decoder(x_t, t, repeated)


def flops_of(fn) -> float:
    from tools.analysis.benchmark_inference import count_flops
    with torch.no_grad(), count_flops() as counter:
        fn()
    return float(counter.get_total_flops())


def cpu_seconds(fn, repeats: int = 1) -> float:
    with torch.no_grad():
        start = time.thread_time()
        for _ in range(repeats):
            fn()
        return time.thread_time() - start


def training_step(model_cfg, decoder_cfg: dict, batch: int, size: int):
    """A closure running one training step of the whole model on fixed random data."""
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample

    from diffhand_mm.hand import OpenHandModel
    from diffhand_mm.registry import MODELS
    cfg = dict(model_cfg, head=dict(model_cfg.head, decoder=decoder_cfg))
    cfg['backbone'] = dict(cfg['backbone'], pretrained=False, init_cfg=None)
    torch.manual_seed(0)
    model = MODELS.build(cfg).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    hand = OpenHandModel()
    gen = torch.Generator().manual_seed(0)
    focal = 1.5 * size
    cam_K = torch.tensor([[focal, 0, size / 2 - 0.5], [0, focal, size / 2 - 0.5], [0, 0, 1]])
    images, samples = [], []
    for i in range(batch):
        vertices = hand.v_template + torch.tensor([0.0, 0.0, 0.5])
        joints = hand.joints_from_vertices(vertices[None])[0]
        pixels = (joints @ cam_K.T)[:, :2] / joints[:, 2:]
        sample = PoseDataSample(metainfo=dict(img_path=f'random_{i}', input_size=(size, size),
                                              cam_K=cam_K.numpy()))
        sample.gt_instances = InstanceData(vertices=vertices[None],
                                           has_vertices=torch.ones(1), joints_3d=joints[None],
                                           joints_2d=pixels[None], cam_K=cam_K[None])
        images.append(torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=gen))
        samples.append(sample)
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), training=True)

    def step():
        with torch.enable_grad():
            losses = model(data['inputs'], data['data_samples'], mode='loss')
            optimizer.zero_grad()
            sum(losses.values()).backward()
            optimizer.step()
    return step


def measure(config: str, variants: Dict[str, dict], rounds: int, steps: int,
            hypotheses: int, train_batch: int = 0) -> List[dict]:
    """Rows of the table (see the module doc); CPU times are the fastest of ``rounds``."""
    import diffhand_mm.models  # noqa: F401
    from tools.analysis.benchmark_inference import build_model, input_size_of
    cfg = Config.fromfile(config)
    torch.manual_seed(0)
    model = build_model(config, 'cpu')
    size = input_size_of(model)
    images = torch.randn(1, 3, size, size)
    with torch.no_grad():
        feats = model.backbone(images)
    encoder = lambda: model.backbone(images)  # noqa: E731
    encoder_flops = flops_of(encoder)
    rows = []
    for name, decoder_cfg in variants.items():
        torch.manual_seed(0)
        head = build_head(cfg.model, decoder_cfg, model.backbone.feature_channels,
                          model.backbone.embed_dim)
        with torch.no_grad():
            context = head.decoder.encode_image(*feats)
        calls = {k: decoder_call(head, context, k) for k in (1, hypotheses)}
        single = calls[1]
        rows.append(dict(
            name=name, head=head, calls=calls, points=head.decoder.num_points,
            params=sum(p.numel() for p in head.decoder.parameters()) / 1e6,
            upsampling=upsampling_error(head),
            context_flops=flops_of(lambda: head.decoder.encode_image(*feats)),
            flops={k: flops_of(fn) for k, fn in calls.items()},
            cpu={1: [], hypotheses: [], 'separate': []},
            separate=lambda single=single: [single() for _ in range(hypotheses)],
            train=(training_step(cfg.model, decoder_cfg, train_batch, size)
                   if train_batch else None)))
        rows[-1]['cpu']['train'] = []
        for fn in list(calls.values()) + [rows[-1]['train'] or (lambda: None)]:
            cpu_seconds(fn)  # first-call costs (allocations) out of the timings
    encoder_cpu = []
    for _ in range(rounds):
        encoder_cpu.append(cpu_seconds(encoder))
        for row in rows:
            for k, fn in row['calls'].items():
                row['cpu'][k].append(cpu_seconds(fn))
            row['cpu']['separate'].append(cpu_seconds(row['separate']))
            if row['train'] is not None:
                row['cpu']['train'].append(cpu_seconds(row['train']))
    encoder_seconds = min(encoder_cpu)
    for row in rows:
        base = encoder_flops + row['context_flops']
        row['flop_ratio'] = (base + steps * row['flops'][hypotheses]) / (base + row['flops'][1])
        cpu = {k: min(v) if v else None for k, v in row['cpu'].items()}
        row['cpu_min'] = cpu
        # the image part costs ~0.1-0.4 % of the encoder; its time is folded into E
        row['cpu_ratio'] = (encoder_seconds + steps * cpu[hypotheses]) / (encoder_seconds +
                                                                          cpu[1])
    return rows, dict(encoder_gflops=encoder_flops / 1e9, encoder_ms=encoder_seconds * 1e3,
                      encoder_rounds_ms=[round(s * 1e3) for s in encoder_cpu])


def format_table(rows: Sequence[dict], hypotheses: int) -> str:
    lines = ['| ' + ' | '.join(c.replace('8', str(hypotheses)) if 'K=8' in c or '8 calls' in c
                                 or '10x8' in c else c for c in COLUMNS) + ' |',
             '|' + '|'.join(['---'] + ['---:'] * (len(COLUMNS) - 1)) + '|']
    for row in rows:
        cpu = row['cpu_min']
        lines.append('| ' + ' | '.join([
            row['name'], str(row['points']), f"{row['params']:.2f}", row['upsampling'],
            f"{row['flops'][1] / 1e9:.3f}", f"{row['flops'][hypotheses] / 1e9:.2f}",
            f'{cpu[1] * 1e3:.1f}', f'{cpu[hypotheses] * 1e3:.1f}',
            f"{cpu['separate'] * 1e3:.1f}", f"{row['flop_ratio']:.2f}",
            f"{row['cpu_ratio']:.2f}",
            '-' if cpu['train'] is None else f"{cpu['train'] * 1e3:.0f}"]) + ' |')
    return '\n'.join(lines)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default='configs/_base_/models/diffhand_deit_large.py')
    parser.add_argument('--variants', nargs='+', choices=list(VARIANTS),
                        default=list(VARIANTS), help='which variants (default: all)')
    parser.add_argument('--rounds', type=int, default=3, help='interleaved timing rounds')
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--hypotheses', type=int, default=8)
    parser.add_argument('--train-batch', type=int, default=0,
                        help='also time a training step on this batch (0: do not)')
    parser.add_argument('--title', default=SECTION_TITLE, help='markdown section title')
    parser.add_argument('--out', help='markdown file to write the section into')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None):
    args = parse_args(argv)
    torch.set_num_threads(1)
    rows, encoder = measure(args.config, {v: VARIANTS[v] for v in args.variants},
                            args.rounds, args.steps, args.hypotheses, args.train_batch)
    table = format_table(rows, args.hypotheses)
    command = rerun_command('tools/analysis/compare_decoder_variants.py', argv)
    body = (f'`{args.config}`, random weights, 1 torch thread, CPU time of the fastest of '
            f'{args.rounds} interleaved rounds. Encoder: {encoder["encoder_gflops"]:.2f} '
            f'GFLOPs, {encoder["encoder_ms"]:.0f} ms CPU per image (rounds: '
            f'{encoder["encoder_rounds_ms"]} ms). Ratios for {args.steps} steps x '
            f'{args.hypotheses} hypotheses against 1 x 1, predicted from the parts.\n\n'
            f'```\n{command}\n```\n\n{table}')
    print(body)
    if args.out:
        replace_markdown_section(args.out, args.title, body, BEGIN_MARK, END_MARK)
    return rows


if __name__ == '__main__':
    main()
