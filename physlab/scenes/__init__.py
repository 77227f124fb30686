"""Scenes: YAML families -> concrete scenes -> pybullet simulation -> trajectories -> violation edits -> rendered clips.

Every step is a pure function of its inputs: the same family, seed, size and length give the same pixels.
"""
