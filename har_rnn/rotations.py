"""Random 3-D rotations for notebook 04's `RandomRotation` (hand-written: the formula, not the lesson).

Rodrigues' formula turns a vector by angle a about the unit axis k:
R = I + sin(a) K + (1 - cos(a)) K², where K is the cross-product matrix of k (K v = k × v).
"""
import torch


def random_rotations(n, max_angle, generator):
    """n random 3 x 3 rotation matrices: each a uniformly random axis and an angle uniform in ±max_angle (radians).

    Draws the axes, then the angles, from `generator`, so a seeded generator gives the same rotations."""
    axis = torch.randn(n, 3, generator=generator)
    axis = axis / axis.norm(dim=1, keepdim=True)
    angle = (2 * torch.rand(n, generator=generator) - 1) * max_angle
    zero = torch.zeros(n)
    K = torch.stack([zero, -axis[:, 2], axis[:, 1],
                     axis[:, 2], zero, -axis[:, 0],
                     -axis[:, 1], axis[:, 0], zero], dim=1).reshape(n, 3, 3)
    s, c = angle.sin()[:, None, None], angle.cos()[:, None, None]
    return torch.eye(3) + s * K + (1 - c) * (K @ K)
