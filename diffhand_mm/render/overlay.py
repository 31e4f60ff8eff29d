"""Blend a rendered mesh onto a photo."""
import numpy as np

from .renderer import RenderOutput


def overlay_mesh(image_bgr: np.ndarray, render_output: RenderOutput,
                 alpha: float = 0.8) -> np.ndarray:
    """Alpha-blend rendered mesh pixels onto BGR uint8 images; background pixels are untouched.

    Args:
        image_bgr: (H,W,3) uint8 BGR image (render batch must be 1) or (B,H,W,3).
        render_output: :class:`RenderOutput` of the same (H,W), batch 1 or B.
        alpha: mesh opacity in [0,1].

    Returns:
        uint8 BGR array of the input's shape: ``alpha * mesh + (1 - alpha) * image`` on the mesh
        mask, the input pixel elsewhere.
    """
    image = np.asarray(image_bgr)
    if image.dtype != np.uint8 or image.ndim not in (3, 4) or image.shape[-1] != 3:
        raise ValueError('overlay_mesh: image_bgr must be uint8 (H,W,3) or (B,H,W,3), '
                         f'got {image.dtype} {image.shape}')
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f'overlay_mesh: alpha must lie in [0,1], got {alpha}')
    batched = image if image.ndim == 4 else image[None]
    rgb = render_output.rgb.numpy()
    mask = render_output.mask.numpy()
    if rgb.shape[:3] != batched.shape[:3]:
        raise ValueError(f'overlay_mesh: render of shape {rgb.shape[:3]} (B,H,W) does not '
                         f'match image of shape {batched.shape[:3]}')
    mesh_bgr = rgb[..., ::-1] * 255.0
    blended = alpha * mesh_bgr + (1.0 - alpha) * batched.astype(np.float32)
    blended = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    out = np.where(mask[..., None], blended, batched)
    return out if image.ndim == 4 else out[0]
