"""Objective-driven control: worlds that take actions, an action-conditioned JEPA, and planning by MPC.

`spec` and `worlds` (worlds from `worlds/*.yaml`, live in pybullet), `behaviour` and `data` (offline
episodes without rewards), `model`, `train` and `checkpoint` (the action-conditioned world model), `cost`,
`planners`, `agents`, `episodes` and `evaluation` (planning towards goal pictures, and its baselines),
`stepper` (an episode a person steps through) and `surprise` (pairs whose actions have impossible outcomes).
"""
