"""Packaging for diffhand_mm, the DiffHand plugin for MMPose / MMEngine."""
import os.path as osp
import re

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    with open(osp.join(HERE, 'diffhand_mm', 'version.py'), encoding='utf-8') as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def read_requirements(name: str) -> list:
    """Read ``requirements/<name>.txt``, dropping comments and blank lines."""
    path = osp.join(HERE, 'requirements', f'{name}.txt')
    with open(path, encoding='utf-8') as f:
        lines = (line.split('#', 1)[0].strip() for line in f)
        return [line for line in lines if line]


setup(
    # The distribution is 'diffhand'; the import package is 'diffhand_mm'. The names differ on
    # purpose: MMEngine 0.10.7 locates a package for `read_base()` imports of its configs
    # (`from diffhand_mm.configs.x import *`) by its distribution's install location, which is
    # wrong for editable (PEP 660) installs; when no distribution has the package's name it
    # asks the import system instead, which is right for every kind of install.
    name='diffhand',
    version=read_version(),
    description='DiffHand: hand mesh reconstruction by diffusion, as an MMPose plugin',
    long_description=open(osp.join(HERE, 'README.md'), encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'configs.*', 'tools')),
    include_package_data=True,
    package_data={'diffhand_mm': ['hand/assets/*.npz', 'configs/*.yml']},
    python_requires='>=3.9',
    # Loose ranges for users who bring their own stack (e.g. the full mmcv with compiled ops,
    # which provides the same `mmcv` module as mmcv-lite); the exact pins that install on our
    # machines live in requirements/*.txt and are what tools/setup_env.sh installs.
    install_requires=[
        'torch>=2.1', 'torchvision', 'mmengine>=0.10.0,<1.0', 'mmpose>=1.2.0,<2.0', 'timm>=0.9',
        'numpy', 'scipy', 'opencv-python', 'tqdm',
        # MMEngine 0.10.7 imports pkg_resources to read `read_base()` configs of installed
        # packages (ours: diffhand_mm.configs); setuptools 82 removed it.
        'setuptools<82'
    ],
    extras_require={
        'tests': read_requirements('tests'),
        'export': read_requirements('export'),
        'pinned': read_requirements('torch') + read_requirements('runtime'),
    },
    license='Apache-2.0',
    zip_safe=False,
)
