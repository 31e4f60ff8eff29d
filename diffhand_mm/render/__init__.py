"""CPU mesh rendering: z-buffer rasterizer, Lambertian shading, overlays, side views."""
from .overlay import overlay_mesh
from .primitives import boundary_loops, cap_holes, make_box, make_icosphere
from .rasterize import (Fragments, Rasterized, fragments_to_images, rasterize,
                        rasterize_fragments, rasterize_numpy)
from .renderer import (DirectionalLight, RenderOutput, render_mesh, render_side_view,
                       rotate_about_centroid, vertex_normals)

__all__ = [
    'DirectionalLight', 'Fragments', 'RenderOutput', 'Rasterized', 'boundary_loops',
    'cap_holes', 'fragments_to_images', 'make_box', 'make_icosphere', 'overlay_mesh',
    'rasterize', 'rasterize_fragments', 'rasterize_numpy', 'render_mesh', 'render_side_view',
    'rotate_about_centroid', 'vertex_normals'
]
