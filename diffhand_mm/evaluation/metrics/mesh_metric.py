"""MeshMetric: hand joint and mesh errors of a test set, the benchmarks' official way."""
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from torch import nn

from diffhand_mm.registry import METRICS, MODELS
from ..functional import MODES, compute_hand_report, dihedral_angle_errors
from ..submission import write_dexycb_results, write_freihand_submission, write_ho3d_submission

SUBMISSION_FORMATS = ('freihand', 'ho3d', 'dexycb')


def _first_instance(instances, key: str, sample_id) -> np.ndarray:
    """``instances[key][0]`` as a numpy array (tensors are already on the CPU here)."""
    try:
        value = instances[key]
    except (KeyError, AttributeError):
        raise KeyError(f'sample {sample_id}: {key!r} is missing from the data sample') from None
    value = value.detach().cpu().numpy() if hasattr(value, 'detach') else np.asarray(value)
    return value[0]


@METRICS.register_module()
class MeshMetric(BaseMetric):
    """MPJPE, PA-MPJPE, MPVPE, PA-MPVPE (mm), F@5 / F@15, PCK AUC and roughness of hands.

    Reads, from each data sample (a dict made by MMEngine's evaluator from a
    ``PoseDataSample``): ``gt_instances`` with ``joints_3d`` (1, 21, 3), ``vertices``
    (1, 778, 3) and ``has_vertices`` (1,); ``pred_instances`` with ``joints_3d`` (1, 21, 3)
    and ``vertices`` (1, V, 3); and the metainfo ``sample_id``. All metres, OpenPose order.
    Scoring is :func:`~diffhand_mm.evaluation.functional.compute_hand_report` over the whole
    set (reported keys and their conventions are documented there and in docs/evaluation.md).

    Distributed testing: ``process`` stores one small dict of numpy arrays per sample in
    ``self.results``; MMEngine gathers them and ``compute_metrics`` runs on the main process
    only, so nothing depends on the rank.

    Args:
        mode: alignment conventions, 'freihand' (camera frame as is), 'ho3d' (adds
            scale-translation aligned joints) or 'dexycb' (root-relative, joint 0).
        skip_vertices: score joints only (for sets without mesh labels). Without it, a sample
            with ``has_vertices == 0`` is an error.
        submission: ``dict(format='freihand' | 'ho3d' | 'dexycb', out_file=PATH)`` to also
            write the predictions in that benchmark's official format, ordered by
            ``sample_id``. FreiHAND and HO-3D files need ``sample_id`` to be the index in the
            official evaluation list (0 .. N-1); DexYCB uses it as the toolkit's image id.
        format_only: only write ``submission`` (no ground truth is read, no metric returned),
            e.g. for HO-3D's evaluation split whose labels are hidden.
        hand_model: The hand model (config or built) whose faces the predicted and
            ground-truth meshes share. Given, the report adds ``roughness``: the mean
            absolute difference of the dihedral angles of the interior edges to the ground
            truth's, degrees (:func:`~diffhand_mm.evaluation.functional.dihedral_angle_errors`;
            0 for a surface folded exactly like the ground truth, whatever its pose).
        collect_device: 'cpu' or 'gpu', for gathering results across ranks.
        prefix: prepended to the metric names as ``prefix/name``; default: the mode, e.g.
            ``freihand/PA-MPJPE``.
    """

    def __init__(self, mode: str = 'freihand', skip_vertices: bool = False,
                 submission: Optional[dict] = None, format_only: bool = False,
                 hand_model: Optional[Union[dict, nn.Module]] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device,
                         prefix=mode if prefix is None else prefix)
        if mode not in MODES:
            raise ValueError(f'MeshMetric: mode must be one of {MODES}, got {mode!r}')
        if submission is not None:
            if set(submission) != {'format', 'out_file'} or \
                    submission['format'] not in SUBMISSION_FORMATS:
                raise ValueError('MeshMetric: submission must be dict(format=one of '
                                 f'{SUBMISSION_FORMATS}, out_file=path), got {submission!r}')
        if format_only and submission is None:
            raise ValueError('MeshMetric: format_only=True needs a submission=dict(...)')
        self.mode = mode
        self.skip_vertices = skip_vertices
        self.submission = submission
        self.format_only = format_only
        self._told_skip = False
        self.faces = None
        if hand_model is not None:
            hand = hand_model if isinstance(hand_model, nn.Module) else MODELS.build(hand_model)
            self.faces = hand.faces.detach().cpu().numpy()
        writes_vertices = submission is not None and submission['format'] != 'dexycb'
        self._needs_pred_vertices = writes_vertices or not (format_only or skip_vertices)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Store the prediction (and ground truth) of each sample in ``self.results``."""
        for sample in data_samples:
            sample_id = sample.get('sample_id')
            pred = sample['pred_instances']
            result = dict(sample_id=sample_id,
                          pred_joints=_first_instance(pred, 'joints_3d', sample_id))
            if self._needs_pred_vertices:
                result['pred_vertices'] = _first_instance(pred, 'vertices', sample_id)
            if not self.format_only:
                gt = sample['gt_instances']
                result['gt_joints'] = _first_instance(gt, 'joints_3d', sample_id)
                if not np.isfinite(result['gt_joints']).all():
                    # HO-3D's evaluation split knows only the root: scoring it would give NaN.
                    raise ValueError(
                        f'MeshMetric: sample {sample_id} has unknown (non-finite) ground-truth '
                        'joints, as in splits without public labels (HO-3D evaluation); use '
                        'format_only=True with a submission=dict(...) for such splits')
                if not self.skip_vertices:
                    if not _first_instance(gt, 'has_vertices', sample_id) > 0:
                        raise ValueError(
                            f'MeshMetric: sample {sample_id} has no vertex ground truth '
                            '(has_vertices == 0); use skip_vertices=True to score joints only')
                    result['gt_vertices'] = _first_instance(gt, 'vertices', sample_id)
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Score all gathered samples; errors in mm, AUC and F-scores as fractions."""
        print_log(f'MeshMetric ({self.mode}): {len(results)} samples', logger='current')
        if self.submission is not None:
            self._write_submission(results)
        if self.format_only:
            return {}
        if self.skip_vertices and not self._told_skip:
            print_log('MeshMetric: skip_vertices=True, vertex metrics are not computed',
                      logger='current')
            self._told_skip = True

        def stack(key):
            return np.stack([r[key] for r in results])

        with_vertices = not self.skip_vertices
        report = compute_hand_report(
            stack('gt_joints'), stack('pred_joints'),
            stack('gt_vertices') if with_vertices else None,
            stack('pred_vertices') if with_vertices else None, mode=self.mode)
        if with_vertices and self.faces is not None:
            report['roughness'] = float(np.mean(dihedral_angle_errors(
                stack('gt_vertices'), stack('pred_vertices'), self.faces)))
        return report

    def _write_submission(self, results: List[dict]) -> None:
        fmt, out_file = self.submission['format'], self.submission['out_file']
        ids = [r['sample_id'] for r in results]
        if any(i is None for i in ids):
            raise ValueError('MeshMetric: writing a submission needs sample_id in every sample')
        order = np.argsort(ids, kind='stable')
        ids = np.asarray(ids)[order]
        if len(np.unique(ids)) != len(ids):
            raise ValueError('MeshMetric: duplicate sample_id values; cannot write a submission')
        joints = np.stack([results[i]['pred_joints'] for i in order])
        if fmt == 'dexycb':
            write_dexycb_results(out_file, ids.tolist(), joints)
        else:
            if not np.array_equal(ids, np.arange(len(ids))):
                raise ValueError(f'MeshMetric: a {fmt} submission lists every evaluation sample '
                                 'by position; sample_id must be 0 .. N-1, got ids from '
                                 f'{ids.min()} to {ids.max()} for {len(ids)} samples')
            vertices = np.stack([results[i]['pred_vertices'] for i in order])
            writer = write_freihand_submission if fmt == 'freihand' else write_ho3d_submission
            writer(out_file, joints, vertices)
        print_log(f'MeshMetric: wrote the {fmt} submission of {len(ids)} samples to {out_file}',
                  logger='current')
